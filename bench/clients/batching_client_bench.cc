// tracegate-bench-client: time the C++ BatchingClient adds to the caller's thread per
// traced LLM call, in µs.
//
//   build/bench/clients/tracegate-bench-client [--calls=200000] [--rounds=5] [--pause_us=0]
//       [--endpoint=host:port --api_key=KEY]   # default: an in-process null gateway
//
// A "traced LLM call" is what a service does after one LLM call: build a generation
// TraceEvent (~400 bytes serialised: model, two input messages, output, usage, trace
// attributes) and Enqueue() it. The background thread sends batches of 100 to the gateway
// (an in-process IngestService that accepts everything, or --endpoint). Reported, median
// of the rounds: mean caller-thread wall time and CPU time (CLOCK_THREAD_CPUTIME_ID) per
// call for build+Enqueue, for build alone, and their difference (the client's share), plus
// the client's counters. With --pause_us the caller sleeps between calls (as while a real
// LLM call waits on the network). One JSON object on stdout.
#include <grpcpp/grpcpp.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tracegate/batching_client.h"

ABSL_FLAG(int, calls, 200000, "traced calls per round");
ABSL_FLAG(int, rounds, 5, "rounds (the median is reported)");
ABSL_FLAG(int, pause_us, 0, "sleep between calls, µs");
ABSL_FLAG(std::string, endpoint, "", "gateway host:port (default: in-process null gateway)");
ABSL_FLAG(std::string, api_key, "tg_bench", "gateway API key");

