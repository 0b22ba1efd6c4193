// Rate limits against the real gateway in-process over gRPC: a flood from one key is limited
// (RESOURCE_EXHAUSTED with a retry hint, unary and stream) while another key is served, and
// the counters per key appear on /metrics. The limit refills one event per 1000 s, so the
// test does not depend on how fast it runs.
#include <httplib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/gateway_fixture.h"

namespace tracegate::security_testing {
namespace {

using ::testing::HasSubstr;

std::string LimitedYaml() {
  return BaseYaml("", KeyYaml("alpha", kAlphaKey,
                              "    rate_limit: {events_per_second: 0.001, burst: 10000s}\n") +
                          KeyYaml("bravo", kBravoKey));
}

TEST(RateLimitE2eTest, FloodFromOneKeyIsLimitedWhileAnotherKeyIsServed) {
  TestGateway gw(LimitedYaml());
  ASSERT_TRUE(gw.Start());
  auto channel = gw.InsecureChannel();
  int alpha_ok = 0, alpha_limited = 0, bravo_ok = 0;
  for (int i = 0; i < 50; ++i) {
    tracegate::v1::IngestResponse r;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status st = Ingest(channel, kAlphaKey, OneTrace("a" + std::to_string(i)), &r, &ctx);
    if (st.ok()) {
      ++alpha_ok;
    } else {
      ASSERT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_THAT(st.error_message(),
                  HasSubstr("rate limit of API key \"alpha\" exceeded (0.001 events/s); retry "
                            "after "));
      auto hint = ctx.GetServerTrailingMetadata().find("retry-after-ms");
      ASSERT_NE(hint, ctx.GetServerTrailingMetadata().end());
      EXPECT_GT(std::stoll(std::string(hint->second.data(), hint->second.size())), 0);
      ++alpha_limited;
    }
    grpc::Status b = Ingest(channel, kBravoKey, OneTrace("b" + std::to_string(i)), &r);
    ASSERT_TRUE(b.ok()) << b.error_message();
    EXPECT_EQ(r.accepted(), 1u);
    ++bravo_ok;
  }
  EXPECT_EQ(alpha_ok, 10);  // the burst: 10000 s at 0.001 events/s
  EXPECT_EQ(alpha_limited, 40);
  EXPECT_EQ(bravo_ok, 50);

  httplib::Client admin("127.0.0.1", gw.admin_port());
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body,
              HasSubstr("tracegate_ratelimit_limited_requests_total{key=\"alpha\"} 40\n"));
  EXPECT_THAT(metrics->body,
              HasSubstr("tracegate_ratelimit_admitted_events_total{key=\"bravo\"} 50\n"));
  EXPECT_THAT(metrics->body, ::testing::Not(HasSubstr(kAlphaKey)));
}

TEST(RateLimitE2eTest, StreamBatchOverTheLimitIsRejectedPerEventWithRetryAfter) {
  TestGateway gw(LimitedYaml());
  ASSERT_TRUE(gw.Start());
  auto stub = tracegate::v1::IngestService::NewStub(gw.InsecureChannel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kAlphaKey);
  auto stream = stub->IngestStream(&ctx);
  tracegate::v1::IngestRequest batch;
  batch.set_default_workspace("w");
  for (int i = 0; i < 12; ++i) {
    auto* ev = batch.add_events();
    ev->set_event_id("s" + std::to_string(i));
    ev->mutable_trace()->set_id("t");
  }
  batch.set_batch_id(1);
  ASSERT_TRUE(stream->Write(batch));  // 12 > 10 but the bucket is full: passes, leaves debt
  tracegate::v1::IngestResponse r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.accepted(), 12u);
  batch.set_batch_id(2);
  for (auto& ev : *batch.mutable_events()) ev.set_event_id(ev.event_id() + "-again");
  ASSERT_TRUE(stream->Write(batch));
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.batch_id(), 2u);
  EXPECT_EQ(r.rejected(), 12u);
  ASSERT_EQ(r.results_size(), 12);
  EXPECT_EQ(r.results(0).code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_GT(r.results(0).retry_after().seconds(), 10000);  // debt of 2 + a full bucket
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace tracegate::security_testing
