// The export stage of every route, kept in step with config reloads.
//
//   ExporterSet exporters({.queue = q, .make_options = f});
//   auto plan = exporters.Prepare(*snapshot);           // builds, starts nothing
//   if (!plan.ok()) { /* refuse the reload; nothing changed */ }
//   holder.Store(snapshot);                             // new events use the new routes
//   std::vector<std::string> changes = exporters.Commit(*std::move(plan));
//   ...
//   exporters.StopAll(deadline);                        // shutdown: drain until deadline
//
// Per route name, comparing the route's config, its resolved Langfuse keys (key files are
// re-read on reload) and the export settings:
// - unchanged: the running exporter stays;
// - new: a new exporter starts;
// - changed (URL, keys, egress, ...): the new exporter starts, then the old one is retired:
//   it reads no more entries and gets `replaced_grace` (default: the old target's HTTP
//   timeout plus 1 s) to finish the requests it has in flight; entries it could not finish
//   go back to the queue (Release) and the new exporter delivers them. No event is dropped;
//   one that was in flight when the grace ran out may be sent twice (at-least-once);
// - removed: its exporter keeps delivering what is queued for the route and stops once the
//   route's queue is empty (or at StopAll).
// Thread-safety: Prepare/Commit/StopAll from one controlling thread at a time (the gateway
// serialises reloads); retirements run on their own threads, joined by StopAll.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/core/queue.h"
#include "gateway/core/route_target.h"
#include "gateway/export/route_exporter.h"
#include "gateway/server/reload_snapshot.h"

namespace tracegate::server {

struct ExporterSetOptions {
  core::Queue* queue = nullptr;
  const core::Clock* clock = &core::Clock::Real();
  // RouteExporterOptions for one target under one config (batching, backoff, transports).
  std::function<exporter::RouteExporterOptions(std::shared_ptr<const core::RouteTarget>,
                                               const tracegate::config::v1::Config&)>
      make_options;
  // Grace for a replaced exporter's in-flight requests; zero = target timeout + 1 s.
  absl::Duration replaced_grace = absl::ZeroDuration();
  // How often a removed route's queue is checked for emptiness.
  absl::Duration removed_poll = absl::Milliseconds(200);
  // At StopAll, whether current exporters drain their queues (a queue that dies with the
  // process) or only finish what they read (a durable queue: the rest waits for others).
  exporter::StopMode shutdown_mode = exporter::StopMode::kDrain;
};

class ExporterSet {
 public:
  struct Entry {
    std::string route;
    tracegate::config::v1::Route route_config;
    tracegate::config::v1::Export export_config;
    std::string public_key;
    std::string secret_key;
    std::shared_ptr<exporter::RouteExporter> exporter;
  };
  struct Plan {
    std::vector<Entry> next;      // the set after Commit, in config order
    std::vector<Entry> started;   // created by Prepare, started by Commit
    std::vector<Entry> replaced;  // retired with a grace
    std::vector<Entry> removed;   // retired when their queue is empty
  };

  explicit ExporterSet(ExporterSetOptions options);
  ~ExporterSet();
  ExporterSet(const ExporterSet&) = delete;
  ExporterSet& operator=(const ExporterSet&) = delete;

  // Errors: the RouteExporter::Create error, prefixed "route \"<name>\": ".
  absl::StatusOr<Plan> Prepare(const Snapshot& next) const;
  // Starts and retires; returns one line per change ("route \"a\": added", ...). A start
  // failure is logged and listed (the route then has no exporter until the next reload).
  std::vector<std::string> Commit(Plan plan);
  // Stops every exporter (running and retiring), exporting until `deadline` (draining the
  // queue when options.shutdown_mode is kDrain). Idempotent.
  void StopAll(absl::Time deadline);

  // Names of the routes with a current exporter, in config order (tests, metrics).
  std::vector<std::string> routes() const;
  size_t retiring() const;

 private:
  void Retire(Entry entry, bool removed);

  const ExporterSetOptions options_;
  std::vector<Entry> current_;
  mutable absl::Mutex mu_;
  size_t retiring_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time stop_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Notification stopping_;
  std::vector<std::thread> retirers_;
};

}  // namespace tracegate::server