namespace {

using tracegate::v1::IngestRequest;
using tracegate::v1::IngestResponse;
using tracegate::v1::TraceEvent;

class NullGateway final : public tracegate::v1::IngestService::Service {
 public:
  grpc::Status Ingest(grpc::ServerContext*, const IngestRequest* req,
                      IngestResponse* resp) override {
    resp->set_batch_id(req->batch_id());
    for (const TraceEvent& ev : req->events()) {
      auto* r = resp->add_results();
      r->set_event_id(ev.event_id());
      r->set_status(tracegate::v1::EVENT_STATUS_ACCEPTED);
    }
    resp->set_accepted(req->events_size());
    return grpc::Status::OK;
  }
};

int64_t ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void SetTime(google::protobuf::Timestamp* ts, int64_t nanos) {
  ts->set_seconds(nanos / 1'000'000'000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

// The event a traced LLM call produces.
TraceEvent Generation(uint64_t i, const std::string& trace_id) {
  const int64_t now = absl::GetCurrentTimeNanos();
  TraceEvent ev;
  ev.set_event_id(absl::StrCat(trace_id, "-", i));
  SetTime(ev.mutable_timestamp(), now);
  auto* o = ev.mutable_observation();
  o->set_id(absl::StrCat(absl::Hex(i, absl::kZeroPad16)));
  o->set_trace_id(trace_id);
  o->set_type(tracegate::v1::OBSERVATION_TYPE_GENERATION);
  o->set_name("ChatOpenAI");
  SetTime(o->mutable_start_time(), now - 350'000'000);
  SetTime(o->mutable_completion_start_time(), now - 200'000'000);
  SetTime(o->mutable_end_time(), now);
  o->set_model("gpt-4o-mini");
  (*o->mutable_model_parameters()->mutable_fields())["temperature"].set_number_value(0.2);
  auto* msgs = o->mutable_input()->mutable_messages();
  auto* sys = msgs->add_messages();
  sys->set_role("system");
  sys->set_content("You answer questions about internal tools, briefly.");
  auto* user = msgs->add_messages();
  user->set_role("user");
  user->set_content("What is Tracegate and why do we run it in front of Langfuse?");
  o->mutable_output()->set_text("A gateway that carries trace events to Langfuse.");
  (*o->mutable_usage_details())["input"] = 40;
  (*o->mutable_usage_details())["output"] = 12;
  (*o->mutable_usage_details())["total"] = 52;
  auto* attrs = o->mutable_trace();
  attrs->set_name("rag-query");
  attrs->set_user_id("user-42");
  attrs->add_tags("env:prod");
  attrs->add_tags("service:onekey-rag");
  return ev;
}

struct Round {
  double wall_us, cpu_us;
};

template <typename Fn>
Round Time(int calls, int pause_us, Fn fn) {
  int64_t wall = 0, cpu = 0;
  for (int i = 0; i < calls; ++i) {
    if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    const int64_t w0 = absl::GetCurrentTimeNanos(), c0 = ThreadCpuNanos();
    fn(i);
    cpu += ThreadCpuNanos() - c0;
    wall += absl::GetCurrentTimeNanos() - w0;
  }
  return {wall / 1000.0 / calls, cpu / 1000.0 / calls};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int calls = std::max(1, absl::GetFlag(FLAGS_calls));
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const int pause_us = absl::GetFlag(FLAGS_pause_us);

  NullGateway null_service;
  std::unique_ptr<grpc::Server> server;
  std::string endpoint = absl::GetFlag(FLAGS_endpoint);
  if (endpoint.empty()) {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&null_service);
    server = builder.BuildAndStart();
    endpoint = absl::StrCat("127.0.0.1:", port);
  }
  tracegate::client::BatchingClientOptions opts;
  opts.client.endpoint = endpoint;
  opts.client.api_key = absl::GetFlag(FLAGS_api_key);
  opts.max_queue_events = 1'000'000;
  auto client = tracegate::client::BatchingClient::Create(opts);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 2;
  }
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const size_t bytes = Generation(0, trace_id).ByteSizeLong();
  std::vector<double> traced_wall, traced_cpu, build_wall, build_cpu;
  uint64_t next = 0;
  for (int r = 0; r < rounds; ++r) {
    Round traced = Time(calls, pause_us,
                        [&](int) { (*client)->Enqueue(Generation(next++, trace_id)); });
    (*client)->Flush(absl::Seconds(120));
    Round build = Time(calls, pause_us, [&](int i) {
      TraceEvent ev = Generation(i, trace_id);
      if (ev.event_id().empty()) std::abort();  // keep the build from being optimised out
    });
    traced_wall.push_back(traced.wall_us);
    traced_cpu.push_back(traced.cpu_us);
    build_wall.push_back(build.wall_us);
    build_cpu.push_back(build.cpu_us);
  }
  const bool flushed = (*client)->Flush(absl::Seconds(120));
  const auto c = (*client)->counters();
  double load[1] = {0};
  getloadavg(load, 1);
  std::printf(
      "{\"unit\": \"us per traced call (median of %d rounds)\", \"calls\": %d, "
      "\"pause_us\": %d, \"event_bytes\": %zu, \"gateway\": \"%s\", \"load_avg_1m\": %.2f,\n"
      " \"build_and_enqueue_wall\": %.3f, \"build_and_enqueue_cpu\": %.3f,\n"
      " \"build_only_wall\": %.3f, \"build_only_cpu\": %.3f,\n"
      " \"enqueue_added_wall\": %.3f, \"enqueue_added_cpu\": %.3f,\n"
      " \"counters\": {\"sent\": %llu, \"dropped\": %llu, \"rejected\": %llu, "
      "\"retried\": %llu}, \"flushed\": %s}\n",
      rounds, calls, pause_us, bytes,
      absl::GetFlag(FLAGS_endpoint).empty() ? "in-process null gateway" : endpoint.c_str(),
      load[0], Median(traced_wall), Median(traced_cpu), Median(build_wall), Median(build_cpu),
      Median(traced_wall) - Median(build_wall), Median(traced_cpu) - Median(build_cpu),
      static_cast<unsigned long long>(c.sent), static_cast<unsigned long long>(c.dropped),
      static_cast<unsigned long long>(c.rejected), static_cast<unsigned long long>(c.retried),
      flushed ? "true" : "false");
  (*client)->Shutdown(absl::Seconds(5));
  if (server) server->Shutdown(std::chrono::system_clock::now());
  return c.dropped == 0 && flushed ? 0 : 1;
}
