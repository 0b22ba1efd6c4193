// Maps a workspace to its Langfuse target (core::RouteTarget), built once from config.
//
// Create() turns each config Route into a shared, immutable RouteTarget: Langfuse keys
// from the value or from the *_file (read once through RouterOptions::read_file, trailing
// whitespace/newline trimmed), timeout parsed (default 10s), base_url without trailing
// slash, egress "otlp"/"legacy", and "auto" → egress_auto = true with kOtlp as the
// provisional egress until export/ asks the server.
// Find(): the route that names the workspace exactly, else the "*" route, else nullptr.
//
//   auto router = Router::Create(config.routes(), {});
//   std::shared_ptr<const core::RouteTarget> target = (*router)->Find(event.workspace());
//   if (target == nullptr) { /* REJECTED: no route for the workspace */ }
//
// Status codes: Create → INVALID_ARGUMENT for a bad route (message "route '<name>': ..."
// or "routes[i]: ..." when the name is missing), or the read_file error's code (e.g.
// NOT_FOUND) prefixed with the route and key. Messages never contain key values or file
// contents. Thread-safety: immutable after Create; Find/routes may be called from any
// thread. Find does no allocation beyond the shared_ptr copy's reference count.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/core/route_target.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::route {

// Reads a whole (small) file, e.g. a mounted secret. The default reads from disk.
using FileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;

// The default FileReader: up to 64 KiB; NOT_FOUND / PERMISSION_DENIED / FAILED_PRECONDITION
// with "cannot read <path>: <reason>".
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

struct RouterOptions {
  FileReader read_file = ReadSecretFile;
};

class Router {
 public:
  static absl::StatusOr<std::unique_ptr<Router>> Create(
      const google::protobuf::RepeatedPtrField<tracegate::config::v1::Route>& routes,
      const RouterOptions& options = {});

  // The target for `workspace`: exact match first, then the "*" route, else nullptr
  // (also for an empty workspace).
  std::shared_ptr<const core::RouteTarget> Find(absl::string_view workspace) const;

  // The target whose route name is `name`, else nullptr.
  std::shared_ptr<const core::RouteTarget> FindByName(absl::string_view name) const;

  // Every target, in config order.
  const std::vector<std::shared_ptr<const core::RouteTarget>>& routes() const { return routes_; }

 private:
  Router() = default;

  std::vector<std::shared_ptr<const core::RouteTarget>> routes_;
  absl::flat_hash_map<std::string, std::shared_ptr<const core::RouteTarget>> by_workspace_;
  absl::flat_hash_map<std::string, std::shared_ptr<const core::RouteTarget>> by_name_;
  std::shared_ptr<const core::RouteTarget> catch_all_;
};

}  // namespace tracegate::route
