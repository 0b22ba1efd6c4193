// What a reload changes, for its report (POST /admin/reload's answer and the log).
//
// DescribeChanges(): the hot-reloaded sections that differ, e.g. "api_keys: added \"ci\"",
// "api_keys: removed \"old\"", "api_keys: \"svc\" changed" (new digest or workspaces),
// "limits: changed", "rate_limits: changed", "logging.level: changed",
// "security.admin_key_sha256: changed", "privacy: changed", "route \"a\": privacy changed".
// Other route changes are reported by ExporterSet::Commit.
// RestartOnlyChanges(): "<key path>: changed; takes effect after a restart" for every other
// changed setting (listen addresses, TLS files, connection settings, threads, dedupe, queue,
// and any section not in kHotReloadedSections). Never quotes values, only key paths and key
// labels. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "tracegate/config/v1/config.pb.h"

namespace tracegate::server {

// Top-level config sections that a reload applies without a restart (privacy: the pipeline
// of each snapshot builds its own policies).
inline constexpr const char* kHotReloadedSections[] = {
    "api_keys", "routes", "limits", "rate_limits", "export", "logging", "privacy"};

std::vector<std::string> DescribeChanges(const tracegate::config::v1::Config& old,
                                         const tracegate::config::v1::Config& next);

std::vector<std::string> RestartOnlyChanges(const tracegate::config::v1::Config& old,
                                            const tracegate::config::v1::Config& next);

}  // namespace tracegate::server
