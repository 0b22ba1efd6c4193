#include "gateway/server/gateway.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "gateway/admin/admin_server.h"
#include "gateway/auth/authenticator.h"
#include "gateway/config/validate_config.h"
#include "gateway/export/curl_transport.h"
#include "gateway/export/langfuse_client.h"
#include "gateway/export/route_exporter.h"
#include "gateway/observability/log.h"
#include "gateway/observability/prometheus_telemetry.h"
#include "gateway/privacy/policy_set.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gateway/receive/ingest_service.h"
#include "gateway/receive/worker_pool.h"
#include "gateway/route/router.h"
#include "gateway/server/reload_diff.h"
#include "gateway/server/reload_exporters.h"
#include "gateway/server/reload_snapshot.h"
#include "gateway/server/stores.h"
#include "gateway/server/tls_listener.h"
#include "gateway/validate/validator.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace tracegate::server {

struct Gateway::Impl {
  const core::Clock* clock = nullptr;
  std::function<std::unique_ptr<exporter::HttpTransport>()> transport_factory;
  std::function<absl::StatusOr<config::LoadedConfig>()> load_config;
  std::unique_ptr<observability::PrometheusTelemetry> telemetry;
  // Dedupe and queue: Redis (shared by replicas) or embedded; see stores.h.
  Stores stores;
  core::Queue* queue = nullptr;  // stores.queue
  // The config-dependent stages (auth, routes, limits, rate limits, pipeline); see reload_*.h.
  SnapshotHolder live;
  std::unique_ptr<ExporterSet> exporters;
  absl::Mutex reload_mu;  // serialises Reload() and Shutdown()
  std::unique_ptr<receive::WorkerPool> pool;
  std::unique_ptr<receive::IngestService> service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<admin::AdminServer> admin;
  int grpc_port = 0;
  std::atomic<bool> ready{false};
  std::atomic<bool> stopped{false};
  // Keeps the gRPC health service in step with /readyz (Redis lost or back), so that
  // meshes and load balancers probing gRPC health take a replica out like HTTP probes do.
  std::thread health_watcher;
  absl::Notification stop_health_watcher;

  void WatchHealth(absl::Duration period) {
    bool serving = true;  // as set at start
    while (!stop_health_watcher.WaitForNotificationWithTimeout(period)) {
      const std::string reason = NotReadyReason();
      const bool now_serving = reason.empty();
      if (now_serving == serving || stopped.load()) continue;
      serving = now_serving;
      grpc_server->GetHealthCheckService()->SetServingStatus(serving);
      if (serving) {
        log::Info("ready again: gRPC health SERVING");
      } else {
        log::Warn("not ready: gRPC health NOT_SERVING", {{"reason", reason}});
      }
    }
  }

  // The ingest pipeline of one config version (its routes, validation limits, policies).
  absl::StatusOr<std::unique_ptr<receive::IngestPipeline>> MakePipeline(const Snapshot& snap) {
    receive::IngestPipelineOptions popts;
    const route::Router* router = snap.router.get();
    const validate::Validator* validator = snap.validator.get();
    popts.route = [router](absl::string_view ws) { return router->Find(ws); };
    popts.validate = [validator](const tracegate::v1::TraceEvent& ev, absl::Time now) {
      return validator->Validate(ev, now);
    };
    popts.store = stores.store.get();
    // Privacy and enrichment policies of this config version, per route and workspace.
    auto policies = privacy::PolicySet::Create(snap.config);
    if (!policies.ok()) return policies.status();
    for (const std::string& w : (*policies)->warnings()) log::Warn(w);
    std::shared_ptr<const privacy::PolicySet> policy_set = *std::move(policies);
    popts.policy = [policy_set](tracegate::v1::TraceEvent& ev, const core::RouteTarget& route,
                                const receive::RequestContext& request) -> absl::StatusOr<bool> {
      const privacy::Policy* policy = policy_set->Find(route.name, ev.workspace());
      if (policy == nullptr) return true;
      return policy->Apply(ev, privacy::RequestInfo{request.request_id, request.app_id});
    };
    popts.telemetry = telemetry.get();
    popts.clock = clock;
    popts.max_events_per_batch = snap.config.limits().max_events_per_batch();
    return receive::IngestPipeline::Create(std::move(popts));
  }

  // How one route's exporter is set up under `cfg` (batching, backoff, transport).
  exporter::RouteExporterOptions ExporterOptions(std::shared_ptr<const core::RouteTarget> target,
                                                 const tracegate::config::v1::Config& cfg);

