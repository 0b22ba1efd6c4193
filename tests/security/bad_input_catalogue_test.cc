// The bad-input catalogue (bad_input_catalogue.cc), table-driven: each case goes to the real
// gateway in-process over gRPC and must get exactly its documented answer; afterwards the
// gateway still serves a good request. docs/security.md must list every case's row.
//
// TRACEGATE_CATALOGUE_PRINT=1 prints the actual answers as markdown rows instead of checking
// them (to update the table after a deliberate change).
#include "tests/security/bad_input_catalogue.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/gateway_fixture.h"

namespace tracegate::security_testing {
namespace {

struct Answer {
  grpc::Status status;
  tracegate::v1::IngestResponse response;
};

bool PrintMode() {
  const char* v = std::getenv("TRACEGATE_CATALOGUE_PRINT");
  return v != nullptr && std::string(v) == "1";
}

std::string CatalogueYaml() {
  return BaseYaml("", KeyYaml("alpha", kAlphaKey) + absl::StrCat("  - name: limited\n    sha256: ",
                                                                 auth::Sha256Hex(kBravoKey),
                                                                 "\n    workspaces: [w]\n"));
}

class CatalogueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = new TestGateway(CatalogueYaml());
    ASSERT_TRUE(gateway_->Start());
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  static Answer Send(const BadInput& in) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    auto channel =
        grpc::CreateCustomChannel(gateway_->address(), grpc::InsecureChannelCredentials(), args);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    std::string authorization = in.authorization;
    if (authorization == "limited") authorization = std::string("Bearer ") + kBravoKey;
    if (authorization != "-") ctx.AddMetadata("authorization", authorization);
    Answer answer;
    if (!in.use_raw) {
      auto stub = tracegate::v1::IngestService::NewStub(channel);
      answer.status = stub->Ingest(&ctx, in.request, &answer.response);
      return answer;
    }
    grpc::GenericStub stub(channel);
    grpc::Slice slice(in.raw);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/tracegate.v1.IngestService/Ingest", grpc::StubOptions(), &request,
                   &response, [&](grpc::Status st) { done.set_value(std::move(st)); });
    answer.status = done.get_future().get();
    return answer;
  }

  static TestGateway* gateway_;
};

TestGateway* CatalogueTest::gateway_ = nullptr;

TEST_F(CatalogueTest, HasAtLeastThirtyKinds) { EXPECT_GE(Catalogue("Bearer x").size(), 30u); }

TEST_F(CatalogueTest, EveryCaseGetsItsExactAnswer) {
  const std::string bearer = std::string("Bearer ") + kAlphaKey;
  // Event ids repeat across cases; only "dup-1" and "good" are ever accepted, once each.
  for (CatalogueCase c : Catalogue(bearer)) {
    SCOPED_TRACE(c.kind);
    BadInput in = c.make();
    Answer a = Send(in);
    if (PrintMode()) {
      c.call_code = a.status.error_code();
      if (!a.status.ok()) c.call_message = a.status.error_message();
      if (a.status.ok() && c.event_index < a.response.results_size()) {
        const auto& r = a.response.results(c.event_index);
        c.event_status = r.status();
        c.event_code = r.code();
        c.event_reason = r.reason();
      }
      std::printf("%s\n", MarkdownRow(c).c_str());
      continue;
    }
    ASSERT_EQ(a.status.error_code(), c.call_code) << a.status.error_message();
    if (c.call_code != grpc::StatusCode::OK) {
      EXPECT_EQ(a.status.error_message(), c.call_message);
      continue;
    }
    EXPECT_EQ(a.response.results_size(), in.request.events_size());
    if (c.expect_results >= 0) EXPECT_EQ(a.response.results_size(), c.expect_results);
    if (c.event_status == tracegate::v1::EVENT_STATUS_UNSPECIFIED) continue;
    ASSERT_LT(c.event_index, a.response.results_size());
    const auto& r = a.response.results(c.event_index);
    EXPECT_EQ(r.status(), c.event_status);
    if (c.event_status == tracegate::v1::EVENT_STATUS_REJECTED) {
      EXPECT_EQ(r.code(), c.event_code);
      EXPECT_EQ(r.reason(), c.event_reason);
    }
    // Every other event of the batch is unaffected.
    for (int i = 0; i < a.response.results_size(); ++i) {
      if (i == c.event_index) continue;
      EXPECT_EQ(a.response.results(i).status(), tracegate::v1::EVENT_STATUS_ACCEPTED) << i;
    }
  }
  // The gateway still serves.
  tracegate::v1::IngestResponse r;
  EXPECT_TRUE(Ingest(gateway_->InsecureChannel(), kAlphaKey, OneTrace("after-catalogue"), &r).ok());
  EXPECT_EQ(r.accepted(), 1u);
}

TEST_F(CatalogueTest, DocsListEveryCase) {
  if (PrintMode()) GTEST_SKIP();
  std::ifstream in(std::string(TRACEGATE_SOURCE_DIR) + "/docs/security.md");
  ASSERT_TRUE(in) << "docs/security.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  for (const CatalogueCase& c : Catalogue("Bearer x")) {
    EXPECT_THAT(text.str(), ::testing::HasSubstr(MarkdownRow(c) + "\n"))
        << "docs/security.md lacks the row of \"" << c.kind << "\"";
  }
}

}  // namespace
}  // namespace tracegate::security_testing
