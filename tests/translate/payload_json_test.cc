#include "gateway/translate/payload_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tracegate::translate {
namespace {

using nlohmann::json;

v1::Payload ParsePayload(const std::string& text) {
  v1::Payload p;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &p)) << text;
  return p;
}

std::string ToJson(const v1::Payload& p) {
  absl::StatusOr<std::string> s = PayloadToJson(p);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::string();
}

TEST(PayloadJsonTest, TextIsAJsonString) {
  v1::Payload p;
  p.set_text("say \"hi\"\n\t\\ \x01 caf\xC3\xA9 \xE2\x82\xAC");
  const std::string out = ToJson(p);
  EXPECT_EQ(out, "\"say \\\"hi\\\"\\n\\t\\\\ \\u0001 caf\xC3\xA9 \xE2\x82\xAC\"");
  EXPECT_EQ(json::parse(out).get<std::string>(), p.text());
}

TEST(PayloadJsonTest, InvalidUtf8BecomesReplacementCharacter) {
  v1::Payload p;
  p.set_text(
      std::string("a\xFF"
                  "b\xC3",
                  4));
  const std::string out = ToJson(p);
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"");
  EXPECT_FALSE(json::parse(out, nullptr, false).is_discarded());
}

TEST(PayloadJsonTest, JsonIsReserialisedCompactly) {
  v1::Payload p;
  p.set_json(" { \"b\" : 1 , \"a\" : [ true , null , \"x\" ] , \"c\": {\"d\": 2.5} } ");
  EXPECT_EQ(ToJson(p), R"({"a":[true,null,"x"],"b":1,"c":{"d":2.5}})");
  p.set_json("42");
  EXPECT_EQ(ToJson(p), "42");
}

TEST(PayloadJsonTest, InvalidJsonIsRejectedAndBufferKept) {
  v1::Payload p;
  p.set_json("{\"a\": ");
  std::string out = "prefix";
  absl::Status status = AppendPayloadJson(p, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "prefix");
}

TEST(PayloadJsonTest, ValueWithSortedKeysAndNumbers) {
  v1::Payload p = ParsePayload(R"pb(
    value {
      struct_value {
        fields {
          key: "z"
          value { number_value: 3 }
        }
        fields {
          key: "a"
          value {
            list_value {
              values { number_value: 0.5 }
              values { bool_value: false }
              values { null_value: NULL_VALUE }
              values { string_value: "s" }
              values { number_value: -7 }
            }
          }
        }
        fields {
          key: "m"
          value { struct_value {} }
        }
      }
    })pb");
  EXPECT_EQ(ToJson(p), R"({"a":[0.5,false,null,"s",-7],"m":{},"z":3})");
}

TEST(PayloadJsonTest, NonFiniteNumbersBecomeNull) {
  v1::Payload p;
  p.mutable_value()->set_number_value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(ToJson(p), "null");
  p.mutable_value()->set_number_value(std::numeric_limits<double>::infinity());
  EXPECT_EQ(ToJson(p), "null");
}

TEST(PayloadJsonTest, LargeAndFractionalNumbersRoundTrip) {
  for (double v : {1e21, 1.5e300, 0.1, -2.25, 9007199254740993.0, 1e-7}) {
    v1::Payload p;
    p.mutable_value()->set_number_value(v);
    EXPECT_EQ(json::parse(ToJson(p)).get<double>(), v) << ToJson(p);
  }
}

TEST(PayloadJsonTest, MessagesInOpenAiShape) {
  v1::Payload p = ParsePayload(R"pb(
    messages {
      messages { role: "system" content: "be brief" }
      messages {
        role: "user"
        parts { type: "text" text: "what is this?" }
        parts { type: "image_url" image_url: "https://example.com/cat.png" }
      }
      messages {
        role: "assistant"
        tool_calls { id: "call_1" name: "lookup" arguments_json: "{\"q\":\"cat\"}" }
      }
      messages { role: "tool" content: "a cat" tool_call_id: "call_1" name: "lookup" }
    })pb");
  json out = json::parse(ToJson(p));
  ASSERT_TRUE(out.is_array());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], json::parse(R"({"role":"system","content":"be brief"})"));
  EXPECT_EQ(out[1], json::parse(R"({"role":"user","content":[
      {"type":"text","text":"what is this?"},
      {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]})"));
  EXPECT_EQ(out[2], json::parse(R"({"role":"assistant","tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}}]})"));
  EXPECT_EQ(
      out[3],
      json::parse(R"({"role":"tool","content":"a cat","tool_call_id":"call_1","name":"lookup"})"));
}

TEST(PayloadJsonTest, PartTypeIsInferredWhenMissing) {
  v1::Payload p = ParsePayload(R"pb(
    messages {
      messages {
        role: "user"
        parts { text: "hi" }
        parts { image_url: "u" }
      }
    })pb");
  EXPECT_EQ(ToJson(p), R"([{"role":"user","content":[{"type":"text","text":"hi"},)"
                       R"({"type":"image_url","image_url":{"url":"u"}}]}])");
}

TEST(PayloadJsonTest, Documents) {
  v1::Payload p = ParsePayload(R"pb(
    documents {
      documents {
        page_content: "Paris is the capital."
        id: "doc-1"
        metadata {
          fields {
            key: "source"
            value { string_value: "wiki" }
          }
        }
      }
      documents { page_content: "no metadata" }
    })pb");
  EXPECT_EQ(
      ToJson(p),
      R"([{"page_content":"Paris is the capital.","metadata":{"source":"wiki"},"id":"doc-1"},)"
      R"({"page_content":"no metadata","metadata":{}}])");
}

TEST(PayloadJsonTest, UnsetPayloadIsNull) {
  v1::Payload p;
  EXPECT_FALSE(HasPayload(p));
  EXPECT_EQ(ToJson(p), "null");
}

TEST(StructJsonTest, MembersCanSkipKeys) {
  google::protobuf::Struct s;
  (*s.mutable_fields())["keep"].set_string_value("k");
  (*s.mutable_fields())["drop"].set_number_value(1);
  std::string out;
  JsonObjectWriter obj(&out);
  const absl::string_view skip[] = {"drop"};
  AppendStructMembers(s, skip, &obj);
  obj.String("extra", "e");
  obj.Close();
  EXPECT_EQ(out, R"({"keep":"k","extra":"e"})");
  EXPECT_EQ(StructToJson(s), R"({"drop":1,"keep":"k"})");
}

}  // namespace
}  // namespace tracegate::translate
