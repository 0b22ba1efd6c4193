#include "gateway/admin/admin_server.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace tracegate::admin {

absl::Status SplitHostPort(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("\"", listen, "\" is not host:port"));
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (!absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", listen, "\" has no valid port"));
  }
  return absl::OkStatus();
}

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

bool AdminServer::Authorize(const httplib::Request& req, httplib::Response& res) const {
  const std::optional<bool> key_ok =
      options_.check_admin_key ? options_.check_admin_key(req.get_header_value("Authorization"))
                               : std::nullopt;
  if (key_ok.has_value()) {
    if (*key_ok) return true;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer");
    res.set_content("admin key required: \"Authorization: Bearer <admin key>\"\n", "text/plain");
    return false;
  }
  if (loopback_) return true;
  res.status = 403;
  res.set_content(
      "admin endpoints (reload, dead letters) need security.admin_key_sha256 when the admin "
      "listener is not bound to loopback\n",
      "text/plain");
  return false;
}

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(AdminServerOptions options) {
  std::string host;
  int port = 0;
  if (absl::Status st = SplitHostPort(options.listen, &host, &port); !st.ok()) return st;
  std::unique_ptr<AdminServer> self(new AdminServer());
  self->options_ = std::move(options);
  self->loopback_ = IsLoopbackHost(host);
  self->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *self->server_;
  AdminServer* raw = self.get();

  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  svr.Get("/readyz", [raw](const httplib::Request&, httplib::Response& res) {
    std::string reason = raw->options_.not_ready_reason ? raw->options_.not_ready_reason() : "";
    if (reason.empty()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(reason + "\n", "text/plain");
    }
  });
  svr.Get("/metrics", [raw](const httplib::Request&, httplib::Response& res) {
    res.set_content(raw->options_.metrics_text ? raw->options_.metrics_text() : "",
                    "text/plain; version=0.0.4");
  });
  svr.Get("/admin/dead-letters", [raw](const httplib::Request& req, httplib::Response& res) {
    // Dead letters hold whole events (after the privacy stage): same protection as the
    // mutating endpoints.
    if (!raw->Authorize(req, res)) return;
    size_t limit = 100;
    if (req.has_param("limit") && !absl::SimpleAtoi(req.get_param_value("limit"), &limit)) {
      res.status = 400;
      res.set_content("limit: not a number\n", "text/plain");
      return;
    }
    if (!raw->options_.dead_letters_json) {
      res.status = 404;
      return;
    }
    auto body = raw->options_.dead_letters_json(req.get_param_value("route"), limit);
    if (!body.ok()) {
      res.status = body.status().code() == absl::StatusCode::kNotFound ? 404 : 400;
      res.set_content(std::string(body.status().message()) + "\n", "text/plain");
      return;
    }
    res.set_content(*body, "application/json");
  });
  svr.Post("/admin/reload", [raw](const httplib::Request& req, httplib::Response& res) {
    if (!raw->Authorize(req, res)) return;
    if (!raw->options_.reload) {
      res.status = 404;
      return;
    }
    absl::StatusOr<std::string> result = raw->options_.reload();
    if (!result.ok()) {
      res.status = result.status().code() == absl::StatusCode::kFailedPrecondition ? 409 : 400;
      nlohmann::json error = {{"error", std::string(result.status().message())}};
      res.set_content(error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                      "application/json");
      return;
    }
    res.set_content(*result, "application/json");
  });
  svr.Post("/admin/dead-letters/replay", [raw](const httplib::Request& req,
                                                httplib::Response& res) {
    if (!raw->Authorize(req, res)) return;
    size_t limit = 1000;
    if (req.has_param("limit") && (!absl::SimpleAtoi(req.get_param_value("limit"), &limit) ||
                                   limit == 0 || limit > 10000)) {
      res.status = 400;
      res.set_content("limit: a number from 1 to 10000\n", "text/plain");
      return;
    }
    if (!raw->options_.replay_dead_letters) {
      res.status = 404;
      return;
    }
    absl::StatusOr<std::string> result =
        raw->options_.replay_dead_letters(req.get_param_value("route"), limit);
    if (!result.ok()) {
      switch (result.status().code()) {
        case absl::StatusCode::kNotFound: res.status = 404; break;
        case absl::StatusCode::kResourceExhausted: res.status = 429; break;
        case absl::StatusCode::kUnavailable: res.status = 503; break;
        case absl::StatusCode::kUnimplemented: res.status = 501; break;
        default: res.status = 500;
      }
      nlohmann::json error = {{"error", std::string(result.status().message())}};
      res.set_content(error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                      "application/json");
      return;
    }
    res.set_content(*result, "application/json");
  });

  if (port == 0) {
    port = svr.bind_to_any_port(host);
    if (port < 0) return absl::UnavailableError(absl::StrCat("admin: cannot bind ", host));
  } else if (!svr.bind_to_port(host, port)) {
    return absl::UnavailableError(absl::StrCat("admin: cannot bind ", self->options_.listen));
  }
  self->port_ = port;
  self->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
  // httplib's stop() does nothing until the listen loop runs; a Stop() that came earlier
  // would leave the thread in accept() forever. Return only once the loop is running.
  for (int i = 0; i < 5000 && !svr.is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  return self;
}

void AdminServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

AdminServer::~AdminServer() { Stop(); }

}  // namespace tracegate::admin
