#include "gateway/config/env.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string Expand(absl::string_view raw, const EnvLookup& env) {
  absl::StatusOr<ExpandedValue> v = ExpandEnv(raw, env, "a.b");
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? v->value : "<error>";
}

TEST(ExpandEnvTest, SubstitutesVariables) {
  EnvLookup env = MapEnv({{"HOST", "langfuse"}, {"PORT", "3000"}});
  EXPECT_EQ(Expand("http://${HOST}:${PORT}/x", env), "http://langfuse:3000/x");
  EXPECT_EQ(Expand("no references", env), "no references");
  EXPECT_EQ(Expand("", env), "");
}

TEST(ExpandEnvTest, DefaultWhenUnsetOrEmpty) {
  EnvLookup env = MapEnv({{"SET", "value"}, {"EMPTY", ""}});
  EXPECT_EQ(Expand("${UNSET:-fallback}", env), "fallback");
  EXPECT_EQ(Expand("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(Expand("${SET:-fallback}", env), "value");
  EXPECT_EQ(Expand("${UNSET:-}", env), "");
  EXPECT_EQ(Expand("${UNSET:-http://h:1}", env), "http://h:1");
}

TEST(ExpandEnvTest, SetButEmptyWithoutDefaultIsEmpty) {
  EXPECT_EQ(Expand("[${EMPTY}]", MapEnv({{"EMPTY", ""}})), "[]");
}

TEST(ExpandEnvTest, MissingVariableNamesPathAndVariableOnly) {
  EnvLookup env = MapEnv({{"OTHER", "sk-lf-very-secret"}});
  absl::StatusOr<ExpandedValue> v =
      ExpandEnv("${OTHER}-${LANGFUSE_SECRET_KEY}", env, "routes[0].langfuse.secret_key");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(),
            "routes[0].langfuse.secret_key: environment variable LANGFUSE_SECRET_KEY is not set");
  EXPECT_THAT(std::string(v.status().message()), Not(HasSubstr("very-secret")));
}

TEST(ExpandEnvTest, DollarDollarBraceEscapes) {
  EnvLookup env = MapEnv({{"X", "1"}});
  EXPECT_EQ(Expand("$${X}", env), "${X}");
  EXPECT_EQ(Expand("a$${X}b${X}", env), "a${X}b1");
  EXPECT_EQ(Expand("cost $5 and $$", env), "cost $5 and $$");
}

TEST(ExpandEnvTest, MalformedReferencesAreErrors) {
  EnvLookup env = MapEnv({});
  absl::StatusOr<ExpandedValue> v = ExpandEnv("${OPEN", env, "server.app_env");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("server.app_env: unterminated ${"));
  v = ExpandEnv("${1BAD}", env, "server.app_env");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("server.app_env: invalid variable reference"));
  v = ExpandEnv("${}", env, "k");
  EXPECT_FALSE(v.ok());
}

TEST(ExpandEnvTest, TracksLiteralText) {
  EnvLookup env = MapEnv({{"K", "secret"}});
  EXPECT_FALSE(ExpandEnv("${K}", env, "k")->has_literal_text);
  EXPECT_TRUE(ExpandEnv("x${K}", env, "k")->has_literal_text);
  EXPECT_TRUE(ExpandEnv("${MISSING:-inline}", env, "k")->has_literal_text);
  EXPECT_FALSE(ExpandEnv("${K:-inline}", env, "k")->has_literal_text);
}

TEST(ProcessEnvTest, ReadsTheEnvironment) {
  ASSERT_EQ(setenv("TRACEGATE_ENV_TEST_VAR", "here", 1), 0);
  EXPECT_EQ(ProcessEnv()("TRACEGATE_ENV_TEST_VAR"), std::optional<std::string>("here"));
  unsetenv("TRACEGATE_ENV_TEST_VAR");
  EXPECT_EQ(ProcessEnv()("TRACEGATE_ENV_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace tracegate::config
