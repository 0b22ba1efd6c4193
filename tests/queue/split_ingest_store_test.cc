// The embedded pair (MemoryDeduper + MemoryQueue behind core::SplitIngestStore) passes the
// shared IngestStore suite.
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/queue/memory_queue.h"
#include "tests/queue/ingest_store_suite.h"

namespace tracegate::queue {
namespace {

using testing::IngestStoreImpl;
using testing::IngestStoreParts;
using testing::IngestStoreSuite;

INSTANTIATE_TEST_SUITE_P(Embedded, IngestStoreSuite,
                         ::testing::Values(IngestStoreImpl{
                             "MemoryPair",
                             [](int64_t cap, absl::Duration window, const core::Clock* clock) {
                               dedupe::MemoryDeduperOptions d;
                               d.window = window;
                               d.clock = clock;
                               auto deduper = std::make_shared<dedupe::MemoryDeduper>(d);
                               MemoryQueueOptions q;
                               q.max_events_per_route = cap;
                               q.clock = clock;
                               auto queue = std::make_unique<MemoryQueue>(q);
                               IngestStoreParts parts;
                               parts.store = std::make_unique<core::SplitIngestStore>(deduper.get(),
                                                                                      queue.get());
                               parts.queue = std::move(queue);
                               parts.keep_alive = deduper;
                               return parts;
                             }}),
                         testing::IngestStoreImplName);

}  // namespace
}  // namespace tracegate::queue
