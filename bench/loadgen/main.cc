// tracegate-loadgen: drives a Tracegate gateway (or the null gateway, or an OTLP receiver
// such as the OpenTelemetry Collector) and prints one JSON object with the results.
//
//   tracegate-loadgen --target=127.0.0.1:50051 --api_key=KEY --duration=10s     # closed loop
//   tracegate-loadgen --target=... --rate=50000 --batch=100 --mix=span:90,generation:10
//   tracegate-loadgen --protocol=otlp --target=127.0.0.1:4317 --rate=20000
//
// Exit status: 0 when the run happened (whatever the server answered), 2 on bad flags.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/loadgen/driver.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::vector<std::string>, target, {"127.0.0.1:50051"},
          "host:port of the server(s); connections are spread over them");
ABSL_FLAG(std::string, api_key, "", "API key sent as 'authorization: Bearer KEY'");
ABSL_FLAG(std::string, protocol, "stream", "stream | unary | otlp (OTLP/gRPC trace export)");
ABSL_FLAG(int, connections, 2, "TCP connections");
ABSL_FLAG(int, concurrency, 4, "streams (stream) or calls in flight (unary, otlp)");
ABSL_FLAG(int, window, 4, "batches in flight per stream (the gateway allows 8)");
ABSL_FLAG(double, rate, 0, "offered events/s; 0 = closed loop (as fast as answers come)");
ABSL_FLAG(int, batch, 100, "events per batch");
ABSL_FLAG(std::string, mix, "span", "event kinds and weights, e.g. span:90,generation:8,score:2");
ABSL_FLAG(double, duplicates, 0, "share of events that repeat an earlier event id (0..1)");
ABSL_FLAG(int, workspaces, 1, "workspaces the batches rotate over");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time before measuring");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measuring window");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10), "wait for answers after the window");
ABSL_FLAG(bool, progress, false, "print answered events every second on stderr");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("tracegate-loadgen --target=HOST:PORT [--rate=N] ... (see --help)");
  absl::ParseCommandLine(argc, argv);
  namespace tb = tracegate::bench;

  tb::DriverOptions o;
  o.targets = absl::GetFlag(FLAGS_target);
  o.api_key = absl::GetFlag(FLAGS_api_key);
  const std::string protocol = absl::GetFlag(FLAGS_protocol);
  if (protocol == "stream") {
    o.protocol = tb::Protocol::kStream;
  } else if (protocol == "unary") {
    o.protocol = tb::Protocol::kUnary;
  } else if (protocol == "otlp") {
    o.protocol = tb::Protocol::kOtlp;
  } else {
    std::cerr << "--protocol: stream, unary or otlp\n";
    return 2;
  }
  o.connections = absl::GetFlag(FLAGS_connections);
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.window = absl::GetFlag(FLAGS_window);
  o.rate = absl::GetFlag(FLAGS_rate);
  o.warmup = absl::GetFlag(FLAGS_warmup);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  o.progress = absl::GetFlag(FLAGS_progress);
  o.workload.batch_size = absl::GetFlag(FLAGS_batch);
  o.workload.duplicate_ratio = absl::GetFlag(FLAGS_duplicates);
  o.workload.workspaces = absl::GetFlag(FLAGS_workspaces);
  o.workload.run_id = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  auto mix = tb::ParseMix(absl::GetFlag(FLAGS_mix));
  if (!mix.ok()) {
    std::cerr << mix.status().message() << "\n";
    return 2;
  }
  o.workload.mix = *mix;
  if (o.workload.duplicate_ratio < 0 || o.workload.duplicate_ratio > 1) {
    std::cerr << "--duplicates: between 0 and 1\n";
    return 2;
  }

  absl::StatusOr<tb::DriverResult> r = tb::RunLoad(o);
  if (!r.ok()) {
    std::cerr << r.status().message() << "\n";
    return 2;
  }
  auto us = [](int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const double secs = r->measured_seconds > 0 ? r->measured_seconds : 1;
  const int64_t answered = r->accepted + r->duplicate + r->rejected;
  nlohmann::json out;
  out["protocol"] = protocol;
  out["targets"] = o.targets;
  out["rate_offered"] = o.rate;
  out["closed_loop"] = o.rate <= 0;
  out["batch"] = o.workload.batch_size;
  out["mix"] = absl::GetFlag(FLAGS_mix);
  out["duplicates"] = o.workload.duplicate_ratio;
  out["workspaces"] = o.workload.workspaces;
  out["connections"] = o.connections;
  out["concurrency"] = o.concurrency;
  out["window"] = o.window;
  out["measured_seconds"] = r->measured_seconds;
  out["batches_sent"] = r->batches_sent;
  out["batches_answered"] = r->batches_answered;
  out["unanswered_batches"] = r->unanswered_batches;
  out["skipped_batches"] = r->skipped_batches;
  out["events_sent"] = r->events_sent;
  out["accepted"] = r->accepted;
  out["duplicate"] = r->duplicate;
  out["rejected"] = r->rejected;
  out["failed_events"] = r->failed_events;
  out["answered_events_per_s"] = answered / secs;
  out["accepted_events_per_s"] = r->accepted / secs;
  out["call_errors"] = r->call_errors;
  out["rejected_samples"] = r->rejected_samples;
  out["latency_us"] = {{"count", r->latency.count()},
                       {"min", us(r->latency.min())},
                       {"mean", r->latency.mean() / 1000.0},
                       {"p50", us(r->latency.Percentile(50))},
                       {"p90", us(r->latency.Percentile(90))},
                       {"p99", us(r->latency.Percentile(99))},
                       {"p999", us(r->latency.Percentile(99.9))},
                       {"max", us(r->latency.max())}};
  out["loadgen_cpu_seconds"] = r->cpu_user_seconds + r->cpu_system_seconds;
  out["loadgen_cpu_us_per_event"] =
      answered > 0 ? 1e6 * (r->cpu_user_seconds + r->cpu_system_seconds) / answered : 0.0;
  std::cout << out.dump() << std::endl;
  return 0;
}
