#include "gateway/observability/log.h"

#include <unistd.h>

#include <atomic>
#include <regex>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace tracegate::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

bool ParseLevel(absl::string_view text, Level* level) {
  if (text == "debug") *level = Level::kDebug;
  else if (text == "info" || text.empty()) *level = Level::kInfo;
  else if (text == "warn" || text == "warning") *level = Level::kWarn;
  else if (text == "error") *level = Level::kError;
  else return false;
  return true;
}

std::string FormatLine(Level level, absl::string_view msg, std::initializer_list<Field> fields) {
  nlohmann::ordered_json line;
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = LevelName(level);
  line["msg"] = std::string(msg);
  for (const auto& [k, v] : fields) line[std::string(k)] = std::string(v);
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(Level level, absl::string_view msg, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string text = FormatLine(level, msg, fields);
  text.push_back('\n');
  // One write() per line keeps lines whole across threads.
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string RedactSecrets(absl::string_view text) {
  static const std::regex kPatterns(
      R"((Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+|[ps]k-lf-[A-Za-z0-9-]+|tg_[A-Za-z0-9_-]+)",
      std::regex::icase);
  return std::regex_replace(std::string(text), kPatterns, "[REDACTED]");
}

}  // namespace tracegate::log
