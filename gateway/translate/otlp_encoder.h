// OtlpBatchEncoder: turns trace and observation events into one OTLP/HTTP trace export
// (an ExportTraceServiceRequest) for Langfuse's POST /api/public/otel/v1/traces.
//
//   OtlpBatchEncoder encoder(OtlpOptions{.default_environment = "production"});
//   for (const auto& event : batch) TG_RETURN_IF_ERROR(encoder.Add(event));
//   std::string body = encoder.Serialize();   // then gzip + POST
//   encoder.Clear();                          // reuse for the next batch
//
// Mapping (shared/langfuse/INGESTION.md §4.3 names the attributes Langfuse reads):
// - Observation -> one span. Ids through id_mapping.h; the original ids are kept in
//   `langfuse.observation.metadata` (tracegate_observation_id, tracegate_trace_id,
//   tracegate_parent_observation_id) only when the mapping changed them. Type, level,
//   status, input/output, model, usage, cost, completion start, prompt, version, release
//   and environment become `langfuse.*` attributes; a level of ERROR also sets the span
//   status to ERROR. Observation.trace (trace-level attributes) is stamped on the span.
// - Trace -> a root span (no parent, `langfuse.internal.as_root`=true) whose span id is
//   OtlpSpanId(trace.id), lasting zero time at the trace timestamp, with every trace
//   attribute. Note: a trace and an observation that share one id string share that span id.
// - Score -> INVALID_ARGUMENT: scores are not spans (send them with legacy_translator.h).
// One ResourceSpans (resource attributes service.name, service.version when set,
// tracegate.workspace when set) and one ScopeSpans (scope "tracegate") hold all spans.
// Leave `service_version` empty unless wanted: Langfuse uses the resource's
// service.version as the version of observations that have none.
//
// Status codes from Add(): INVALID_ARGUMENT for a score, an event without payload, an
// observation without id, trace id or type, a trace without id, or a `json` payload that
// does not parse. A failed Add() leaves the batch as it was.
// Thread-safety: none; one encoder per worker thread. Spans live in a protobuf arena
// that Clear() releases, so a reused encoder allocates little per event.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/arena.h"
#include "otlpwire/otlp_trace.pb.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::translate {

struct OtlpOptions {
  std::string service_name = "tracegate";
  // Resource service.version; empty = not sent (see the note above).
  std::string service_version;
  // langfuse.environment for events without their own environment; empty = none.
  std::string default_environment;
  // Resource attribute tracegate.workspace; empty = not sent.
  std::string workspace;
};

class OtlpBatchEncoder {
 public:
  explicit OtlpBatchEncoder(OtlpOptions options = {});
  OtlpBatchEncoder(const OtlpBatchEncoder&) = delete;
  OtlpBatchEncoder& operator=(const OtlpBatchEncoder&) = delete;

  // Appends the span(s) of one trace or observation event.
  absl::Status Add(const v1::TraceEvent& event);

  size_t span_count() const { return static_cast<size_t>(scope_->spans_size()); }
  // Serialized size so far, within a few bytes per span.
  size_t approx_bytes() const { return approx_bytes_; }

  // The ExportTraceServiceRequest bytes (uncompressed).
  std::string Serialize() const;
  void SerializeTo(std::string* out) const;
  // The request being built (tests and debugging).
  const otlpwire::ExportTraceServiceRequest& request() const { return *request_; }

  // Drops all spans; the encoder can be reused.
  void Clear();

 private:
  void StartRequest();
  absl::Status AddObservation(const v1::TraceEvent& event);
  absl::Status AddTrace(const v1::TraceEvent& event);

  const OtlpOptions options_;
  google::protobuf::Arena arena_;
  otlpwire::ExportTraceServiceRequest* request_ = nullptr;  // owned by arena_
  otlpwire::ScopeSpans* scope_ = nullptr;                   // inside request_
  size_t base_bytes_ = 0;
  size_t approx_bytes_ = 0;
};

}  // namespace tracegate::translate
