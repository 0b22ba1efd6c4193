// RedisQueue and RedisIngestStore against a real redis-server: the shared Queue and
// IngestStore suites, then what only Redis does (replicas claiming and not claiming,
// deferred acks, a Redis restart with AOF, one round trip per batch, hash tags).
#include "gateway/queue/redis_queue.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "gateway/queue/redis_ingest_store.h"
#include "gtest/gtest.h"
#include "tests/queue/ingest_store_suite.h"
#include "tests/queue/queue_suite.h"
#include "tests/redis/redis_server.h"

namespace tracegate::queue {
namespace {

using redis::testing::RedisServer;
using testing::Batch;
using testing::IngestStoreSuite;
using testing::QueueSuite;

RedisServer& Server() {
  static std::unique_ptr<RedisServer> server = RedisServer::Start({.aof = true});
  if (server == nullptr) {
    ADD_FAILURE() << "redis-server did not start (scripts/setup.sh installs it)";
    std::abort();
  }
  return *server;
}

std::unique_ptr<redis::Client> NewClient(const RedisServer& server) {
  redis::ClientOptions o;
  o.connection.endpoint = server.endpoint();
  o.health_interval = absl::ZeroDuration();
  o.initial_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(50);
  return *redis::Client::Create(o);
}

redis::Client& SharedClient() {
  static redis::Client* client = NewClient(Server()).release();
  return *client;
}

std::string FreshPrefix() {
  static std::atomic<int> n{0};
  return absl::StrCat("q", n.fetch_add(1), ":");
}

std::unique_ptr<RedisQueue> MakeQueue(std::string prefix, int64_t cap, const core::Clock* clock,
                                      redis::Client* client = &SharedClient(),
                                      absl::Duration claim_timeout = absl::Seconds(30),
                                      std::string consumer = "") {
  RedisQueueOptions o;
  o.client = client;
  o.keys = redis::KeySpace(std::move(prefix));
  o.max_events_per_route = cap;
  o.claim_idle_timeout = claim_timeout;
  o.max_block = absl::Milliseconds(100);
  o.consumer = std::move(consumer);
  o.clock = clock;
  auto q = RedisQueue::Create(std::move(o));
  EXPECT_TRUE(q.ok()) << q.status();
  return *std::move(q);
}

std::unique_ptr<RedisIngestStore> MakeStore(std::string prefix, int64_t cap,
                                            const core::Clock* clock,
                                            redis::Client* client = &SharedClient()) {
  RedisIngestStoreOptions o;
  o.client = client;
  o.keys = redis::KeySpace(std::move(prefix));
  o.window.window = absl::Hours(1);
  o.max_events_per_route = cap;
  o.clock = clock;
  return *RedisIngestStore::Create(std::move(o));
}

INSTANTIATE_TEST_SUITE_P(Redis, QueueSuite,
                         ::testing::Values(testing::QueueImpl{
                             "Redis",
                             [](int64_t cap,
                                const core::Clock* clock) -> std::unique_ptr<core::Queue> {
                               return MakeQueue(FreshPrefix(), cap, clock);
                             }}),
                         testing::QueueImplName);

INSTANTIATE_TEST_SUITE_P(Redis, IngestStoreSuite,
                         ::testing::Values(testing::IngestStoreImpl{
                             "Redis",
                             [](int64_t cap, absl::Duration window, const core::Clock* clock) {
                               const std::string prefix = FreshPrefix();
                               testing::IngestStoreParts parts;
                               RedisIngestStoreOptions o;
                               o.client = &SharedClient();
                               o.keys = redis::KeySpace(prefix);
                               o.window.window = window;
                               o.max_events_per_route = cap;
                               o.clock = clock;
                               parts.store = *RedisIngestStore::Create(std::move(o));
                               parts.queue = MakeQueue(prefix, cap, clock);
                               return parts;
                             },
                             /*max_overshoot=*/1.0}),
                         testing::IngestStoreImplName);

int64_t CommandCalls(absl::string_view command) {
  auto info = SharedClient().Command(redis::Args{"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string text(redis::ReplyString(info->get()));
  const std::string key = absl::StrCat("cmdstat_", command, ":calls=");
  const size_t at = text.find(key);
  return at == std::string::npos ? 0 : std::strtoll(text.c_str() + at + key.size(), nullptr, 10);
}

tracegate::v1::IngestRequest Sized(int n, const std::string& prefix) {
  tracegate::v1::IngestRequest b = Batch(n, prefix);
  for (auto& e : *b.mutable_events()) e.mutable_observation()->set_name(std::string(300, 'p'));
  return b;
}

TEST(RedisQueueTest, OneRoundTripAndAConstantNumberOfCommandsPerBatch) {
  core::FakeClock clock;
  const std::string prefix = FreshPrefix();
  auto store = MakeStore(prefix, 100000, &clock);
  ASSERT_TRUE(store->DedupeAndAppend("ws", "r", Sized(100, "warm")).ok());  // loads the script
  const int64_t evalsha = CommandCalls("evalsha"), xadd = CommandCalls("xadd"),
                sadd = CommandCalls("sadd"), lookups = CommandCalls("smismember"),
                set = CommandCalls("set"), exec = CommandCalls("exec");
  for (int i = 0; i < 5; ++i) {
    auto r = store->DedupeAndAppend("ws", "r", Sized(100, absl::StrCat("b", i, "-")));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->append.ok()) << r->append;
  }
  // One MULTI/EXEC per batch (one round trip) with the payload SET and one script call.
  EXPECT_EQ(CommandCalls("exec") - exec, 5);
  EXPECT_EQ(CommandCalls("evalsha") - evalsha, 5);
  EXPECT_EQ(CommandCalls("set") - set, 5);
  EXPECT_EQ(CommandCalls("xadd") - xadd, 5);  // one stream entry per batch, not per event
  EXPECT_EQ(CommandCalls("sadd") - sadd, 5);
  EXPECT_LE(CommandCalls("smismember") - lookups, 15);
  auto q = MakeQueue(prefix, 100000, &clock);
  EXPECT_EQ(q->Stats("r").entries, 6);
  EXPECT_EQ(q->Stats("r").events, 600);
}

TEST(RedisQueueTest, EveryKeyOfARouteCarriesTheRouteHashTag) {
  core::FakeClock clock;
  auto store = MakeStore("tags:", 1000, &clock);
  auto q = MakeQueue("tags:", 1000, &clock);
  ASSERT_TRUE(store->DedupeAndAppend("ws-a", "alpha", Batch(2, "e")).ok());
  auto got = q->Read("alpha", 1, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 1u);
  core::DeadLetter d;
  d.route = "alpha";
  d.event = got->front().batch.events(0);
  d.reason = "400";
  ASSERT_TRUE(q->AddDeadLetter(d).ok());
  auto keys = SharedClient().Command(redis::Args{"KEYS", "*tags:*"});
  ASSERT_TRUE(keys.ok());
  ASSERT_GE(redis::ReplySize(keys->get()), 5u);  // stream, counter, dedupe, dead, dead total
  for (size_t i = 0; i < redis::ReplySize(keys->get()); ++i) {
    const absl::string_view key = redis::ReplyString(redis::ReplyAt(keys->get(), i));
    EXPECT_EQ(key.substr(0, 13), "{tags:alpha}:") << key;
  }
}

TEST(RedisQueueTest, EntriesOfADeadReplicaAreClaimedByAnother) {
  core::FakeClock clock;
  const std::string prefix = FreshPrefix();
  auto producer = MakeQueue(prefix, 1000, &clock);
  ASSERT_TRUE(producer->Append("r", Batch(3, "x")).ok());
  auto dying = MakeQueue(prefix, 1000, &clock, &SharedClient(), absl::Milliseconds(300), "dies");
  auto held = dying->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(held->size(), 1u);
  dying.reset();  // stops its heartbeat without acking or releasing: a crashed replica
  auto survivor =
      MakeQueue(prefix, 1000, &clock, &SharedClient(), absl::Milliseconds(300), "lives");
  std::vector<core::QueueEntry> got;
  for (int i = 0; i < 200 && got.empty(); ++i) {
    got = *survivor->Read("r", 10, absl::Milliseconds(50));
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, held->front().id);
  EXPECT_EQ(got[0].delivery_count, 2);
  EXPECT_EQ(got[0].batch.events_size(), 3);
  std::vector<std::string> ids = {got[0].id};
  ASSERT_TRUE(survivor->Ack("r", ids).ok());
  EXPECT_EQ(survivor->Stats("r").events, 0);
}

TEST(RedisQueueTest, AnEntryHeldByALiveReplicaIsNotClaimed) {
  core::FakeClock clock;
  const std::string prefix = FreshPrefix();
  auto holder = MakeQueue(prefix, 1000, &clock, &SharedClient(), absl::Seconds(1), "slow");
  ASSERT_TRUE(holder->Append("r", Batch(1, "x")).ok());
  auto held = holder->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(held->size(), 1u);
  // Longer than the claim timeout: only the heartbeat keeps the entry with its holder.
  absl::SleepFor(absl::Milliseconds(2500));
  auto other = MakeQueue(prefix, 1000, &clock, &SharedClient(), absl::Seconds(1), "eager");
  auto got = other->Read("r", 10, absl::ZeroDuration());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(holder->held("r"), 1u);
  // Released, it is claimable at once: the other replica takes it at its next claim check
  // (every claim_idle_timeout / 4), not after another claim timeout of idleness.
  std::vector<std::string> ids = {held->front().id};
  ASSERT_TRUE(holder->Release("r", ids).ok());
  for (int i = 0; i < 100 && got->empty(); ++i) got = other->Read("r", 10, absl::Milliseconds(20));
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().id, held->front().id);
}

TEST(RedisQueueTest, AckWhileRedisIsDownIsRetriedWhenItIsBack) {
  auto server = RedisServer::Start({.aof = true});
  ASSERT_TRUE(server);
  auto client = NewClient(*server);
  core::FakeClock clock;
  auto q = MakeQueue("ack:", 1000, &clock, client.get());
  ASSERT_TRUE(q->Append("r", Batch(4, "a")).ok());
  auto got = q->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 1u);
  server->Stop();
  std::vector<std::string> ids = {got->front().id};
  EXPECT_TRUE(q->Ack("r", ids).ok());  // deferred, not lost
  EXPECT_EQ(q->deferred_acks("r"), 1u);
  EXPECT_EQ(q->Append("r", Batch(1, "b")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(q->Read("r", 1, absl::ZeroDuration()).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server->Restart());
  for (int i = 0; i < 200 && q->deferred_acks("r") > 0; ++i) {
    q->HeartbeatNow();
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(q->deferred_acks("r"), 0u);
  EXPECT_EQ(q->Stats("r").events, 0);
  EXPECT_EQ(q->Stats("r").entries, 0);
}

TEST(RedisQueueTest, QueueAndDedupeSurviveARedisRestartWithAof) {
  auto server = RedisServer::Start({.aof = true});
  ASSERT_TRUE(server);
  auto client = NewClient(*server);
  core::FakeClock clock;
  auto store = MakeStore("aof:", 1000, &clock, client.get());
  auto q = MakeQueue("aof:", 1000, &clock, client.get());
  ASSERT_TRUE(store->DedupeAndAppend("ws", "r", Batch(5, "e")).ok());
  ASSERT_TRUE(store->DedupeAndAppend("ws", "r", Batch(2, "f")).ok());
  auto pending = q->Read("r", 1, absl::ZeroDuration());  // one entry pending, one not read
  ASSERT_EQ(pending->size(), 1u);
  ASSERT_TRUE(server->Restart());
  absl::StatusOr<core::IngestResult> again;
  for (int i = 0; i < 200; ++i) {  // the client reconnects by itself
    again = store->DedupeAndAppend("ws", "r", Batch(5, "e"));
    if (again.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(again.ok()) << again.status();
  for (bool fresh : again->fresh) EXPECT_FALSE(fresh);
  EXPECT_EQ(q->Stats("r").events, 7);
  EXPECT_EQ(q->Stats("r").pending_entries, 1);
  std::vector<std::string> ids = {pending->front().id};
  ASSERT_TRUE(q->Release("r", ids).ok());
  auto all = q->Read("r", 10, absl::ZeroDuration());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].batch.events_size() + (*all)[1].batch.events_size(), 7);
}

}  // namespace
}  // namespace tracegate::queue
