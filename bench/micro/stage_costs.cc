// tracegate-bench-stages: CPU cost per event of each gateway stage, measured in isolation
// with the load generator's own batches (same event shapes as bench/run), so the numbers
// stay meaningful when the machine is busy (thread CPU time, not wall time).
//
//   tracegate-bench-stages --mix=span --batches=2000
//
// Stages: parse (IngestRequest from bytes), validate, dedupe (MemoryDeduper::MarkNew),
// queue (MemoryQueue Append + Read + Ack), translate (OTLP encoder Add + Serialize, 500
// spans per export), gzip level 1 of that export, free (destroying the parsed request),
// response (building and serialising the per-event IngestResponse). Prints one JSON object:
// µs per event for each stage. Single-threaded; no locks contended.
#include <time.h>

#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "bench/loadgen/workload.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/export/gzip.h"
#include "gateway/queue/memory_queue.h"
#include "gateway/translate/otlp_encoder.h"
#include "gateway/validate/validator.h"
#include "nlohmann/json.hpp"
#include "tracegate/v1/ingest_service.pb.h"

ABSL_FLAG(std::string, mix, "span", "event mix, as tracegate-loadgen --mix");
ABSL_FLAG(int, batches, 2000, "request batches of 100 events per stage");
ABSL_FLAG(int, batch, 100, "events per request batch");

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// µs of thread CPU per event for `events` events done by `body`.
double Measure(int64_t events, const std::function<void()>& body) {
  const double t0 = ThreadCpuSeconds();
  body();
  return 1e6 * (ThreadCpuSeconds() - t0) / static_cast<double>(events);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  namespace tb = tracegate::bench;
  namespace v1 = tracegate::v1;
  auto mix = tb::ParseMix(absl::GetFlag(FLAGS_mix));
  if (!mix.ok()) {
    std::cerr << mix.status().message() << "\n";
    return 2;
  }
  const int n = absl::GetFlag(FLAGS_batches);
  tb::Workload workload(tb::WorkloadOptions{.batch_size = absl::GetFlag(FLAGS_batch),
                                            .mix = *mix,
                                            .run_id = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()))});
  std::vector<std::string> wire(n);
  int64_t events = 0;
  for (int i = 0; i < n; ++i) wire[i] = workload.NextIngestRequest(i);

  nlohmann::json out;
  std::vector<v1::IngestRequest*> parsed(n);
  out["parse"] = Measure(1, [&] {
    for (int i = 0; i < n; ++i) {
      parsed[i] = new v1::IngestRequest;
      parsed[i]->ParseFromString(wire[i]);
      events += parsed[i]->events_size();
    }
  }) / static_cast<double>(events);
  for (auto* r : parsed) {
    for (auto& e : *r->mutable_events()) e.set_workspace(r->default_workspace());
  }

  tracegate::validate::Validator validator;
  const absl::Time now = absl::Now();
  int invalid = 0;
  out["validate"] = Measure(events, [&] {
    for (auto* r : parsed) {
      for (const auto& e : r->events()) invalid += !validator.Validate(e, now).ok();
    }
  });

  tracegate::dedupe::MemoryDeduper deduper(tracegate::dedupe::MemoryDeduperOptions{});
  out["dedupe"] = Measure(events, [&] {
    std::vector<absl::string_view> ids;
    for (auto* r : parsed) {
      ids.clear();
      for (const auto& e : r->events()) {
        ids.emplace_back(e.event_id().data(), e.event_id().size());
      }
      (void)deduper.MarkNew(r->default_workspace(), ids);
    }
  });

  out["response"] = Measure(events, [&] {
    std::string bytes;
    for (auto* r : parsed) {
      v1::IngestResponse resp;
      resp.set_batch_id(r->batch_id());
      for (const auto& e : r->events()) {
        auto* res = resp.add_results();
        res->set_event_id(e.event_id());
        res->set_status(v1::EVENT_STATUS_ACCEPTED);
      }
      resp.set_accepted(r->events_size());
      resp.SerializeToString(&bytes);
    }
  });

  // Queue: append every request, then read them back 5 at a time and ack.
  tracegate::queue::MemoryQueue queue(tracegate::queue::MemoryQueueOptions{
      .max_events_per_route = int64_t{1} << 40});
  std::vector<v1::IngestRequest> copies;
  copies.reserve(n);
  for (auto* r : parsed) copies.push_back(*r);  // the queue takes its batch by value
  std::vector<tracegate::core::QueueEntry> drained;
  out["queue"] = Measure(events, [&] {
    for (auto& c : copies) (void)queue.Append("bench", std::move(c));
    while (true) {
      auto got = queue.Read("bench", 5, absl::ZeroDuration());
      if (!got.ok() || got->empty()) break;
      std::vector<std::string> ids;
      for (auto& e : *got) {
        ids.push_back(e.id);
        drained.push_back(std::move(e));
      }
      (void)queue.Ack("bench", ids);
    }
  });

  tracegate::translate::OtlpBatchEncoder encoder;
  std::vector<std::string> bodies;
  int64_t spans = 0;
  out["translate"] = Measure(1, [&] {
    for (const auto& entry : drained) {
      for (const auto& e : entry.batch.events()) {
        if (e.has_score()) continue;
        if (encoder.Add(e).ok()) ++spans;
        if (encoder.span_count() >= 500) {
          bodies.push_back(encoder.Serialize());
          encoder.Clear();
        }
      }
    }
    if (encoder.span_count() > 0) bodies.push_back(encoder.Serialize());
  }) / static_cast<double>(spans > 0 ? spans : 1);

  size_t raw = 0, zipped = 0;
  out["gzip"] = Measure(spans > 0 ? spans : 1, [&] {
    for (const auto& b : bodies) {
      raw += b.size();
      zipped += tracegate::exporter::Gzip(b, 1).value_or("").size();
    }
  });

  out["free"] = Measure(events, [&] {
    for (auto* r : parsed) delete r;
    drained.clear();
  }) / 2.0;  // two copies were freed (the parsed requests and the drained queue entries)

  out["events"] = events;
  out["spans"] = spans;
  out["invalid"] = invalid;
  out["request_bytes_per_event"] =
      static_cast<double>(wire[0].size()) / absl::GetFlag(FLAGS_batch);
  out["otlp_bytes_per_span"] = spans ? static_cast<double>(raw) / spans : 0.0;
  out["gzip_ratio"] = zipped ? static_cast<double>(raw) / zipped : 0.0;
  std::cout << out.dump() << std::endl;
  return invalid == 0 ? 0 : 1;
}
