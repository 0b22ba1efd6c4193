// The `security` and `rate_limits` sections: defaults and one case per validation rule.
#include "gateway/config/security_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/config/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::config {
namespace {

constexpr char kBase[] = R"yaml(
api_keys:
  - name: dev
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://langfuse:3000", public_key: pk, secret_key: sk}
)yaml";

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

absl::StatusOr<v1::Config> Parse(absl::string_view extra) {
  return ParseConfigYaml(absl::StrCat(kBase, extra), NoEnv(), "c.yaml");
}

TEST(SecurityConfigTest, DefaultsWithoutTlsOrLimits) {
  auto config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status();
  const v1::Security& s = config->security();
  EXPECT_TRUE(s.tls().cert_file().empty());
  EXPECT_TRUE(s.tls().refresh_interval().empty());  // only defaulted when TLS is on
  EXPECT_EQ(s.grpc().keepalive_time(), "60s");
  EXPECT_EQ(s.grpc().keepalive_timeout(), "20s");
  EXPECT_EQ(s.grpc().min_client_ping_interval(), "10s");
  EXPECT_EQ(s.grpc().max_connection_age(), "");
  EXPECT_EQ(s.grpc().max_connection_age_grace(), "30s");
  EXPECT_EQ(s.grpc().max_concurrent_streams(), 1000u);
  EXPECT_FALSE(s.allow_core_dumps());
  EXPECT_FALSE(IsRateLimitSet(config->rate_limits().per_key()));
  EXPECT_TRUE(config->rate_limits().per_key().burst().empty());
}

TEST(SecurityConfigTest, FullSectionParsesWithDefaultsFilledIn) {
  auto config = Parse(R"yaml(
security:
  tls: {cert_file: /etc/tg/tls.crt, key_file: /etc/tg/tls.key, client_ca_file: /etc/tg/ca.pem}
  admin_key_sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
  grpc: {max_connection_age: 30m, max_concurrent_streams: 64}
rate_limits:
  per_key: {events_per_second: 1000}
  per_workspace: {bytes_per_second: 5000000, burst: 2s}
  workspaces:
    big-team: {events_per_second: 20000, bytes_per_second: 50000000}
)yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->security().tls().refresh_interval(), "60s");
  EXPECT_EQ(config->security().grpc().max_connection_age(), "30m");
  EXPECT_EQ(config->security().grpc().max_concurrent_streams(), 64u);
  EXPECT_EQ(config->rate_limits().per_key().burst(), "1s");
  EXPECT_EQ(config->rate_limits().per_workspace().burst(), "2s");
  EXPECT_EQ(config->rate_limits().workspaces().at("big-team").burst(), "1s");
  EXPECT_EQ(config->rate_limits().workspaces().at("big-team").events_per_second(), 20000);
}

TEST(SecurityConfigTest, PerKeyLimitParses) {
  auto config = ParseConfigYaml(R"yaml(
api_keys:
  - name: noisy
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
    rate_limit: {events_per_second: 5.5, burst: 500ms}
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://langfuse:3000", public_key: pk, secret_key: sk}
)yaml",
                                NoEnv(), "c.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_DOUBLE_EQ(config->api_keys(0).rate_limit().events_per_second(), 5.5);
  EXPECT_EQ(config->api_keys(0).rate_limit().burst(), "500ms");
}

struct Case {
  std::string extra;
  std::string error;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.error; }

class SecurityValidationTest : public ::testing::TestWithParam<Case> {};

TEST_P(SecurityValidationTest, ReportsPathAndProblem) {
  auto config = Parse(GetParam().extra);
  ASSERT_FALSE(config.ok()) << GetParam().extra;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(config.status().message()), "c.yaml: " + GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, SecurityValidationTest,
    ::testing::Values(
        Case{"security:\n  tls: {cert_file: /x.crt}\n",
             "security.tls.key_file: required when security.tls.cert_file is set"},
        Case{"security:\n  tls: {key_file: /x.key}\n",
             "security.tls.cert_file: required when security.tls.key_file is set"},
        Case{"security:\n  tls: {client_ca_file: /ca.pem}\n",
             "security.tls.client_ca_file: needs security.tls.cert_file and key_file (mTLS is "
             "TLS plus client certificates)"},
        Case{"security:\n  tls: {cert_file: /x.crt, key_file: /x.key, refresh_interval: 1500ms}\n",
             "security.tls.refresh_interval: must be a whole number of seconds"},
        Case{"security:\n  tls: {cert_file: /x.crt, key_file: /x.key, refresh_interval: 0s}\n",
             "security.tls.refresh_interval: must be greater than 0"},
        Case{"security:\n  tls: {cert_file: \"/x\\n.crt\", key_file: /x.key}\n",
             "security.tls.cert_file: must not contain control characters"},
        Case{"security:\n  admin_key_sha256: secret\n",
             "security.admin_key_sha256: must be 64 lower-case hex characters (the admin key's "
             "SHA-256)"},
        Case{"security:\n  grpc: {keepalive_time: often}\n",
             "security.grpc.keepalive_time: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{"security:\n  grpc: {max_connection_age: -1s}\n",
             "security.grpc.max_connection_age: must be greater than 0"},
        Case{"security:\n  grpc: {max_concurrent_streams: 2000000}\n",
             "security.grpc.max_concurrent_streams: must be between 0 and 1000000"},
        Case{"rate_limits:\n  per_key: {events_per_second: -1}\n",
             "rate_limits.per_key.events_per_second: must be a finite number >= 0"},
        Case{"rate_limits:\n  per_key: {events_per_second: .nan}\n",
             "rate_limits.per_key.events_per_second: must be a number"},
        Case{"rate_limits:\n  per_workspace: {bytes_per_second: .inf}\n",
             "rate_limits.per_workspace.bytes_per_second: must be a number"},
        Case{"rate_limits:\n  per_workspace: {bytes_per_second: 1e999}\n",
             "rate_limits.per_workspace.bytes_per_second: must be a finite number"},
        Case{"rate_limits:\n  per_key: {burst: 5s}\n",
             "rate_limits.per_key: set events_per_second or bytes_per_second (burst alone "
             "limits nothing)"},
        Case{"rate_limits:\n  per_key: {events_per_second: 10, burst: 48h}\n",
             "rate_limits.per_key.burst: must be at most 24h"},
        Case{"rate_limits:\n  workspaces:\n    team: {events_per_second: 1, burst: soon}\n",
             "rate_limits.workspaces[\"team\"].burst: must be a duration like \"250ms\", \"5s\" "
             "or \"24h\""}));

