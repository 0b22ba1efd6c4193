// The load generator's engine: sends Workload batches to one or more gateways (or to an
// OTLP receiver) over raw gRPC callback calls with pre-serialised bytes, and measures
// per-batch acknowledgement latency.
//
//   DriverOptions o;  o.targets = {"127.0.0.1:50051"};  o.rate = 50'000;  // events/s
//   absl::StatusOr<DriverResult> r = RunLoad(o);
//
// - Closed loop (rate == 0): every stream keeps `window` batches in flight (unary:
//   `concurrency` calls in flight); each answer releases the next batch.
// - Open loop (rate > 0): a pacer thread schedules batches at fixed intervals whether or
//   not answers came back; a batch that finds no free window slot waits in a backlog.
//   Latency is measured from the batch's *scheduled* time, so a stalled server is not
//   hidden (no coordinated omission).
// - Latency is recorded for batches scheduled inside the measuring window (after warmup);
//   throughput counts events answered inside the window.
// - Protocols: tracegate.v1.IngestService/IngestStream (stream), .../Ingest (unary), and
//   opentelemetry.proto.collector.trace.v1.TraceService/Export (otlp, unary only).
// Errors: INVALID_ARGUMENT for bad options; a target that cannot be reached shows up as
// call errors in the result, not as a Status.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/loadgen/histogram.h"
#include "bench/loadgen/workload.h"

namespace tracegate::bench {

enum class Protocol { kStream, kUnary, kOtlp };

struct DriverOptions {
  std::vector<std::string> targets;  // host:port; connections are spread over them
  std::string api_key;               // "authorization: Bearer <key>" (not for otlp)
  Protocol protocol = Protocol::kStream;
  int connections = 2;               // TCP connections (channels)
  int concurrency = 4;               // streams (stream) or calls in flight (unary/otlp)
  int window = 4;                    // batches in flight per stream
  double rate = 0;                   // offered events/s; 0 = closed loop
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  absl::Duration drain_timeout = absl::Seconds(10);
  size_t max_backlog_batches = 100'000;  // open loop: beyond this, batches are skipped
  bool progress = false;                 // one line per second on stderr
  WorkloadOptions workload;
  int otlp_distinct_batches = 32;  // otlp: requests pre-encoded once, then sent in turn
};

struct DriverResult {
  double measured_seconds = 0;
  int64_t batches_sent = 0;
  int64_t batches_answered = 0;
  int64_t events_sent = 0;
  int64_t accepted = 0;   // inside the window
  int64_t duplicate = 0;
  int64_t rejected = 0;
  int64_t failed_events = 0;  // events of batches whose call failed (window)
  int64_t skipped_batches = 0;  // open loop backlog overflow
  int64_t unanswered_batches = 0;
  std::map<std::string, int64_t> call_errors;  // "UNAVAILABLE: ..." → count
  std::vector<std::string> rejected_samples;   // a few per-event reasons
  LatencyHistogram latency;                    // ns per batch, window batches
  double cpu_user_seconds = 0;                 // this process, inside the window
  double cpu_system_seconds = 0;
};

absl::StatusOr<DriverResult> RunLoad(const DriverOptions& options);

}  // namespace tracegate::bench
