#include "gateway/ratelimit/rate_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace tracegate::ratelimit {
namespace {

using ::testing::HasSubstr;
using tracegate::v1::IngestRequest;

constexpr char kKeys[] = R"pb(
  api_keys {
    name: "noisy"
    workspaces: "*"
    rate_limit { events_per_second: 10 }
  }
  api_keys { name: "calm" workspaces: "*" }
  api_keys {
    name: "free"
    workspaces: "*"
    rate_limit {}
  }
)pb";

// kKeys plus `extra` (text-format Config fields).
tracegate::config::v1::Config Load(absl::string_view extra) {
  tracegate::config::v1::Config c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(absl::StrCat(kKeys, extra), &c))
      << extra;
  return c;
}

core::Principal Key(const std::string& name) {
  core::Principal p;
  p.key_name = name;
  p.any_workspace = true;
  return p;
}

IngestRequest Batch(int n, const std::string& workspace = "w", size_t payload = 0) {
  IngestRequest r;
  r.set_default_workspace(workspace);
  for (int i = 0; i < n; ++i) {
    auto* ev = r.add_events();
    ev->set_event_id(absl::StrCat("e", i));
    ev->mutable_trace()->set_id(absl::StrCat("t", i));
    if (payload > 0) ev->mutable_trace()->set_name(std::string(payload, 'x'));
  }
  return r;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  std::unique_ptr<RateLimiter> Make(absl::string_view extra,
                                    const RateLimiter* previous = nullptr) {
    auto l = RateLimiter::Create(Load(extra), &clock_, previous);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *std::move(l) : nullptr;
  }
  absl::Status Admit(RateLimiter& l, const std::string& key, const IngestRequest& r) {
    retry_ = absl::ZeroDuration();
    return l.Admit(Key(key), r, &retry_);
  }
  core::FakeClock clock_;
  absl::Duration retry_;
};

TEST_F(RateLimiterTest, FloodFromOneKeyIsLimitedWhileAnotherKeyIsServed) {
  auto l = Make("rate_limits { per_key { events_per_second: 100 } }");
  ASSERT_TRUE(l->enabled());
  EXPECT_TRUE(Admit(*l, "noisy", Batch(10)).ok());
  absl::Status st = Admit(*l, "noisy", Batch(1));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(),
            "rate limit of API key \"noisy\" exceeded (10 events/s); retry after 100ms");
  EXPECT_EQ(retry_, absl::Milliseconds(100));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Admit(*l, "calm", Batch(10)).ok()) << i;
  EXPECT_FALSE(Admit(*l, "calm", Batch(1)).ok());    // 100/s default reached
  EXPECT_TRUE(Admit(*l, "free", Batch(5000)).ok());  // rate_limit: {} = unlimited
  clock_.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(Admit(*l, "noisy", Batch(1)).ok());
}

TEST_F(RateLimiterTest, WorkspaceLimitSpansKeysAndRefundsTheKeyWhenRefused) {
  auto l = Make(
      "rate_limits { per_key { events_per_second: 100 }"
      "  workspaces { key: \"small\" value { events_per_second: 5 } } }");
  EXPECT_TRUE(Admit(*l, "calm", Batch(3, "small")).ok());
  EXPECT_TRUE(Admit(*l, "free", Batch(2, "small")).ok());
  absl::Status st = Admit(*l, "calm", Batch(4, "small"));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(),
            "rate limit of workspace \"small\" exceeded (5 events/s); retry after 800ms");
  // The key's 4 tokens were refunded: 97 events fit in its bucket of 100.
  EXPECT_TRUE(Admit(*l, "calm", Batch(97, "big")).ok());
  EXPECT_FALSE(Admit(*l, "calm", Batch(1, "big")).ok());
}

TEST_F(RateLimiterTest, MixedBatchIsRefusedWhenOneWorkspaceIsOver) {
  auto l = Make("rate_limits { per_workspace { events_per_second: 2 } }");
  IngestRequest r = Batch(2, "a");
  r.mutable_events(1)->set_workspace("b");
  EXPECT_TRUE(Admit(*l, "calm", r).ok());
  EXPECT_TRUE(Admit(*l, "calm", Batch(1, "a")).ok());
  EXPECT_FALSE(Admit(*l, "calm", r).ok());             // a is at 2/2
  EXPECT_TRUE(Admit(*l, "calm", Batch(1, "b")).ok());  // b's token from the refusal came back
  EXPECT_TRUE(Admit(*l, "calm", Batch(1, "c")).ok());  // every workspace has its own bucket
}

