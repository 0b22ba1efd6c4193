#include "gateway/route/router.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gateway/core/status_macros.h"

namespace tracegate::route {
namespace {

constexpr size_t kMaxSecretFileBytes = 64 << 10;
constexpr char kCatchAll[] = "*";

absl::Status RouteError(const std::string& route, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("route '", route, "': ", problem));
}

// The key from `value`, or else from `file`; `key` names the field in messages.
absl::StatusOr<std::string> ResolveKey(const std::string& route, absl::string_view key,
                                       const std::string& value, const std::string& file,
                                       const FileReader& read_file) {
  if (!value.empty()) return value;
  if (file.empty()) {
    return RouteError(
        route, absl::StrCat("langfuse.", key, ": required (set ", key, " or ", key, "_file)"));
  }
  absl::StatusOr<std::string> content = read_file(file);
  if (!content.ok()) {
    return absl::Status(
        content.status().code(),
        absl::StrCat("route '", route, "': langfuse.", key, "_file: ", content.status().message()));
  }
  std::string trimmed(absl::StripTrailingAsciiWhitespace(*content));
  if (trimmed.empty()) {
    return RouteError(route, absl::StrCat("langfuse.", key, "_file: the file is empty"));
  }
  for (char c : trimmed) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return RouteError(
          route, absl::StrCat("langfuse.", key, "_file: the key contains control characters"));
    }
  }
  return trimmed;
}

absl::StatusOr<std::shared_ptr<core::RouteTarget>> BuildTarget(const config::v1::Route& route,
                                                               const FileReader& read_file) {
  const std::string& name = route.name();
  auto target = std::make_shared<core::RouteTarget>();
  target->name = name;
  const config::v1::LangfuseTarget& lf = route.langfuse();
  absl::string_view base_url = lf.base_url();
  while (absl::ConsumeSuffix(&base_url, "/")) {
  }
  if (!(absl::StartsWith(base_url, "http://") && base_url.size() > 7) &&
      !(absl::StartsWith(base_url, "https://") && base_url.size() > 8)) {
    return RouteError(name, "langfuse.base_url: must be an http(s) URL");
  }
  target->base_url = std::string(base_url);
  TG_ASSIGN_OR_RETURN(target->public_key, ResolveKey(name, "public_key", lf.public_key(),
                                                     lf.public_key_file(), read_file));
  TG_ASSIGN_OR_RETURN(target->secret_key, ResolveKey(name, "secret_key", lf.secret_key(),
                                                     lf.secret_key_file(), read_file));
  if (!lf.timeout().empty()) {
    absl::Duration timeout;
    if (!absl::ParseDuration(lf.timeout(), &timeout) || timeout <= absl::ZeroDuration() ||
        timeout == absl::InfiniteDuration()) {
      return RouteError(name, "langfuse.timeout: must be a duration > 0 like \"10s\"");
    }
    target->timeout = timeout;
  }
  const std::string& egress = route.egress();
  if (egress.empty() || egress == "otlp") {
    target->egress = core::Egress::kOtlp;
  } else if (egress == "legacy") {
    target->egress = core::Egress::kLegacy;
  } else if (egress == "auto") {
    target->egress = core::Egress::kOtlp;  // provisional; export/ decides at start
    target->egress_auto = true;
  } else {
    return RouteError(name, "egress: must be one of otlp, legacy, auto");
  }
  target->environment = route.environment();
  target->ca_file = lf.ca_file();
  return target;
}

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  std::string content(kMaxSecretFileBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  content.resize(static_cast<size_t>(in.gcount()));
  if (content.size() > kMaxSecretFileBytes) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is larger than 64 KiB"));
  }
  return content;
}

absl::StatusOr<std::unique_ptr<Router>> Router::Create(
    const google::protobuf::RepeatedPtrField<config::v1::Route>& routes,
    const RouterOptions& options) {
  if (routes.empty()) return absl::InvalidArgumentError("routes: at least one route is required");
  const FileReader read_file = options.read_file ? options.read_file : ReadSecretFile;
  std::unique_ptr<Router> router(new Router());
  for (int i = 0; i < routes.size(); ++i) {
    const config::v1::Route& route = routes.Get(i);
    if (route.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("routes[", i, "].name: required"));
    }
    if (router->by_name_.contains(route.name())) {
      return RouteError(route.name(), "duplicate route name");
    }
    if (route.workspaces().empty()) {
      return RouteError(route.name(), "workspaces: at least one workspace is required");
    }
    TG_ASSIGN_OR_RETURN(std::shared_ptr<core::RouteTarget> built, BuildTarget(route, read_file));
    std::shared_ptr<const core::RouteTarget> target = std::move(built);
    for (const std::string& workspace : route.workspaces()) {
      if (workspace.empty()) return RouteError(route.name(), "workspaces: empty workspace name");
      const bool taken = workspace == kCatchAll ? router->catch_all_ != nullptr
                                                : router->by_workspace_.contains(workspace);
      if (taken) {
        return RouteError(route.name(),
                          absl::StrCat("workspace \"", workspace, "\" is already routed"));
      }
      if (workspace == kCatchAll) {
        router->catch_all_ = target;
      } else {
        router->by_workspace_.emplace(workspace, target);
      }
    }
    router->by_name_.emplace(route.name(), target);
    router->routes_.push_back(std::move(target));
  }
  return router;
}

std::shared_ptr<const core::RouteTarget> Router::Find(absl::string_view workspace) const {
  if (workspace.empty()) return nullptr;
  const auto it = by_workspace_.find(workspace);
  if (it != by_workspace_.end()) return it->second;
  return catch_all_;
}

std::shared_ptr<const core::RouteTarget> Router::FindByName(absl::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace tracegate::route
