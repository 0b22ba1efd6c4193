// Internal to translate/: appends Langfuse attributes to one OTLP span under
// construction. Values are written straight into the span's (arena) strings.
// Not thread-safe; used by one encoder call at a time. Only Payload() can fail
// (INVALID_ARGUMENT for a `json` payload that does not parse; nothing is added then).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "otlpwire/otlp_trace.pb.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::translate {

class SpanAttributes {
 public:
  explicit SpanAttributes(otlpwire::Span* span) : span_(span) {}

  // String attribute; nothing is added for an empty value.
  void String(absl::string_view key, absl::string_view value);
  void Bool(absl::string_view key, bool value);
  void Int(absl::string_view key, int64_t value);
  // Array-of-strings attribute; nothing is added for an empty list.
  void StringArray(absl::string_view key,
                   const google::protobuf::RepeatedPtrField<std::string>& values);
  // Adds a string attribute and returns its (empty) value for the caller to fill.
  std::string* NewString(absl::string_view key);
  // Removes the attribute added last.
  void DropLast();
  // The payload as JSON text; nothing is added when no payload kind is set.
  absl::Status Payload(absl::string_view key, const v1::Payload& payload);

 private:
  otlpwire::AnyValue* NewValue(absl::string_view key);

  otlpwire::Span* span_;
};

}  // namespace tracegate::translate