  absl::StatusOr<std::shared_ptr<Snapshot>> Build(tracegate::config::v1::Config config,
                                                  const Snapshot* previous) {
    SnapshotOptions o;
    o.clock = clock;
    o.make_pipeline = [this](const Snapshot& s) { return MakePipeline(s); };
    return BuildSnapshot(std::move(config), previous, o);
  }

  absl::StatusOr<ReloadResult> Reload();
  Gateway* owner = nullptr;  // for the admin reload endpoint (logs through Gateway::Reload)

  std::string NotReadyReason() const {
    if (stopped.load()) return "stopped";
    if (service && service->draining()) return "draining";
    if (!ready.load()) return "starting";
    return stores.NotReadyReason();
  }

  std::string MetricsText() const {
    std::shared_ptr<const Snapshot> snap = live.Load();
    for (const auto& r : snap->router->routes()) {
      telemetry->SetQueueStats(r->name, queue->Stats(r->name));
    }
    return telemetry->Render() + snap->limiter->RenderPrometheus();
  }

  // POST /admin/dead-letters/replay: moves the oldest dead letters back into the queue.
  absl::StatusOr<std::string> ReplayDeadLetters(const std::string& route_name,
                                                size_t limit) const {
    bool known = false;
    for (const auto& r : live.Load()->router->routes()) known |= r->name == route_name;
    if (!known) return absl::NotFoundError(absl::StrCat("route \"", route_name, "\": unknown"));
    absl::StatusOr<int64_t> n = queue->ReplayDeadLetters(route_name, limit);
    if (!n.ok()) return n.status();
    log::Info("dead letters replayed", {{"route", route_name}, {"events", absl::StrCat(*n)}});
    nlohmann::json out = {{"route", route_name}, {"replayed", *n}};
    return out.dump() + "\n";
  }

