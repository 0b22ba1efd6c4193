#include "gateway/config/schema_check.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tracegate::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

absl::Status Error(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "<root>" : path, ": ", problem));
}

// Integer fields: a JSON integer, or a string holding one. Range-checked.
absl::Status CheckInteger(const FieldDescriptor& field, const std::string& path, json* value) {
  int64_t min = 0;
  uint64_t max = 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      min = std::numeric_limits<int32_t>::min(), max = std::numeric_limits<int32_t>::max();
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      min = 0, max = std::numeric_limits<uint32_t>::max();
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      min = std::numeric_limits<int64_t>::min(), max = std::numeric_limits<int64_t>::max();
      break;
    default:
      min = 0, max = std::numeric_limits<uint64_t>::max();
      break;
  }
  const std::string range = absl::StrCat("must be an integer between ", min, " and ", max);
  int64_t i64 = 0;
  uint64_t u64 = 0;
  bool is_unsigned = false;
  if (value->is_number_unsigned()) {
    u64 = value->get<uint64_t>();
    is_unsigned = true;
  } else if (value->is_number_integer()) {
    i64 = value->get<int64_t>();
  } else if (value->is_string()) {
    const std::string& s = value->get_ref<const std::string&>();
    if (absl::SimpleAtoi(s, &i64)) {
    } else if (absl::SimpleAtoi(s, &u64)) {
      is_unsigned = true;
    } else {
      return Error(path, range);
    }
  } else {
    return Error(path, range);
  }
  if (is_unsigned) {
    if (u64 > max) return Error(path, range);
    *value = u64;
  } else {
    if (i64 < min || (i64 > 0 && static_cast<uint64_t>(i64) > max)) return Error(path, range);
    *value = i64;
  }
  return absl::OkStatus();
}

absl::Status CheckScalar(const FieldDescriptor& field, const std::string& path, json* value) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (value->is_string()) return absl::OkStatus();
      if (value->is_structured()) return Error(path, "must be a string");
      return Error(path, "must be a string (quote the value)");
    case FieldDescriptor::CPPTYPE_BOOL:
      if (value->is_boolean()) return absl::OkStatus();
      if (value->is_string() && (*value == "true" || *value == "false")) {
        *value = (*value == "true");
        return absl::OkStatus();
      }
      return Error(path, "must be true or false");
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double d = 0;
      if (value->is_number()) {
        d = value->get<double>();
      } else if (!value->is_string() ||
                 !absl::SimpleAtod(value->get_ref<const std::string&>(), &d)) {
        return Error(path, "must be a number");
      }
      if (!std::isfinite(d)) return Error(path, "must be a finite number");
      *value = d;
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (value->is_string() &&
          field.enum_type()->FindValueByName(value->get_ref<const std::string&>()) != nullptr) {
        return absl::OkStatus();
      }
      std::vector<std::string> names;
      for (int i = 0; i < field.enum_type()->value_count(); ++i) {
        names.push_back(field.enum_type()->value(i)->name());
      }
      return Error(path, absl::StrCat("must be one of ", absl::StrJoin(names, ", ")));
    }
    default:
      return CheckInteger(field, path, value);
  }
}

absl::Status CheckValue(const FieldDescriptor& field, const std::string& path, json* value) {
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return CheckAgainstSchema(*field.message_type(), path, value);
  }
  return CheckScalar(field, path, value);
}

absl::Status CheckRepeated(const FieldDescriptor& field, const std::string& path, json* value) {
  if (!value->is_array()) return Error(path, "must be a list");
  for (size_t i = 0; i < value->size(); ++i) {
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    json& item = (*value)[i];
    if (item.is_null()) return Error(item_path, "must not be empty");
    absl::Status s = CheckValue(field, item_path, &item);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckMap(const FieldDescriptor& field, const std::string& path, json* value) {
  if (!value->is_object()) return Error(path, "must be a mapping");
  const FieldDescriptor& value_field = *field.message_type()->map_value();
  for (auto& item : value->items()) {
    const std::string item_path = absl::StrCat(path, ".", item.key());
    if (item.value().is_null()) return Error(item_path, "must not be empty");
    absl::Status s = CheckValue(value_field, item_path, &item.value());
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckAgainstSchema(const Descriptor& descriptor, const std::string& path,
                                json* value) {
  if (value->is_null()) {
    *value = json::object();
    return absl::OkStatus();
  }
  if (!value->is_object()) return Error(path, "must be a mapping of keys to values");
  std::vector<std::string> nulls;
  for (auto& item : value->items()) {
    const std::string& key = item.key();
    const std::string child_path = path.empty() ? key : absl::StrCat(path, ".", key);
    const FieldDescriptor* field = descriptor.FindFieldByName(key);
    if (field == nullptr) return Error(child_path, "unknown key");
    if (item.value().is_null()) {
      nulls.push_back(key);
      continue;
    }
    absl::Status s;
    if (field->is_map()) {
      s = CheckMap(*field, child_path, &item.value());
    } else if (field->is_repeated()) {
      s = CheckRepeated(*field, child_path, &item.value());
    } else {
      s = CheckValue(*field, child_path, &item.value());
    }
    if (!s.ok()) return s;
  }
  for (const std::string& key : nulls) value->erase(key);
  return absl::OkStatus();
}

}  // namespace tracegate::config
