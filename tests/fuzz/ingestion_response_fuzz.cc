// Fuzz target: the Langfuse 207 response parser (gateway/export/ingestion_response.h) and
// ServerMessage() on any body. Never a crash; a bad body is INVALID_ARGUMENT; ServerMessage
// stays within its length bound.
#include <cstdint>

#include "gateway/export/ingestion_response.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = tracegate::exporter::ParseIngestionResponse(body);
  if (parsed.ok()) {
    for (const auto& e : parsed->errors) {
      (void)tracegate::exporter::PerEventOutcome(e);
    }
  } else {
    TG_FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
                  "a bad body is INVALID_ARGUMENT");
  }
  const std::string message = tracegate::exporter::ServerMessage(body, 100);
  // 100 characters, each at most 4 UTF-8 bytes, plus the ellipsis.
  TG_FUZZ_CHECK(message.size() <= 100 * 4 + 3, "ServerMessage is bounded");
  return 0;
}
