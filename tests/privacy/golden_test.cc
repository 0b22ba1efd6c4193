// Golden tests: the events in golden/input.json (one per field type: trace input/output,
// chat messages, tool call, retriever documents, metadata, score), each full of planted
// PII, go through the policy of every capture mode; the result must equal
// golden/<mode>.json byte for byte. The policies come from a YAML config, so the config
// path (defaults, route overrides, PolicySet) is covered too.
//
// To regenerate after an intended change: TRACEGATE_UPDATE_GOLDEN=1 ./privacy_golden_test
// and review the diff.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/config/loader.h"
#include "gateway/privacy/policy_set.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tracegate::privacy {
namespace {

using nlohmann::json;

const std::string kGoldenDir = TRACEGATE_PRIVACY_GOLDEN_DIR;

// One route per capture mode; the deployment section holds what they share.
constexpr char kConfig[] = R"yaml(
server: {app_env: test, service_name: gateway}
api_keys:
  - name: dev
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
privacy:
  hmac_secret: golden-test-secret-0123456789
  custom_patterns: [{name: order, regex: "ORD-[0-9]{8}"}]
  langfuse_project: support-bot
  langfuse_dataset: rag-llm
  app_id: helpdesk
routes:
  - {name: full, workspaces: [w-full], langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk},
     privacy: {capture: full}}
  - {name: truncate, workspaces: [w-truncate], langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk},
     privacy: {capture: "truncate:24"}}
  - {name: mask, workspaces: [w-mask], langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk}}
  - {name: hash, workspaces: [w-hash], langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk},
     privacy: {capture: hash}}
  - {name: drop, workspaces: [w-drop], langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk},
     privacy: {capture: drop}}
)yaml";

// Planted values that no mode may export (credentials, raw ids, sensitive keys' values,
// nested metadata) and those only `full` may export (PII inside text).
const std::vector<std::string> kNeverExported = {"sk-lf-0123456789abcdef",
                                                 "tg_live_0123456789abcdef", "x-forwarded-for"};
const std::vector<std::string> kOnlyInFull = {
    "user-8812",           "ORD-20260101",        "alice@example.com", "138 1234 5678",
    "13812345678",         "4111 1111 1111 1111", "4111111111111111",  "203.0.113.7",
    "159-8765-4321",       "bob@example.org",     "198.51.100.23",     "415) 555-2671",
    "carol@example.net",   "5500-0000-0000-0004", "13912345678",       "dave@example.com",
    "billing@example.com", "010-12345678",        "eve@example.com",   "13712345678",
    "20 7946 0958",        "frank@example.com",   "grace@example.com", "2001:db8::1",
    "15987654321",         "13612345678"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class GoldenTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto config = config::ParseConfigYaml(
        kConfig, [](const std::string&) { return std::optional<std::string>(); });
    ASSERT_TRUE(config.ok()) << config.status();
    auto set = PolicySet::Create(*config);
    ASSERT_TRUE(set.ok()) << set.status();
    set_ = *std::move(set);
    input_ = json::parse(ReadFile(kGoldenDir + "/input.json"));
  }

  // Every input event through the route's policy, as one JSON document.
  std::string Render(const char* route) {
    const Policy* policy = set_->Find(route);
    EXPECT_NE(policy, nullptr);
    json out = json::object();
    for (auto& [name, event_json] : input_.items()) {
      v1::TraceEvent event;
      auto st = google::protobuf::util::JsonStringToMessage(event_json.dump(), &event);
      EXPECT_TRUE(st.ok()) << name << ": " << st.ToString();
      absl::StatusOr<bool> keep =
          policy->Apply(event, RequestInfo{.request_id = "req-0001", .app_id = ""});
      EXPECT_TRUE(keep.ok() && *keep) << name;
      std::string text;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      EXPECT_TRUE(google::protobuf::util::MessageToJsonString(event, &text, options).ok());
      out[name] = json::parse(text);  // std::map keys: sorted, stable
    }
    return out.dump(2) + "\n";
  }

  std::unique_ptr<PolicySet> set_;
  json input_;
};

TEST_P(GoldenTest, MatchesGoldenFile) {
  const std::string route = GetParam();
  const std::string path = kGoldenDir + "/" + route + ".json";
  const std::string got = Render(route.c_str());
  if (std::getenv("TRACEGATE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << got;
    GTEST_SKIP() << "wrote " << path;
  }
  const std::string want = ReadFile(path);
  ASSERT_FALSE(want.empty()) << "missing " << path << " (run with TRACEGATE_UPDATE_GOLDEN=1)";
  EXPECT_EQ(got, want) << "golden mismatch for " << route
                       << "; if intended, regenerate with TRACEGATE_UPDATE_GOLDEN=1";
}

TEST_P(GoldenTest, PlantedValuesOnlyWhereThePolicyAllows) {
  const std::string route = GetParam();
  const std::string got = Render(route.c_str());
  for (const std::string& v : kNeverExported) {
    EXPECT_EQ(got.find(v), std::string::npos) << route << " exports " << v;
  }
  if (route == "full") {
    EXPECT_NE(got.find("alice@example.com"), std::string::npos);  // full keeps text as sent
    return;
  }
  for (const std::string& v : kOnlyInFull) {
    EXPECT_EQ(got.find(v), std::string::npos) << route << " exports " << v;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, GoldenTest,
                         ::testing::Values("full", "truncate", "mask", "hash", "drop"));

}  // namespace
}  // namespace tracegate::privacy
