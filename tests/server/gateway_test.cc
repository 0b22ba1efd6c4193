// The composition root in-process: real gRPC listener on 127.0.0.1:0, real admin HTTP,
// every stage wired from a YAML config; Langfuse replaced by a fake HTTP transport.
#include "gateway/server/gateway.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <future>

#include "gateway/auth/authenticator.h"
#include "gateway/config/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/export/fake_transport.h"
#include "tracegate/client.h"

namespace tracegate::server {
namespace {

using exporter::testing::FakeTransport;

// Hands every export worker a view of one shared FakeTransport.
class SharedTransport : public exporter::HttpTransport {
 public:
  explicit SharedTransport(FakeTransport* t) : t_(t) {}
  absl::StatusOr<exporter::HttpResponse> Post(const exporter::HttpRequest& r) override {
    return t_->Post(r);
  }
  absl::StatusOr<exporter::HttpResponse> Get(const exporter::HttpRequest& r) override {
    return t_->Get(r);
  }

 private:
  FakeTransport* t_;
};

constexpr char kConfig[] = R"yaml(
server:
  grpc_listen: "127.0.0.1:0"
  admin_listen: "127.0.0.1:0"
api_keys:
  - name: test
    # SHA-256 of "tg_server_test"
    sha256: 8a4d0bc1f0b9fd5b9c1b8c6b2d4c0e1a9f2b3c4d5e6f708192a3b4c5d6e7f801
    workspaces: ["*"]
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://127.0.0.1:9", public_key: pk-lf-x, secret_key: sk-lf-x}
export:
  linger: 10ms
)yaml";

class GatewayTest : public ::testing::Test {
 protected:
  std::unique_ptr<Gateway> StartGateway(std::string yaml) {
    auto cfg = config::ParseConfigYaml(yaml, config::ProcessEnv(), "test.yaml");
    EXPECT_TRUE(cfg.ok()) << cfg.status();
    GatewayOptions o;
    o.config = *cfg;
    o.transport_factory = [this] { return std::make_unique<SharedTransport>(&transport_); };
    auto gw = Gateway::Start(std::move(o));
    EXPECT_TRUE(gw.ok()) << gw.status();
    return gw.ok() ? *std::move(gw) : nullptr;
  }

  // kConfig with its api key digest replaced by the SHA-256 of `key`.
  static std::string ConfigWithKey(const std::string& key) {
    std::string yaml = kConfig;
    const std::string placeholder =
        "8a4d0bc1f0b9fd5b9c1b8c6b2d4c0e1a9f2b3c4d5e6f708192a3b4c5d6e7f801";
    yaml.replace(yaml.find(placeholder), placeholder.size(), auth::Sha256Hex(key));
    return yaml;
  }

  FakeTransport transport_;
};

// grpc.health.v1.Health/Check with an empty request; returns the status enum (1 = SERVING).
int HealthStatus(int port) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::ByteBuffer request;  // HealthCheckRequest{service: ""} encodes to zero bytes
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status st) { done.set_value(st); });
  grpc::Status st = done.get_future().get();
  if (!st.ok()) return -1;
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = N}: field 1, varint → 0x08 N (empty when UNKNOWN = 0).
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return bytes.empty() ? 0 : -2;
}

TEST_F(GatewayTest, ServesHealthReadinessAndDeliversEvents) {
  auto gw = StartGateway(kConfig);
  ASSERT_NE(gw, nullptr);
  ASSERT_GT(gw->grpc_port(), 0);
  ASSERT_GT(gw->admin_port(), 0);
  EXPECT_EQ(HealthStatus(gw->grpc_port()), 1);

  httplib::Client admin("127.0.0.1", gw->admin_port());
  auto ready = admin.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto unknown = admin.Get("/admin/dead-letters?route=nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  gw->Shutdown(absl::Seconds(5));
  EXPECT_NE(HealthStatus(gw->grpc_port()), 1);
}

TEST_F(GatewayTest, AcceptedEventsReachLangfuseBeforeShutdownReturns) {
  auto gw = StartGateway(ConfigWithKey("tg_server_test"));
  ASSERT_NE(gw, nullptr);
  client::ClientOptions co;
  co.endpoint = "127.0.0.1:" + std::to_string(gw->grpc_port());
  co.api_key = "tg_server_test";
  auto c = client::Client::Create(co);
  ASSERT_TRUE(c.ok());
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("w");
  auto* ev = req.add_events();
  ev->set_event_id("e1");
  ev->mutable_trace()->set_id("t1");
  ev->mutable_trace()->set_name("hello");
  auto resp = (*c)->Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->accepted(), 1u) << resp->DebugString();

  co.api_key = "tg_wrong";
  auto wrong = client::Client::Create(co);
  EXPECT_EQ((*wrong)->Send(req).status().code(), absl::StatusCode::kUnauthenticated);

  gw->Shutdown(absl::Seconds(5));  // drains the queue before returning
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:9/api/public/otel/v1/traces");
}

TEST_F(GatewayTest, PortInUseFailsStartWithTheAddress) {
  auto first = StartGateway(kConfig);
  ASSERT_NE(first, nullptr);
  std::string yaml = kConfig;
  yaml.replace(yaml.find("127.0.0.1:0"), 11, "127.0.0.1:" + std::to_string(first->grpc_port()));
  auto cfg = config::ParseConfigYaml(yaml, config::ProcessEnv(), "test.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  GatewayOptions o;
  o.config = *cfg;
  o.transport_factory = [this] { return std::make_unique<SharedTransport>(&transport_); };
  auto second = Gateway::Start(std::move(o));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              ::testing::HasSubstr(std::to_string(first->grpc_port())));
}

}  // namespace
}  // namespace tracegate::server
