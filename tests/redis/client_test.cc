// The Redis client against a real redis-server: commands, pipelines, scripts, AUTH/SELECT,
// and what happens while Redis is down and when it comes back.
#include "gateway/redis/client.h"

#include <thread>

#include "gtest/gtest.h"
#include "tests/redis/redis_server.h"

namespace tracegate::redis {
namespace {

using testing::RedisServer;

ClientOptions Options(const RedisEndpoint& ep) {
  ClientOptions o;
  o.connection.endpoint = ep;
  o.connection.connect_timeout = absl::Milliseconds(500);
  o.connection.command_timeout = absl::Seconds(2);
  o.initial_backoff = absl::Milliseconds(50);
  o.max_backoff = absl::Milliseconds(200);
  o.health_interval = absl::ZeroDuration();  // tests drive health explicitly
  return o;
}

TEST(RedisClientTest, CommandsPipelineAndErrors) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server) << "redis-server did not start (scripts/setup.sh installs it)";
  auto client = Client::Create(Options(server->endpoint()));
  ASSERT_TRUE(client.ok()) << client.status();
  auto set = (*client)->Command(Args{"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status();
  auto get = (*client)->Command(Args{"GET", "k"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(ReplyString(get->get()), "v");
  EXPECT_TRUE((*client)->healthy());

  auto lease = (*client)->Acquire();
  ASSERT_TRUE(lease.ok());
  Args a{"INCR", "n"}, b{"INCR", "n"}, c{"GET", "n"};
  const Args* cmds[] = {&a, &b, &c};
  auto replies = (*lease)->Pipeline(cmds);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ(ReplyInteger((*replies)[1].get()), 2);
  EXPECT_EQ(ReplyString((*replies)[2].get()), "2");

  // A wrong-type error is a status, and the connection stays usable.
  auto wrong = (*lease)->Command(Args{"HGET", "k", "f"});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(wrong.status().message().find("WRONGTYPE"), absl::string_view::npos);
  EXPECT_FALSE((*lease)->broken());
  // NOGROUP is FAILED_PRECONDITION (callers create the group and retry).
  auto nogroup = (*lease)->Command(Args{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  EXPECT_EQ(nogroup.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RedisClientTest, ScriptIsLoadedOnceAndReloadedAfterFlush) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server);
  auto client = Client::Create(Options(server->endpoint()));
  ASSERT_TRUE(client.ok());
  Script script("return tonumber(ARGV[1]) + #KEYS");
  Args args{"k1", "k2", "40"};
  auto r = (*client)->Eval(script, 2, args);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ReplyInteger(r->get()), 42);
  EXPECT_FALSE(script.sha().empty());
  ASSERT_TRUE((*client)->Command(Args{"SCRIPT", "FLUSH"}).ok());
  auto again = (*client)->Eval(script, 2, args);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ReplyInteger(again->get()), 42);
}

TEST(RedisClientTest, PasswordAndDatabaseFromTheUrl) {
  auto server = RedisServer::Start({.password = "pa55word"});
  ASSERT_TRUE(server);
  auto ep = ParseRedisUrl(server->url(/*db=*/3));
  ASSERT_TRUE(ep.ok()) << ep.status();
  auto client = Client::Create(Options(*ep));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Command(Args{"SET", "in-db-3", "1"}).ok());
  // The key is in database 3, not 0.
  RedisEndpoint db0 = *ep;
  db0.db = 0;
  auto other = Client::Create(Options(db0));
  auto exists = (*other)->Command(Args{"EXISTS", "in-db-3"});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(ReplyInteger(exists->get()), 0);
  // A wrong password is UNAVAILABLE and the message does not echo it.
  RedisEndpoint wrong = *ep;
  wrong.password = "not-the-password";
  auto denied = Client::Create(Options(wrong));
  auto r = (*denied)->Command(Args{"PING"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message().find("not-the-password"), absl::string_view::npos);
  EXPECT_FALSE((*denied)->healthy());
}

TEST(RedisClientTest, DownMeansUnavailableWithBackoffThenReconnectsByItself) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server);
  ClientOptions o = Options(server->endpoint());
  o.initial_backoff = absl::Seconds(30);  // so the gate is observable
  o.max_backoff = absl::Seconds(30);
  auto client = Client::Create(o);
  ASSERT_TRUE((*client)->Command(Args{"PING"}).ok());
  const int64_t connects = (*client)->connects();
  server->Stop();
  // The idle connection is dead: the first call fails with UNAVAILABLE and marks it.
  auto r1 = (*client)->Command(Args{"PING"});
  EXPECT_EQ(r1.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE((*client)->healthy());
  // Next: a connect attempt fails and starts the backoff; then calls fail fast without
  // trying to connect again.
  auto r2 = (*client)->Command(Args{"PING"});
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kUnavailable);
  auto r3 = (*client)->Command(Args{"PING"});
  EXPECT_EQ(r3.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r3.status().message().find("next reconnect"), absl::string_view::npos) << r3.status();
  EXPECT_FALSE((*client)->last_error().empty());
  EXPECT_EQ((*client)->connects(), connects);

  // With a short backoff the client comes back by itself once Redis is up again.
  ASSERT_TRUE(server->Restart());
  o.initial_backoff = absl::Milliseconds(20);
  o.max_backoff = absl::Milliseconds(50);
  o.health_interval = absl::Milliseconds(20);
  auto probing = Client::Create(o);
  server->Stop();
  for (int i = 0; i < 500 && (*probing)->healthy(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(server->Restart());
  for (int i = 0; i < 500 && !(*probing)->healthy(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE((*probing)->healthy()) << (*probing)->last_error();
  EXPECT_TRUE((*probing)->Command(Args{"PING"}).ok());
}

TEST(RedisClientTest, EachConcurrentCallerGetsItsOwnConnection) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server);
  auto client = Client::Create(Options(server->endpoint()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto r = (*client)->Command(Args{"INCR", "counter"});
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto total = (*client)->Command(Args{"GET", "counter"});
  EXPECT_EQ(ReplyString(total->get()), "1600");
  EXPECT_LE((*client)->connects(), 8);
}

TEST(RedisClientTest, BlockingCommandWaitsLongerThanTheCommandTimeout) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server);
  ClientOptions o = Options(server->endpoint());
  o.connection.command_timeout = absl::Milliseconds(100);
  auto client = Client::Create(o);
  // BLPOP for 300 ms on an empty list: extra_wait keeps the socket timeout above it.
  auto r = (*client)->Command(Args{"BLPOP", "empty", "0.3"}, absl::Milliseconds(300));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->get()->type, REDIS_REPLY_NIL);
  // Without it the call times out: UNAVAILABLE, and the connection is dropped.
  auto timed_out = (*client)->Command(Args{"BLPOP", "empty", "0.5"});
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE((*client)->Command(Args{"PING"}).ok());
}

}  // namespace
}  // namespace tracegate::redis
