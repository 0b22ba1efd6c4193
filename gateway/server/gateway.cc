#include "gateway/server/gateway.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "gateway/admin/admin_server.h"
#include "gateway/auth/authenticator.h"
#include "gateway/config/validate_config.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/export/curl_transport.h"
#include "gateway/export/langfuse_client.h"
#include "gateway/export/route_exporter.h"
#include "gateway/observability/log.h"
#include "gateway/observability/prometheus_telemetry.h"
#include "gateway/queue/memory_queue.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gateway/receive/ingest_service.h"
#include "gateway/receive/worker_pool.h"
#include "gateway/route/router.h"
#include "gateway/validate/validator.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace tracegate::server {

struct Gateway::Impl {
  tracegate::config::v1::Config config;
  const core::Clock* clock = nullptr;
  std::unique_ptr<observability::PrometheusTelemetry> telemetry;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<route::Router> router;
  std::unique_ptr<validate::Validator> validator;
  std::unique_ptr<core::Deduper> deduper;
  std::unique_ptr<core::Queue> queue;
  std::vector<std::unique_ptr<exporter::RouteExporter>> exporters;
  std::unique_ptr<receive::IngestPipeline> pipeline;
  std::unique_ptr<receive::WorkerPool> pool;
  std::unique_ptr<receive::IngestService> service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<admin::AdminServer> admin;
  int grpc_port = 0;
  std::atomic<bool> ready{false};
  std::atomic<bool> stopped{false};

  std::string NotReadyReason() const {
    if (stopped.load()) return "stopped";
    if (service && service->draining()) return "draining";
    if (!ready.load()) return "starting";
    return "";
  }

  std::string MetricsText() const {
    for (const auto& r : router->routes()) telemetry->SetQueueStats(r->name, queue->Stats(r->name));
    return telemetry->Render();
  }

