// Identifier mapping between Tracegate ids and what Langfuse stores.
//
// OTLP egress: Langfuse takes its trace id from the OTel traceId (16 bytes) and its
// observation id from the spanId (8 bytes), hex-encoded. The rules (stated in
// proto/tracegate/v1/trace_event.proto) are applied the same way for every event, so
// children, parents and scores always meet:
//   trace ids:       32 hex chars -> those bytes; a dashed UUID -> its 32 hex digits;
//                    anything else -> first 16 bytes of SHA-256(id)
//   observation ids: 16 hex chars -> those bytes; anything else -> first 8 bytes of SHA-256(id)
// A mapping that would produce all-zero bytes (rejected by OTel and Langfuse) hashes the
// id instead, so the result is never all zero.
//
// Legacy egress: EnvelopeId() derives the envelope `id` of an ingestion event from
// (workspace, event_id), so an export retried after a crash reuses the same envelope id
// (Langfuse then overwrites the same stored file instead of adding a copy).
//
// All functions are pure, thread-safe and cannot fail.
#pragma once

#include <array>
#include <string>

#include "absl/strings/string_view.h"

namespace tracegate::translate {

using TraceIdBytes = std::array<char, 16>;
using SpanIdBytes = std::array<char, 8>;

// The raw OTel trace id (16 bytes) for a Tracegate trace id.
TraceIdBytes OtlpTraceIdBytes(absl::string_view id);
// The raw OTel span id (8 bytes) for a Tracegate observation (or trace) id.
SpanIdBytes OtlpSpanIdBytes(absl::string_view id);

// The same as std::string of 16 / 8 raw bytes.
std::string OtlpTraceId(absl::string_view id);
std::string OtlpSpanId(absl::string_view id);

// What Langfuse will store for a span sent over OTLP: lower-case hex of the bytes above
// (32 / 16 characters).
std::string LangfuseTraceIdForOtlp(absl::string_view id);
std::string LangfuseObservationIdForOtlp(absl::string_view id);

// Whether the OTLP mapping stores `id` under a different string (so the original should
// be kept in metadata).
bool OtlpMappingChangesTraceId(absl::string_view id);
bool OtlpMappingChangesObservationId(absl::string_view id);

// A deterministic UUID-formatted id (8-4-4-4-12 lower-case hex, version 4 and RFC 4122
// variant bits set) from SHA-256(workspace + '\0' + event_id).
std::string EnvelopeId(absl::string_view workspace, absl::string_view event_id);

// Lower-case hex of `bytes`.
std::string ToLowerHex(absl::string_view bytes);
// Whether `text` is exactly ToLowerHex(bytes) (no allocation).
bool IsLowerHexOf(absl::string_view text, absl::string_view bytes);

}  // namespace tracegate::translate
