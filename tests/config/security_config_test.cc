// The `security` and `rate_limits` sections: defaults and one case per validation rule.
#include "gateway/config/security_config.h"

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

}  // namespace
}  // namespace tracegate::config
