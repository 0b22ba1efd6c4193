#include "gateway/config/env.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tracegate::config {
namespace {

bool IsVariableName(absl::string_view name) {
  if (name.empty()) return false;
  if (!absl::ascii_isalpha(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<ExpandedValue> ExpandEnv(absl::string_view raw, const EnvLookup& env,
                                        absl::string_view key_path) {
  ExpandedValue out;
  out.value.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '$' && raw.substr(i, 3) == "$${") {
      out.value.append("${");
      out.has_literal_text = true;
      i += 3;
      continue;
    }
    if (c != '$' || raw.substr(i, 2) != "${") {
      out.value.push_back(c);
      out.has_literal_text = true;
      ++i;
      continue;
    }
    const size_t close = raw.find('}', i + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(key_path, ": unterminated ${ (write $${ for a literal ${)"));
    }
    const absl::string_view inner = raw.substr(i + 2, close - i - 2);
    const size_t sep = inner.find(":-");
    const absl::string_view name = inner.substr(0, sep);
    if (!IsVariableName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          key_path, ": invalid variable reference (expected ${NAME} or ${NAME:-default})"));
    }
    const std::optional<std::string> value = env(std::string(name));
    if (sep != absl::string_view::npos) {
      if (value.has_value() && !value->empty()) {
        out.value.append(*value);
      } else {
        const absl::string_view fallback = inner.substr(sep + 2);
        out.value.append(fallback.data(), fallback.size());
        if (!fallback.empty()) out.has_literal_text = true;
      }
    } else if (value.has_value()) {
      out.value.append(*value);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(key_path, ": environment variable ", name, " is not set"));
    }
    i = close + 1;
  }
  return out;
}

}  // namespace tracegate::config