// Writes `text` to `path` with `mode`.
void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

class SecretFileWarningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "tg-secfiles-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> Warnings(const std::string& extra, mode_t mode) {
    const std::string path = dir_ + "/tracegate.yaml";
    WriteFile(path, absl::StrCat(kBase, extra), mode);
    auto loaded = LoadConfigFile(path, NoEnv());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? loaded->warnings : std::vector<std::string>{};
  }
  std::string dir_;
};

TEST_F(SecretFileWarningTest, LiteralSecretsInAWorldReadableFile) {
  // kBase holds a literal Langfuse secret_key: readable by all → warning; 0600 → none.
  EXPECT_THAT(Warnings("", 0644),
              ::testing::ElementsAre(::testing::HasSubstr("is readable by every user")));
  EXPECT_THAT(Warnings("", 0600), ::testing::IsEmpty());
}

TEST_F(SecretFileWarningTest, HmacSecretAndRedisPasswordCountAsSecrets) {
  std::string base = kBase;
  base.replace(base.find("secret_key: sk"), 14, "secret_key: \"${SK}\"");
  const std::string path = dir_ + "/c.yaml";
  const EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SK") return std::string("sk-from-env");
    return std::nullopt;
  };
  for (const std::string& extra :
       {std::string("privacy: {hmac_secret: 0123456789abcdef0123}\n"),
        std::string("redis: {url: \"redis://:hunter2@127.0.0.1:6379\"}\n")}) {
    WriteFile(path, base + extra, 0644);
    auto loaded = LoadConfigFile(path, env);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_THAT(loaded->warnings,
                ::testing::ElementsAre(::testing::HasSubstr("readable by every user")))
        << extra;
    for (const std::string& w : loaded->warnings) {
      EXPECT_THAT(w, ::testing::Not(::testing::HasSubstr("hunter2")));
    }
  }
  WriteFile(path, base + "redis: {url: \"redis://127.0.0.1:6379\"}\n", 0644);
  auto no_password = LoadConfigFile(path, env);
  ASSERT_TRUE(no_password.ok()) << no_password.status();
  EXPECT_THAT(no_password->warnings, ::testing::IsEmpty());
}

TEST_F(SecretFileWarningTest, WorldReadableKeyFiles) {
  WriteFile(dir_ + "/tls.key", "key", 0644);
  WriteFile(dir_ + "/hmac", "0123456789abcdef0123", 0604);
  WriteFile(dir_ + "/tls.crt", "cert", 0644);
  const std::vector<std::string> w =
      Warnings(absl::StrCat("security:\n  tls: {cert_file: ", dir_, "/tls.crt, key_file: ", dir_,
                            "/tls.key}\nprivacy: {hmac_secret_file: ", dir_, "/hmac}\n"),
               0600);
  EXPECT_THAT(w, ::testing::UnorderedElementsAre(
                     "security.tls.key_file: the file is readable by every user; run `chmod "
                     "o-r` on it",
                     "privacy.hmac_secret_file: the file is readable by every user; run `chmod "
                     "o-r` on it"));
  ::chmod((dir_ + "/tls.key").c_str(), 0600);
  ::chmod((dir_ + "/hmac").c_str(), 0600);
  EXPECT_THAT(
      Warnings(absl::StrCat("security:\n  tls: {cert_file: ", dir_, "/tls.crt, key_file: ", dir_,
                            "/tls.key}\nprivacy: {hmac_secret_file: ", dir_, "/hmac}\n"),
               0600),
      ::testing::IsEmpty());
}

}  // namespace
}  // namespace tracegate::config
