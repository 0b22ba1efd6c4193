#include "gateway/server/reload_exporters.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/observability/log.h"
#include "google/protobuf/util/message_differencer.h"

namespace tracegate::server {
namespace {

using google::protobuf::util::MessageDifferencer;

// Whether the exporter of `a` can serve `b` unchanged. A route's privacy policy acts before
// events are queued (in the pipeline), so it does not make a new exporter.
bool SameTarget(const ExporterSet::Entry& a, const ExporterSet::Entry& b) {
  MessageDifferencer route_differ;
  const auto* privacy = a.route_config.GetDescriptor()->FindFieldByName("privacy");
  if (privacy != nullptr) route_differ.IgnoreField(privacy);
  return route_differ.Compare(a.route_config, b.route_config) &&
         MessageDifferencer::Equals(a.export_config, b.export_config) &&
         a.public_key == b.public_key && a.secret_key == b.secret_key;
}

}  // namespace

ExporterSet::ExporterSet(ExporterSetOptions options) : options_(std::move(options)) {}

ExporterSet::~ExporterSet() { StopAll(options_.clock->Now()); }

absl::StatusOr<ExporterSet::Plan> ExporterSet::Prepare(const Snapshot& next) const {
  Plan plan;
  std::vector<bool> kept(current_.size(), false);
  for (const auto& target : next.router->routes()) {
    Entry entry;
    entry.route = target->name;
    for (const auto& r : next.config.routes()) {
      if (r.name() == target->name) entry.route_config = r;
    }
    entry.export_config = next.config.export_();
    entry.public_key = target->public_key;
    entry.secret_key = target->secret_key;
    const Entry* old = nullptr;
    for (size_t i = 0; i < current_.size(); ++i) {
      if (current_[i].route == entry.route) {
        old = &current_[i];
        kept[i] = true;
      }
    }
    if (old != nullptr && SameTarget(*old, entry)) {
      plan.next.push_back(*old);
      continue;
    }
    auto exporter = exporter::RouteExporter::Create(options_.make_options(target, next.config));
    if (!exporter.ok()) {
      return absl::Status(
          exporter.status().code(),
          absl::StrCat("route \"", target->name, "\": ", exporter.status().message()));
    }
    entry.exporter = std::shared_ptr<exporter::RouteExporter>(std::move(*exporter));
    plan.next.push_back(entry);
    plan.started.push_back(entry);
    if (old != nullptr) plan.replaced.push_back(*old);
  }
  for (size_t i = 0; i < current_.size(); ++i) {
    if (!kept[i]) plan.removed.push_back(current_[i]);
  }
  return plan;
}

std::vector<std::string> ExporterSet::Commit(Plan plan) {
  std::vector<std::string> changes;
  for (Entry& e : plan.started) {
    bool replacing = false;
    for (const Entry& r : plan.replaced) replacing |= r.route == e.route;
    if (absl::Status st = e.exporter->Start(); !st.ok()) {
      log::Error("export: cannot start route", {{"route", e.route}, {"error", st.message()}});
      changes.push_back(absl::StrCat("route \"", e.route, "\": cannot start: ", st.message()));
      continue;
    }
    changes.push_back(absl::StrCat("route \"", e.route,
                                   "\": ", replacing ? "target changed, new exporter" : "added"));
  }
  for (Entry& e : plan.replaced) Retire(std::move(e), /*removed=*/false);
  for (Entry& e : plan.removed) {
    changes.push_back(
        absl::StrCat("route \"", e.route, "\": removed (its queued events are still delivered)"));
    Retire(std::move(e), /*removed=*/true);
  }
  current_ = std::move(plan.next);
  return changes;
}

void ExporterSet::Retire(Entry entry, bool removed) {
  {
    absl::MutexLock lock(&mu_);
    ++retiring_;
  }
  absl::Duration grace = options_.replaced_grace;
  if (grace <= absl::ZeroDuration()) {
    absl::Duration timeout;
    if (!absl::ParseDuration(entry.route_config.langfuse().timeout(), &timeout)) {
      timeout = absl::Seconds(10);
    }
    grace = timeout + absl::Seconds(1);
  }
  retirers_.emplace_back([this, entry = std::move(entry), removed, grace] {
    absl::Time deadline = options_.clock->Now() + grace;
    if (removed) {
      // Keep delivering until nothing of this route is queued or pending, or shutdown.
      while (!stopping_.WaitForNotificationWithTimeout(options_.removed_poll)) {
        if (options_.queue->Stats(entry.route).events == 0) break;
      }
      absl::MutexLock lock(&mu_);
      deadline = stopping_.HasBeenNotified() ? stop_deadline_ : options_.clock->Now();
    }
    entry.exporter->Stop(deadline);
    log::Info("export: retired route exporter", {{"route", entry.route}});
    absl::MutexLock lock(&mu_);
    --retiring_;
  });
}

void ExporterSet::StopAll(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    stop_deadline_ = deadline;
  }
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  // Current exporters stop together: each Stop only signals and joins its own threads, so
  // signal all first (a drain of one route must not hold up another route's).
  std::vector<std::thread> stoppers;
  for (Entry& e : current_) {
    stoppers.emplace_back([&e, deadline, mode = options_.shutdown_mode] {
      e.exporter->Stop(deadline, mode);
    });
  }
  for (std::thread& t : stoppers) t.join();
  for (std::thread& t : retirers_) t.join();
  retirers_.clear();
}

std::vector<std::string> ExporterSet::routes() const {
  std::vector<std::string> names;
  for (const Entry& e : current_) names.push_back(e.route);
  return names;
}

size_t ExporterSet::retiring() const {
  absl::MutexLock lock(&mu_);
  return retiring_;
}

}  // namespace tracegate::server
