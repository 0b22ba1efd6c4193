#include "gateway/translate/otlp_encoder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "gateway/translate/id_mapping.h"
#include "gateway/translate/iso_time.h"
#include "gateway/translate/json_writer.h"
#include "gateway/translate/level_name.h"
#include "gateway/translate/otlp_attributes.h"
#include "gateway/translate/payload_json.h"

namespace tracegate::translate {
namespace {

using otlpwire::Span;

constexpr absl::string_view kMetaObservationId = "tracegate_observation_id";
constexpr absl::string_view kMetaTraceId = "tracegate_trace_id";
constexpr absl::string_view kMetaParentId = "tracegate_parent_observation_id";

google::protobuf::ArenaOptions EncoderArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 16 * 1024;
  options.max_block_size = 1024 * 1024;
  return options;
}

const char* TypeName(v1::ObservationType type) {
  switch (type) {
    case v1::OBSERVATION_TYPE_SPAN:
      return "span";
    case v1::OBSERVATION_TYPE_GENERATION:
      return "generation";
    case v1::OBSERVATION_TYPE_EVENT:
      return "event";
    case v1::OBSERVATION_TYPE_AGENT:
      return "agent";
    case v1::OBSERVATION_TYPE_TOOL:
      return "tool";
    case v1::OBSERVATION_TYPE_CHAIN:
      return "chain";
    case v1::OBSERVATION_TYPE_RETRIEVER:
      return "retriever";
    case v1::OBSERVATION_TYPE_EMBEDDING:
      return "embedding";
    case v1::OBSERVATION_TYPE_EVALUATOR:
      return "evaluator";
    case v1::OBSERVATION_TYPE_GUARDRAIL:
      return "guardrail";
    default:
      return nullptr;
  }
}

// Sets the span's ids; each id is mapped (hashed) once. Returns the original ids that
// the mapping changed (empty when unchanged), for metadata.
struct OriginalIds {
  absl::string_view span, trace, parent;
};
OriginalIds SetIds(absl::string_view trace_id, absl::string_view span_id,
                   absl::string_view parent_id, Span* span) {
  OriginalIds originals;
  TraceIdBytes t = OtlpTraceIdBytes(trace_id);
  span->set_trace_id(t.data(), t.size());
  if (!IsLowerHexOf(trace_id, absl::string_view(t.data(), t.size()))) originals.trace = trace_id;
  SpanIdBytes s = OtlpSpanIdBytes(span_id);
  span->set_span_id(s.data(), s.size());
  if (!IsLowerHexOf(span_id, absl::string_view(s.data(), s.size()))) originals.span = span_id;
  if (!parent_id.empty()) {
    SpanIdBytes p = OtlpSpanIdBytes(parent_id);
    span->set_parent_span_id(p.data(), p.size());
    if (!IsLowerHexOf(parent_id, absl::string_view(p.data(), p.size()))) {
      originals.parent = parent_id;
    }
  }
  return originals;
}

// Writes a JSON object of `map` (sorted keys) via `write(value, out)`; nothing for an
// empty map or when every value is skipped (write returns false before writing).
template <typename Map, typename Write>
void MapAttribute(absl::string_view key, const Map& map, Write write, SpanAttributes* attrs) {
  if (map.empty()) return;
  absl::InlinedVector<const typename Map::value_type*, 16> entries;
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string* out = attrs->NewString(key);
  JsonObjectWriter obj(out);
  for (const auto* entry : entries) {
    if (!write(entry->second, nullptr)) continue;
    obj.Key(entry->first);
    write(entry->second, out);
  }
  obj.Close();
  if (obj.empty()) attrs->DropLast();
}

// Trace-level attributes shared by Trace and TraceAttributes (same field names).
// `original_trace_id`, when not empty, is added to the trace metadata.
template <typename T>
absl::Status AddTraceLevel(const T& t, absl::string_view original_trace_id, SpanAttributes* attrs) {
  attrs->String("langfuse.trace.name", t.name());
  attrs->String("user.id", t.user_id());
  attrs->String("session.id", t.session_id());
  attrs->StringArray("langfuse.trace.tags", t.tags());
  if (t.metadata().fields_size() > 0 || !original_trace_id.empty()) {
    std::string* out = attrs->NewString("langfuse.trace.metadata");
    JsonObjectWriter obj(out);
    // Our key replaces a user key of the same name (only when ours is written).
    const absl::string_view skip[] = {kMetaTraceId};
    AppendStructMembers(t.metadata(), absl::MakeConstSpan(skip, original_trace_id.empty() ? 0 : 1),
                        &obj);
    obj.StringIfNotEmpty(kMetaTraceId, original_trace_id);
    obj.Close();
  }
  if (t.has_public_()) attrs->Bool("langfuse.trace.public", t.public_());
  absl::Status status = attrs->Payload("langfuse.trace.input", t.input());
  if (status.ok()) status = attrs->Payload("langfuse.trace.output", t.output());
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("trace ", status.message()));
  return absl::OkStatus();
}

