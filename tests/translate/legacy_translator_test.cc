#include "gateway/translate/legacy_translator.h"

#include <set>
#include <string>

#include "gateway/translate/id_mapping.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/translate/test_events.h"

namespace tracegate::translate {
namespace {

using nlohmann::json;
using translate_testing::Event;
using translate_testing::Options;
using translate_testing::Translate;

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

// Nothing is sent as null.
void ExpectNoNulls(const json& j) {
  if (j.is_object()) {
    for (const auto& item : j.items()) {
      EXPECT_FALSE(item.value().is_null()) << item.key();
      ExpectNoNulls(item.value());
    }
  } else if (j.is_array()) {
    for (const auto& v : j) ExpectNoNulls(v);
  }
}

TEST(LegacyTranslatorTest, TraceCreate) {
  json e = Translate(R"pb(
    event_id: "e1"
    workspace: "other"
    timestamp { seconds: 1767225600 nanos: 123456789 }
    trace {
      id: "trace-1"
      name: "rag-query"
      user_id: "u-1"
      session_id: "s-1"
      release: "r1"
      version: "v1"
      environment: "staging"
      tags: "prod"
      tags: "rag"
      public: false
      timestamp { seconds: 1767225599 }
      metadata {
        fields {
          key: "team"
          value { string_value: "search" }
        }
      }
      input { text: "q" }
      output { json: "{\"answer\": \"Paris\"}" }
    })pb");
  EXPECT_EQ(e["id"], EnvelopeId("ws", "e1"));
  EXPECT_EQ(e["timestamp"], "2026-01-01T00:00:00.123456Z");
  EXPECT_EQ(e["type"], "trace-create");
  EXPECT_EQ(e["body"], json::parse(R"({
    "id": "trace-1", "timestamp": "2025-12-31T23:59:59.000000Z", "name": "rag-query",
    "userId": "u-1", "sessionId": "s-1", "release": "r1", "version": "v1",
    "input": "q", "output": {"answer": "Paris"}, "metadata": {"team": "search"},
    "tags": ["prod", "rag"], "public": false, "environment": "staging"})"));
  ExpectNoNulls(e);
}

TEST(LegacyTranslatorTest, MinimalTraceOmitsEmptyFields) {
  LegacyOptions options;  // no default environment, workspace from the event
  json e = Translate(R"pb(event_id: "e1"
                          workspace: "ws2"
                          timestamp { seconds: 1767225600 }
                          trace { id: "t" })pb",
                     options);
  EXPECT_EQ(e["id"], EnvelopeId("ws2", "e1"));
  EXPECT_EQ(Keys(e), (std::set<std::string>{"id", "timestamp", "type", "body"}));
  EXPECT_EQ(e["body"], json::parse(R"({"id":"t"})"));
}

TEST(LegacyTranslatorTest, EveryObservationType) {
  struct Case {
    const char* type;
    const char* event_type;
    bool generation_fields;
  };
  const Case cases[] = {
      {"OBSERVATION_TYPE_SPAN", "span-create", false},
      {"OBSERVATION_TYPE_EVENT", "event-create", false},
      {"OBSERVATION_TYPE_GENERATION", "generation-create", true},
      {"OBSERVATION_TYPE_AGENT", "agent-create", true},
      {"OBSERVATION_TYPE_TOOL", "tool-create", true},
      {"OBSERVATION_TYPE_CHAIN", "chain-create", true},
      {"OBSERVATION_TYPE_RETRIEVER", "retriever-create", true},
      {"OBSERVATION_TYPE_EVALUATOR", "evaluator-create", true},
      {"OBSERVATION_TYPE_EMBEDDING", "embedding-create", true},
      {"OBSERVATION_TYPE_GUARDRAIL", "guardrail-create", true},
  };
  for (const Case& c : cases) {
    json e = Translate(std::string(R"pb(event_id: "e"
                                        timestamp { seconds: 1767225600 }
                                        observation { id: "o" trace_id: "t" name: "n" type:)pb") +
                       c.type + R"pb(
        start_time { seconds: 1767225600 } end_time { seconds: 1767225601 }
        model: "m" usage_details { key: "input" value: 1 } })pb");
    EXPECT_EQ(e["type"], c.event_type);
    const json& body = e["body"];
    std::set<std::string> expected = {"id", "traceId", "name", "startTime", "environment"};
    if (std::string(c.type) != "OBSERVATION_TYPE_EVENT") expected.insert("endTime");
    if (c.generation_fields) expected.insert({"model", "usageDetails"});
    EXPECT_EQ(Keys(body), expected) << c.type << " " << body.dump();
    EXPECT_EQ(body["startTime"], "2026-01-01T00:00:00.000000Z");
  }
}

TEST(LegacyTranslatorTest, GenerationCreateWithAllFields) {
  json e = Translate(R"pb(
    event_id: "e-gen"
    timestamp { seconds: 1767225602 }
    observation {
      id: "obs-gen"
      trace_id: "trace-1"
      parent_observation_id: "obs-chain"
      type: OBSERVATION_TYPE_GENERATION
      name: "ChatOpenAI"
      start_time { seconds: 1767225600 nanos: 400000000 }
      end_time { seconds: 1767225601 nanos: 900000000 }
      completion_start_time { seconds: 1767225600 nanos: 623456789 }
      level: LEVEL_ERROR
      status_message: "rate limited"
      version: "gen-v2"
      model: "gpt-4o-mini"
      model_parameters {
        fields {
          key: "temperature"
          value { number_value: 0.2 }
        }
      }
      usage_details { key: "output" value: 30 }
      usage_details { key: "input" value: 120 }
      cost_details { key: "total" value: 0.0003 }
      prompt_name: "qa"
      prompt_version: 3
      input { messages { messages { role: "user" content: "hi" } } }
      output { text: "hello" }
      metadata {
        fields {
          key: "k"
          value { bool_value: true }
        }
      }
      trace { name: "ignored here" }
    })pb");
  EXPECT_EQ(e["type"], "generation-create");
  EXPECT_EQ(e["body"], json::parse(R"({
    "id": "obs-gen", "traceId": "trace-1", "parentObservationId": "obs-chain",
    "name": "ChatOpenAI", "startTime": "2026-01-01T00:00:00.400000Z",
    "endTime": "2026-01-01T00:00:01.900000Z",
    "completionStartTime": "2026-01-01T00:00:00.623456Z", "model": "gpt-4o-mini",
    "modelParameters": {"temperature": 0.2}, "usageDetails": {"input": 120, "output": 30},
    "costDetails": {"total": 0.0003}, "promptName": "qa", "promptVersion": 3,
    "level": "ERROR", "statusMessage": "rate limited", "version": "gen-v2",
    "input": [{"role": "user", "content": "hi"}], "output": "hello",
    "metadata": {"k": true}, "environment": "production"})"));
  ExpectNoNulls(e);
}

TEST(LegacyTranslatorTest, SpanDropsGenerationOnlyFields) {
  json e = Translate(R"pb(event_id: "e"
                          timestamp { seconds: 1767225600 }
                          observation {
                            id: "o"
                            trace_id: "t"
                            type: OBSERVATION_TYPE_SPAN
                            model: "m"
                            prompt_name: "p"
                            prompt_version: 1
                            level: LEVEL_DEBUG
                            environment: "dev"
                          })pb");
  EXPECT_EQ(e["body"],
            json::parse(R"({"id":"o","traceId":"t","level":"DEBUG","environment":"dev"})"));
}

TEST(LegacyTranslatorTest, InvalidEventsAreRejectedAndBufferKept) {
  for (const char*
           bad : {
               R"pb(event_id: "e"
                    trace { id: "t" })pb",  // no timestamp
               R"pb(event_id: "e"
                    timestamp { seconds: 1 })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    trace { name: "no id" })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    observation { id: "o" trace_id: "t" })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    observation { id: "o" type: OBSERVATION_TYPE_SPAN })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    observation {
                      id: "o"
                      trace_id: "t"
                      type: OBSERVATION_TYPE_SPAN
                      output { json: "{nope" }
                    })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    score { id: "s" name: "n" })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    score { name: "n" numeric_value: 1 })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    score {
                      id: "s"
                      name: "n"
                      numeric_value: 0.5
                      data_type: SCORE_DATA_TYPE_BOOLEAN
                    })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    score {
                      id: "s"
                      name: "n"
                      boolean_value: true
                      data_type: SCORE_DATA_TYPE_NUMERIC
                    })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    score {
                      id: "s"
                      name: "n"
                      categorical_value: "x"
                      data_type: SCORE_DATA_TYPE_NUMERIC
                    })pb",
               R"pb(event_id: "e"
                    timestamp { seconds: 1 }
                    score { id: "s" name: "n" numeric_value: inf })pb",
           }) {
    std::string out = "[";
    absl::Status status = AppendIngestionEvent(Event(bad), Options(), &out);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(out, "[") << bad;
  }
}

