#include "gateway/validate/rules.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tracegate::validate::internal {
namespace {

constexpr int64_t kMaxNanos = 999'999'999;

// C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F).
bool HasControl(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      const unsigned char next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

absl::Status CheckLength(const std::string& value, size_t max_chars, absl::string_view prefix,
                         absl::string_view field) {
  if (value.size() > max_chars && CountChars(value) > max_chars) {
    return Fail(prefix, field, absl::StrCat("longer than ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace

size_t CountChars(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

absl::Status Fail(absl::string_view prefix, absl::string_view field, absl::string_view problem) {
  if (prefix.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
  if (field.empty()) return absl::InvalidArgumentError(absl::StrCat(prefix, ": ", problem));
  return absl::InvalidArgumentError(absl::StrCat(prefix, ".", field, ": ", problem));
}

absl::Status CheckId(const Context& ctx, const std::string& value, absl::string_view prefix,
                     absl::string_view field, bool required) {
  if (value.empty()) return required ? Fail(prefix, field, "required") : absl::OkStatus();
  absl::Status s = CheckLength(value, ctx.options.max_id_chars, prefix, field);
  if (!s.ok()) return s;
  if (HasControl(value)) return Fail(prefix, field, "contains control characters");
  return absl::OkStatus();
}

absl::Status CheckName(const Context& ctx, const std::string& value, absl::string_view prefix,
                       absl::string_view field, bool required) {
  if (value.empty()) return required ? Fail(prefix, field, "required") : absl::OkStatus();
  return CheckLength(value, ctx.options.max_name_chars, prefix, field);
}

absl::Status CheckEnvironment(const std::string& value, absl::string_view prefix) {
  if (value.empty()) return absl::OkStatus();
  bool ok = value.size() <= 40 && !absl::StartsWith(value, "langfuse");
  for (char c : value) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return Fail(prefix, "environment", "must match [a-z0-9_-]{1,40} and not start with \"langfuse\"");
}

absl::Status CheckTags(const Context& ctx,
                       const google::protobuf::RepeatedPtrField<std::string>& tags,
                       absl::string_view prefix) {
  if (static_cast<size_t>(tags.size()) > ctx.options.max_tags) {
    return Fail(prefix, "tags", absl::StrCat("more than ", ctx.options.max_tags, " tags"));
  }
  for (int i = 0; i < tags.size(); ++i) {
    const std::string& tag = tags.Get(i);
    if (tag.empty()) return Fail(prefix, absl::StrCat("tags[", i, "]"), "empty");
    if (tag.size() > ctx.options.max_tag_chars && CountChars(tag) > ctx.options.max_tag_chars) {
      return Fail(prefix, absl::StrCat("tags[", i, "]"),
                  absl::StrCat("longer than ", ctx.options.max_tag_chars, " characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(const Context& ctx, const google::protobuf::Timestamp& ts,
                            absl::string_view prefix, absl::string_view field) {
  if (ts.nanos() < 0 || ts.nanos() > kMaxNanos) return Fail(prefix, field, "nanos out of range");
  if (ts.seconds() < 0) return Fail(prefix, field, "before 1970-01-01");
  if (absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos()) > ctx.latest) {
    return Fail(prefix, field,
                absl::StrCat("more than ", absl::FormatDuration(ctx.options.max_future_skew),
                             " in the future"));
  }
  return absl::OkStatus();
}

int CompareTimestamps(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  if (a.seconds() != b.seconds()) return a.seconds() < b.seconds() ? -1 : 1;
  if (a.nanos() != b.nanos()) return a.nanos() < b.nanos() ? -1 : 1;
  return 0;
}

}  // namespace tracegate::validate::internal
