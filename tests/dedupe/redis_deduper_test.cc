// RedisDeduper: the shared Deduper suite against a real redis-server, plus Redis specifics
// (one script call per batch, keys under the route's hash tag, expiry, Redis down).
#include "gateway/dedupe/redis_deduper.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dedupe/deduper_suite.h"
#include "tests/redis/redis_server.h"

namespace tracegate::dedupe {
namespace {

using testing::DeduperImpl;
using testing::DeduperSuite;
using ::testing::ElementsAre;

// One redis-server for the whole binary; each deduper gets its own key prefix.
redis::testing::RedisServer& Server() {
  static std::unique_ptr<redis::testing::RedisServer> server = redis::testing::RedisServer::Start();
  if (server == nullptr) {
    ADD_FAILURE() << "redis-server did not start (scripts/setup.sh installs it)";
    std::abort();
  }
  return *server;
}

redis::Client& SharedClient() {
  static redis::Client* client = [] {
    redis::ClientOptions o;
    o.connection.endpoint = Server().endpoint();
    o.health_interval = absl::ZeroDuration();
    return redis::Client::Create(o)->release();
  }();
  return *client;
}

std::string FreshPrefix() {
  static std::atomic<int> n{0};
  return absl::StrCat("t", n.fetch_add(1), ":");
}

std::unique_ptr<RedisDeduper> MakeRedis(absl::Duration window, const core::Clock* clock,
                                        redis::Client* client = &SharedClient(),
                                        std::string prefix = FreshPrefix()) {
  RedisDeduperOptions o;
  o.client = client;
  o.keys = redis::KeySpace(std::move(prefix));
  o.window.window = window;
  o.window.max_clock_skew = absl::Seconds(1);
  o.route_of = [](absl::string_view ws) { return std::string("route-of-") + std::string(ws); };
  o.clock = clock;
  auto d = RedisDeduper::Create(std::move(o));
  EXPECT_TRUE(d.ok()) << d.status();
  return *std::move(d);
}

INSTANTIATE_TEST_SUITE_P(Redis, DeduperSuite,
                         ::testing::Values(DeduperImpl{
                             "Redis",
                             [](absl::Duration window,
                                const core::Clock* clock) -> std::unique_ptr<core::Deduper> {
                               return MakeRedis(window, clock);
                             },
                             /*max_overshoot=*/1.0}),
                         testing::DeduperImplName);

int64_t CommandCalls(absl::string_view command) {
  auto info = SharedClient().Command(redis::Args{"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string text(redis::ReplyString(info->get()));
  const std::string key = absl::StrCat("cmdstat_", command, ":calls=");
  const size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoll(text.c_str() + at + key.size(), nullptr, 10);
}

TEST(RedisDeduperTest, OneScriptCallPerBatchNotPerEvent) {
  core::FakeClock clock;
  auto d = MakeRedis(absl::Hours(24), &clock);
  std::vector<std::string> ids;
  for (int i = 0; i < 500; ++i) ids.push_back(absl::StrCat("ev-", i));
  std::vector<absl::string_view> views(ids.begin(), ids.end());
  ASSERT_TRUE(d->MarkNew("ws", views).ok());  // loads the script
  const int64_t evalsha = CommandCalls("evalsha");
  const int64_t sadd = CommandCalls("sadd");
  const int64_t lookups = CommandCalls("smismember");
  ASSERT_TRUE(d->MarkNew("ws", views).ok());
  std::vector<absl::string_view> fresh(views.begin(), views.begin() + 100);
  ASSERT_TRUE(d->MarkNew("other", fresh).ok());
  EXPECT_EQ(CommandCalls("evalsha") - evalsha, 2);
  EXPECT_EQ(CommandCalls("sadd") - sadd, 1);           // only the batch with new ids writes
  EXPECT_LE(CommandCalls("smismember") - lookups, 6);  // ≤ 3 buckets per batch
}

TEST(RedisDeduperTest, KeysCarryTheRouteHashTagAndExpire) {
  core::FakeClock clock;
  auto d = MakeRedis(absl::Hours(1), &clock, &SharedClient(), "tagcheck:");
  std::vector<absl::string_view> ids = {"a"};
  ASSERT_TRUE(d->MarkNew("ws1", ids).ok());
  auto keys = SharedClient().Command(redis::Args{"KEYS", "*tagcheck:*"});
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(redis::ReplySize(keys->get()), 1u);
  const std::string key(redis::ReplyString(redis::ReplyAt(keys->get(), 0)));
  EXPECT_EQ(key.rfind("{tagcheck:route-of-ws1}:dd:", 0), 0u) << key;
  EXPECT_NE(key.find(":ws1"), std::string::npos) << key;
  auto ttl = SharedClient().Command(redis::Args{"PTTL", key});
  ASSERT_TRUE(ttl.ok());
  // Kept at most two windows (plus the skew allowance), at least one.
  EXPECT_GT(redis::ReplyInteger(ttl->get()), absl::ToInt64Milliseconds(absl::Hours(1)));
  EXPECT_LE(redis::ReplyInteger(ttl->get()),
            absl::ToInt64Milliseconds(absl::Hours(2) + absl::Seconds(1)));
}

TEST(RedisDeduperTest, ReplicasWithSkewedClocksStillAgreeAtABucketEdge) {
  // Replica A's clock is 500 ms ahead of B's; the window edge falls between them.
  const absl::Time edge = absl::FromUnixSeconds(1767225600 + 3600 * 10);  // a bucket start
  core::FakeClock clock_a(edge + absl::Milliseconds(200));
  core::FakeClock clock_b(edge - absl::Milliseconds(300));
  const std::string prefix = FreshPrefix();
  auto a = MakeRedis(absl::Hours(1), &clock_a, &SharedClient(), prefix);
  auto b = MakeRedis(absl::Hours(1), &clock_b, &SharedClient(), prefix);
  std::vector<absl::string_view> ids = {"retry-me"};
  EXPECT_THAT(*a->MarkNew("ws", ids), ElementsAre(true));   // recorded in A's new bucket
  EXPECT_THAT(*b->MarkNew("ws", ids), ElementsAre(false));  // B, still in the old one, sees it
}

TEST(RedisDeduperTest, ForgottenBetweenOneAndTwoWindowsAfterRecording) {
  // Bucket = one window (1 h). Ids of bucket b are read while the current bucket is b or
  // b + 1: one recorded early in b is remembered almost two windows, one recorded late just
  // over one window.
  const absl::Time b = absl::FromUnixSeconds(1767225600);  // a bucket start
  core::FakeClock clock(b + absl::Minutes(1));
  auto d = MakeRedis(absl::Hours(1), &clock);
  std::vector<absl::string_view> early = {"early"}, late = {"late"}, both = {"early", "late"};
  ASSERT_THAT(*d->MarkNew("ws", early), ElementsAre(true));
  clock.Advance(absl::Minutes(58));  // b + 59 min
  ASSERT_THAT(*d->MarkNew("ws", late), ElementsAre(true));
  clock.Advance(absl::Minutes(60));  // b + 119 min: early is 118 min old, late 60 min
  EXPECT_THAT(*d->MarkNew("ws", both), ElementsAre(false, false));
  clock.Advance(absl::Minutes(2));  // b + 121 min: early 120 min old, late 62 min
  EXPECT_THAT(*d->MarkNew("ws", both), ElementsAre(true, true));
}

TEST(RedisDeduperTest, RedisDownIsUnavailableAndNothingRecorded) {
  auto server = redis::testing::RedisServer::Start();
  ASSERT_TRUE(server);
  redis::ClientOptions o;
  o.connection.endpoint = server->endpoint();
  o.health_interval = absl::ZeroDuration();
  o.initial_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(10);
  auto client = redis::Client::Create(o);
  core::FakeClock clock;
  auto d = MakeRedis(absl::Hours(1), &clock, client->get());
  std::vector<absl::string_view> ids = {"a"};
  server->Stop();
  auto r = d->MarkNew("ws", ids);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server->Restart());
  absl::StatusOr<std::vector<bool>> after;
  for (int i = 0; i < 100; ++i) {
    after = d->MarkNew("ws", ids);
    if (after.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(*after, ElementsAre(true));
}

}  // namespace
}  // namespace tracegate::dedupe
