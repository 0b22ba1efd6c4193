#include "gateway/privacy/payload_rules.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "nlohmann/json.hpp"

namespace tracegate::privacy::internal {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using nlohmann::json;

bool ValueTree(const Rules& rules, Value* value, bool sensitive);

bool StructTree(const Rules& rules, Struct* s) {
  bool changed = false;
  auto* fields = s->mutable_fields();
  for (auto it = fields->begin(); it != fields->end();) {
    const KeyClass k = rules.ClassifyKey(it->first);
    if (k == KeyClass::kDrop) {
      it = fields->erase(it);
      changed = true;
      continue;
    }
    changed |= ValueTree(rules, &it->second, k == KeyClass::kSensitive);
    ++it;
  }
  return changed;
}

// `sensitive`: the value sits under a sensitive key (hashed outside kFull).
bool ValueTree(const Rules& rules, Value* value, bool sensitive) {
  const bool hash_it = sensitive && rules.capture() != CaptureMode::kFull;
  switch (value->kind_case()) {
    case Value::kStringValue:
      if (hash_it) {
        if (value->string_value().empty()) return false;
        value->set_string_value(rules.Hash(value->string_value()));
        return true;
      }
      return rules.CaptureText(value->mutable_string_value());
    case Value::kNumberValue: {
      const std::string text = NumberText(value->number_value());
      if (hash_it) {
        value->set_string_value(rules.Hash(text));
        return true;
      }
      std::string replacement;
      if (!rules.NumberReplacement(text, /*free_text=*/false, &replacement)) return false;
      value->set_string_value(std::move(replacement));
      return true;
    }
    case Value::kStructValue:
      return StructTree(rules, value->mutable_struct_value());
    case Value::kListValue: {
      bool changed = false;
      for (Value& item : *value->mutable_list_value()->mutable_values()) {
        changed |= ValueTree(rules, &item, sensitive);
      }
      return changed;
    }
    default:
      return false;
  }
}

bool JsonTree(const Rules& rules, json* j, bool sensitive) {
  const bool hash_it = sensitive && rules.capture() != CaptureMode::kFull;
  switch (j->type()) {
    case json::value_t::string: {
      std::string& s = j->get_ref<std::string&>();
      if (hash_it) {
        if (s.empty()) return false;
        s = rules.Hash(s);
        return true;
      }
      return rules.CaptureText(&s);
    }
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: {
      const std::string text = j->is_number_float() ? NumberText(j->get<double>()) : j->dump();
      if (hash_it) {
        *j = rules.Hash(text);
        return true;
      }
      std::string replacement;
      if (!rules.NumberReplacement(text, /*free_text=*/false, &replacement)) return false;
      *j = std::move(replacement);
      return true;
    }
    case json::value_t::object: {
      bool changed = false;
      for (auto it = j->begin(); it != j->end();) {
        const KeyClass k = rules.ClassifyKey(it.key());
        if (k == KeyClass::kDrop) {
          it = j->erase(it);
          changed = true;
          continue;
        }
        changed |= JsonTree(rules, &it.value(), k == KeyClass::kSensitive);
        ++it;
      }
      return changed;
    }
    case json::value_t::array: {
      bool changed = false;
      for (json& item : *j) changed |= JsonTree(rules, &item, sensitive);
      return changed;
    }
    default:
      return false;
  }
}

// A JSON document held as text: transformed value by value; as text when it does not parse.
void JsonText(const Rules& rules, std::string* text) {
  if (text->empty()) return;
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    rules.CaptureText(text);
    return;
  }
  if (JsonTree(rules, &doc, false)) {
    *text = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

// Protobuf's mutable_x() allocates for an unset string field, so empty fields are skipped.
#define TG_CAPTURE_FIELD(rules, msg, field) \
  if (!(msg).field().empty()) (rules).CaptureText((msg).mutable_##field())

void ImageUrl(const Rules& rules, tracegate::v1::ContentPart* part) {
  const CaptureMode m = rules.capture();
  if (part->image_url().empty()) return;
  if ((m == CaptureMode::kMask || m == CaptureMode::kTruncate || m == CaptureMode::kFull) &&
      absl::StartsWith(part->image_url(), "data:")) {
    return;  // inline image bytes: no text to mask (hash/drop still apply)
  }
  rules.CaptureText(part->mutable_image_url());
}

void Messages(const Rules& rules, tracegate::v1::ChatMessages* messages) {
  for (tracegate::v1::ChatMessage& m : *messages->mutable_messages()) {
    TG_CAPTURE_FIELD(rules, m, content);
    for (tracegate::v1::ContentPart& part : *m.mutable_parts()) {
      TG_CAPTURE_FIELD(rules, part, text);
      ImageUrl(rules, &part);
    }
    for (tracegate::v1::ToolCall& call : *m.mutable_tool_calls()) {
      if (!call.arguments_json().empty()) JsonText(rules, call.mutable_arguments_json());
    }
  }
}

void Documents(const Rules& rules, tracegate::v1::Documents* documents) {
  for (tracegate::v1::Document& d : *documents->mutable_documents()) {
    TG_CAPTURE_FIELD(rules, d, page_content);
    if (d.has_metadata()) StructTree(rules, d.mutable_metadata());
  }
}

#undef TG_CAPTURE_FIELD

}  // namespace

void ApplyPayloadStruct(const Rules& rules, Struct* value) { StructTree(rules, value); }

void ApplyPayload(const Rules& rules, tracegate::v1::Payload* payload) {
  if (payload->kind_case() == tracegate::v1::Payload::KIND_NOT_SET) return;
  switch (payload->kind_case()) {
    case tracegate::v1::Payload::kText:
      if (!payload->text().empty()) rules.CaptureText(payload->mutable_text());
      break;
    case tracegate::v1::Payload::kJson:
      JsonText(rules, payload->mutable_json());
      break;
    case tracegate::v1::Payload::kValue:
      ValueTree(rules, payload->mutable_value(), false);
      break;
    case tracegate::v1::Payload::kMessages:
      Messages(rules, payload->mutable_messages());
      break;
    case tracegate::v1::Payload::kDocuments:
      Documents(rules, payload->mutable_documents());
      break;
    default:
      break;
  }
}

}  // namespace tracegate::privacy::internal
