// The `privacy` section and routes[].privacy: defaults and one case per validation rule.
#include "gateway/config/privacy_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/config/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::config {
namespace {

using ::testing::HasSubstr;

constexpr char kBase[] = R"yaml(
api_keys:
  - name: dev
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
)yaml";

constexpr char kRoute[] = R"yaml(
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://langfuse:3000", public_key: pk, secret_key: sk}
)yaml";

absl::StatusOr<v1::Config> Parse(absl::string_view privacy, absl::string_view route_privacy = "") {
  std::string yaml = absl::StrCat(kBase, privacy, kRoute);
  if (!route_privacy.empty()) absl::StrAppend(&yaml, "    privacy: ", route_privacy, "\n");
  return ParseConfigYaml(
      yaml, [](const std::string&) { return std::optional<std::string>(); }, "c.yaml");
}

std::string Error(absl::string_view privacy, absl::string_view route_privacy = "") {
  auto c = Parse(privacy, route_privacy);
  return c.ok() ? "OK" : std::string(c.status().message());
}

TEST(PrivacyConfigTest, DefaultsFillTheDeploymentSectionOnly) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status();
  const v1::PrivacyPolicy& p = c->privacy();
  EXPECT_EQ(p.user_id(), "hash");
  EXPECT_EQ(p.capture(), "mask");
  EXPECT_THAT(p.sensitive_keys(), ::testing::Contains("email"));
  EXPECT_THAT(p.sensitive_keys(), ::testing::Contains("order_id"));
  EXPECT_THAT(p.drop_keys(), ::testing::Contains("authorization"));
  EXPECT_THAT(p.patterns(), ::testing::ElementsAre("email", "phone", "card", "ip"));
  EXPECT_TRUE(p.has_sample_rate());
  EXPECT_EQ(p.sample_rate(), 1.0);
  EXPECT_FALSE(p.allow_structured_metadata());
  EXPECT_TRUE(p.enrich());
  EXPECT_TRUE(p.hmac_secret().empty());
  EXPECT_FALSE(c->routes(0).has_privacy());
}

TEST(PrivacyConfigTest, WrittenValuesAndRouteOverridesParse) {
  auto c = Parse(R"yaml(
privacy:
  hmac_secret: "0123456789abcdef"
  capture: "truncate:200"
  sensitive_keys: [email, ssn]
  patterns: [email, card]
  custom_patterns: [{name: order, regex: "ORD-[0-9]{8}"}]
  sample_rate: 0.25
  tags: ["team:search"]
  metadata: {owner: search}
  langfuse_project: proj
)yaml",
                 "{capture: full, user_id: keep, allow_structured_metadata: true, enrich: false}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->privacy().capture(), "truncate:200");
  EXPECT_THAT(c->privacy().sensitive_keys(), ::testing::ElementsAre("email", "ssn"));
  EXPECT_EQ(c->privacy().sample_rate(), 0.25);
  EXPECT_EQ(c->privacy().metadata().at("owner"), "search");
  const v1::PrivacyPolicy& r = c->routes(0).privacy();
  EXPECT_EQ(r.capture(), "full");
  EXPECT_EQ(r.user_id(), "keep");
  EXPECT_TRUE(r.has_allow_structured_metadata() && r.allow_structured_metadata());
  EXPECT_TRUE(r.has_enrich() && !r.enrich());
  EXPECT_FALSE(r.has_sample_rate());  // not written: inherits
}

TEST(PrivacyConfigTest, EachRuleHasAKeyPath) {
  EXPECT_THAT(Error("privacy: {hmac_secret: short}\n"),
              HasSubstr("privacy.hmac_secret: must be at least 16 bytes"));
  EXPECT_THAT(Error("privacy: {user_id: plain}\n"),
              HasSubstr("privacy.user_id: must be one of hash, keep, drop"));
  EXPECT_THAT(Error("privacy: {capture: redact}\n"), HasSubstr("privacy.capture: must be one of"));
  EXPECT_THAT(Error("privacy: {capture: \"truncate:0\"}\n"), HasSubstr("privacy.capture"));
  EXPECT_THAT(Error("privacy: {capture: \"truncate:x\"}\n"), HasSubstr("privacy.capture"));
  EXPECT_EQ(Error("privacy: {capture: \"truncate:1\"}\n"), "OK");
  EXPECT_THAT(Error("privacy: {patterns: [email, ssn]}\n"),
              HasSubstr("privacy.patterns[1]: must be one of email, phone, card, ip"));
  EXPECT_THAT(Error("privacy: {custom_patterns: [{name: Bad, regex: x}]}\n"),
              HasSubstr("privacy.custom_patterns[0].name"));
  EXPECT_THAT(Error("privacy: {custom_patterns: [{name: a, regex: x}, {name: a, regex: y}]}\n"),
              HasSubstr("privacy.custom_patterns[1].name: duplicate"));
  EXPECT_THAT(Error("privacy: {custom_patterns: [{name: a, regex: \"(x\"}]}\n"),
              HasSubstr("privacy.custom_patterns[0].regex: is not a valid RE2"));
  EXPECT_THAT(Error("privacy: {custom_patterns: [{name: a, regex: \"x*\"}]}\n"),
              HasSubstr("must not match the empty string"));
  EXPECT_THAT(Error("privacy: {sample_rate: 1.5}\n"),
              HasSubstr("privacy.sample_rate: must be between 0 and 1"));
  EXPECT_THAT(Error("privacy: {tags: [\"\"]}\n"), HasSubstr("privacy.tags[0]: must not be empty"));
  EXPECT_THAT(Error(absl::StrCat("privacy: {tags: [", std::string(201, 't'), "]}\n")),
              HasSubstr("privacy.tags[0]: longer than 200"));
  EXPECT_THAT(Error("privacy: {sensitive_keys: [\"\"]}\n"),
              HasSubstr("privacy.sensitive_keys[0]: must not be empty"));
  EXPECT_THAT(Error("", "{capture: nope}"), HasSubstr("routes[0].privacy.capture"));
  EXPECT_THAT(Error("", "{sample_rate: -0.1}"), HasSubstr("routes[0].privacy.sample_rate"));
}

TEST(PrivacyConfigTest, SecretNeverInTheMessage) {
  const std::string e = Error("privacy: {hmac_secret: tiny-secret-x}\n");
  EXPECT_THAT(e, HasSubstr("hmac_secret"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("tiny-secret-x")));
}

}  // namespace
}  // namespace tracegate::config
