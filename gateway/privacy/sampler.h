// Trace sampling by trace id: the decision depends on the id only, so every event of a
// trace (the trace, its observations, its scores) is kept or dropped together, on every
// replica. It is the rule of OpenTelemetry's TraceIdRatioBased sampler (which Langfuse's
// SDKs use) applied to the OTLP trace id the gateway exports: keep when the id's lower 8
// bytes, read as a big-endian integer, are below rate * 2^64. Ids are mapped as
// translate/ maps them (32 hex digits as is, a dashed UUID's digits, else the first 16
// bytes of SHA-256(id)), so an SDK sampling at the same rate keeps the same traces.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tracegate::privacy {

// The lower 64 bits of the OTLP trace id of `trace_id`.
uint64_t TraceIdLow64(absl::string_view trace_id);

// True when the trace is kept at `rate` (<= 0: never, >= 1: always).
bool KeepTrace(absl::string_view trace_id, double rate);

}  // namespace tracegate::privacy
