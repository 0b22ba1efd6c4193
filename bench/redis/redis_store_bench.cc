// tracegate-bench-redis: Redis-server CPU (and client CPU) per event of the Redis stores.
//
//   tracegate-bench-redis --url=redis://127.0.0.1:6379/0 [--events=200000] [--batch=100]
//                         [--event_bytes=400] [--threads=2]
//   bench/redis/run.sh    starts redis-server (AOF off, then AOF everysec) and runs this
//
// Phases (each on fresh keys):
//   ingest      RedisIngestStore::DedupeAndAppend, new ids: the dedupe + XADD script, one
//               round trip per batch
//   duplicates  the same batches again: every id is a duplicate, nothing appended
//   consume     RedisQueue::Read (+ claim check) and Ack (XACK + XDEL + counter) until empty
//   per-event   the design DESIGN.md rejects, for comparison: SET NX EX + XADD per event,
//               pipelined per batch
// Redis CPU comes from INFO cpu (used_cpu_user + used_cpu_sys) before and after a phase;
// client CPU from getrusage of this process. Prints one table.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gateway/queue/redis_ingest_store.h"
#include "gateway/queue/redis_queue.h"
#include "gateway/redis/client.h"
#include "gateway/redis/redis_url.h"

ABSL_FLAG(std::string, url, "redis://127.0.0.1:6379/0", "Redis to measure (it should be idle)");
ABSL_FLAG(int, events, 200000, "events per phase");
ABSL_FLAG(int, batch, 100, "events per request batch");
ABSL_FLAG(int, event_bytes, 400, "serialized size of one event (about)");
ABSL_FLAG(int, threads, 2, "client threads");
ABSL_FLAG(std::string, label, "", "shown in the table (e.g. \"AOF everysec\")");
ABSL_FLAG(int, repeat, 3, "runs of every phase; the table shows the median");

namespace tracegate {
namespace {

double RedisCpuSeconds(redis::Client& client) {
  auto info = client.Command(redis::Args{"INFO", "cpu"});
  if (!info.ok()) return -1;
  double total = 0;
  for (absl::string_view line : absl::StrSplit(redis::ReplyString(info->get()), "\r\n")) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ':');
    double v = 0;
    if ((kv.first == "used_cpu_user" || kv.first == "used_cpu_sys") &&
        absl::SimpleAtod(kv.second, &v)) {
      total += v;
    }
  }
  return total;
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

v1::IngestRequest MakeBatch(int first, int n, int event_bytes, const std::string& tag) {
  v1::IngestRequest b;
  for (int i = first; i < first + n; ++i) {
    v1::TraceEvent* e = b.add_events();
    e->set_event_id(absl::StrCat(tag, "-evt-", i, "-0123456789abcdef"));
    e->set_workspace("bench");
    auto* o = e->mutable_observation();
    o->set_id(absl::StrCat("obs-", i));
    o->set_trace_id(absl::StrCat("trace-", i / 10));
    o->set_name("llm-call");
    const int room = std::max(0, event_bytes - static_cast<int>(e->ByteSizeLong()) - 8);
    o->mutable_input()->set_text(std::string(room, 'x'));
  }
  return b;
}

struct Row {
  std::string phase;
  int64_t events = 0;
  double wall = 0, redis_cpu = 0, client_cpu = 0;
};

template <typename Fn>
Row Measure(redis::Client& client, const std::string& phase, int64_t events, Fn&& fn) {
  Row r;
  r.phase = phase;
  r.events = events;
  const double redis0 = RedisCpuSeconds(client);
  const double cpu0 = ProcessCpuSeconds();
  const absl::Time t0 = absl::Now();
  fn();
  r.wall = absl::ToDoubleSeconds(absl::Now() - t0);
  r.client_cpu = ProcessCpuSeconds() - cpu0;
  r.redis_cpu = RedisCpuSeconds(client) - redis0;
  return r;
}

void Parallel(int threads, int batches, const std::function<void(int)>& body) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int b = next++; b < batches; b = next++) body(b);
    });
  }
  for (auto& th : pool) th.join();
}

