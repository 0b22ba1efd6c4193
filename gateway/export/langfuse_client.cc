#include "gateway/export/langfuse_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/export/gzip.h"
#include "gateway/export/ingestion_response.h"
#include "nlohmann/json.hpp"

namespace tracegate::exporter {

std::string BasicAuthorization(absl::string_view public_key, absl::string_view secret_key) {
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(public_key, ":", secret_key)));
}

LangfuseClient::LangfuseClient(LangfuseClientOptions options)
    : options_(std::move(options)),
      authorization_(BasicAuthorization(options_.target->public_key, options_.target->secret_key)) {
}

HttpHeaders LangfuseClient::CommonHeaders() const {
  return {
      {"Authorization", authorization_},
      {"x-langfuse-sdk-name", kSdkName},
      {"x-langfuse-sdk-version", options_.sdk_version},
  };
}

absl::StatusOr<HttpRequest> LangfuseClient::OtlpRequest(absl::string_view otlp_proto) const {
  absl::StatusOr<std::string> body = Gzip(otlp_proto, options_.gzip_level);
  if (!body.ok()) return body.status();
  HttpRequest request;
  request.url = absl::StrCat(options_.target->base_url, kOtlpPath);
  request.headers = CommonHeaders();
  request.headers.emplace_back("Content-Type", "application/x-protobuf");
  request.headers.emplace_back("Content-Encoding", "gzip");
  request.headers.emplace_back("x-langfuse-ingestion-version", "4");
  request.body = *std::move(body);
  request.timeout = options_.target->timeout;
  return request;
}

HttpRequest LangfuseClient::IngestionRequest(const std::vector<std::string>& events) const {
  std::vector<const std::string*> pointers;
  pointers.reserve(events.size());
  for (const std::string& e : events) pointers.push_back(&e);
  return IngestionRequest(pointers);
}

HttpRequest LangfuseClient::IngestionRequest(const std::vector<const std::string*>& events) const {
  HttpRequest request;
  request.url = absl::StrCat(options_.target->base_url, kIngestionPath);
  request.headers = CommonHeaders();
  request.headers.emplace_back("Content-Type", "application/json");
  size_t size = IngestionOverhead(events.size());
  for (const std::string* e : events) size += e->size();
  request.body.reserve(size);
  request.body.append("{\"batch\":[");
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) request.body.push_back(',');
    request.body.append(*events[i]);
  }
  request.body.append("]}");
  request.timeout = options_.target->timeout;
  return request;
}

absl::StatusOr<std::pair<int, int>> ParseLangfuseVersion(absl::string_view version) {
  absl::string_view v = absl::StripAsciiWhitespace(version);
  if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  std::vector<absl::string_view> parts = absl::StrSplit(v, absl::MaxSplits('.', 2));
  int major = 0;
  int minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major) ||
      !absl::SimpleAtoi(parts[1], &minor) || major < 0 || minor < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unreadable Langfuse version \"", absl::CEscape(v.substr(0, 40)), "\""));
  }
  return std::make_pair(major, minor);
}

absl::StatusOr<core::Egress> ResolveEgress(HttpTransport& transport,
                                           const core::RouteTarget& target) {
  HttpRequest request;
  request.url = absl::StrCat(target.base_url, kHealthPath);
  request.headers = {{"Accept", "application/json"}};
  request.timeout = target.timeout;
  absl::StatusOr<HttpResponse> response = transport.Get(request);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", kHealthPath, ": HTTP ", response->status,
                                               ": ", ServerMessage(response->body, 200)));
  }
  using Json = nlohmann::json;
  Json root = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("GET ", kHealthPath, ": body is not JSON"));
  }
  auto it = root.find("version");
  if (it == root.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("GET ", kHealthPath, ": no version"));
  }
  absl::StatusOr<std::pair<int, int>> version = ParseLangfuseVersion(it->get<std::string>());
  if (!version.ok()) return version.status();
  bool otlp = version->first > 3 || (version->first == 3 && version->second >= 22);
  return otlp ? core::Egress::kOtlp : core::Egress::kLegacy;
}

}  // namespace tracegate::exporter
