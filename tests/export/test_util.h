// Builders for test events and a recording Telemetry, shared by the export tests.
#pragma once

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/core/route_target.h"
#include "gateway/core/telemetry.h"
#include "gateway/export/gzip.h"
#include "gateway/export/http_transport.h"
#include "otlpwire/otlp_trace.pb.h"
#include "tracegate/v1/ingest_service.pb.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::exporter::testing {

inline google::protobuf::Timestamp Ts(int64_t seconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  return t;
}

inline v1::TraceEvent Observation(const std::string& id, const std::string& name = "step",
                                  const std::string& workspace = "ws") {
  v1::TraceEvent e;
  e.set_event_id("ev-" + id);
  e.set_workspace(workspace);
  *e.mutable_timestamp() = Ts(1767225600);
  v1::Observation* o = e.mutable_observation();
  o->set_id(id);
  o->set_trace_id("trace-1");
  o->set_type(v1::OBSERVATION_TYPE_SPAN);
  o->set_name(name);
  *o->mutable_start_time() = Ts(1767225600);
  *o->mutable_end_time() = Ts(1767225601);
  return e;
}

inline v1::TraceEvent Trace(const std::string& id, const std::string& workspace = "ws") {
  v1::TraceEvent e;
  e.set_event_id("ev-" + id);
  e.set_workspace(workspace);
  *e.mutable_timestamp() = Ts(1767225600);
  e.mutable_trace()->set_id(id);
  e.mutable_trace()->set_name("request");
  return e;
}

inline v1::TraceEvent Score(const std::string& id, const std::string& workspace = "ws") {
  v1::TraceEvent e;
  e.set_event_id("ev-" + id);
  e.set_workspace(workspace);
  *e.mutable_timestamp() = Ts(1767225600);
  v1::Score* s = e.mutable_score();
  s->set_id(id);
  s->set_trace_id("trace-1");
  s->set_name("quality");
  s->set_numeric_value(0.5);
  return e;
}

inline v1::IngestRequest Batch(std::initializer_list<v1::TraceEvent> events) {
  v1::IngestRequest r;
  for (const auto& e : events) *r.add_events() = e;
  return r;
}

// Span names of an OTLP request body (gzip-compressed ExportTraceServiceRequest); empty
// with `ok` = false when it does not decode.
inline std::vector<std::string> SpanNames(const HttpRequest& request, bool* ok = nullptr) {
  std::vector<std::string> names;
  auto plain = Gunzip(request.body);
  otlpwire::ExportTraceServiceRequest parsed;
  bool good = plain.ok() && parsed.ParseFromString(*plain);
  if (ok != nullptr) *ok = good;
  if (!good) return names;
  for (const auto& rs : parsed.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) names.push_back(span.name());
    }
  }
  return names;
}

inline std::shared_ptr<core::RouteTarget> MakeTarget(core::Egress egress) {
  auto t = std::make_shared<core::RouteTarget>();
  t->name = "main";
  t->base_url = "http://langfuse:3000";
  t->public_key = "pk-lf-test";
  t->secret_key = "sk-lf-test";
  t->egress = egress;
  return t;
}

class RecordingTelemetry : public core::Telemetry {
 public:
  void OnExportRequest(absl::string_view route, absl::string_view endpoint, int status,
                       absl::Duration latency) override {
    absl::MutexLock lock(&mu_);
    ++requests_[absl::StrCat(endpoint, ":", status)];
  }
  void OnExportRetry(absl::string_view route, absl::string_view endpoint) override {
    absl::MutexLock lock(&mu_);
    ++retries_;
  }
  void OnEventsDelivered(absl::string_view route, int64_t n) override {
    absl::MutexLock lock(&mu_);
    delivered_ += n;
  }
  void OnEventsFailed(absl::string_view route, int64_t n, absl::string_view reason) override {
    absl::MutexLock lock(&mu_);
    failed_[std::string(reason)] += n;
  }
  int64_t delivered() const {
    absl::MutexLock lock(&mu_);
    return delivered_;
  }
  int64_t retries() const {
    absl::MutexLock lock(&mu_);
    return retries_;
  }
  std::map<std::string, int64_t> failed() const {
    absl::MutexLock lock(&mu_);
    return failed_;
  }
  std::map<std::string, int> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> requests_;
  int64_t retries_ = 0;
  int64_t delivered_ = 0;
  std::map<std::string, int64_t> failed_;
};

}  // namespace tracegate::exporter::testing