// One run of every phase on fresh keys; fills `rows` and `event_size`. False on failures.
bool RunOnce(redis::Client& c, int rep, std::vector<Row>* rows_out, size_t* event_size_out) {
  const int batch = absl::GetFlag(FLAGS_batch);
  const int batches = absl::GetFlag(FLAGS_events) / batch;
  const int64_t events = int64_t{batches} * batch;
  const int threads = absl::GetFlag(FLAGS_threads);
  const int bytes = absl::GetFlag(FLAGS_event_bytes);
  const std::string run = absl::StrCat("b", absl::ToUnixMillis(absl::Now()), "r", rep);
  const redis::KeySpace keys(absl::StrCat("bench:", run, ":"));

  queue::RedisIngestStoreOptions so;
  so.client = &c;
  so.keys = keys;
  so.max_events_per_route = int64_t{1} << 40;
  auto store = *queue::RedisIngestStore::Create(so);
  queue::RedisQueueOptions qo;
  qo.client = &c;
  qo.keys = keys;
  qo.max_events_per_route = so.max_events_per_route;
  auto q = *queue::RedisQueue::Create(qo);

  // Batches are built up front: the measured client CPU is the stores' own work.
  std::vector<v1::IngestRequest> prepared;
  for (int b = 0; b < batches; ++b) prepared.push_back(MakeBatch(b * batch, batch, bytes, run));
  const size_t event_size = prepared[0].events(0).ByteSizeLong();
  std::atomic<int64_t> failures{0};

  std::vector<Row> rows;
  rows.push_back(Measure(c, "ingest (dedupe + XADD, 1 EVALSHA/batch)", events, [&] {
    Parallel(threads, batches, [&](int b) {
      auto r = store->DedupeAndAppend("bench", "route", prepared[b]);
      if (!r.ok() || !r->append.ok()) ++failures;
    });
  }));
  rows.push_back(Measure(c, "duplicates (same batches again)", events, [&] {
    Parallel(threads, batches, [&](int b) {
      auto r = store->DedupeAndAppend("bench", "route", prepared[b]);
      if (!r.ok()) ++failures;
    });
  }));
  rows.push_back(Measure(c, "consume (XREADGROUP + XACK/XDEL)", events, [&] {
    std::atomic<int64_t> left{events};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        while (left.load() > 0) {
          auto got = q->Read("route", 5, absl::Milliseconds(50));
          if (!got.ok()) {
            ++failures;
            return;
          }
          std::vector<std::string> ids;
          for (const auto& e : *got) {
            ids.push_back(e.id);
            left -= e.batch.events_size();
          }
          if (!ids.empty() && !q->Ack("route", ids).ok()) ++failures;
        }
      });
    }
    for (auto& th : pool) th.join();
  }));
  const std::string stream = keys.Stream("per-event");
  rows.push_back(Measure(c, "per-event SET NX EX + XADD (rejected design)", events, [&] {
    Parallel(threads, batches, [&](int b) {
      auto lease = c.Acquire();
      if (!lease.ok()) {
        ++failures;
        return;
      }
      std::vector<redis::Args> cmds;
      std::vector<std::string> payloads;
      cmds.reserve(2 * batch);
      payloads.reserve(batch);
      for (const auto& e : prepared[b].events()) {
        redis::Args set{"SET"};
        set.AddOwned(keys.Dedupe("per-event", "bench", 0) + e.event_id()).Add("1").Add("NX");
        set.Add("EX").Add(int64_t{86400});
        cmds.push_back(std::move(set));
        payloads.push_back(e.SerializeAsString());
        redis::Args xadd{"XADD", stream, "*", "e"};
        xadd.Add(payloads.back());
        cmds.push_back(std::move(xadd));
      }
      std::vector<const redis::Args*> ptrs;
      for (const auto& a : cmds) ptrs.push_back(&a);
      if (!(*lease)->Pipeline(ptrs).ok()) ++failures;
    });
  }));

  *rows_out = rows;
  *event_size_out = event_size;
  // Leave the Redis as we found it.
  for (const std::string& pattern : {absl::StrCat("*bench:", run, ":*")}) {
    auto found = c.Command(redis::Args{"KEYS", pattern});
    for (size_t i = 0; found.ok() && i < redis::ReplySize(found->get()); ++i) {
      (void)c.Command(redis::Args{"UNLINK", redis::ReplyString(redis::ReplyAt(found->get(), i))});
    }
  }
  if (failures.load() > 0)
    std::printf("FAILED calls: %lld\n", static_cast<long long>(failures.load()));
  return failures.load() == 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run() {
  auto ep = redis::ParseRedisUrl(absl::GetFlag(FLAGS_url));
  if (!ep.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ep.status().message()).c_str());
    return 2;
  }
  redis::ClientOptions co;
  co.connection.endpoint = *ep;
  co.connection.command_timeout = absl::Seconds(10);
  co.health_interval = absl::ZeroDuration();
  auto client = redis::Client::Create(co);
  if (!client.ok() || !(*client)->Command(redis::Args{"PING"}).ok()) {
    std::fprintf(stderr, "cannot reach %s\n", ep->Redacted().c_str());
    return 2;
  }
  redis::Client& c = **client;
  std::vector<std::vector<Row>> runs;
  size_t event_size = 0;
  for (int rep = 0; rep < std::max(1, absl::GetFlag(FLAGS_repeat)); ++rep) {
    std::vector<Row> rows;
    if (!RunOnce(c, rep, &rows, &event_size)) return 1;
    runs.push_back(std::move(rows));
  }
  const int64_t events = runs[0][0].events;
  std::printf(
      "\nRedis stores, %lld events of %zu bytes, batches of %d, %d client threads, "
      "median of %zu runs%s%s\n",
      static_cast<long long>(events), event_size, absl::GetFlag(FLAGS_batch),
      absl::GetFlag(FLAGS_threads), runs.size(), absl::GetFlag(FLAGS_label).empty() ? "" : ", ",
      absl::GetFlag(FLAGS_label).c_str());
  std::printf("%-46s %10s %12s %16s %16s\n", "phase", "wall s", "events/s", "redis CPU us/ev",
              "client CPU us/ev");
  std::vector<double> total;
  for (const auto& rows : runs) {
    total.push_back(1e6 * (rows[0].redis_cpu + rows[2].redis_cpu) / static_cast<double>(events));
  }
  for (size_t p = 0; p < runs[0].size(); ++p) {
    std::vector<double> wall, redis_us, client_us;
    for (const auto& rows : runs) {
      wall.push_back(rows[p].wall);
      redis_us.push_back(1e6 * rows[p].redis_cpu / rows[p].events);
      client_us.push_back(1e6 * rows[p].client_cpu / rows[p].events);
    }
    std::printf("%-46s %10.2f %12.0f %16.2f %16.2f\n", runs[0][p].phase.c_str(), Median(wall),
                runs[0][p].events / Median(wall), Median(redis_us), Median(client_us));
  }
  std::printf("%-46s %10s %12s %16.2f\n", "ingest + consume (budget: <= 2 us/event)", "", "",
              Median(total));
  return 0;
}

}  // namespace
}  // namespace tracegate

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tracegate::Run();
}
