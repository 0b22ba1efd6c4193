// Time conversions for the translate stage: protobuf Timestamps to OTLP unix nanoseconds
// and to the ISO-8601 UTC strings Langfuse's ingestion API and OTLP attributes accept
// ("2026-01-01T00:00:00.123456Z", microsecond precision, always with "Z").
// Pure functions; thread-safe; no failure modes (times before 1970 clamp to 0 nanos).
#pragma once

#include <cstdint>
#include <string>

#include "google/protobuf/timestamp.pb.h"

namespace tracegate::translate {

// Nanoseconds since the Unix epoch; 0 for times before it.
uint64_t ToUnixNanos(const google::protobuf::Timestamp& ts);

// Appends "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, nanos truncated to microseconds).
void AppendIso8601Micros(const google::protobuf::Timestamp& ts, std::string* out);
std::string Iso8601Micros(const google::protobuf::Timestamp& ts);

}  // namespace tracegate::translate
