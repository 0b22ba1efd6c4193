#include "gateway/translate/otlp_encoder.h"

#include <map>
#include <string>

#include "gateway/translate/id_mapping.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/translate/test_events.h"

namespace tracegate::translate {
namespace {

using nlohmann::json;
using otlpwire::AnyValue;
using otlpwire::Span;
using translate_testing::Event;
using namespace translate_testing::rag;  // NOLINT: the fixture events

constexpr uint64_t kT0 = 1767225600ull * 1000000000ull;  // 2026-01-01T00:00:00Z

std::map<std::string, AnyValue> Attrs(const Span& span) {
  std::map<std::string, AnyValue> out;
  for (const auto& kv : span.attributes()) {
    EXPECT_TRUE(out.emplace(kv.key(), kv.value()).second) << "duplicate attribute " << kv.key();
  }
  return out;
}

std::string Str(const std::map<std::string, AnyValue>& attrs, const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return "<absent>";
  EXPECT_EQ(it->second.value_case(), AnyValue::kStringValue) << key;
  return it->second.string_value();
}

json Json(const std::map<std::string, AnyValue>& attrs, const std::string& key) {
  json j = json::parse(Str(attrs, key), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << key << ": " << Str(attrs, key);
  return j;
}

class OtlpEncoderTest : public ::testing::Test {
 protected:
  // Encodes the RAG trace and parses the bytes back.
  void EncodeRag() {
    for (const char* text : {kTrace, kChain, kRetriever, kGeneration, kTool, kEvent}) {
      ASSERT_TRUE(encoder_.Add(Event(text)).ok()) << text;
    }
    ASSERT_EQ(encoder_.span_count(), 6u);
    const std::string bytes = encoder_.Serialize();
    ASSERT_TRUE(parsed_.ParseFromString(bytes));
    ASSERT_EQ(parsed_.resource_spans_size(), 1);
    ASSERT_EQ(parsed_.resource_spans(0).scope_spans_size(), 1);
    for (const Span& span : parsed_.resource_spans(0).scope_spans(0).spans()) {
      spans_[ToLowerHex(span.span_id())] = &span;
    }
  }
  const Span& SpanFor(const std::string& original_id) {
    const std::string hex = LangfuseObservationIdForOtlp(original_id);
    EXPECT_EQ(spans_.count(hex), 1u) << original_id;
    return *spans_[hex];
  }

  static OtlpOptions Options() {
    OtlpOptions options;
    options.default_environment = "production";
    options.workspace = "ws";
    return options;
  }

  OtlpBatchEncoder encoder_{Options()};
  otlpwire::ExportTraceServiceRequest parsed_;
  std::map<std::string, const Span*> spans_;
};

TEST_F(OtlpEncoderTest, ResourceAndScope) {
  EncodeRag();
  const auto& rs = parsed_.resource_spans(0);
  std::map<std::string, std::string> resource;
  for (const auto& kv : rs.resource().attributes()) resource[kv.key()] = kv.value().string_value();
  EXPECT_EQ(resource, (std::map<std::string, std::string>{{"service.name", "tracegate"},
                                                          {"tracegate.workspace", "ws"}}));
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "tracegate");
}

TEST_F(OtlpEncoderTest, IdsAndParents) {
  EncodeRag();
  const std::string trace_id_hex = "17fe6f303311c0b164b937e419518c1f";  // SHA-256("trace-1")
  for (const auto& [hex, span] : spans_) {
    EXPECT_EQ(ToLowerHex(span->trace_id()), trace_id_hex) << span->name();
  }
  const Span& root = SpanFor("trace:trace-1");
  EXPECT_EQ(ToLowerHex(root.span_id()), "92c6ae66d0a0e5c8");  // SHA-256("trace:trace-1")
  EXPECT_TRUE(root.parent_span_id().empty());
  const Span& chain = SpanFor("obs-chain");
  EXPECT_EQ(ToLowerHex(chain.span_id()), "e6534f7878bba821");
  EXPECT_TRUE(chain.parent_span_id().empty());
  for (const char* child : {"00f067aa0ba902b7", "obs-gen", "obs-tool", "obs-event"}) {
    EXPECT_EQ(SpanFor(child).parent_span_id(), chain.span_id()) << child;
  }
  EXPECT_EQ(ToLowerHex(SpanFor("obs-gen").span_id()), "74e9076f052686f4");
}

TEST_F(OtlpEncoderTest, Times) {
  EncodeRag();
  const Span& root = SpanFor("trace:trace-1");
  EXPECT_EQ(root.start_time_unix_nano(), kT0);
  EXPECT_EQ(root.end_time_unix_nano(), kT0);
  const Span& gen = SpanFor("obs-gen");
  EXPECT_EQ(gen.start_time_unix_nano(), kT0 + 400000000);
  EXPECT_EQ(gen.end_time_unix_nano(), kT0 + 1900000000);
  const Span& tool = SpanFor("obs-tool");  // no end: end = start
  EXPECT_EQ(tool.end_time_unix_nano(), tool.start_time_unix_nano());
  const Span& event = SpanFor("obs-event");  // events are points in time
  EXPECT_EQ(event.start_time_unix_nano(), kT0 + 1000000005);
  EXPECT_EQ(event.end_time_unix_nano(), kT0 + 1000000005);
}

TEST_F(OtlpEncoderTest, TraceRootSpan) {
  EncodeRag();
  const Span& root = SpanFor("trace:trace-1");
  EXPECT_EQ(root.name(), "rag-query");
  auto a = Attrs(root);
  ASSERT_EQ(a.count("langfuse.internal.as_root"), 1u);
  EXPECT_TRUE(a["langfuse.internal.as_root"].bool_value());
  EXPECT_EQ(Str(a, "langfuse.observation.type"), "span");
  EXPECT_EQ(Str(a, "langfuse.trace.name"), "rag-query");
  EXPECT_EQ(Str(a, "user.id"), "u-1");
  EXPECT_EQ(Str(a, "session.id"), "s-1");
  ASSERT_EQ(a["langfuse.trace.tags"].array_value().values_size(), 2);
  EXPECT_EQ(a["langfuse.trace.tags"].array_value().values(1).string_value(), "rag");
  EXPECT_EQ(Json(a, "langfuse.trace.metadata"),
            json::parse(R"({"team":"search","tracegate_trace_id":"trace-1"})"));
  EXPECT_TRUE(a["langfuse.trace.public"].bool_value());
  EXPECT_EQ(Json(a, "langfuse.trace.input"), "what is the capital of France?");
  EXPECT_EQ(Json(a, "langfuse.trace.output"), "Paris");
  EXPECT_EQ(Str(a, "langfuse.version"), "v1");
  EXPECT_EQ(Str(a, "langfuse.release"), "r1");
  EXPECT_EQ(Str(a, "langfuse.environment"), "production");
  EXPECT_EQ(a.size(), 13u);
}

TEST_F(OtlpEncoderTest, ChainCarriesTraceAttributesAndOriginalIds) {
  EncodeRag();
  const Span& chain = SpanFor("obs-chain");
  EXPECT_EQ(chain.name(), "RetrievalQA");
  auto a = Attrs(chain);
  EXPECT_EQ(Str(a, "langfuse.observation.type"), "chain");
  EXPECT_EQ(a.count("langfuse.observation.level"), 0u);  // unspecified: omitted
  EXPECT_EQ(Json(a, "langfuse.observation.input"), json::parse(R"({"query":"capital of France"})"));
  EXPECT_EQ(Json(a, "langfuse.observation.metadata"),
            json::parse(R"({"k":1,"tracegate_observation_id":"obs-chain",
                            "tracegate_trace_id":"trace-1"})"));
  EXPECT_EQ(Str(a, "langfuse.trace.name"), "rag-query");
  EXPECT_EQ(Str(a, "user.id"), "u-1");
  EXPECT_EQ(Str(a, "session.id"), "s-1");
  EXPECT_EQ(a["langfuse.trace.tags"].array_value().values_size(), 1);
  EXPECT_EQ(Json(a, "langfuse.trace.metadata"), json::parse(R"({"team":"search"})"));
  EXPECT_EQ(a.count("langfuse.trace.public"), 0u);
  EXPECT_EQ(Str(a, "langfuse.release"), "r1");
  EXPECT_EQ(Str(a, "langfuse.environment"), "production");
  EXPECT_EQ(chain.status().code(), otlpwire::Status::STATUS_CODE_UNSET);
}

TEST_F(OtlpEncoderTest, RetrieverKeepsHexIdAndMapsOnlyChangedIds) {
  EncodeRag();
  const Span& ret = SpanFor("00f067aa0ba902b7");
  EXPECT_EQ(ToLowerHex(ret.span_id()), "00f067aa0ba902b7");
  auto a = Attrs(ret);
  EXPECT_EQ(Str(a, "langfuse.observation.type"), "retriever");
  EXPECT_EQ(Json(a, "langfuse.observation.output"),
            json::parse(R"([{"page_content":"Paris is the capital.","metadata":{},"id":"d1"}])"));
  // Its own id is unchanged; trace and parent ids were hashed.
  EXPECT_EQ(Json(a, "langfuse.observation.metadata"),
            json::parse(R"({"tracegate_trace_id":"trace-1",
                            "tracegate_parent_observation_id":"obs-chain"})"));
  EXPECT_EQ(a.count("langfuse.trace.name"), 0u);  // no trace attributes on this event
}

TEST_F(OtlpEncoderTest, GenerationAttributes) {
  EncodeRag();
  const Span& gen = SpanFor("obs-gen");
  auto a = Attrs(gen);
  EXPECT_EQ(Str(a, "langfuse.observation.type"), "generation");
  EXPECT_EQ(Str(a, "langfuse.observation.level"), "ERROR");
  EXPECT_EQ(Str(a, "langfuse.observation.status_message"), "rate limited");
  EXPECT_EQ(gen.status().code(), otlpwire::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(gen.status().message(), "rate limited");
  EXPECT_EQ(Str(a, "langfuse.observation.model.name"), "gpt-4o-mini");
  EXPECT_EQ(Json(a, "langfuse.observation.model.parameters"),
            json::parse(R"({"max_tokens":256,"temperature":0.2})"));
  EXPECT_EQ(Str(a, "langfuse.observation.usage_details"),
            R"({"input":120,"output":30,"total":150})");
  EXPECT_EQ(Json(a, "langfuse.observation.cost_details"),
            json::parse(R"({"input":0.0001,"output":0.0002})"));
  EXPECT_EQ(Str(a, "langfuse.observation.completion_start_time"), "2026-01-01T00:00:00.623456Z");
  EXPECT_EQ(Str(a, "langfuse.observation.prompt.name"), "qa");
  EXPECT_EQ(a["langfuse.observation.prompt.version"].int_value(), 3);
  EXPECT_EQ(Json(a, "langfuse.observation.input"),
            json::parse(R"([{"role":"user","content":"capital of France?"}])"));
  EXPECT_EQ(Json(a, "langfuse.observation.output"),
            json::parse(R"([{"role":"assistant","content":"Paris"}])"));
  EXPECT_EQ(Str(a, "langfuse.version"), "gen-v2");
  EXPECT_EQ(Str(a, "langfuse.environment"), "staging");
  EXPECT_EQ(a.count("langfuse.release"), 0u);
}

TEST_F(OtlpEncoderTest, ToolAndEvent) {
  EncodeRag();
  auto tool = Attrs(SpanFor("obs-tool"));
  EXPECT_EQ(Str(tool, "langfuse.observation.type"), "tool");
  EXPECT_EQ(Str(tool, "langfuse.observation.level"), "WARNING");
  EXPECT_EQ(SpanFor("obs-tool").status().code(), otlpwire::Status::STATUS_CODE_UNSET);
  auto event = Attrs(SpanFor("obs-event"));
  EXPECT_EQ(Str(event, "langfuse.observation.type"), "event");
  EXPECT_EQ(event.count("tracegate.event_id"), 0u);
}

TEST_F(OtlpEncoderTest, HexIdsNeedNoMetadata) {
  ASSERT_TRUE(encoder_
                  .Add(Event(R"pb(
                    timestamp { seconds: 1767225600 }
                    observation {
                      id: "00f067aa0ba902b7"
                      trace_id: "0af7651916cd43dd8448eb211c80319c"
                      type: OBSERVATION_TYPE_SPAN
                      name: "s"
                      start_time { seconds: 1767225600 }
                    })pb"))
                  .ok());
  auto a = Attrs(encoder_.request().resource_spans(0).scope_spans(0).spans(0));
  EXPECT_EQ(a.count("langfuse.observation.metadata"), 0u);
  // Upper-case hex is changed by lower-casing, so the original is kept.
  ASSERT_TRUE(encoder_
                  .Add(Event(R"pb(
                    observation {
                      id: "00F067AA0BA902B7"
                      trace_id: "0af7651916cd43dd8448eb211c80319c"
                      type: OBSERVATION_TYPE_SPAN
                      name: "s"
                      start_time { seconds: 1767225600 }
                    })pb"))
                  .ok());
  auto b = Attrs(encoder_.request().resource_spans(0).scope_spans(0).spans(1));
  EXPECT_EQ(Json(b, "langfuse.observation.metadata"),
            json::parse(R"({"tracegate_observation_id":"00F067AA0BA902B7"})"));
}

TEST_F(OtlpEncoderTest, OurMetadataKeysReplaceUserKeysOnlyWhenWritten) {
  ASSERT_TRUE(encoder_
                  .Add(Event(R"pb(
                    observation {
                      id: "obs-1"
                      trace_id: "0af7651916cd43dd8448eb211c80319c"
                      type: OBSERVATION_TYPE_SPAN
                      start_time { seconds: 1767225600 }
                      metadata {
                        fields {
                          key: "tracegate_observation_id"
                          value { string_value: "user" }
                        }
                        fields {
                          key: "tracegate_trace_id"
                          value { string_value: "kept" }
                        }
                      }
                    })pb"))
                  .ok());
  auto a = Attrs(encoder_.request().resource_spans(0).scope_spans(0).spans(0));
  EXPECT_EQ(Str(a, "langfuse.observation.metadata"),
            R"({"tracegate_trace_id":"kept","tracegate_observation_id":"obs-1"})");
}

TEST_F(OtlpEncoderTest, RejectsScoresAndBadEventsWithoutChangingTheBatch) {
  ASSERT_TRUE(encoder_.Add(Event(kChain)).ok());
  const std::string before = encoder_.Serialize();
  const size_t bytes_before = encoder_.approx_bytes();
  for (const char* bad : {
           R"pb(score { id: "s" trace_id: "t" name: "n" numeric_value: 1 })pb",
           R"pb(event_id: "no-payload")pb",
           R"pb(observation { id: "o" trace_id: "t" name: "untyped" })pb",
           R"pb(observation { trace_id: "t" type: OBSERVATION_TYPE_SPAN })pb",
           R"pb(trace { name: "no id" })pb",
           R"pb(observation {
                  id: "o"
                  trace_id: "t"
                  type: OBSERVATION_TYPE_SPAN
                  input { text: "ok" }
                  output { json: "{broken" }
                })pb",
           R"pb(observation {
                  id: "o"
                  trace_id: "t"
                  type: OBSERVATION_TYPE_SPAN
                  trace { input { json: "[1," } }
                })pb",
       }) {
    absl::Status status = encoder_.Add(Event(bad));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(encoder_.span_count(), 1u);
  EXPECT_EQ(encoder_.approx_bytes(), bytes_before);
  EXPECT_EQ(encoder_.Serialize(), before);
}

TEST_F(OtlpEncoderTest, ApproxBytesTracksSerializedSizeAndClearResets) {
  EncodeRag();
  const size_t actual = encoder_.Serialize().size();
  EXPECT_GE(encoder_.approx_bytes() + 8, actual);
  EXPECT_LE(encoder_.approx_bytes(), actual + 6 * 4);
  encoder_.Clear();
  EXPECT_EQ(encoder_.span_count(), 0u);
  otlpwire::ExportTraceServiceRequest empty;
  ASSERT_TRUE(empty.ParseFromString(encoder_.Serialize()));
  EXPECT_EQ(empty.resource_spans(0).scope_spans(0).spans_size(), 0);
  EXPECT_EQ(encoder_.approx_bytes(), encoder_.Serialize().size());
  // Reusable after Clear().
  ASSERT_TRUE(encoder_.Add(Event(kGeneration)).ok());
  EXPECT_EQ(encoder_.span_count(), 1u);
}

}  // namespace
}  // namespace tracegate::translate
