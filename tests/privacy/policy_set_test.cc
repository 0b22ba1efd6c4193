// PolicySet from YAML config: defaults, route overrides, the HMAC secret from value, file
// or (with a warning) a random key; errors name the key path and never the secret.
#include "gateway/privacy/policy_set.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/config/loader.h"
#include "gateway/privacy/hmac_hasher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::privacy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRoutes[] = R"yaml(
api_keys:
  - name: dev
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk}
  - name: audit
    workspaces: [audit]
    langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk}
    privacy: {capture: full, user_id: keep, sample_rate: 0.5, tags: [audited]}
)yaml";

config::v1::Config ParseConfig(const std::string& extra) {
  auto c = config::ParseConfigYaml(absl::StrCat(kRoutes, extra),
                                   [](const std::string&) { return std::optional<std::string>(); });
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : config::v1::Config();
}

SecretFileReader Files(std::map<std::string, std::string> files) {
  return [files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    return it->second;
  };
}

absl::StatusOr<PolicyOptions> Effective(const config::v1::Config& c, int route,
                                        const SecretFileReader& files = Files({})) {
  bool random = false;
  return EffectivePolicyOptions(c, c.routes(route), "routes[x].privacy", files,
                                "random-secret-0123456789", &random);
}

TEST(PolicySetTest, DeploymentDefaultsAndRouteOverrides) {
  const config::v1::Config c = ParseConfig("privacy: {hmac_secret: deployment-secret-0123}\n");
  auto main = Effective(c, 0);
  ASSERT_TRUE(main.ok()) << main.status();
  EXPECT_EQ(main->capture, CaptureMode::kMask);
  EXPECT_EQ(main->user_id, UserIdMode::kHash);
  EXPECT_EQ(main->sample_rate, 1.0);
  EXPECT_TRUE(main->enrich);
  EXPECT_FALSE(main->allow_structured_metadata);
  EXPECT_THAT(main->sensitive_keys, ::testing::Contains("email"));
  EXPECT_THAT(main->drop_keys, ::testing::Contains("authorization"));
  EXPECT_EQ(main->patterns.builtins, kAllPii);
  EXPECT_EQ(main->app_env, "dev");
  EXPECT_EQ(main->service_name, "tracegate");
  EXPECT_EQ(main->hmac_secret, "deployment-secret-0123");
  auto audit = Effective(c, 1);
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_EQ(audit->capture, CaptureMode::kFull);
  EXPECT_EQ(audit->user_id, UserIdMode::kKeep);
  EXPECT_EQ(audit->sample_rate, 0.5);
  EXPECT_THAT(audit->tags, ::testing::ElementsAre("audited"));
  EXPECT_EQ(audit->hmac_secret, "deployment-secret-0123");  // inherited
  EXPECT_EQ(audit->sensitive_keys, main->sensitive_keys);
}

TEST(PolicySetTest, SecretFromFileTrimmed) {
  const config::v1::Config c = ParseConfig("privacy: {hmac_secret_file: /run/secrets/hmac}\n");
  auto o = Effective(c, 0, Files({{"/run/secrets/hmac", "file-secret-0123456789\n"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->hmac_secret, "file-secret-0123456789");
}

TEST(PolicySetTest, SecretFileErrorsNameTheKeyNotTheContents) {
  const config::v1::Config c = ParseConfig("privacy: {hmac_secret_file: /run/secrets/hmac}\n");
  auto missing = Effective(c, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("privacy.hmac_secret_file"));
  auto short_secret = Effective(c, 0, Files({{"/run/secrets/hmac", "tiny-secret\n"}}));
  ASSERT_FALSE(short_secret.ok());
  EXPECT_EQ(short_secret.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_secret.status().message(), HasSubstr("at least 16 bytes"));
  EXPECT_THAT(short_secret.status().message(), Not(HasSubstr("tiny-secret")));
}

TEST(PolicySetTest, RandomKeyWithAWarningWhenNoSecretIsConfigured) {
  const config::v1::Config c = ParseConfig("");
  auto set = PolicySet::Create(c);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->warnings().size(), 1u);
  EXPECT_THAT((*set)->warnings()[0], HasSubstr("random key"));
  ASSERT_NE((*set)->Find("main"), nullptr);
  ASSERT_NE((*set)->Find("audit"), nullptr);
  EXPECT_EQ((*set)->Find("nope"), nullptr);
  // The random key hashes, and never to the unkeyed or a fixed-key value.
  v1::TraceEvent e;
  e.mutable_trace()->set_id("t");
  e.mutable_trace()->set_user_id("u-1");
  ASSERT_TRUE((*set)->Find("main")->Apply(e, {}).ok());
  EXPECT_EQ(e.trace().user_id().size(), 64u);
  EXPECT_NE(e.trace().user_id(), HmacHasher("").Hex("u-1"));
}

TEST(PolicySetTest, ConfiguredSecretMeansNoWarningAndStableHashes) {
  const config::v1::Config c = ParseConfig("privacy: {hmac_secret: deployment-secret-0123}\n");
  auto a = PolicySet::Create(c);
  auto b = PolicySet::Create(c);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE((*a)->warnings().empty());
  v1::TraceEvent e1, e2;
  e1.mutable_trace()->set_user_id("u-1");
  e2.mutable_trace()->set_user_id("u-1");
  ASSERT_TRUE((*a)->Find("main")->Apply(e1, {}).ok());
  ASSERT_TRUE((*b)->Find("main")->Apply(e2, {}).ok());
  EXPECT_EQ(e1.trace().user_id(), e2.trace().user_id());  // "replicas" agree
  EXPECT_EQ(e1.trace().user_id(), HmacHasher("deployment-secret-0123").Hex("u-1"));
}

}  // namespace
}  // namespace tracegate::privacy
