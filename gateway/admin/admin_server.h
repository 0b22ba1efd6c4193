// The admin/metrics HTTP listener (separate from gRPC; loopback by default):
//   GET /healthz  200 "ok" while the process serves (liveness)
//   GET /readyz   200 when ready to accept events, 503 with the reason otherwise
//   GET /metrics  Prometheus text format
//   GET /admin/dead-letters?route=R&limit=N   recent dead letters of a route, JSON
// Serves on its own threads (cpp-httplib); handlers only call the callbacks given here,
// which must be thread-safe. Nothing here returns secrets.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace tracegate::admin {

struct AdminServerOptions {
  std::string listen = "127.0.0.1:9464";  // host:port; port 0 picks a free port
  // Empty string = ready; otherwise the reason it is not.
  std::function<std::string()> not_ready_reason;
  std::function<std::string()> metrics_text;
  std::function<absl::StatusOr<std::string>(const std::string& route, size_t limit)>
      dead_letters_json;
};

class AdminServer {
 public:
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(AdminServerOptions options);
  ~AdminServer();
  int port() const { return port_; }
  void Stop();

 private:
  AdminServer() = default;
  AdminServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" (IPv6 as "[::1]:9464"); INVALID_ARGUMENT naming the text when malformed.
absl::Status SplitHostPort(const std::string& listen, std::string* host, int* port);

}  // namespace tracegate::admin
