// PolicySet from YAML config: defaults, route and workspace overrides, the HMAC secret from
// value, file or (with a warning) the process's random key, which survives reloads; errors
// name the key path and never the secret.
#include "gateway/privacy/policy_set.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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

constexpr char kWorkspaceRoutes[] = R"yaml(
api_keys:
  - name: dev
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk}
    privacy: {capture: "truncate:50", sample_rate: 0.5, tags: [main-route]}
    workspace_privacy:
      team-a: {capture: full, sample_rate: 0.25}
      team-b: {user_id: keep, hmac_secret: team-b-secret-0123456, tags: [team-b]}
#WORKSPACE
  - name: audit
    workspaces: [audit]
    langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk}
)yaml";

// `extra` goes at the end; `workspace` into routes[0].workspace_privacy.
absl::StatusOr<config::v1::Config> ParseWorkspaceConfig(const std::string& extra,
                                                        const std::string& workspace = "") {
  return config::ParseConfigYaml(
      absl::StrCat(absl::StrReplaceAll(kWorkspaceRoutes, {{"#WORKSPACE\n", workspace}}), extra),
      [](const std::string&) { return std::optional<std::string>(); });
}

absl::StatusOr<PolicyOptions> EffectiveForWorkspace(const config::v1::Config& c, int route,
                                                    const std::string& workspace) {
  bool random = false;
  const auto& map = c.routes(route).workspace_privacy();
  auto it = map.find(workspace);
  EXPECT_NE(it, map.end()) << workspace;
  return EffectivePolicyOptions(c, c.routes(route), "routes[x].privacy", Files({}),
                                "random-secret-0123456789", &random, &it->second,
                                "routes[x].workspace_privacy." + workspace);
}

