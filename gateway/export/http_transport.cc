#include "gateway/export/http_transport.h"

#include "absl/strings/match.h"

namespace tracegate::exporter {

const std::string* FindHeader(const HttpHeaders& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(absl::string_view(key.data(), key.size()), name)) return &value;
  }
  return nullptr;
}

std::string RedactUrl(absl::string_view url) {
  size_t scheme = url.find("://");
  size_t authority = scheme == absl::string_view::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", authority);
  if (end == absl::string_view::npos) end = url.size();
  size_t at = url.substr(0, end).rfind('@');
  if (at == absl::string_view::npos || at < authority) return std::string(url);
  return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1));
}

}  // namespace tracegate::exporter
