// Legacy ingestion events: TraceEvent -> one event object of Langfuse's
// POST /api/public/ingestion batch (shared/langfuse/INGESTION.md §2.2-2.6):
//
//   {"id": EnvelopeId(workspace, event_id), "timestamp": "<event timestamp, µs, Z>",
//    "type": "trace-create" | "<type>-create" | "score-create", "body": {...}}
//
// - trace       -> trace-create (id, timestamp, name, userId, sessionId, release, version,
//                  input, output, metadata, tags, public, environment)
// - observation -> span-/generation-/event-/agent-/tool-/chain-/retriever-/evaluator-/
//                  embedding-/guardrail-create (id, traceId, parentObservationId, name,
//                  startTime, endTime (not for events), level, statusMessage, version,
//                  input, output, metadata, environment; plus completionStartTime, model,
//                  modelParameters, usageDetails, costDetails, promptName+promptVersion for
//                  generations and the agent/tool/chain/retriever/evaluator/embedding/
//                  guardrail types)
// - score       -> score-create (id, traceId, observationId, sessionId, name, value,
//                  dataType, comment, metadata, environment, configId, datasetRunId,
//                  timestamp); booleans are sent as 1/0 with dataType BOOLEAN
// Empty or unset fields are left out, never sent as null. The environment falls back to
// LegacyOptions::default_environment. With `otlp_ids` (a score for a route whose traces
// and observations go over OTLP) traceId / observationId / parentObservationId / trace
// ids are mapped like the OTLP encoder maps them (id_mapping.h), so the score attaches
// to what OTLP created.
//
// Pure functions, thread-safe. Status: INVALID_ARGUMENT when the event has no payload or
// timestamp, lacks a required id / name / type / score value, has a score value that
// does not match its data type or is not finite, or has a `json` payload that does not
// parse. On error, Append* leaves `out` as it was.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::translate {

struct LegacyOptions {
  // Seeds the envelope id; empty = the event's own workspace.
  std::string workspace;
  // Environment for events without one; empty = none (Langfuse then uses "default").
  std::string default_environment;
  // Map ids with the OTLP rules (see above).
  bool otlp_ids = false;
};

inline bool IsScore(const v1::TraceEvent& event) {
  return event.payload_case() == v1::TraceEvent::kScore;
}

// The event object as JSON text.
absl::StatusOr<std::string> ToIngestionEvent(const v1::TraceEvent& event,
                                             const LegacyOptions& options);
// Appends the same text to `out` (for building a batch in one buffer).
absl::Status AppendIngestionEvent(const v1::TraceEvent& event, const LegacyOptions& options,
                                  std::string* out);

// Whether `event` is an observation carrying trace-level attributes (Observation.trace).
bool HasTraceAttributes(const v1::TraceEvent& event);
// For such an observation: a trace-create event that applies those attributes to its
// trace (body timestamp = the observation's start time), with an envelope id distinct
// from the observation's. The legacy API has no other way to carry them.
// INVALID_ARGUMENT when HasTraceAttributes(event) is false, or as above.
absl::StatusOr<std::string> ToTraceAttributesEvent(const v1::TraceEvent& event,
                                                   const LegacyOptions& options);

}  // namespace tracegate::translate
