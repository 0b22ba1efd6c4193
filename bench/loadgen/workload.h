// Workload: builds the request batches the load generator sends, cheaply enough that the
// generator is not what a benchmark measures.
//
//   Workload w(WorkloadOptions{.batch_size = 100, .mix = {{EventKind::kSpan, 1}}});
//   std::string bytes = w.NextIngestRequest(/*batch_id=*/1);   // serialized IngestRequest
//
// Each event kind is a TraceEvent serialised once, at construction, with fixed-width
// placeholders for event_id, trace id and observation id; a batch copies the templates and
// writes fresh ids (UUID-shaped, from a counter) into them, so no protobuf work happens per
// batch. Event kinds: a small span (~400 bytes), a chat generation with ~4 KB of messages,
// and a numeric score. A `duplicate_ratio` share of events repeats the ids of an earlier
// event of the same workspace (the gateway must answer DUPLICATE). Batches rotate over
// `workspaces` workspaces ("bench-0", "bench-1", ...), sent as default_workspace.
//
// OtlpExportRequest() gives an OTLP ExportTraceServiceRequest carrying the same spans the
// gateway would export for one batch (through the gateway's own OTLP encoder); used to feed
// an OpenTelemetry Collector the same workload.
//
// Thread-safety: none; one Workload per sending thread (or guard it).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::bench {

enum class EventKind { kSpan, kGeneration, kScore };

struct WorkloadOptions {
  int batch_size = 100;
  // Relative weights of the event kinds.
  std::vector<std::pair<EventKind, int>> mix = {{EventKind::kSpan, 1}};
  double duplicate_ratio = 0.0;
  int workspaces = 1;
  // Distinguishes runs: ids embed it so two runs never collide in one gateway.
  uint64_t run_id = 0;
  absl::Time now = absl::Now();
};

// "span:90,generation:10,score:0" → weights. INVALID_ARGUMENT on unknown kinds.
absl::StatusOr<std::vector<std::pair<EventKind, int>>> ParseMix(const std::string& text);

class Workload {
 public:
  explicit Workload(WorkloadOptions options);

  // The next batch, as the bytes of a tracegate.v1.IngestRequest.
  std::string NextIngestRequest(uint64_t batch_id);
  // Same, written into `out` (resized) to let callers reuse or own the buffer.
  void NextIngestRequestInto(uint64_t batch_id, std::string* out);
  // Upper bound of the bytes of one request (for buffer sizing).
  size_t MaxRequestBytes() const;

  // The next batch as TraceEvents (parsed back; for tests and the OTLP form).
  std::vector<v1::TraceEvent> NextEvents(std::string* workspace);

  // An ExportTraceServiceRequest (bytes) with the spans of one batch of this workload.
  // Scores have no OTLP form and are left out. INTERNAL if the encoder fails.
  absl::StatusOr<std::string> OtlpExportRequest();

  // Bytes of one serialised event of each kind (for reports).
  size_t EventBytes(EventKind kind) const;

 private:
  struct Template {
    std::string bytes;                    // serialised TraceEvent
    std::vector<size_t> event_id_at;      // offsets of 36-char placeholders
    std::vector<size_t> trace_id_at;
    std::vector<size_t> observation_id_at;
  };
  struct Recent {
    std::deque<std::pair<uint64_t, int>> ids;  // (counter, template index)
    uint64_t cursor = 0;                       // next duplicate pick
  };

  static Template MakeTemplate(const v1::TraceEvent& event);
  void WriteIds(const Template& t, uint64_t counter, char* out) const;
  int NextKind();

  WorkloadOptions options_;
  std::vector<Template> templates_;  // index = EventKind
  std::vector<int> kind_cycle_;      // one entry per weight unit, interleaved
  size_t kind_pos_ = 0;
  uint64_t next_counter_ = 0;
  uint64_t next_batch_ = 0;
  uint64_t dup_accumulator_ = 0;  // Bresenham-style: exact ratio without randomness
  std::vector<Recent> recent_;    // per workspace
  std::vector<std::string> workspace_names_;
};

}  // namespace tracegate::bench