void AddObservationMetadata(const v1::Observation& o, const OriginalIds& originals,
                            SpanAttributes* attrs) {
  std::string* out = attrs->NewString("langfuse.observation.metadata");
  JsonObjectWriter obj(out);
  // Our keys replace user keys of the same names (only those we write).
  absl::InlinedVector<absl::string_view, 3> skip;
  if (!originals.span.empty()) skip.push_back(kMetaObservationId);
  if (!originals.trace.empty()) skip.push_back(kMetaTraceId);
  if (!originals.parent.empty()) skip.push_back(kMetaParentId);
  AppendStructMembers(o.metadata(), skip, &obj);
  obj.StringIfNotEmpty(kMetaObservationId, originals.span);
  obj.StringIfNotEmpty(kMetaTraceId, originals.trace);
  obj.StringIfNotEmpty(kMetaParentId, originals.parent);
  obj.Close();
  if (obj.empty()) attrs->DropLast();
}

void AddModelAttributes(const v1::Observation& o, SpanAttributes* attrs) {
  attrs->String("langfuse.observation.model.name", o.model());
  if (o.model_parameters().fields_size() > 0) {
    AppendStructJson(o.model_parameters(),
                     attrs->NewString("langfuse.observation.model.parameters"));
  }
  MapAttribute(
      "langfuse.observation.usage_details", o.usage_details(),
      [](int64_t v, std::string* out) {
        if (out != nullptr) AppendJsonInt(v, out);
        return true;
      },
      attrs);
  MapAttribute(
      "langfuse.observation.cost_details", o.cost_details(),
      [](double v, std::string* out) {
        if (!std::isfinite(v)) return false;
        if (out != nullptr) AppendJsonNumber(v, out);
        return true;
      },
      attrs);
  if (o.has_completion_start_time()) {
    AppendIso8601Micros(o.completion_start_time(),
                        attrs->NewString("langfuse.observation.completion_start_time"));
  }
  if (!o.prompt_name().empty()) {
    attrs->String("langfuse.observation.prompt.name", o.prompt_name());
    attrs->Int("langfuse.observation.prompt.version", o.prompt_version());
  }
}

}  // namespace

OtlpBatchEncoder::OtlpBatchEncoder(OtlpOptions options)
    : options_(std::move(options)), arena_(EncoderArenaOptions()) {
  StartRequest();
}

void OtlpBatchEncoder::StartRequest() {
  request_ = google::protobuf::Arena::CreateMessage<otlpwire::ExportTraceServiceRequest>(&arena_);
  otlpwire::ResourceSpans* rs = request_->add_resource_spans();
  auto add_resource_attr = [rs](absl::string_view key, const std::string& value) {
    if (value.empty()) return;
    otlpwire::KeyValue* kv = rs->mutable_resource()->add_attributes();
    kv->set_key(key.data(), key.size());
    kv->mutable_value()->set_string_value(value);
  };
  add_resource_attr("service.name", options_.service_name);
  add_resource_attr("service.version", options_.service_version);
  add_resource_attr("tracegate.workspace", options_.workspace);
  scope_ = rs->add_scope_spans();
  scope_->mutable_scope()->set_name("tracegate");
  base_bytes_ = request_->ByteSizeLong();
  approx_bytes_ = base_bytes_;
}

void OtlpBatchEncoder::Clear() {
  request_ = nullptr;
  scope_ = nullptr;
  arena_.Reset();
  StartRequest();
}

std::string OtlpBatchEncoder::Serialize() const {
  std::string out;
  SerializeTo(&out);
  return out;
}

void OtlpBatchEncoder::SerializeTo(std::string* out) const {
  out->clear();
  request_->AppendToString(out);
}