  absl::StatusOr<std::string> DeadLettersJson(const std::string& route_name, size_t limit) const {
    bool known = false;
    for (const auto& r : router->routes()) known |= r->name == route_name;
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

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(options.config);
  impl->clock = options.clock;
  const auto& cfg = impl->config;

  impl->telemetry = std::make_unique<observability::PrometheusTelemetry>();

  auto authenticator = auth::Authenticator::Create(cfg.api_keys());
  if (!authenticator.ok()) return authenticator.status();
  impl->authenticator = *std::move(authenticator);

  auto router = route::Router::Create(cfg.routes(), route::RouterOptions{});
  if (!router.ok()) return router.status();
  impl->router = *std::move(router);

  validate::ValidateOptions vopts;
  vopts.max_id_chars = cfg.limits().max_id_chars();
  vopts.max_event_bytes = cfg.limits().max_event_bytes();
  vopts.max_name_chars = cfg.limits().max_name_chars();
  vopts.max_tags = cfg.limits().max_tags();
  vopts.max_future_skew =
      DurationOr(cfg.limits().max_future_skew(), "limits.max_future_skew", absl::Hours(24));
  impl->validator = std::make_unique<validate::Validator>(vopts);

  dedupe::MemoryDeduperOptions dopts;
  dopts.window = DurationOr(cfg.dedupe().window(), "dedupe.window", absl::Hours(24));
  dopts.max_entries_per_workspace = cfg.dedupe().max_entries();
  dopts.clock = impl->clock;
  impl->deduper = std::make_unique<dedupe::MemoryDeduper>(dopts);

  queue::MemoryQueueOptions qopts;
  qopts.max_events_per_route = cfg.queue().max_events_per_route();
  qopts.clock = impl->clock;
  impl->queue = std::make_unique<queue::MemoryQueue>(qopts);
  log::Warn("embedded queue and dedupe: single replica, queued events are lost if the "
            "process dies (configure Redis for durability)");

  // Exporters, one per route.
  const auto& ex = cfg.export_();
  for (const auto& target : impl->router->routes()) {
    exporter::RouteExporterOptions eopts;
    eopts.target = target;  // "auto" egress is resolved by the exporter at Start()
    eopts.queue = impl->queue.get();
    if (options.transport_factory) {
      eopts.transport_factory = options.transport_factory;
    } else {
      exporter::CurlTransportOptions copts;
      copts.ca_file = target->ca_file;
      eopts.transport_factory = exporter::CurlTransport::Factory(copts);
    }
    eopts.clock = impl->clock;
    eopts.telemetry = impl->telemetry.get();
    eopts.max_batch_events = ex.max_batch_events();
    eopts.max_batch_bytes = ex.max_batch_bytes();
    eopts.linger = DurationOr(ex.linger(), "export.linger", absl::Milliseconds(200));
    eopts.initial_backoff =
        DurationOr(ex.initial_backoff(), "export.initial_backoff", absl::Milliseconds(500));
    eopts.max_backoff = DurationOr(ex.max_backoff(), "export.max_backoff", absl::Seconds(30));
    eopts.max_attempts = static_cast<int>(ex.max_attempts());
    eopts.gzip_level = ex.gzip_level();
    eopts.workers = static_cast<int>(std::max<uint32_t>(1, ex.workers_per_route()));
    auto exp = exporter::RouteExporter::Create(eopts);
    if (!exp.ok()) {
      return absl::Status(exp.status().code(), absl::StrCat("route \"", target->name,
                                                            "\": ", exp.status().message()));
    }
    impl->exporters.push_back(*std::move(exp));
  }
  for (auto& e : impl->exporters) {
    if (absl::Status st = e->Start(); !st.ok()) {
      for (auto& started : impl->exporters) started->Stop(impl->clock->Now());
      return st;
    }
  }

  receive::IngestPipelineOptions popts;
  Impl* raw = impl.get();
  popts.route = [raw](absl::string_view ws) { return raw->router->Find(ws); };
  popts.validate = [raw](const tracegate::v1::TraceEvent& ev, absl::Time now) {
    return raw->validator->Validate(ev, now);
  };
  popts.deduper = impl->deduper.get();
  popts.queue = impl->queue.get();
  popts.telemetry = impl->telemetry.get();
  popts.clock = impl->clock;
  popts.max_events_per_batch = cfg.limits().max_events_per_batch();
  auto pipeline = receive::IngestPipeline::Create(std::move(popts));
  if (!pipeline.ok()) return pipeline.status();
  impl->pipeline = *std::move(pipeline);

  const int threads = cfg.server().ingest_threads() > 0
                          ? static_cast<int>(cfg.server().ingest_threads())
                          : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  impl->pool = std::make_unique<receive::WorkerPool>(threads, /*max_pending=*/4096);

  receive::IngestServiceOptions sopts;
  sopts.authenticate = [raw](absl::string_view authorization) {
    return raw->authenticator->Authenticate(authorization);
  };
  sopts.pipeline = impl->pipeline.get();
  sopts.pool = impl->pool.get();
  impl->service = std::make_unique<receive::IngestService>(sopts);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(cfg.server().grpc_listen(), grpc::InsecureServerCredentials(),
                           &impl->grpc_port);
  // No SO_REUSEPORT: a second gateway on the same port must fail, not silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(cfg.server().max_receive_message_bytes()));
  builder.RegisterService(impl->service.get());
  impl->grpc_server = builder.BuildAndStart();
  if (!impl->grpc_server || impl->grpc_port == 0) {
    for (auto& e : impl->exporters) e->Stop(impl->clock->Now());
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
  auto admin = admin::AdminServer::Start(std::move(aopts));
  if (!admin.ok()) {
    impl->grpc_server->Shutdown();
    for (auto& e : impl->exporters) e->Stop(impl->clock->Now());
    return admin.status();
  }
  impl->admin = *std::move(admin);
  impl->grpc_server->GetHealthCheckService()->SetServingStatus(true);
  impl->ready.store(true);
  log::Info("tracegate listening",
            {{"grpc_port", absl::StrCat(impl->grpc_port)},
             {"admin_port", absl::StrCat(impl->admin->port())},
             {"routes", absl::StrCat(impl->router->routes().size())}});
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

void Gateway::Shutdown(absl::Duration drain) {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  const absl::Time deadline = absl::Now() + drain;
  s.ready.store(false);
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
  for (auto& e : s.exporters) e->Stop(deadline);
  int64_t left = 0;
  if (s.router) {
    for (const auto& r : s.router->routes()) left += s.queue->Stats(r->name).events;
  }
  if (s.queue) s.queue->Close();
  if (s.admin) s.admin->Stop();
  if (left > 0) {
    log::Error("shutdown: events still queued were not delivered (embedded queue)",
               {{"events", absl::StrCat(left)}});
  } else {
    log::Info("shutdown complete: queue drained");
  }
}

}  // namespace tracegate::server
