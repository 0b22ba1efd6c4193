#include "gateway/config/loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gateway/config/defaults.h"
#include "gateway/config/schema_check.h"
#include "gateway/config/security_config.h"
#include "gateway/config/validate_config.h"
#include "gateway/config/yaml_json.h"
#include "google/protobuf/util/json_util.h"

namespace tracegate::config {
namespace {

constexpr size_t kMaxFileBytes = 16u << 20;

absl::Status WithSource(absl::string_view source, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(source, ": ", status.message()));
}

struct Parsed {
  v1::Config config;
  YamlFacts facts;
};

absl::StatusOr<Parsed> Parse(absl::string_view yaml, const EnvLookup& env,
                             absl::string_view source) {
  Parsed parsed;
  absl::StatusOr<nlohmann::json> json = YamlToJson(yaml, env, &parsed.facts);
  if (!json.ok()) return WithSource(source, json.status());
  absl::Status s = CheckAgainstSchema(*v1::Config::descriptor(), "", &*json);
  if (!s.ok()) return WithSource(source, s);
  const std::string text = json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(text, &parsed.config, options).ok()) {
    // The schema check above catches what this parser rejects; its own messages may quote
    // values, so they are not passed on.
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": does not match the configuration schema"));
  }
  ApplyDefaults(&parsed.config);
  s = ValidateConfig(parsed.config);
  if (!s.ok()) return WithSource(source, s);
  return parsed;
}

absl::Status ReadError(const std::string& path, int err) {
  const std::string message = absl::StrCat(path, ": cannot read: ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
      return absl::PermissionDeniedError(message);
    default:
      return absl::FailedPreconditionError(message);
  }
}

bool WorldReadable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
}

}  // namespace

absl::StatusOr<v1::Config> ParseConfigYaml(absl::string_view yaml, const EnvLookup& env,
                                           absl::string_view source_name) {
  absl::StatusOr<Parsed> parsed = Parse(yaml, env, source_name);
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->config);
}

absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ReadError(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": larger than 16 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ReadError(path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ReadError(path, errno);

  absl::StatusOr<Parsed> parsed = Parse(text.str(), env, path);
  if (!parsed.ok()) return parsed.status();
  LoadedConfig loaded;
  loaded.config = std::move(parsed->config);
  if (parsed->facts.has_literal_secret && (st.st_mode & S_IROTH) != 0) {
    loaded.warnings.push_back(
        absl::StrCat(path,
                     ": holds a Langfuse secret_key (or another secret: privacy hmac_secret, a "
                     "Redis password) and is readable by every user; run `chmod o-r` on it or "
                     "take the value from ${ENV} or a *_file"));
  }
  // Other files holding secrets or private keys (security_config.cc lists them).
  for (const auto& [key_path, file] : SecretFiles(loaded.config)) {
    if (WorldReadable(file)) {
      loaded.warnings.push_back(absl::StrCat(
          key_path, ": the file is readable by every user; run `chmod o-r` on it"));
    }
  }
  for (int i = 0; i < loaded.config.routes_size(); ++i) {
    const std::string& file = loaded.config.routes(i).langfuse().secret_key_file();
    if (!file.empty() && loaded.config.routes(i).langfuse().secret_key().empty() &&
        WorldReadable(file)) {
      loaded.warnings.push_back(absl::StrCat("routes[", i,
                                             "].langfuse.secret_key_file: the file is "
                                             "readable by every user; run `chmod o-r` on it"));
    }
  }
  return loaded;
}

}  // namespace tracegate::config
