// The redis section: defaults, validation messages (which never echo the URL), env expansion.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/config/loader.h"
#include "gtest/gtest.h"

namespace tracegate::config {
namespace {

constexpr char kBase[] =
    "api_keys:\n"
    "  - name: dev\n"
    "    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c\n"
    "    workspaces: [\"*\"]\n"
    "routes:\n"
    "  - name: default\n"
    "    workspaces: [\"*\"]\n"
    "    langfuse:\n"
    "      base_url: http://langfuse:3000\n"
    "      public_key: pk\n"
    "      secret_key: sk\n";

EnvLookup Env(std::string name = "", std::string value = "") {
  return [=](const std::string& key) -> std::optional<std::string> {
    if (key == name) return value;
    return std::nullopt;
  };
}

absl::StatusOr<v1::Config> Parse(const std::string& rest, EnvLookup env = Env()) {
  return ParseConfigYaml(absl::StrCat(kBase, rest), env, "c.yaml");
}

TEST(RedisConfigTest, DefaultsWithoutRedisMeanEmbeddedStores) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis().url(), "");
  EXPECT_EQ(c->redis().key_prefix(), "tg:");
  EXPECT_EQ(c->redis().connect_timeout(), "1s");
  EXPECT_EQ(c->redis().command_timeout(), "2s");
  EXPECT_EQ(c->redis().claim_idle_timeout(), "30s");
  EXPECT_EQ(c->redis().max_dead_letters_per_route(), 100000u);
  EXPECT_EQ(c->redis().max_reconnect_backoff(), "2s");
  EXPECT_EQ(c->redis().max_clock_skew(), "5s");
}

TEST(RedisConfigTest, UrlFromTheEnvironment) {
  auto c = Parse("redis:\n  url: ${REDIS_URL}\n  key_prefix: \"prod:\"\n",
                 Env("REDIS_URL", "redis://:s3cret@redis:6379/2"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis().url(), "redis://:s3cret@redis:6379/2");
  EXPECT_EQ(c->redis().key_prefix(), "prod:");
}

struct Case {
  std::string yaml;
  std::string error;
};

class RedisConfigErrorTest : public ::testing::TestWithParam<Case> {};

TEST_P(RedisConfigErrorTest, NamesTheKeyNeverTheSecret) {
  auto c = Parse(GetParam().yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "c.yaml: " + GetParam().error);
  EXPECT_EQ(c.status().message().find("hunter2"), absl::string_view::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RedisConfigErrorTest,
    ::testing::Values(
        Case{"redis:\n  url: \"http://:hunter2@redis:6379\"\n",
             "redis.url: must start with redis://"},
        Case{"redis:\n  url: \"rediss://:hunter2@redis:6379\"\n",
             "redis.url: rediss:// (TLS) is not supported by this build's hiredis; use "
             "redis:// on a private network or a TLS proxy"},
        Case{"redis:\n  url: \"redis://:hunter2@redis:0\"\n",
             "redis.url: the port must be 1..65535"},
        Case{"redis:\n  url: \"redis://:hunter2@redis:6379/x\"\n",
             "redis.url: the path must be a database number, e.g. redis://host:6379/0"},
        Case{"redis:\n  key_prefix: \"a{b}\"\n",
             "redis.key_prefix: at most 64 characters, without '{', '}' or spaces"},
        Case{"redis:\n  command_timeout: soon\n",
             "redis.command_timeout: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{"redis:\n  claim_idle_timeout: 1s\n  command_timeout: 2s\n",
             "redis.claim_idle_timeout: must be longer than redis.command_timeout"},
        Case{"redis:\n  max_clock_skew: 2h\ndedupe:\n  window: 1h\n",
             "redis.max_clock_skew: must be shorter than dedupe.window"},
        Case{"redis:\n  max_dead_letters_per_route: 200000000\n",
             "redis.max_dead_letters_per_route: must be between 1 and 100000000"}));

}  // namespace
}  // namespace tracegate::config
