// Fuzz target: the "authorization" metadata value, which every caller controls, through the
// Authenticator. Never a crash; only the configured key authenticates; error messages are
// fixed texts (they never echo the presented value).
#include <cstdint>
#include <memory>

#include "gateway/auth/authenticator.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* auth = [] {
    google::protobuf::RepeatedPtrField<tracegate::config::v1::ApiKey> keys;
    auto* k = keys.Add();
    k->set_name("fuzz");
    k->set_sha256(tracegate::auth::Sha256Hex("tg_fuzz_key"));
    k->add_workspaces("*");
    return tracegate::auth::Authenticator::Create(keys)->release();
  }();
  const absl::string_view value(reinterpret_cast<const char*>(data), size);
  auto principal = auth->Authenticate(value);
  if (principal.ok()) {
    TG_FUZZ_CHECK((*principal)->key_name == "fuzz", "the principal is the configured key's");
    TG_FUZZ_CHECK(value.find("tg_fuzz_key") != absl::string_view::npos,
                  "only the configured key authenticates");
    return 0;
  }
  TG_FUZZ_CHECK(principal.status().code() == absl::StatusCode::kUnauthenticated,
                "failures are UNAUTHENTICATED");
  static const absl::string_view kMessages[] = {
      "missing authorization header (expected \"Bearer <api key>\")",
      "missing API key after \"Bearer\"", "authorization scheme must be Bearer",
      "malformed API key", "unknown API key"};
  bool fixed = false;
  for (absl::string_view m : kMessages) fixed |= principal.status().message() == m;
  TG_FUZZ_CHECK(fixed, "the error message is a fixed text (never echoes the value)");
  return 0;
}
