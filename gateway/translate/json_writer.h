// A minimal JSON text writer for the translate stage: appends to a caller-owned
// std::string (so per-event buffers are reused) and never throws.
//
//   std::string out;
//   JsonObjectWriter obj(&out);
//   obj.String("name", "chat");
//   obj.Key("usage"); AppendJsonInt(12, &out);
//   obj.Close();                                  // {"name":"chat","usage":12}
//
// Strings: quotes, backslashes and control characters are escaped; other bytes are
// copied as UTF-8, and invalid UTF-8 sequences become U+FFFD so the output is always
// valid JSON. Numbers: non-finite values are written as null; integral values with
// magnitude below 2^53 are written without a fraction; others in shortest round-trip form.
// Not thread-safe per writer (each writer belongs to one caller); functions are pure.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tracegate::translate {

void AppendJsonString(absl::string_view s, std::string* out);
void AppendJsonNumber(double v, std::string* out);
void AppendJsonInt(int64_t v, std::string* out);
inline void AppendJsonBool(bool v, std::string* out) { out->append(v ? "true" : "false"); }

// Writes one JSON object member by member; the opening brace is written on
// construction, Close() writes the closing one (and must be called exactly once).
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  // Writes the separator and `"key":`; the caller then appends the value to out().
  void Key(absl::string_view key);
  void String(absl::string_view key, absl::string_view value) {
    Key(key);
    AppendJsonString(value, out_);
  }
  // Writes the member only when `value` is not empty.
  void StringIfNotEmpty(absl::string_view key, absl::string_view value) {
    if (!value.empty()) String(key, value);
  }
  void Int(absl::string_view key, int64_t value) {
    Key(key);
    AppendJsonInt(value, out_);
  }
  void Number(absl::string_view key, double value) {
    Key(key);
    AppendJsonNumber(value, out_);
  }
  void Bool(absl::string_view key, bool value) {
    Key(key);
    AppendJsonBool(value, out_);
  }
  // Appends `json` (already valid JSON text) as the member's value.
  void Raw(absl::string_view key, absl::string_view json) {
    Key(key);
    out_->append(json.data(), json.size());
  }
  void Close() { out_->push_back('}'); }

  bool empty() const { return members_ == 0; }
  std::string* out() { return out_; }

 private:
  std::string* out_;
  int members_ = 0;
};

}  // namespace tracegate::translate