TEST_F(RateLimiterTest, ByteLimitCountsSerializedEvents) {
  auto l = Make("rate_limits { per_key { bytes_per_second: 10000 } }");
  EXPECT_TRUE(Admit(*l, "calm", Batch(1, "w", 9000)).ok());
  absl::Status st = Admit(*l, "calm", Batch(1, "w", 2000));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(st.message()), HasSubstr("(10000 bytes/s)"));
  EXPECT_GT(retry_, absl::Milliseconds(100));
}

TEST_F(RateLimiterTest, KeysWithoutLimitsAreNeverRefused) {
  auto l = Make("");
  EXPECT_TRUE(l->enabled());  // "noisy" has a limit of its own
  const IngestRequest big = Batch(10000);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Admit(*l, "calm", big).ok());
  tracegate::config::v1::Config none;
  none.add_api_keys()->set_name("calm");
  auto unlimited = RateLimiter::Create(none, &clock_);
  ASSERT_TRUE(unlimited.ok());
  EXPECT_FALSE((*unlimited)->enabled());
  EXPECT_TRUE(Admit(**unlimited, "calm", big).ok());
  EXPECT_TRUE(Admit(**unlimited, "not-in-config", big).ok());
}

TEST_F(RateLimiterTest, ReloadKeepsFillOfUnchangedLimitsAndCounters) {
  const std::string limits = "rate_limits { per_workspace { events_per_second: 10 } }";
  auto first = Make(limits);
  EXPECT_TRUE(Admit(*first, "noisy", Batch(10)).ok());
  EXPECT_FALSE(Admit(*first, "noisy", Batch(1)).ok());
  auto second = Make(limits, first.get());
  EXPECT_FALSE(Admit(*second, "noisy", Batch(1)).ok());  // still empty: state carried over
  EXPECT_THAT(second->RenderPrometheus(),
              HasSubstr("tracegate_ratelimit_limited_requests_total{key=\"noisy\"} 2\n"));
  // A changed limit starts with a full bucket.
  auto third = Make("rate_limits { per_workspace { events_per_second: 20 } }", second.get());
  EXPECT_TRUE(Admit(*third, "calm", Batch(20)).ok());
}

TEST_F(RateLimiterTest, RendersCountersPerKeyName) {
  auto l = Make("rate_limits { workspaces { key: \"small\" value { events_per_second: 1 } } }");
  EXPECT_TRUE(Admit(*l, "calm", Batch(1, "small")).ok());
  EXPECT_FALSE(Admit(*l, "calm", Batch(1, "small")).ok());
  const std::string text = l->RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE tracegate_ratelimit_admitted_events_total counter\n"));
  EXPECT_THAT(text, HasSubstr("tracegate_ratelimit_admitted_events_total{key=\"calm\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tracegate_ratelimit_limited_events_total{key=\"calm\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tracegate_ratelimit_limited_requests_total{key=\"noisy\"} 0\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tracegate_ratelimit_workspace_limited_requests_total{workspace=\"small\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tracegate_ratelimit_workspace_limited_requests_total{workspace=\"_other\"} 0\n"));
}

TEST_F(RateLimiterTest, InventedWorkspacesShareOneBucketBeyondTheBound) {
  auto l = Make("rate_limits { per_workspace { events_per_second: 1 } }");
  for (size_t i = 0; i < kMaxDynamicWorkspaces; ++i) {
    ASSERT_TRUE(Admit(*l, "free", Batch(1, absl::StrCat("ws", i))).ok()) << i;
  }
  EXPECT_TRUE(Admit(*l, "free", Batch(1, "one-more")).ok());
  EXPECT_FALSE(Admit(*l, "free", Batch(1, "and-another")).ok());  // the shared bucket is empty
}

}  // namespace
}  // namespace tracegate::ratelimit
