// Fuzz target: the YAML config loader (YAML → JSON with ${ENV} expansion → schema check →
// protobuf → defaults → validation). Any bytes give a Config or an INVALID_ARGUMENT, never a
// crash or a hang; an accepted config passes ValidateConfig again, and a secret that came
// from ${ENV} never shows up in an error message.
#include <cstdint>
#include <optional>
#include <string>

#include "gateway/config/loader.h"
#include "gateway/config/validate_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char kSecret[] = "sk-lf-fuzz-secret-value-0123456789";
  const tracegate::config::EnvLookup env =
      [](const std::string& name) -> std::optional<std::string> {
    if (name == "LANGFUSE_SECRET_KEY") return std::string(kSecret);
    if (name == "N") return std::string("5");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
  };
  const absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto config = tracegate::config::ParseConfigYaml(yaml, env, "fuzz.yaml");
  if (!config.ok()) {
    TG_FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument,
                  "the loader fails only with INVALID_ARGUMENT");
    // Key paths are quoted, so a secret typed into the file as a key may come back; one that
    // only came from ${LANGFUSE_SECRET_KEY} must not.
    TG_FUZZ_CHECK(yaml.find(kSecret) != absl::string_view::npos ||
                      std::string(config.status().message()).find(kSecret) == std::string::npos,
                  "an error message quotes the secret from the environment");
    return 0;
  }
  TG_FUZZ_CHECK(tracegate::config::ValidateConfig(*config).ok(),
                "an accepted config validates again");
  return 0;
}
