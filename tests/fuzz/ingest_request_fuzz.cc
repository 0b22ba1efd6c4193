// Fuzz target: a whole IngestRequest from untrusted bytes through the receive pipeline
// (workspace, permission, route, validation, dedupe, embedded queue) as the gateway wires it.
// Invariants: exactly one result per event, in order, echoing the event id; the counts add
// up; every accepted event is in the queue.
#include <cstdint>
#include <memory>

#include "gateway/config/loader.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/queue/memory_queue.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gateway/route/router.h"
#include "gateway/validate/validator.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

struct World {
  std::unique_ptr<tracegate::route::Router> router;
  tracegate::validate::Validator validator;
  tracegate::core::FakeClock clock{tracegate::fuzz::kNow};
  std::unique_ptr<tracegate::dedupe::MemoryDeduper> deduper;
  std::unique_ptr<tracegate::queue::MemoryQueue> queue;
  std::unique_ptr<tracegate::receive::IngestPipeline> pipeline;
  tracegate::core::Principal principal;
};

World& TheWorld() {
  static World* w = [] {
    auto* w = new World();
    auto cfg = tracegate::config::ParseConfigYaml(R"yaml(
api_keys:
  - {name: fuzz, sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c,
     workspaces: ["*"]}
routes:
  - {name: a, workspaces: [w, team-a], langfuse: {base_url: "http://a", public_key: p, secret_key: s}}
  - {name: rest, workspaces: ["*"], langfuse: {base_url: "http://b", public_key: p, secret_key: s}}
)yaml");
    if (!cfg.ok()) std::abort();
    w->router = *tracegate::route::Router::Create(cfg->routes());
    w->deduper = std::make_unique<tracegate::dedupe::MemoryDeduper>(
        tracegate::dedupe::MemoryDeduperOptions{.clock = &w->clock});
    w->queue = std::make_unique<tracegate::queue::MemoryQueue>(
        tracegate::queue::MemoryQueueOptions{.clock = &w->clock});
    tracegate::receive::IngestPipelineOptions o;
    o.route = [w](absl::string_view ws) { return w->router->Find(ws); };
    o.validate = [w](const tracegate::v1::TraceEvent& e, absl::Time now) {
      return w->validator.Validate(e, now);
    };
    o.deduper = w->deduper.get();
    o.queue = w->queue.get();
    o.clock = &w->clock;
    w->pipeline = *tracegate::receive::IngestPipeline::Create(std::move(o));
    w->principal.key_name = "fuzz";
    w->principal.workspaces = {"w", "team-a", "other"};
    return w;
  }();
  return *w;
}

int64_t Queued(World& w) { return w.queue->Stats("a").events + w.queue->Stats("rest").events; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tracegate::v1::IngestRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  World& w = TheWorld();
  std::vector<std::string> ids;
  for (const auto& e : request.events()) ids.push_back(e.event_id());
  const int64_t before = Queued(w);
  tracegate::v1::IngestResponse response;
  absl::Status st = w.pipeline->Process(w.principal, request, response);
  if (!st.ok()) {
    TG_FUZZ_CHECK(st.code() == absl::StatusCode::kInvalidArgument ||
                      st.code() == absl::StatusCode::kPermissionDenied,
                  "call-level errors are INVALID_ARGUMENT or PERMISSION_DENIED");
    TG_FUZZ_CHECK(Queued(w) == before, "a refused call queues nothing");
    return 0;
  }
  TG_FUZZ_CHECK(response.results_size() == static_cast<int>(ids.size()), "one result per event");
  for (int i = 0; i < response.results_size(); ++i) {
    TG_FUZZ_CHECK(response.results(i).event_id() == ids[i], "results echo ids in order");
  }
  TG_FUZZ_CHECK(response.accepted() + response.duplicate() + response.rejected() == ids.size(),
                "the counts add up");
  TG_FUZZ_CHECK(Queued(w) - before == response.accepted(), "accepted events are queued");
  // Keep memory flat across runs: drain the queues.
  for (const char* route : {"a", "rest"}) {
    auto entries = w.queue->Read(route, 1 << 20, absl::ZeroDuration());
    if (!entries.ok()) continue;
    std::vector<std::string> entry_ids;
    for (const auto& e : *entries) entry_ids.push_back(e.id);
    (void)w.queue->Ack(route, entry_ids);
  }
  return 0;
}
