// Test helpers for tests/translate: events from text protos, the legacy translator's
// output as parsed JSON, and a RAG request (trace, chain -> retriever, generation, tool,
// event) used by several tests.
#pragma once

#include <string>

#include "gateway/translate/legacy_translator.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::translate::translate_testing {

inline v1::TraceEvent Event(const std::string& text) {
  v1::TraceEvent e;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &e)) << text;
  return e;
}

// workspace "ws", default environment "production".
inline LegacyOptions Options(bool otlp_ids = false) {
  LegacyOptions options;
  options.workspace = "ws";
  options.default_environment = "production";
  options.otlp_ids = otlp_ids;
  return options;
}

// ToIngestionEvent(Event(text)) parsed; a failed translation fails the test.
inline nlohmann::json Translate(const std::string& text, const LegacyOptions& options = Options()) {
  absl::StatusOr<std::string> out = ToIngestionEvent(Event(text), options);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(*out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << *out;
  return j;
}

namespace rag {

// A RAG request: trace, chain -> (retriever, generation, tool, event).
inline constexpr const char* kTrace = R"pb(
  event_id: "e-trace"
  workspace: "ws"
  timestamp { seconds: 1767225600 }
  trace {
    id: "trace-1"
    name: "rag-query"
    user_id: "u-1"
    session_id: "s-1"
    release: "r1"
    version: "v1"
    tags: "prod"
    tags: "rag"
    public: true
    metadata {
      fields {
        key: "team"
        value { string_value: "search" }
      }
    }
    input { text: "what is the capital of France?" }
    output { text: "Paris" }
  })pb";
inline constexpr const char* kChain = R"pb(
  event_id: "e-chain"
  timestamp { seconds: 1767225602 }
  observation {
    id: "obs-chain"
    trace_id: "trace-1"
    type: OBSERVATION_TYPE_CHAIN
    name: "RetrievalQA"
    start_time { seconds: 1767225600 }
    end_time { seconds: 1767225602 }
    input { json: "{\"query\": \"capital of France\"}" }
    metadata {
      fields {
        key: "k"
        value { number_value: 1 }
      }
    }
    trace {
      name: "rag-query"
      user_id: "u-1"
      session_id: "s-1"
      tags: "prod"
      release: "r1"
      metadata {
        fields {
          key: "team"
          value { string_value: "search" }
        }
      }
    }
  })pb";
inline constexpr const char* kRetriever = R"pb(
  event_id: "e-ret"
  timestamp { seconds: 1767225601 }
  observation {
    id: "00f067aa0ba902b7"
    trace_id: "trace-1"
    parent_observation_id: "obs-chain"
    type: OBSERVATION_TYPE_RETRIEVER
    name: "vector-search"
    start_time { seconds: 1767225600 nanos: 100000000 }
    end_time { seconds: 1767225600 nanos: 300000000 }
    output { documents { documents { page_content: "Paris is the capital." id: "d1" } } }
  })pb";
inline constexpr const char* kGeneration = R"pb(
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
    environment: "staging"
    model: "gpt-4o-mini"
    model_parameters {
      fields {
        key: "temperature"
        value { number_value: 0.2 }
      }
      fields {
        key: "max_tokens"
        value { number_value: 256 }
      }
    }
    usage_details { key: "input" value: 120 }
    usage_details { key: "output" value: 30 }
    usage_details { key: "total" value: 150 }
    cost_details { key: "input" value: 0.0001 }
    cost_details { key: "output" value: 0.0002 }
    prompt_name: "qa"
    prompt_version: 3
    input { messages { messages { role: "user" content: "capital of France?" } } }
    output { messages { messages { role: "assistant" content: "Paris" } } }
  })pb";
inline constexpr const char* kTool = R"pb(
  event_id: "e-tool"
  timestamp { seconds: 1767225601 }
  observation {
    id: "obs-tool"
    trace_id: "trace-1"
    parent_observation_id: "obs-chain"
    type: OBSERVATION_TYPE_TOOL
    name: "lookup"
    level: LEVEL_WARNING
    start_time { seconds: 1767225601 }
  })pb";
inline constexpr const char* kEvent = R"pb(
  event_id: "e-event"
  timestamp { seconds: 1767225601 }
  observation {
    id: "obs-event"
    trace_id: "trace-1"
    parent_observation_id: "obs-chain"
    type: OBSERVATION_TYPE_EVENT
    name: "cache-miss"
    start_time { seconds: 1767225601 nanos: 5 }
    end_time { seconds: 1767225609 }
  })pb";

}  // namespace rag
}  // namespace tracegate::translate::translate_testing