TEST(PolicySetTest, WorkspaceKeysOverrideTheRouteWhichOverridesTheDeployment) {
  auto c = ParseWorkspaceConfig(
      "privacy: {hmac_secret: deployment-secret-0123, app_id: dep-app, tags: [dep]}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  auto route = Effective(*c, 0);
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_EQ(route->capture, CaptureMode::kTruncate);
  EXPECT_EQ(route->truncate_chars, 50u);
  EXPECT_EQ(route->sample_rate, 0.5);
  auto a = EffectiveForWorkspace(*c, 0, "team-a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->capture, CaptureMode::kFull);                        // workspace
  EXPECT_EQ(a->sample_rate, 0.25);                                  // workspace
  EXPECT_THAT(a->tags, ::testing::ElementsAre("main-route"));       // route
  EXPECT_EQ(a->app_id, "dep-app");                                  // deployment
  EXPECT_EQ(a->user_id, UserIdMode::kHash);                         // deployment default
  EXPECT_EQ(a->hmac_secret, "deployment-secret-0123");              // deployment
  auto b = EffectiveForWorkspace(*c, 0, "team-b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->capture, CaptureMode::kTruncate);                    // route
  EXPECT_EQ(b->truncate_chars, 50u);
  EXPECT_EQ(b->sample_rate, 0.5);                                   // route
  EXPECT_EQ(b->user_id, UserIdMode::kKeep);                         // workspace
  EXPECT_THAT(b->tags, ::testing::ElementsAre("team-b"));           // workspace list wins
  EXPECT_EQ(b->hmac_secret, "team-b-secret-0123456");               // workspace
  EXPECT_EQ(b->sensitive_keys, route->sensitive_keys);              // deployment default
}

TEST(PolicySetTest, FindTakesTheWorkspacePolicyElseTheRoutes) {
  auto c = ParseWorkspaceConfig("privacy: {hmac_secret: deployment-secret-0123}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  auto set = PolicySet::Create(*c);
  ASSERT_TRUE(set.ok()) << set.status();
  const Policy* route = (*set)->Find("main");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ((*set)->Find("main", "someone-else"), route);
  EXPECT_NE((*set)->Find("main", "team-a"), nullptr);
  EXPECT_NE((*set)->Find("main", "team-a"), route);
  EXPECT_NE((*set)->Find("main", "team-b"), (*set)->Find("main", "team-a"));
  EXPECT_EQ((*set)->Find("audit", "team-a"), (*set)->Find("audit"));
  EXPECT_EQ((*set)->Find("nope", "team-a"), nullptr);
  // What each one does: team-a keeps the text whole, the others truncate and mask it.
  const std::string text = "write to ann@example.com about the order, then call back later";
  auto input_after = [&](const Policy* p) {
    v1::TraceEvent e;
    e.set_workspace("w");
    e.mutable_trace()->set_id("t-1");
    e.mutable_trace()->mutable_input()->set_text(text);
    EXPECT_TRUE(p->Apply(e, {}).ok());
    return e.trace().input().text();
  };
  EXPECT_EQ(input_after((*set)->Find("main", "team-a")), text);
  const std::string other = input_after((*set)->Find("main", "someone-else"));
  EXPECT_THAT(other, Not(HasSubstr("ann@example.com")));
  EXPECT_LE(other.size(), 50u + 3u);  // at most 50 characters plus an ellipsis
}

TEST(PolicySetTest, BadWorkspacePoliciesAreRefusedWithTheKeyPath) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"      team-c: {capture: everything}\n", "routes[0].workspace_privacy.team-c.capture"},
      {"      team-c: {sample_rate: 2}\n", "routes[0].workspace_privacy.team-c.sample_rate"},
      {"      team-c: {hmac_secret: short}\n", "routes[0].workspace_privacy.team-c.hmac_secret"},
      {"      team-c: {patterns: [zip]}\n", "routes[0].workspace_privacy.team-c.patterns[0]"},
      {"      team-c: {captur: full}\n", "routes[0].workspace_privacy.team-c.captur"},
      // "audit" is delivered by the audit route, so the "*" route never sees it.
      {"      audit: {capture: full}\n", "routes[0].workspace_privacy.audit: workspace \"audit\""},
      {"      \"*\": {capture: full}\n", "routes[0].workspace_privacy.*"},
  };
  for (const Case& k : cases) {
    auto c = ParseWorkspaceConfig("", k.yaml);
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << k.yaml;
    EXPECT_THAT(c.status().message(), HasSubstr(k.error)) << k.yaml;
    EXPECT_THAT(c.status().message(), Not(HasSubstr("short"))) << k.yaml;
  }
  // A workspace the route does not list is refused on a route without "*".
  auto c = ParseWorkspaceConfig("    workspace_privacy: {team-a: {capture: full}}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("routes[1].workspace_privacy.team-a: workspace \"team-a\" is not "
                        "delivered through this route"));
}

TEST(PolicySetTest, RandomKeyIsMadeOncePerProcessAndSurvivesReloads) {
  auto k1 = ProcessFallbackSecret();
  auto k2 = ProcessFallbackSecret();
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_EQ(k1->size(), 32u);
  EXPECT_EQ(*k1, *k2);
  // A "reload": a second set, from a changed config, still without a secret.
  const config::v1::Config before = ParseConfig("");
  const config::v1::Config after = ParseConfig("privacy: {capture: full}\n");
  auto a = PolicySet::Create(before);
  auto b = PolicySet::Create(after);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT((*b)->warnings(), ::testing::ElementsAre(HasSubstr("once per process")));
  v1::TraceEvent e1, e2;
  e1.mutable_trace()->set_user_id("u-1");
  e2.mutable_trace()->set_user_id("u-1");
  ASSERT_TRUE((*a)->Find("main")->Apply(e1, {}).ok());
  ASSERT_TRUE((*b)->Find("main")->Apply(e2, {}).ok());
  EXPECT_EQ(e1.trace().user_id(), e2.trace().user_id());
  EXPECT_EQ(e1.trace().user_id(), HmacHasher(*k1).Hex("u-1"));
  EXPECT_NE(e1.trace().user_id(), HmacHasher("").Hex("u-1"));
}

}  // namespace
}  // namespace tracegate::privacy
