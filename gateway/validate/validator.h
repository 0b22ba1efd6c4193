// Checks one TraceEvent against the rules of proto/tracegate/v1/trace_event.proto before it
// is accepted, so that Langfuse never sees an event it would refuse (an OTLP export fails
// as a whole on one malformed span).
//
// Validate() returns OK or INVALID_ARGUMENT whose message is "<field path>: <problem>",
// e.g. "observation.end_time: before start_time", "event_id: required",
// "observation.trace_id: longer than 800 characters", "observation.level: unknown value 9",
// "score.value: required", "trace.metadata.a.b[2]: not a finite number". The first
// problem found is reported. Messages quote no field values (only map keys in paths).
//
// Rules: identifiers are 1..max_id_chars characters without control characters (C0, DEL,
// C1; this includes \r); exactly one payload; known enum values (proto3 keeps unknown
// numbers: they are rejected); names; timestamps are valid (nanos in range) and lie in
// [1970-01-01, now + max_future_skew]; end >= start; completion start within [start, end];
// EVENT observations end at their start; usage >= 0; costs finite and >= 0; prompt name and
// version together; environments match [a-z0-9_-]{1,40} without the "langfuse" prefix;
// tags; Payload.json parses (nlohmann) and Struct/Value/JSON nest at most max_json_depth
// levels with finite numbers; chat messages have a role; model_parameters values are
// string, number, bool, list of strings or object of strings; scores have a name and one
// value matching data_type; the serialized event is at most max_event_bytes.
//
// Thread-safety: immutable; Validate may run on any thread concurrently.
// Cost: one pass over the event; no allocation for a valid event, except inside the JSON
// parser when a Payload.json is present.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::validate {

struct ValidateOptions {
  size_t max_id_chars = 800;
  size_t max_event_bytes = 1'000'000;
  size_t max_name_chars = 1000;
  size_t max_tags = 100;
  size_t max_tag_chars = 200;
  absl::Duration max_future_skew = absl::Hours(24);
  int max_json_depth = 32;
};

class Validator {
 public:
  explicit Validator(ValidateOptions options = {}) : options_(options) {}

  // `now` is the receive time (core::Clock); timestamps may lie up to max_future_skew after it.
  absl::Status Validate(const tracegate::v1::TraceEvent& event, absl::Time now) const;

  const ValidateOptions& options() const { return options_; }

 private:
  ValidateOptions options_;
};

}  // namespace tracegate::validate
