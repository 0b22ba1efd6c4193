// Fuzz target: the YAML config loader (YAML → JSON with ${ENV} expansion → schema check →
// protobuf → defaults → validation). Any bytes give a Config or an INVALID_ARGUMENT, never a
// crash; an accepted config passes ValidateConfig again and its error messages quote no
// secret (the env lookup's secret never shows up in a message).
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
    TG_FUZZ_CHECK(std::string(config.status().message()).find(kSecret) == std::string::npos,
                  "an error message quotes the secret");
    return 0;
  }
  TG_FUZZ_CHECK(tracegate::config::ValidateConfig(*config).ok(),
                "an accepted config validates again");
  return 0;
}
