// JSON-lines logging to stderr: one object per line, {"ts","level","msg",...fields}.
//
// Thread-safe (one write() per line). Callers pass only safe values: key names, routes,
// workspaces, event ids, counts, error texts that were built without secrets. There is no
// API that takes a header or a key; `RedactSecrets()` exists for text of unknown origin.
//
//   log::Info("export failed", {{"route", route}, {"event_id", id}, {"status", "400"}});
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace tracegate::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using Field = std::pair<absl::string_view, absl::string_view>;

void SetLevel(Level level);
// Parses "debug" | "info" | "warn" | "error"; false when unknown.
bool ParseLevel(absl::string_view text, Level* level);
bool Enabled(Level level);

void Write(Level level, absl::string_view msg, std::initializer_list<Field> fields = {});
inline void Debug(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

// Replaces anything that looks like a credential (Basic/Bearer values, Langfuse keys
// "pk-lf-…"/"sk-lf-…", Tracegate keys "tg_…") with "[REDACTED]".
std::string RedactSecrets(absl::string_view text);

// Renders one log line (without the newline); exposed for tests.
std::string FormatLine(Level level, absl::string_view msg, std::initializer_list<Field> fields);

}  // namespace tracegate::log
