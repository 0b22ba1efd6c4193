#include "gateway/export/ingestion_response.h"

#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace tracegate::exporter {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 64;

// True when `text` nests arrays/objects deeper than `max_depth` (checked before parsing so a
// hostile body cannot exhaust the stack anywhere).
bool TooDeep(absl::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Truncate(std::string text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  size_t cut = max_chars;
  // Do not cut inside a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "…";
}

// Reads an integer status; `fallback` when absent or not an integer in int range.
int StatusOf(const Json& entry, int fallback) {
  auto it = entry.find("status");
  if (it == entry.end()) return fallback;
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    return v > 999 ? 999 : static_cast<int>(v);
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < 0) return fallback;
    return v > 999 ? 999 : static_cast<int>(v);
  }
  return fallback;
}

std::string MessageOf(const Json& entry) {
  std::string message;
  auto m = entry.find("message");
  if (m != entry.end() && !m->is_null())
    message = m->is_string() ? m->get<std::string>() : Dump(*m);
  auto e = entry.find("error");
  if (e != entry.end() && !e->is_null()) {
    std::string error = e->is_string() ? e->get<std::string>() : Dump(*e);
    if (error != message) message = message.empty() ? error : absl::StrCat(message, ": ", error);
  }
  return Truncate(std::move(message), 1000);
}

absl::Status ReadList(const Json& root, const char* key, int default_status, bool with_message,
                      std::vector<IngestionEventResult>* out) {
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ingestion response: \"", key, "\" is not an array"));
  }
  out->reserve(it->size());
  for (const Json& entry : *it) {
    if (!entry.is_object()) continue;
    auto id = entry.find("id");
    if (id == entry.end() || !id->is_string()) continue;
    IngestionEventResult result;
    result.id = id->get<std::string>();
    result.status = StatusOf(entry, default_status);
    if (with_message) result.message = MessageOf(entry);
    out->push_back(std::move(result));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<IngestionResponse> ParseIngestionResponse(absl::string_view body) {
  if (TooDeep(body, kMaxDepth)) {
    return absl::InvalidArgumentError("ingestion response: nested too deeply");
  }
  Json root = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError("ingestion response: not JSON");
  if (!root.is_object()) {
    return absl::InvalidArgumentError("ingestion response: not a JSON object");
  }
  IngestionResponse response;
  absl::Status s = ReadList(root, "successes", 201, /*with_message=*/false, &response.successes);
  if (!s.ok()) return s;
  s = ReadList(root, "errors", 500, /*with_message=*/true, &response.errors);
  if (!s.ok()) return s;
  return response;
}

ExportOutcome PerEventOutcome(const IngestionEventResult& error) {
  if (error.status >= 500 || error.status < 100) return ExportOutcome::kRetryable;
  if (error.status >= 200 && error.status < 300) return ExportOutcome::kDelivered;
  return ExportOutcome::kPermanent;
}

std::string ServerMessage(absl::string_view body, size_t max_chars) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(body);
  if (trimmed.empty()) return "(empty body)";
  if (trimmed.size() <= (1 << 20) && !TooDeep(trimmed, kMaxDepth)) {
    Json root = Json::parse(trimmed.begin(), trimmed.end(), nullptr, false);
    if (!root.is_discarded() && root.is_object()) {
      std::string message = MessageOf(root);
      if (!message.empty()) return Truncate(std::move(message), max_chars);
    }
  }
  return Truncate(std::string(trimmed), max_chars);
}

}  // namespace tracegate::exporter
