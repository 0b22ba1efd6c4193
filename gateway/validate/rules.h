// Field rules shared by the validator's files (internal to gateway/validate).
// Every check returns OK or INVALID_ARGUMENT "<prefix>.<field>: <problem>" and builds the
// message only on failure.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/validate/validator.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::validate::internal {

// What every check needs: the limits and the latest acceptable time.
struct Context {
  const ValidateOptions& options;
  absl::Time latest;  // now + max_future_skew
};

// Characters of UTF-8 text (code points).
size_t CountChars(absl::string_view s);

// "<prefix>.<field>: <problem>" (no prefix: "<field>: <problem>").
absl::Status Fail(absl::string_view prefix, absl::string_view field, absl::string_view problem);

// An identifier: 1..max_id_chars characters without control characters. Empty is
// "required" when `required`, else OK.
absl::Status CheckId(const Context& ctx, const std::string& value, absl::string_view prefix,
                     absl::string_view field, bool required);

// A name: at most max_name_chars characters; "required" when empty and `required`.
absl::Status CheckName(const Context& ctx, const std::string& value, absl::string_view prefix,
                       absl::string_view field, bool required);

// Empty, or Langfuse's environment rule.
absl::Status CheckEnvironment(const std::string& value, absl::string_view prefix);

absl::Status CheckTags(const Context& ctx,
                       const google::protobuf::RepeatedPtrField<std::string>& tags,
                       absl::string_view prefix);

// A set Timestamp: nanos in range, within [1970-01-01, ctx.latest].
absl::Status CheckTimestamp(const Context& ctx, const google::protobuf::Timestamp& ts,
                            absl::string_view prefix, absl::string_view field);

// -1, 0, 1 like memcmp.
int CompareTimestamps(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b);

// Structured data (json_rules.cc).
absl::Status CheckStruct(const Context& ctx, const google::protobuf::Struct& value,
                         absl::string_view prefix, absl::string_view field);
absl::Status CheckPayload(const Context& ctx, const tracegate::v1::Payload& payload,
                          absl::string_view prefix, absl::string_view field);
absl::Status CheckModelParameters(const Context& ctx, const google::protobuf::Struct& params,
                                  absl::string_view prefix);

// Payload-specific rules (observation_rules.cc, validator.cc).
absl::Status CheckObservation(const Context& ctx, const tracegate::v1::Observation& obs);
absl::Status CheckTraceAttributes(const Context& ctx, const tracegate::v1::TraceAttributes& t,
                                  absl::string_view prefix);

}  // namespace tracegate::validate::internal
