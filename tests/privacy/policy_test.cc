// Policy::Apply rule by rule: user ids, metadata, capture modes inside structures,
// credentials, enrichment, request values.
#include "gateway/privacy/policy.h"

#include <string>

#include "gateway/privacy/hmac_hasher.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace tracegate::privacy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kSecret[] = "policy-test-secret-0123456789";

PolicyOptions Options(CaptureMode mode = CaptureMode::kMask) {
  PolicyOptions o;
  o.hmac_secret = kSecret;
  o.capture = mode;
  o.truncate_chars = 10;
  o.sensitive_keys = {"user_id", "email", "phone", "order_id"};
  o.drop_keys = {"authorization", "password"};
  o.app_env = "prod";
  o.service_name = "rag";
  return o;
}

v1::TraceEvent Parse(const std::string& text) {
  v1::TraceEvent e;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &e)) << text;
  return e;
}

v1::TraceEvent Apply(const PolicyOptions& options, v1::TraceEvent e, RequestInfo request = {}) {
  auto policy = Policy::Create(options);
  EXPECT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<bool> keep = (*policy)->Apply(e, request);
  EXPECT_TRUE(keep.ok() && *keep) << keep.status();
  return e;
}

std::string Hash(absl::string_view v) { return HmacHasher(kSecret).Hex(v); }