absl::Status OtlpBatchEncoder::Add(const v1::TraceEvent& event) {
  switch (event.payload_case()) {
    case v1::TraceEvent::kObservation:
      return AddObservation(event);
    case v1::TraceEvent::kTrace:
      return AddTrace(event);
    case v1::TraceEvent::kScore:
      return absl::InvalidArgumentError(
          "a score is not a span: send it to /api/public/ingestion as score-create");
    case v1::TraceEvent::PAYLOAD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("event has no payload");
}

absl::Status OtlpBatchEncoder::AddObservation(const v1::TraceEvent& event) {
  const v1::Observation& o = event.observation();
  const char* type = TypeName(o.type());
  if (type == nullptr) return absl::InvalidArgumentError("observation.type is required");
  if (o.id().empty()) return absl::InvalidArgumentError("observation.id is required");
  if (o.trace_id().empty()) return absl::InvalidArgumentError("observation.trace_id is required");

  Span* span = scope_->add_spans();
  const OriginalIds originals = SetIds(o.trace_id(), o.id(), o.parent_observation_id(), span);
  span->set_name(o.name());
  span->set_kind(Span::SPAN_KIND_INTERNAL);
  uint64_t start = ToUnixNanos(o.has_start_time() ? o.start_time() : event.timestamp());
  uint64_t end = start;
  if (o.type() != v1::OBSERVATION_TYPE_EVENT && o.has_end_time()) {
    end = std::max(start, ToUnixNanos(o.end_time()));
  }
  span->set_start_time_unix_nano(start);
  span->set_end_time_unix_nano(end);

  SpanAttributes attrs(span);
  attrs.String("langfuse.observation.type", type);
  if (const char* level = LevelName(o.level())) attrs.String("langfuse.observation.level", level);
  if (o.level() == v1::LEVEL_ERROR) {
    span->mutable_status()->set_code(otlpwire::Status::STATUS_CODE_ERROR);
    span->mutable_status()->set_message(o.status_message());
  }
  attrs.String("langfuse.observation.status_message", o.status_message());
  absl::Status status = attrs.Payload("langfuse.observation.input", o.input());
  if (status.ok()) status = attrs.Payload("langfuse.observation.output", o.output());
  if (!status.ok()) {
    status = absl::InvalidArgumentError(absl::StrCat("observation ", status.message()));
  }
  AddObservationMetadata(o, originals, &attrs);
  AddModelAttributes(o, &attrs);
  attrs.String("langfuse.version", o.version().empty() ? o.trace().version() : o.version());
  attrs.String("langfuse.release", o.trace().release());
  attrs.String("langfuse.environment",
               o.environment().empty() ? options_.default_environment : o.environment());
  if (status.ok() && o.has_trace()) status = AddTraceLevel(o.trace(), {}, &attrs);
  if (!status.ok()) {
    scope_->mutable_spans()->RemoveLast();
    return status;
  }
  approx_bytes_ += span->ByteSizeLong() + 4;
  return absl::OkStatus();
}

absl::Status OtlpBatchEncoder::AddTrace(const v1::TraceEvent& event) {
  const v1::Trace& t = event.trace();
  if (t.id().empty()) return absl::InvalidArgumentError("trace.id is required");

  Span* span = scope_->add_spans();
  // The trace's own root span gets an id of its own ("trace:" + id, hashed), so it can
  // never collide with an observation whose id equals the trace id (LangChain's root run).
  const std::string root_span_key = absl::StrCat("trace:", t.id());
  const OriginalIds originals = SetIds(t.id(), root_span_key, {}, span);
  span->set_name(t.name());
  span->set_kind(Span::SPAN_KIND_INTERNAL);
  uint64_t at = ToUnixNanos(t.has_timestamp() ? t.timestamp() : event.timestamp());
  span->set_start_time_unix_nano(at);
  span->set_end_time_unix_nano(at);

  SpanAttributes attrs(span);
  attrs.Bool("langfuse.internal.as_root", true);
  attrs.String("langfuse.observation.type", "span");
  absl::Status status = AddTraceLevel(t, originals.trace, &attrs);
  attrs.String("langfuse.version", t.version());
  attrs.String("langfuse.release", t.release());
  attrs.String("langfuse.environment",
               t.environment().empty() ? options_.default_environment : t.environment());
  if (!status.ok()) {
    scope_->mutable_spans()->RemoveLast();
    return status;
  }
  approx_bytes_ += span->ByteSizeLong() + 4;
  return absl::OkStatus();
}

}  // namespace tracegate::translate
