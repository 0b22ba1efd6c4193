// An in-process gateway for the security tests: real gRPC listener on 127.0.0.1:0, real admin
// HTTP listener, every stage wired from YAML; Langfuse replaced by a FakeTransport. The YAML
// that Reload() reads can be replaced at any time (SetYaml), like editing the file.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/auth/digest.h"
#include "gateway/config/loader.h"
#include "gateway/server/gateway.h"
#include "gtest/gtest.h"
#include "tests/export/fake_transport.h"
#include "tracegate/v1/ingest_service.grpc.pb.h"

namespace tracegate::security_testing {

// API keys of the test configs (the config holds only their SHA-256).
inline constexpr char kAlphaKey[] = "tg_sec_alpha_0123456789abcdef";
inline constexpr char kBravoKey[] = "tg_sec_bravo_0123456789abcdef";
inline constexpr char kAdminKey[] = "tg_sec_admin_0123456789abcdef";
// Langfuse secret of the test route: must never show up in logs or errors.
inline constexpr char kLangfuseSecret[] = "sk-lf-sec-test-5ecret-0123456789";

inline std::string KeyYaml(const std::string& name, const std::string& key,
                           const std::string& extra = "") {
  return absl::StrCat("  - name: ", name, "\n    sha256: ", auth::Sha256Hex(key),
                      "\n    workspaces: [\"*\"]\n", extra);
}

// A complete config: keys alpha and bravo, one "*" route; `extra` is appended (top-level
// sections such as rate_limits or security).
inline std::string BaseYaml(const std::string& extra = "", const std::string& keys = "") {
  return absl::StrCat(
      R"yaml(
server:
  grpc_listen: "127.0.0.1:0"
  admin_listen: "127.0.0.1:0"
api_keys:
)yaml",
      keys.empty() ? KeyYaml("alpha", kAlphaKey) + KeyYaml("bravo", kBravoKey) : keys,
      R"yaml(routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://127.0.0.1:9", public_key: pk-lf-sec-test, secret_key: )yaml",
      kLangfuseSecret, R"yaml(}
export:
  linger: 10ms
)yaml",
      extra);
}

class TestGateway {
 public:
  explicit TestGateway(std::string yaml) : yaml_(std::move(yaml)) {}
  ~TestGateway() {
    if (gateway_) gateway_->Shutdown(absl::Seconds(2));
  }

  // Starts the gateway with the current YAML; false (with a test failure) when it fails.
  bool Start() {
    auto cfg = Parse();
    if (!cfg.ok()) {
      ADD_FAILURE() << cfg.status();
      return false;
    }
    auto gw = server::Gateway::Start(Options(*std::move(cfg)));
    if (!gw.ok()) {
      ADD_FAILURE() << gw.status();
      return false;
    }
    gateway_ = *std::move(gw);
    return true;
  }
  // Start() that reports the error instead of failing the test.
  absl::Status TryStart() {
    auto cfg = Parse();
    if (!cfg.ok()) return cfg.status();
    auto gw = server::Gateway::Start(Options(*std::move(cfg)));
    if (!gw.ok()) return gw.status();
    gateway_ = *std::move(gw);
    return absl::OkStatus();
  }

  void SetYaml(std::string yaml) {
    absl::MutexLock lock(&mu_);
    yaml_ = std::move(yaml);
  }

  server::Gateway& gateway() { return *gateway_; }
  int port() const { return gateway_->grpc_port(); }
  int admin_port() const { return gateway_->admin_port(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port()); }
  exporter::testing::FakeTransport& transport() { return transport_; }

  std::shared_ptr<grpc::Channel> InsecureChannel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }

 private:
  absl::StatusOr<config::v1::Config> Parse() {
    absl::MutexLock lock(&mu_);
    return config::ParseConfigYaml(yaml_, config::ProcessEnv(), "test.yaml");
  }
  server::GatewayOptions Options(config::v1::Config cfg) {
    server::GatewayOptions o;
    o.config = std::move(cfg);
    o.transport_factory = [this] {
      return std::make_unique<exporter::testing::ForwardingTransport>(&transport_);
    };
    o.load_config = [this]() -> absl::StatusOr<config::LoadedConfig> {
      auto parsed = Parse();
      if (!parsed.ok()) return parsed.status();
      config::LoadedConfig loaded;
      loaded.config = *std::move(parsed);
      return loaded;
    };
    return o;
  }

  absl::Mutex mu_;
  std::string yaml_ ABSL_GUARDED_BY(mu_);
  exporter::testing::FakeTransport transport_;
  std::unique_ptr<server::Gateway> gateway_;
};

// One trace event in workspace "w".
inline tracegate::v1::IngestRequest OneTrace(const std::string& event_id) {
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("w");
  auto* ev = req.add_events();
  ev->set_event_id(event_id);
  ev->mutable_trace()->set_id("t-" + event_id);
  ev->mutable_trace()->set_name("security test");
  return req;
}

// A unary Ingest with "authorization: Bearer <key>" (no header when key is empty).
inline grpc::Status Ingest(const std::shared_ptr<grpc::Channel>& channel, const std::string& key,
                           const tracegate::v1::IngestRequest& request,
                           tracegate::v1::IngestResponse* response,
                           grpc::ClientContext* ctx_out = nullptr) {
  auto stub = tracegate::v1::IngestService::NewStub(channel);
  grpc::ClientContext local;
  grpc::ClientContext& ctx = ctx_out != nullptr ? *ctx_out : local;
  if (!key.empty()) ctx.AddMetadata("authorization", "Bearer " + key);
  if (ctx_out == nullptr) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  return stub->Ingest(&ctx, request, response);
}

}  // namespace tracegate::security_testing