TEST(LegacyTranslatorTest, AppendBuildsABatch) {
  std::string batch = "{\"batch\":[";
  ASSERT_TRUE(AppendIngestionEvent(Event(R"pb(event_id: "a"
                                              timestamp { seconds: 1767225600 }
                                              trace { id: "t" })pb"),
                                   Options(), &batch)
                  .ok());
  batch += ",";
  ASSERT_TRUE(AppendIngestionEvent(
                  Event(R"pb(event_id: "b"
                             timestamp { seconds: 1767225600 }
                             score { id: "s" trace_id: "t" name: "n" numeric_value: 2 })pb"),
                  Options(), &batch)
                  .ok());
  batch += "]}";
  json j = json::parse(batch, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << batch;
  ASSERT_EQ(j["batch"].size(), 2u);
  EXPECT_NE(j["batch"][0]["id"], j["batch"][1]["id"]);
  EXPECT_EQ(j["batch"][1]["body"]["value"], 2);
}

TEST(LegacyTranslatorTest, IsScore) {
  EXPECT_TRUE(IsScore(Event(R"pb(score { id: "s" })pb")));
  EXPECT_FALSE(IsScore(Event(R"pb(trace { id: "t" })pb")));
  EXPECT_FALSE(IsScore(v1::TraceEvent()));
}

TEST(LegacyTranslatorTest, TraceAttributesOfAnObservation) {
  v1::TraceEvent event =
      Event(R"pb(event_id: "e-chain"
                 timestamp { seconds: 1767225602 }
                 observation {
                   id: "o"
                   trace_id: "trace-1"
                   type: OBSERVATION_TYPE_CHAIN
                   start_time { seconds: 1767225600 }
                   trace { name: "rag-query" user_id: "u-1" tags: "prod" public: true }
                 })pb");
  ASSERT_TRUE(HasTraceAttributes(event));
  absl::StatusOr<std::string> out = ToTraceAttributesEvent(event, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  json e = json::parse(*out);
  EXPECT_EQ(e["type"], "trace-create");
  EXPECT_NE(e["id"], EnvelopeId("ws", "e-chain"));
  EXPECT_EQ(e["body"], json::parse(R"({"id":"trace-1","timestamp":"2026-01-01T00:00:00.000000Z",
    "name":"rag-query","userId":"u-1","tags":["prod"],"public":true,"environment":"production"})"));
  EXPECT_EQ(ToTraceAttributesEvent(Event(R"pb(trace { id: "t" })pb"), Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tracegate::translate
