// Structured-data rules: Payload, JSON text, Struct/Value nesting and numbers,
// model_parameters shape (see validator.h).
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/validate/rules.h"
#include "nlohmann/json.hpp"

namespace tracegate::validate::internal {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kNotFinite[] = "not a finite number";
constexpr char kNotSet[] = "value not set";
constexpr char kInvalidJson[] = "invalid JSON";

std::string TooDeep(int max_depth) {
  return absl::StrCat("nested deeper than ", max_depth, " levels");
}

// Problem text, or nullptr when fine. A failure appends the path segments below the
// failing point to `segments` in reverse order (allocation only on failure).
struct Problem {
  const char* text = nullptr;
  bool too_deep = false;
  explicit operator bool() const { return text != nullptr || too_deep; }
};

Problem CheckValueTree(const Value& value, int depth, int max_depth,
                       std::vector<std::string>* segments);

Problem CheckStructTree(const Struct& s, int depth, int max_depth,
                        std::vector<std::string>* segments) {
  if (depth > max_depth) return {nullptr, true};
  for (const auto& [key, value] : s.fields()) {
    Problem p = CheckValueTree(value, depth, max_depth, segments);
    if (p) {
      segments->push_back(absl::StrCat(".", key));
      return p;
    }
  }
  return {};
}

// `depth`: nesting level of the container that holds `value` (0 at the top).
Problem CheckValueTree(const Value& value, int depth, int max_depth,
                       std::vector<std::string>* segments) {
  switch (value.kind_case()) {
    case Value::kNumberValue:
      if (!std::isfinite(value.number_value())) return {kNotFinite, false};
      return {};
    case Value::kStructValue:
      return CheckStructTree(value.struct_value(), depth + 1, max_depth, segments);
    case Value::kListValue: {
      if (depth + 1 > max_depth) return {nullptr, true};
      const auto& items = value.list_value().values();
      for (int i = 0; i < items.size(); ++i) {
        Problem p = CheckValueTree(items.Get(i), depth + 1, max_depth, segments);
        if (p) {
          segments->push_back(absl::StrCat("[", i, "]"));
          return p;
        }
      }
      return {};
    }
    case Value::KIND_NOT_SET:
      return {kNotSet, false};
    default:
      return {};
  }
}

absl::Status TreeFailure(const Context& ctx, const Problem& p,
                         const std::vector<std::string>& segments, absl::string_view path) {
  std::string full(path);
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) full += *it;
  return Fail(full, "", p.too_deep ? TooDeep(ctx.options.max_json_depth) : p.text);
}

// Validates JSON text without building a document; tracks nesting and numbers.
class JsonChecker {
 public:
  using json = nlohmann::json;
  explicit JsonChecker(int max_depth) : max_depth_(max_depth) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t value, const json::string_t&) {
    if (std::isfinite(value)) return true;
    problem_ = "number out of range";
    return false;
  }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return Enter(); }
  bool key(json::string_t&) { return true; }
  bool end_object() { return Leave(); }
  bool start_array(std::size_t) { return Enter(); }
  bool end_array() { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    constexpr int kNumberOverflow = 406;  // nlohmann's out_of_range id for 1e400 etc.
    if (problem_ == nullptr && !too_deep_) {
      problem_ = e.id == kNumberOverflow ? "number out of range" : kInvalidJson;
    }
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const char* problem() const { return problem_; }

 private:
  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  const int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  const char* problem_ = nullptr;
};

bool IsParamValue(const Value& v) {
  switch (v.kind_case()) {
    case Value::kNullValue:
    case Value::kStringValue:
    case Value::kBoolValue:
      return true;
    case Value::kNumberValue:
      return std::isfinite(v.number_value());
    case Value::kListValue:
      for (const Value& item : v.list_value().values()) {
        if (item.kind_case() != Value::kStringValue) return false;
      }
      return true;
    case Value::kStructValue:
      for (const auto& [key, item] : v.struct_value().fields()) {
        if (item.kind_case() != Value::kStringValue) return false;
      }
      return true;
    default:
      return false;
  }
}

Problem JsonTextProblem(const std::string& text, int max_depth) {
  JsonChecker checker(max_depth);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(text, &checker);
  } catch (...) {
    ok = false;
  }
  if (ok) return {};
  if (checker.too_deep()) return {nullptr, true};
  return {checker.problem() != nullptr ? checker.problem() : kInvalidJson, false};
}

std::string Join(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

}  // namespace

absl::Status CheckStruct(const Context& ctx, const Struct& value, absl::string_view prefix,
                         absl::string_view field) {
  std::vector<std::string> segments;
  Problem p = CheckStructTree(value, 1, ctx.options.max_json_depth, &segments);
  if (!p) return absl::OkStatus();
  return TreeFailure(ctx, p, segments, Join(prefix, field));
}

absl::Status CheckPayload(const Context& ctx, const v1::Payload& payload, absl::string_view prefix,
                          absl::string_view field) {
  switch (payload.kind_case()) {
    case v1::Payload::kJson: {
      Problem p = JsonTextProblem(payload.json(), ctx.options.max_json_depth);
      if (!p) return absl::OkStatus();
      return TreeFailure(ctx, p, {}, absl::StrCat(Join(prefix, field), ".json"));
    }
    case v1::Payload::kValue: {
      std::vector<std::string> segments;
      Problem p = CheckValueTree(payload.value(), 0, ctx.options.max_json_depth, &segments);
      if (!p) return absl::OkStatus();
      return TreeFailure(ctx, p, segments, absl::StrCat(Join(prefix, field), ".value"));
    }
    case v1::Payload::kMessages: {
      const auto& messages = payload.messages().messages();
      for (int i = 0; i < messages.size(); ++i) {
        if (messages.Get(i).role().empty()) {
          return Fail(absl::StrCat(Join(prefix, field), ".messages[", i, "]"), "role", "required");
        }
      }
      return absl::OkStatus();
    }
    case v1::Payload::kDocuments: {
      const auto& documents = payload.documents().documents();
      for (int i = 0; i < documents.size(); ++i) {
        if (!documents.Get(i).has_metadata()) continue;
        std::vector<std::string> segments;
        Problem p =
            CheckStructTree(documents.Get(i).metadata(), 1, ctx.options.max_json_depth, &segments);
        if (p) {
          return TreeFailure(ctx, p, segments,
                             absl::StrCat(Join(prefix, field), ".documents[", i, "].metadata"));
        }
      }
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status CheckModelParameters(const Context& ctx, const Struct& params,
                                  absl::string_view prefix) {
  for (const auto& [key, value] : params.fields()) {
    if (!IsParamValue(value)) {
      return Fail(prefix, absl::StrCat("model_parameters.", key),
                  "must be a string, number, bool, list of strings or object of strings");
    }
  }
  return absl::OkStatus();
}

}  // namespace tracegate::validate::internal
