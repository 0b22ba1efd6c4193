#include "gateway/translate/otlp_attributes.h"

#include "gateway/translate/payload_json.h"

namespace tracegate::translate {

otlpwire::AnyValue* SpanAttributes::NewValue(absl::string_view key) {
  otlpwire::KeyValue* kv = span_->add_attributes();
  kv->set_key(key.data(), key.size());
  return kv->mutable_value();
}

void SpanAttributes::String(absl::string_view key, absl::string_view value) {
  if (value.empty()) return;
  NewValue(key)->set_string_value(value.data(), value.size());
}

void SpanAttributes::Bool(absl::string_view key, bool value) {
  NewValue(key)->set_bool_value(value);
}

void SpanAttributes::Int(absl::string_view key, int64_t value) {
  NewValue(key)->set_int_value(value);
}

void SpanAttributes::StringArray(absl::string_view key,
                                 const google::protobuf::RepeatedPtrField<std::string>& values) {
  if (values.empty()) return;
  otlpwire::ArrayValue* array = NewValue(key)->mutable_array_value();
  for (const std::string& v : values) array->add_values()->set_string_value(v);
}

std::string* SpanAttributes::NewString(absl::string_view key) {
  return NewValue(key)->mutable_string_value();
}

void SpanAttributes::DropLast() { span_->mutable_attributes()->RemoveLast(); }

absl::Status SpanAttributes::Payload(absl::string_view key, const v1::Payload& payload) {
  if (!HasPayload(payload)) return absl::OkStatus();
  absl::Status status = AppendPayloadJson(payload, NewString(key));
  if (!status.ok()) DropLast();
  return status;
}

}  // namespace tracegate::translate
