// The admin/metrics HTTP listener (separate from gRPC; loopback by default):
//   GET /healthz  200 "ok" while the process serves (liveness)
//   GET /readyz   200 when ready to accept events, 503 with the reason otherwise
//   GET /metrics  Prometheus text format
//   GET /admin/dead-letters?route=R&limit=N   recent dead letters of a route, JSON
//   POST /admin/reload   re-reads the config: 200 with the JSON result, 400 {"error": reason}
//                        when the new config is refused (the running one stays)
//   POST /admin/dead-letters/replay?route=R&limit=N   moves the oldest N (default 1000, at
//                        most 10000) dead letters of R back into its queue as one entry:
//                        200 {"route","replayed"}; 404 unknown route; 429 the route's queue
//                        is full; 503 the store is unreachable
// Mutating endpoints (POST) go through Authorize(): when an admin key is configured they
// need "Authorization: Bearer <admin key>" (401 otherwise); without one they are allowed
// only when the listener is bound to a loopback address (403 otherwise).
// Serves on its own threads (cpp-httplib); handlers only call the callbacks given here,
// which must be thread-safe. Nothing here returns secrets.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace tracegate::admin {

struct AdminServerOptions {
  std::string listen = "127.0.0.1:9464";  // host:port; port 0 picks a free port
  // Empty string = ready; otherwise the reason it is not.
  std::function<std::string()> not_ready_reason;
  std::function<std::string()> metrics_text;
  std::function<absl::StatusOr<std::string>(const std::string& route, size_t limit)>
      dead_letters_json;
  // Whether `authorization` (the header's value) carries the admin key; nullopt when no
  // admin key is configured. Unset = no admin key.
  std::function<std::optional<bool>(absl::string_view authorization)> check_admin_key;
  // POST /admin/reload: the JSON result, or the reason the new config was refused.
  std::function<absl::StatusOr<std::string>()> reload;
  // POST /admin/dead-letters/replay: the JSON result; NOT_FOUND for an unknown route,
  // RESOURCE_EXHAUSTED when the route's queue is full, UNAVAILABLE when the store is down.
  std::function<absl::StatusOr<std::string>(const std::string& route, size_t limit)>
      replay_dead_letters;
};

class AdminServer {
 public:
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(AdminServerOptions options);
  ~AdminServer();
  int port() const { return port_; }
  void Stop();

  // For mutating handlers: true when the request may proceed; otherwise `res` already holds
  // the 401/403 answer.
  bool Authorize(const httplib::Request& req, httplib::Response& res) const;

 private:
  AdminServer() = default;
  bool loopback_ = false;
  AdminServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" (IPv6 as "[::1]:9464"); INVALID_ARGUMENT naming the text when malformed.
absl::Status SplitHostPort(const std::string& listen, std::string* host, int* port);

// True for "localhost", 127.0.0.0/8 and ::1.
bool IsLoopbackHost(absl::string_view host);

}  // namespace tracegate::admin
