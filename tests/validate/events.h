// Valid example events for the validate tests (the receive time is kNow).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/validate/validator.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::validate::testing {

inline const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

inline tracegate::v1::TraceEvent Parse(const std::string& text) {
  tracegate::v1::TraceEvent event;
  if (!google::protobuf::TextFormat::ParseFromString(text, &event)) event.Clear();
  return event;
}

inline tracegate::v1::TraceEvent ValidTrace() {
  return Parse(R"pb(
    event_id: "evt-trace-1"
    workspace: "team-a"
    timestamp { seconds: 1767225500 }
    trace {
      id: "0af7651916cd43dd8448eb211c80319c"
      name: "chat"
      user_id: "user-1"
      session_id: "session-1"
      release: "abc123"
      version: "v2"
      environment: "production"
      tags: [ "app:chat", "team:a" ]
      metadata {
        fields {
          key: "region"
          value { string_value: "eu" }
        }
        fields {
          key: "nested"
          value {
            struct_value {
              fields {
                key: "n"
                value { number_value: 1.5 }
              }
            }
          }
        }
      }
      input { text: "hello" }
      output { json: "{\"answer\": [1, 2.5, \"x\", null, true]}" }
      public: true
      timestamp { seconds: 1767225400 }
    }
  )pb");
}

inline tracegate::v1::TraceEvent ValidObservation() {
  return Parse(R"pb(
    event_id: "evt-obs-1"
    timestamp { seconds: 1767225590 nanos: 5 }
    observation {
      id: "b7ad6b7169203331"
      trace_id: "0af7651916cd43dd8448eb211c80319c"
      parent_observation_id: "00f067aa0ba902b7"
      type: OBSERVATION_TYPE_GENERATION
      name: "llm-call"
      start_time { seconds: 1767225580 }
      completion_start_time { seconds: 1767225581 }
      end_time { seconds: 1767225589 nanos: 999999999 }
      level: LEVEL_WARNING
      status_message: "slow"
      version: "1"
      environment: "production"
      input {
        messages {
          messages { role: "system" content: "be brief" }
          messages {
            role: "assistant"
            tool_calls { id: "c1" name: "search" arguments_json: "{\"q\":\"x\"}" }
          }
          messages { role: "tool" tool_call_id: "c1" content: "found" }
        }
      }
      output {
        documents {
          documents {
            page_content: "doc"
            metadata {
              fields {
                key: "score"
                value { number_value: 0.9 }
              }
            }
          }
        }
      }
      metadata {
        fields {
          key: "k"
          value { list_value { values { bool_value: true } } }
        }
      }
      model: "gpt-4o-mini"
      model_parameters {
        fields {
          key: "temperature"
          value { number_value: 0.2 }
        }
        fields {
          key: "stream"
          value { bool_value: false }
        }
        fields {
          key: "stop"
          value { list_value { values { string_value: "\n" } } }
        }
        fields {
          key: "extra"
          value {
            struct_value {
              fields {
                key: "a"
                value { string_value: "b" }
              }
            }
          }
        }
        fields {
          key: "seed"
          value { null_value: NULL_VALUE }
        }
      }
      usage_details { key: "input" value: 10 }
      usage_details { key: "output" value: 0 }
      cost_details { key: "total" value: 0.0012 }
      prompt_name: "qa"
      prompt_version: 3
      trace {
        name: "chat"
        user_id: "user-1"
        session_id: "session-1"
        tags: [ "a" ]
        metadata {
          fields {
            key: "x"
            value { string_value: "y" }
          }
        }
        input {
          value {
            struct_value {
              fields {
                key: "q"
                value { string_value: "hi" }
              }
            }
          }
        }
      }
    }
  )pb");
}

inline tracegate::v1::TraceEvent ValidScore() {
  return Parse(R"pb(
    event_id: "evt-score-1"
    score {
      id: "score-1"
      trace_id: "0af7651916cd43dd8448eb211c80319c"
      observation_id: "b7ad6b7169203331"
      name: "faithfulness"
      numeric_value: 0.75
      data_type: SCORE_DATA_TYPE_NUMERIC
      comment: "ok"
      environment: "production"
      timestamp { seconds: 1767225600 }
    }
  )pb");
}

// "OK" or the INVALID_ARGUMENT reason.
inline std::string Reason(const tracegate::v1::TraceEvent& event,
                          tracegate::validate::ValidateOptions options = {},
                          absl::Time now = kNow) {
  absl::Status s = tracegate::validate::Validator(options).Validate(event, now);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

inline google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

// A Struct nested `levels` deep: {"a": {"a": ... {"leaf": 1}}}.
inline google::protobuf::Struct Nested(int levels) {
  google::protobuf::Struct root;
  google::protobuf::Struct* s = &root;
  for (int i = 1; i < levels; ++i) {
    s = (*s->mutable_fields())["a"].mutable_struct_value();
  }
  (*s->mutable_fields())["leaf"].set_number_value(1);
  return root;
}

}  // namespace tracegate::validate::testing
