#include "gateway/privacy/metadata_rules.h"

#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace tracegate::privacy::internal {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

void Scalar(const Rules& rules, Value* value) {
  if (value->kind_case() == Value::kStringValue) {
    rules.FreeText(value->mutable_string_value());
  } else if (value->kind_case() == Value::kNumberValue) {
    std::string replacement;
    if (rules.NumberReplacement(NumberText(value->number_value()), /*free_text=*/true,
                                &replacement)) {
      value->set_string_value(std::move(replacement));
    }
  }
}

void Nested(const Rules& rules, Value* value);

void Fields(const Rules& rules, bool allow_structured, Struct* s) {
  auto* fields = s->mutable_fields();
  absl::InlinedVector<std::pair<std::string, std::string>, 4> hashed;
  for (auto it = fields->begin(); it != fields->end();) {
    Value& value = it->second;
    const bool nested =
        value.kind_case() == Value::kStructValue || value.kind_case() == Value::kListValue;
    const KeyClass k = rules.ClassifyKey(it->first);
    if (k == KeyClass::kDrop || (nested && (k == KeyClass::kSensitive || !allow_structured))) {
      it = fields->erase(it);
      continue;
    }
    if (k == KeyClass::kSensitive) {
      std::string text;
      switch (value.kind_case()) {
        case Value::kStringValue:
          text = value.string_value();
          break;
        case Value::kNumberValue:
          text = NumberText(value.number_value());
          break;
        case Value::kBoolValue:
          text = value.bool_value() ? "true" : "false";
          break;
        default:
          break;  // null: nothing to hash
      }
      if (!text.empty()) hashed.emplace_back(absl::StrCat(it->first, "_hash"), rules.Hash(text));
      it = fields->erase(it);
      continue;
    }
    if (nested) {
      Nested(rules, &value);
    } else {
      Scalar(rules, &value);
    }
    ++it;
  }
  for (auto& [key, hex] : hashed) (*fields)[key].set_string_value(std::move(hex));
}

void Nested(const Rules& rules, Value* value) {
  if (value->kind_case() == Value::kStructValue) {
    Fields(rules, /*allow_structured=*/true, value->mutable_struct_value());
  } else if (value->kind_case() == Value::kListValue) {
    for (Value& item : *value->mutable_list_value()->mutable_values()) Nested(rules, &item);
  } else {
    Scalar(rules, value);
  }
}

}  // namespace

void ApplyMetadata(const Rules& rules, bool allow_structured, Struct* metadata) {
  Fields(rules, allow_structured, metadata);
}

}  // namespace tracegate::privacy::internal
