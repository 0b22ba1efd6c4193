// tracegate-client-e2e: drives the C++ BatchingClient for the end-to-end tests in this
// folder (a real gateway and the Langfuse emulator, started by test_cpp_client_e2e.py).
// Connection settings come from TRACEGATE_* (BatchingClientOptions::FromEnv).
//
//   --mode=burst   --threads=T --events=N: N span observations (ids %016x of 1..N, in trace
//                  --trace_id) enqueued from T threads, Flush, print the counters.
//   --mode=outage  --events=N --queue=Q: enqueue N (the gateway is down), print counters;
//                  wait for a line on stdin (the gateway is back), Flush, print counters;
//                  enqueue one more, Flush, print counters.
//   --mode=awkward --events=N: N spans of 900 KB each (together far over the gateway's
//                  16 MiB request limit), then one whose name is not valid UTF-8 and one
//                  without an event_id; Flush, print the counters.
//   --mode=trace   one Trace event (id --trace_id, name "cpp-trace"); Flush, print the
//                  counters (with TRACEGATE_APP_ID: the app_id test).
// Each report is one JSON line: {"phase": ..., "accepted": k, "sent": ..., "dropped": ...}.
// Exit 0 unless a Flush that should succeed did not.
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tracegate/batching_client.h"

ABSL_FLAG(std::string, mode, "burst", "burst | outage | awkward | trace");
ABSL_FLAG(int, threads, 4, "producer threads (burst)");
ABSL_FLAG(int, events, 10000, "events to enqueue");
ABSL_FLAG(int, queue, 20000, "max_queue_events");
ABSL_FLAG(int, batch, 100, "max_batch_events");
ABSL_FLAG(std::string, trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", "trace id of the events");

namespace {

tracegate::v1::TraceEvent Span(int i, const std::string& trace_id) {
  const int64_t now = absl::GetCurrentTimeNanos();
  tracegate::v1::TraceEvent ev;
  ev.set_event_id(absl::StrCat("cpp-", trace_id, "-", i));
  auto* o = ev.mutable_observation();
  o->set_id(absl::StrCat(absl::Hex(i, absl::kZeroPad16)));
  o->set_trace_id(trace_id);
  o->set_type(tracegate::v1::OBSERVATION_TYPE_SPAN);
  o->set_name(absl::StrCat("work-", i));
  o->mutable_start_time()->set_seconds(now / 1'000'000'000);
  o->mutable_start_time()->set_nanos(static_cast<int32_t>(now % 1'000'000'000));
  *o->mutable_end_time() = o->start_time();
  return ev;
}

void Report(const char* phase, int accepted, const tracegate::client::BatchingCounters& c) {
  std::printf(
      "{\"phase\": \"%s\", \"accepted\": %d, \"sent\": %llu, \"duplicate\": %llu, "
      "\"rejected\": %llu, \"dropped\": %llu, \"retried\": %llu, \"queued\": %llu}\n",
      phase, accepted, static_cast<unsigned long long>(c.sent),
      static_cast<unsigned long long>(c.duplicate), static_cast<unsigned long long>(c.rejected),
      static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.retried),
      static_cast<unsigned long long>(c.queued));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto opts = tracegate::client::BatchingClientOptions::FromEnv();
  opts.max_queue_events = absl::GetFlag(FLAGS_queue);
  opts.max_batch_events = absl::GetFlag(FLAGS_batch);
  opts.linger = absl::Milliseconds(20);
  opts.max_backoff = absl::Milliseconds(500);
  auto client = tracegate::client::BatchingClient::Create(opts);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 2;
  }
  const std::string trace_id = absl::GetFlag(FLAGS_trace_id);
  const int n = absl::GetFlag(FLAGS_events);
  if (absl::GetFlag(FLAGS_mode) == "burst") {
    const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
    std::vector<std::thread> producers;
    std::vector<int> accepted(threads, 0);
    for (int t = 0; t < threads; ++t) {
      producers.emplace_back([&, t] {
        for (int i = t + 1; i <= n; i += threads) {
          accepted[t] += (*client)->Enqueue(Span(i, trace_id));
        }
      });
    }
    int total = 0;
    for (int t = 0; t < threads; ++t) {
      producers[t].join();
      total += accepted[t];
    }
    const bool ok = (*client)->Flush(absl::Seconds(60));
    Report("burst", total, (*client)->counters());
    return ok ? 0 : 1;
  }
  if (absl::GetFlag(FLAGS_mode) == "trace") {
    tracegate::v1::TraceEvent ev;
    ev.set_event_id(absl::StrCat("cpp-trace-", trace_id));
    ev.mutable_trace()->set_id(trace_id);
    ev.mutable_trace()->set_name("cpp-trace");
    const int accepted = (*client)->Enqueue(std::move(ev));
    const bool ok = (*client)->Flush(absl::Seconds(30));
    Report("trace", accepted, (*client)->counters());
    return ok ? 0 : 1;
  }
  if (absl::GetFlag(FLAGS_mode) == "awkward") {
    int accepted = 0;
    for (int i = 1; i <= n; ++i) {
      tracegate::v1::TraceEvent ev = Span(i, trace_id);
      ev.mutable_observation()->set_status_message(std::string(900'000, 'x'));
      accepted += (*client)->Enqueue(std::move(ev));
    }
    tracegate::v1::TraceEvent bad = Span(n + 1, trace_id);
    bad.mutable_observation()->set_name("bad-\xFF-name");
    accepted += (*client)->Enqueue(std::move(bad));
    tracegate::v1::TraceEvent no_id = Span(n + 2, trace_id);
    no_id.clear_event_id();
    accepted += (*client)->Enqueue(std::move(no_id));
    const bool ok = (*client)->Flush(absl::Seconds(60));
    Report("awkward", accepted, (*client)->counters());
    return ok ? 0 : 1;
  }
  int accepted = 0;
  for (int i = 1; i <= n; ++i) accepted += (*client)->Enqueue(Span(i, trace_id));
  (*client)->Flush(absl::Milliseconds(300));  // cannot succeed: the gateway is down
  Report("down", accepted, (*client)->counters());
  std::string line;
  std::getline(std::cin, line);  // the test restarted the gateway
  bool ok = (*client)->Flush(absl::Seconds(30));
  Report("restarted", accepted, (*client)->counters());
  accepted += (*client)->Enqueue(Span(n + 1, trace_id));
  ok = (*client)->Flush(absl::Seconds(10)) && ok;
  Report("after", accepted, (*client)->counters());
  return ok ? 0 : 1;
}
