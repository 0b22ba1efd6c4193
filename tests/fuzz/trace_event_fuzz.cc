// Fuzz target: a TraceEvent from untrusted bytes → Validator → both translations (OTLP span
// and legacy ingestion JSON). Invariants: validation never crashes; an event that passes
// validation always translates (OTLP for traces and observations, legacy for every type),
// the legacy JSON parses, and an OTLP span can be serialized.
#include <cstdint>

#include "gateway/translate/legacy_translator.h"
#include "gateway/translate/otlp_encoder.h"
#include "gateway/validate/validator.h"
#include "nlohmann/json.hpp"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tracegate::v1::TraceEvent event;
  if (!event.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const tracegate::validate::Validator validator{tracegate::validate::ValidateOptions{}};
  // As the pipeline does before validation: workspace and receive time when absent.
  if (event.workspace().empty()) event.set_workspace("fuzz");
  if (!event.has_timestamp()) {
    event.mutable_timestamp()->set_seconds(absl::ToUnixSeconds(tracegate::fuzz::kNow));
  }
  if (!validator.Validate(event, tracegate::fuzz::kNow).ok()) return 0;

  tracegate::translate::OtlpBatchEncoder encoder(
      tracegate::translate::OtlpOptions{.default_environment = "fuzz", .workspace = "fuzz"});
  const absl::Status otlp = encoder.Add(event);
  if (!tracegate::translate::IsScore(event)) {
    if (!otlp.ok()) std::fprintf(stderr, "%s\n", otlp.ToString().c_str());
    TG_FUZZ_CHECK(otlp.ok(), "a valid trace/observation translates to OTLP");
    TG_FUZZ_CHECK(!encoder.Serialize().empty(), "the OTLP request serializes");
  }
  for (bool otlp_ids : {false, true}) {
    tracegate::translate::LegacyOptions options;
    options.otlp_ids = otlp_ids;
    auto legacy = tracegate::translate::ToIngestionEvent(event, options);
    if (!legacy.ok()) std::fprintf(stderr, "%s\n", legacy.status().ToString().c_str());
    TG_FUZZ_CHECK(legacy.ok(), "a valid event translates to legacy JSON");
    TG_FUZZ_CHECK(nlohmann::json::accept(*legacy), "the legacy event is valid JSON");
    if (tracegate::translate::HasTraceAttributes(event)) {
      auto attrs = tracegate::translate::ToTraceAttributesEvent(event, options);
      TG_FUZZ_CHECK(attrs.ok() && nlohmann::json::accept(*attrs),
                    "trace attributes translate to valid JSON");
    }
  }
  return 0;
}
