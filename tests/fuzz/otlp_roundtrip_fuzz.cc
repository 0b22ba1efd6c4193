// Fuzz target: OTLP encoding round trip. Valid trace/observation events (from untrusted
// bytes) are encoded into one ExportTraceServiceRequest, gzip-compressed like an export,
// decompressed and parsed back: the bytes must parse (every string is valid UTF-8), hold one
// span per observation (a trace gives one root span), and re-serialize to the same bytes.
#include <cstdint>

#include "gateway/export/gzip.h"
#include "gateway/translate/legacy_translator.h"
#include "gateway/translate/otlp_encoder.h"
#include "gateway/validate/validator.h"
#include "tests/fuzz/fuzz_util.h"
#include "tracegate/v1/ingest_service.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The input is a serialized IngestRequest, so one run can hold several events.
  tracegate::v1::IngestRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const tracegate::validate::Validator validator{tracegate::validate::ValidateOptions{}};
  tracegate::translate::OtlpBatchEncoder encoder(tracegate::translate::OtlpOptions{
      .service_version = "0.1.0", .default_environment = "fuzz", .workspace = "w"});
  size_t added = 0;
  for (tracegate::v1::TraceEvent& event : *request.mutable_events()) {
    if (event.workspace().empty()) event.set_workspace("w");
    if (!event.has_timestamp()) {
      event.mutable_timestamp()->set_seconds(absl::ToUnixSeconds(tracegate::fuzz::kNow));
    }
    if (tracegate::translate::IsScore(event)) continue;
    if (!validator.Validate(event, tracegate::fuzz::kNow).ok()) continue;
    const absl::Status added_ok = encoder.Add(event);
    if (!added_ok.ok()) std::fprintf(stderr, "%s\n", added_ok.ToString().c_str());
    TG_FUZZ_CHECK(added_ok.ok(), "a valid event encodes");
    ++added;
  }
  if (added == 0) return 0;
  TG_FUZZ_CHECK(encoder.span_count() == added, "one span per trace or observation");
  const std::string body = encoder.Serialize();
  auto compressed = tracegate::exporter::Gzip(body, 1);
  TG_FUZZ_CHECK(compressed.ok(), "gzip compresses");
  auto restored = tracegate::exporter::Gunzip(*compressed);
  TG_FUZZ_CHECK(restored.ok() && *restored == body, "gzip round trip");
  tracegate::otlpwire::ExportTraceServiceRequest parsed;
  TG_FUZZ_CHECK(parsed.ParseFromString(*restored), "the OTLP bytes parse (valid UTF-8)");
  TG_FUZZ_CHECK(
      parsed.resource_spans_size() == 1 && parsed.resource_spans(0).scope_spans_size() == 1 &&
          static_cast<size_t>(parsed.resource_spans(0).scope_spans(0).spans_size()) == added,
      "the parsed request holds every span");
  TG_FUZZ_CHECK(parsed.SerializeAsString() == body, "re-serialization gives the same bytes");
  return 0;
}