  absl::StatusOr<std::string> DeadLettersJson(const std::string& route_name, size_t limit) const {
    bool known = false;
    for (const auto& r : live.Load()->router->routes()) known |= r->name == route_name;
    if (!known) return absl::NotFoundError(absl::StrCat("route \"", route_name, "\": unknown"));
    auto letters = queue->ListDeadLetters(route_name, limit);
    if (!letters.ok()) return letters.status();
    nlohmann::json out = nlohmann::json::array();
    for (const core::DeadLetter& d : *letters) {
      std::string event_json;
      (void)google::protobuf::util::MessageToJsonString(d.event, &event_json);
      nlohmann::json item;
      item["route"] = d.route;
      item["event_id"] = d.event.event_id();
      item["workspace"] = d.event.workspace();
      item["reason"] = d.reason;
      item["at"] = absl::FormatTime(absl::RFC3339_full, d.at, absl::UTCTimeZone());
      item["event"] = nlohmann::json::parse(event_json, nullptr, false);
      out.push_back(std::move(item));
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
};

namespace {

absl::Duration DurationOr(const std::string& text, absl::string_view key, absl::Duration dflt) {
  if (text.empty()) return dflt;
  auto d = config::ParseDurationField(text, key);
  return d.ok() ? *d : dflt;
}

}  // namespace

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() { Shutdown(absl::ZeroDuration()); }
int Gateway::grpc_port() const { return impl_->grpc_port; }
int Gateway::admin_port() const { return impl_->admin ? impl_->admin->port() : 0; }

exporter::RouteExporterOptions Gateway::Impl::ExporterOptions(
    std::shared_ptr<const core::RouteTarget> target, const tracegate::config::v1::Config& cfg) {
  const auto& ex = cfg.export_();
  exporter::RouteExporterOptions eopts;
  eopts.target = target;  // "auto" egress is resolved by the exporter at Start()
  eopts.queue = queue;
  if (transport_factory) {
    eopts.transport_factory = transport_factory;
  } else {
    exporter::CurlTransportOptions copts;
    copts.ca_file = target->ca_file;
    eopts.transport_factory = exporter::CurlTransport::Factory(copts);
  }
  eopts.clock = clock;
  eopts.telemetry = telemetry.get();
  eopts.max_batch_events = ex.max_batch_events();
  eopts.max_batch_bytes = ex.max_batch_bytes();
  eopts.linger = DurationOr(ex.linger(), "export.linger", absl::Milliseconds(200));
  eopts.initial_backoff =
      DurationOr(ex.initial_backoff(), "export.initial_backoff", absl::Milliseconds(500));
  eopts.max_backoff = DurationOr(ex.max_backoff(), "export.max_backoff", absl::Seconds(30));
  eopts.max_attempts = static_cast<int>(ex.max_attempts());
  eopts.gzip_level = ex.gzip_level();
  eopts.workers = static_cast<int>(std::max<uint32_t>(1, ex.workers_per_route()));
  return eopts;
}

absl::StatusOr<ReloadResult> Gateway::Impl::Reload() {
  absl::MutexLock lock(&reload_mu);
  if (stopped.load()) return absl::FailedPreconditionError("the gateway is shutting down");
  if (!load_config) return absl::FailedPreconditionError("no config source to reload from");
  absl::StatusOr<config::LoadedConfig> loaded = load_config();
  if (!loaded.ok()) return loaded.status();
  std::shared_ptr<const Snapshot> current = live.Load();
  auto next = Build(loaded->config, current.get());
  if (!next.ok()) return next.status();
  auto plan = exporters->Prepare(**next);
  if (!plan.ok()) return plan.status();

  ReloadResult result;
  result.version = (*next)->version;
  result.changes = DescribeChanges(current->config, (*next)->config);
  result.warnings = loaded->warnings;
  for (std::string& w : RestartOnlyChanges(current->config, (*next)->config)) {
    result.warnings.push_back(std::move(w));
  }
  log::Level level;
  if (log::ParseLevel((*next)->config.logging().level(), &level)) log::SetLevel(level);
  live.Store(*next);  // new calls use the new version from here on
  for (std::string& c : exporters->Commit(*std::move(plan))) result.changes.push_back(std::move(c));
  return result;
}

absl::StatusOr<ReloadResult> Gateway::Reload() {
  absl::StatusOr<ReloadResult> result = impl_->Reload();
  if (!result.ok()) {
    log::Error("config reload refused; the running config stays",
               {{"error", result.status().message()}});
    return result;
  }
  log::Info("config reloaded", {{"version", absl::StrCat(result->version)},
                                {"changes", absl::StrJoin(result->changes, "; ")}});
  for (const std::string& w : result->warnings) log::Warn(w);
  return result;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  auto impl = std::make_unique<Impl>();
  const tracegate::config::v1::Config cfg = std::move(options.config);
  impl->clock = options.clock;
  impl->transport_factory = std::move(options.transport_factory);
  impl->load_config = std::move(options.load_config);

  impl->telemetry = std::make_unique<observability::PrometheusTelemetry>();

  auto stores = MakeStores(cfg, impl->clock);
  if (!stores.ok()) return stores.status();
  impl->stores = *std::move(stores);
  impl->queue = impl->stores.queue.get();

  // Auth, routes, validation, rate limits and the pipeline: one snapshot, swapped on reload.
  auto snapshot = impl->Build(cfg, nullptr);
  if (!snapshot.ok()) return snapshot.status();
  impl->live.Store(*snapshot);
  Impl* raw = impl.get();

  // Exporters, one per route.
  ExporterSetOptions xopts;
  xopts.queue = impl->queue;
  xopts.clock = impl->clock;
  xopts.shutdown_mode = impl->stores.durable() ? exporter::StopMode::kFinishInFlight
                                               : exporter::StopMode::kDrain;
  xopts.make_options = [raw](std::shared_ptr<const core::RouteTarget> target,
                             const tracegate::config::v1::Config& c) {
    return raw->ExporterOptions(std::move(target), c);
  };
  impl->exporters = std::make_unique<ExporterSet>(std::move(xopts));
  auto plan = impl->exporters->Prepare(**snapshot);
  if (!plan.ok()) return plan.status();
  for (const auto& e : plan->started) {
    if (absl::Status st = e.exporter->Start(); !st.ok()) {
      for (const auto& started : plan->started) started.exporter->Stop(impl->clock->Now());
      return absl::Status(st.code(), absl::StrCat("route \"", e.route, "\": ", st.message()));
    }
  }
  plan->started.clear();  // started above
  impl->exporters->Commit(*std::move(plan));

  const int threads = cfg.server().ingest_threads() > 0
                          ? static_cast<int>(cfg.server().ingest_threads())
                          : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  impl->pool = std::make_unique<receive::WorkerPool>(threads, /*max_pending=*/4096);

  receive::IngestServiceOptions sopts;
  sopts.scope = [raw] { return raw->live.Scope(); };
  sopts.pool = impl->pool.get();
  impl->service = std::make_unique<receive::IngestService>(sopts);

  auto credentials = ListenerCredentials(cfg.security().tls());
  if (!credentials.ok()) {
    impl->exporters->StopAll(impl->clock->Now());
    return credentials.status();
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(cfg.server().grpc_listen(), *credentials, &impl->grpc_port);
  ApplyConnectionSettings(cfg, &builder);
  builder.RegisterService(impl->service.get());
  impl->grpc_server = builder.BuildAndStart();
  if (!impl->grpc_server || impl->grpc_port == 0) {
    impl->exporters->StopAll(impl->clock->Now());
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", cfg.server().grpc_listen()));
  }

  admin::AdminServerOptions aopts;
  aopts.listen = cfg.server().admin_listen();
  aopts.not_ready_reason = [raw] { return raw->NotReadyReason(); };
  aopts.metrics_text = [raw] { return raw->MetricsText(); };
  aopts.dead_letters_json = [raw](const std::string& route, size_t limit) {
    return raw->DeadLettersJson(route, limit);
  };
  aopts.replay_dead_letters = [raw](const std::string& route, size_t limit) {
    return raw->ReplayDeadLetters(route, limit);
  };
  aopts.check_admin_key = [raw](absl::string_view authorization) -> std::optional<bool> {
    std::shared_ptr<const Snapshot> snap = raw->live.Load();
    if (snap->admin == nullptr) return std::nullopt;
    return IsAdminKey(*snap, authorization);
  };
  aopts.reload = [raw]() -> absl::StatusOr<std::string> {
    absl::StatusOr<ReloadResult> r = raw->owner->Reload();
    if (!r.ok()) return r.status();
    nlohmann::json out = {{"version", r->version}, {"changes", r->changes},
                          {"warnings", r->warnings}};
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  auto admin = admin::AdminServer::Start(std::move(aopts));
  if (!admin.ok()) {
    impl->grpc_server->Shutdown();
    impl->exporters->StopAll(impl->clock->Now());
    return admin.status();
  }
  impl->admin = *std::move(admin);
  impl->grpc_server->GetHealthCheckService()->SetServingStatus(true);
  impl->ready.store(true);
  impl->health_watcher = std::thread([raw] { raw->WatchHealth(absl::Milliseconds(200)); });
  log::Info("tracegate listening",
            {{"grpc_port", absl::StrCat(impl->grpc_port)},
             {"admin_port", absl::StrCat(impl->admin->port())},
             {"tls", cfg.security().tls().cert_file().empty()
                         ? "off"
                         : (cfg.security().tls().client_ca_file().empty() ? "on" : "mtls")},
             {"routes", absl::StrCat((*snapshot)->router->routes().size())}});
  auto gateway = std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
  raw->owner = gateway.get();
  return gateway;
}

void Gateway::Shutdown(absl::Duration drain) {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  const absl::Time deadline = absl::Now() + drain;
  s.ready.store(false);
  s.stop_health_watcher.Notify();
  if (s.health_watcher.joinable()) s.health_watcher.join();
  if (s.grpc_server) {
    s.grpc_server->GetHealthCheckService()->SetServingStatus(false);
    s.service->BeginDrain();
    // In-flight unary calls and stream batches finish; anything left at the deadline is
    // cancelled (its client gets no ACCEPTED, so it resends).
    s.grpc_server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::milliseconds(std::max<int64_t>(
                                1000, absl::ToInt64Milliseconds(drain) / 2)));
  }
  if (s.pool) s.pool->Stop();
  {
    absl::MutexLock reload_lock(&s.reload_mu);  // no reload races the drain
    if (s.exporters) s.exporters->StopAll(deadline);
  }
  int64_t left = 0;
  if (std::shared_ptr<const Snapshot> snap = s.live.Load(); snap && s.queue) {
    for (const auto& r : snap->router->routes()) left += s.queue->Stats(r->name).events;
  }
  if (s.queue) s.queue->Close();
  if (s.admin) s.admin->Stop();
  if (left > 0 && s.stores.durable()) {
    log::Info("shutdown complete: events still queued stay in Redis for the other replicas "
              "or the next start",
              {{"events", absl::StrCat(left)}});
  } else if (left > 0) {
    log::Error("shutdown: events still queued were not delivered (embedded queue)",
               {{"events", absl::StrCat(left)}});
  } else {
    log::Info("shutdown complete: queue drained");
  }
}

}  // namespace tracegate::server