TEST(PolicyTest, UserIdIsHashedOnTracesAndTraceAttributes) {
  v1::TraceEvent t = Apply(Options(), Parse(R"pb(workspace: "w"
                                                 trace { id: "t" user_id: "u-1" })pb"));
  EXPECT_EQ(t.trace().user_id(), Hash("u-1"));
  EXPECT_EQ(t.trace().metadata().fields().at("user_id_hash").string_value(), Hash("u-1"));
  v1::TraceEvent o = Apply(Options(), Parse(R"pb(workspace: "w"
                                                 observation {
                                                   trace_id: "t"
                                                   trace { user_id: "u-1" }
                                                 })pb"));
  EXPECT_EQ(o.observation().trace().user_id(), Hash("u-1"));
  EXPECT_EQ(o.observation().trace().metadata().fields().at("user_id_hash").string_value(),
            Hash("u-1"));
}

TEST(PolicyTest, UserIdKeepAndDrop) {
  PolicyOptions keep = Options();
  keep.user_id = UserIdMode::kKeep;
  EXPECT_EQ(Apply(keep, Parse(R"pb(trace { id: "t" user_id: "u-1" })pb")).trace().user_id(), "u-1");
  PolicyOptions drop = Options();
  drop.user_id = UserIdMode::kDrop;
  drop.enrich = false;
  v1::TraceEvent t = Apply(drop, Parse(R"pb(trace { id: "t" user_id: "u-1" })pb"));
  EXPECT_EQ(t.trace().user_id(), "");
  EXPECT_FALSE(t.trace().metadata().fields().contains("user_id_hash"));
}

TEST(PolicyTest, MetadataScalarsOnlySensitiveHashedDropKeysRemoved) {
  PolicyOptions o = Options();
  o.enrich = false;
  v1::TraceEvent e = Apply(o, Parse(R"pb(observation {
                                           trace_id: "t"
                                           metadata {
                                             fields {
                                               key: "Email"
                                               value { string_value: "a@b.io" }
                                             }
                                             fields {
                                               key: "orderId"
                                               value { number_value: 12345 }
                                             }
                                             fields {
                                               key: "Authorization"
                                               value { string_value: "Bearer tg_abcdefgh1234" }
                                             }
                                             fields {
                                               key: "nested"
                                               value {
                                                 struct_value {
                                                   fields {
                                                     key: "k"
                                                     value { string_value: "v" }
                                                   }
                                                 }
                                               }
                                             }
                                             fields {
                                               key: "list"
                                               value { list_value { values { string_value: "x" } } }
                                             }
                                             fields {
                                               key: "note"
                                               value { string_value: "mail a@b.io" }
                                             }
                                             fields {
                                               key: "ok"
                                               value { bool_value: true }
                                             }
                                           }
                                         })pb"));
  const auto& f = e.observation().metadata().fields();
  std::vector<std::string> keys;
  for (const auto& [k, v] : f) keys.push_back(k);
  EXPECT_THAT(keys, UnorderedElementsAre("Email_hash", "orderId_hash", "note", "ok"));
  EXPECT_EQ(f.at("Email_hash").string_value(), Hash("a@b.io"));
  EXPECT_EQ(f.at("orderId_hash").string_value(), Hash("12345"));
  EXPECT_EQ(f.at("note").string_value(), "mail [EMAIL]");
  EXPECT_TRUE(f.at("ok").bool_value());
}

TEST(PolicyTest, StructuredMetadataWhenAllowedFollowsTheSameRulesInside) {
  PolicyOptions o = Options();
  o.enrich = false;
  o.allow_structured_metadata = true;
  v1::TraceEvent e = Apply(o, Parse(R"pb(score {
                                           trace_id: "t"
                                           metadata {
                                             fields {
                                               key: "ctx"
                                               value {
                                                 struct_value {
                                                   fields {
                                                     key: "phone"
                                                     value { string_value: "13812345678" }
                                                   }
                                                   fields {
                                                     key: "password"
                                                     value { string_value: "hunter2" }
                                                   }
                                                   fields {
                                                     key: "why"
                                                     value { string_value: "ip 10.1.2.3" }
                                                   }
                                                 }
                                               }
                                             }
                                           }
                                         })pb"));
  const auto& ctx = e.score().metadata().fields().at("ctx").struct_value().fields();
  EXPECT_EQ(ctx.at("phone_hash").string_value(), Hash("13812345678"));
  EXPECT_FALSE(ctx.contains("password"));
  EXPECT_FALSE(ctx.contains("phone"));
  EXPECT_EQ(ctx.at("why").string_value(), "ip [IP]");
}

TEST(PolicyTest, ChatMessagesKeepRolesAndToolStructure) {
  PolicyOptions o = Options();
  o.enrich = false;
  v1::TraceEvent e = Apply(
      o,
      Parse(
          R"pb(observation {
                 trace_id: "t"
                 input {
                   messages {
                     messages { role: "user" name: "bob" content: "I am bob@example.org" }
                     messages {
                       role: "assistant"
                       tool_calls {
                         id: "c1"
                         name: "find"
                         arguments_json: "{\"email\":\"bob@example.org\",\"q\":\"call 13812345678\",\"n\":13812345678}"
                       }
                     }
                     messages {
                       role: "tool"
                       tool_call_id: "c1"
                       parts { type: "text" text: "ok 10.0.0.1" }
                       parts { type: "image_url" image_url: "data:image/png;base64,AAAA" }
                     }
                   }
                 }
               })pb"));
  const auto& m = e.observation().input().messages().messages();
  ASSERT_EQ(m.size(), 3);
  EXPECT_EQ(m[0].role(), "user");
  EXPECT_EQ(m[0].name(), "bob");
  EXPECT_EQ(m[0].content(), "I am [EMAIL]");
  EXPECT_EQ(m[1].tool_calls(0).name(), "find");
  EXPECT_EQ(
      m[1].tool_calls(0).arguments_json(),
      "{\"email\":\"" + Hash("bob@example.org") + "\",\"n\":\"[PHONE]\",\"q\":\"call [PHONE]\"}");
  EXPECT_EQ(m[2].tool_call_id(), "c1");
  EXPECT_EQ(m[2].parts(0).text(), "ok [IP]");
  EXPECT_EQ(m[2].parts(1).image_url(), "data:image/png;base64,AAAA");
}

TEST(PolicyTest, ModesOnOneText) {
  const auto text = [](CaptureMode mode) {
    PolicyOptions o = Options(mode);
    o.enrich = false;
    return Apply(o, Parse(R"pb(trace {
                                 id: "t"
                                 input { text: "héllo wörld, a@b.io Bearer abcdefgh1234" }
                               })pb"))
        .trace();
  };
  EXPECT_EQ(text(CaptureMode::kFull).input().text(), "héllo wörld, a@b.io Bearer [SECRET]");
  EXPECT_EQ(text(CaptureMode::kMask).input().text(), "héllo wörld, [EMAIL] Bearer [SECRET]");
  EXPECT_EQ(text(CaptureMode::kTruncate).input().text(), "héllo wörl\xE2\x80\xA6");  // 10 chars + …
  EXPECT_EQ(text(CaptureMode::kHash).input().text(),
            Hash("héllo wörld, a@b.io Bearer abcdefgh1234"));
  EXPECT_FALSE(text(CaptureMode::kDrop).has_input());
}

TEST(PolicyTest, FullModeStillRemovesCredentialsAndDropKeys) {
  PolicyOptions o = Options(CaptureMode::kFull);
  o.enrich = false;
  v1::TraceEvent e = Apply(
      o,
      Parse(
          R"pb(observation {
                 trace_id: "t"
                 input {
                   json: "{\"password\":\"p\",\"email\":\"a@b.io\",\"key\":\"sk-lf-abcdef123456\"}"
                 }
                 status_message: "failed for a@b.io"
               })pb"));
  EXPECT_EQ(e.observation().input().json(), "{\"email\":\"a@b.io\",\"key\":\"[SECRET]\"}");
  EXPECT_EQ(e.observation().status_message(), "failed for a@b.io");
}

TEST(PolicyTest, DefaultTagsAndMetadataWithoutDuplicates) {
  PolicyOptions o = Options();
  o.tags = {"team:search"};
  o.metadata = {{"owner", "search-team"}};
  o.langfuse_project = "proj";
  o.app_id = "default-app";
  v1::TraceEvent t =
      Apply(o, Parse(R"pb(workspace: "acme"
                          trace { id: "t" tags: "service:checkout" tags: "team:search" })pb"),
            RequestInfo{.request_id = "req-9", .app_id = "app-7"});
  EXPECT_THAT(t.trace().tags(),
              ElementsAre("service:checkout", "team:search", "env:prod", "ws:acme", "app:app-7"));
  const auto& md = t.trace().metadata().fields();
  EXPECT_EQ(md.at("workspace_id").string_value(), "acme");
  EXPECT_EQ(md.at("request_id").string_value(), "req-9");
  EXPECT_EQ(md.at("app_id").string_value(), "app-7");
  EXPECT_EQ(md.at("langfuse_project").string_value(), "proj");
  EXPECT_FALSE(md.contains("langfuse_dataset"));
  EXPECT_EQ(md.at("owner").string_value(), "search-team");
  // Observations get them in their trace attributes; the policy's app id is the fallback.
  v1::TraceEvent obs = Apply(o, Parse(R"pb(workspace: "acme"
                                           observation { trace_id: "t" })pb"));
  EXPECT_THAT(obs.observation().trace().tags(),
              ElementsAre("env:prod", "service:rag", "ws:acme", "app:default-app", "team:search"));
  EXPECT_EQ(obs.observation().trace().metadata().fields().at("app_id").string_value(),
            "default-app");
}

TEST(PolicyTest, EnrichOffAddsNothing) {
  PolicyOptions o = Options();
  o.enrich = false;
  v1::TraceEvent obs = Apply(o, Parse(R"pb(workspace: "acme"
                                           observation { trace_id: "t" })pb"));
  EXPECT_FALSE(obs.observation().has_trace());
}

TEST(PolicyTest, TagsAndScoreCommentsAreMasked) {
  v1::TraceEvent t = Apply(Options(), Parse(R"pb(trace { id: "t" tags: "user:a@b.io" })pb"));
  EXPECT_EQ(t.trace().tags(0), "user:[EMAIL]");
  v1::TraceEvent s =
      Apply(Options(), Parse(R"pb(score { trace_id: "t" comment: "from 13812345678" })pb"));
  EXPECT_EQ(s.score().comment(), "from [PHONE]");
}

TEST(PolicyTest, BadRequestValuesRejectTheEventWithoutEchoingThem) {
  auto policy = Policy::Create(Options());
  ASSERT_TRUE(policy.ok());
  v1::TraceEvent e = Parse(R"pb(trace { id: "t" })pb");
  const std::string long_id(201, 'x');
  absl::StatusOr<bool> r = (*policy)->Apply(e, RequestInfo{.request_id = long_id});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("request_id"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("xxxx")));
  r = (*policy)->Apply(e, RequestInfo{.app_id = "a\nb"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("app_id"));
}

TEST(PolicyTest, CreateRejectsBadOptionsWithoutTheSecret) {
  PolicyOptions o = Options();
  o.hmac_secret = "short-secret";
  auto p = Policy::Create(o);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("16 bytes"));
  EXPECT_THAT(p.status().message(), ::testing::Not(HasSubstr("short-secret")));
  o = Options(CaptureMode::kTruncate);
  o.truncate_chars = 0;
  EXPECT_FALSE(Policy::Create(o).ok());
  o = Options();
  o.sample_rate = 1.5;
  EXPECT_FALSE(Policy::Create(o).ok());
}

TEST(PolicyTest, SampledOutEventIsLeftUntouched) {
  PolicyOptions o = Options();
  o.sample_rate = 0.0;
  auto policy = Policy::Create(o);
  ASSERT_TRUE(policy.ok());
  v1::TraceEvent e = Parse(R"pb(trace { id: "t" user_id: "u-1" })pb");
  absl::StatusOr<bool> r = (*policy)->Apply(e, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(e.trace().user_id(), "u-1");
}

}  // namespace
}  // namespace tracegate::privacy
