#include "gateway/translate/legacy_translator.h"

#include <algorithm>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/status_macros.h"
#include "gateway/translate/id_mapping.h"
#include "gateway/translate/iso_time.h"
#include "gateway/translate/json_writer.h"
#include "gateway/translate/level_name.h"
#include "gateway/translate/payload_json.h"

namespace tracegate::translate {
namespace {

// Observation types, their event type, and whether they take the generation fields.
struct TypeInfo {
  const char* event_type;
  bool generation_fields;
};

bool LookupType(v1::ObservationType type, TypeInfo* info) {
  switch (type) {
    case v1::OBSERVATION_TYPE_SPAN:
      *info = {"span-create", false};
      return true;
    case v1::OBSERVATION_TYPE_EVENT:
      *info = {"event-create", false};
      return true;
    case v1::OBSERVATION_TYPE_GENERATION:
      *info = {"generation-create", true};
      return true;
    case v1::OBSERVATION_TYPE_AGENT:
      *info = {"agent-create", true};
      return true;
    case v1::OBSERVATION_TYPE_TOOL:
      *info = {"tool-create", true};
      return true;
    case v1::OBSERVATION_TYPE_CHAIN:
      *info = {"chain-create", true};
      return true;
    case v1::OBSERVATION_TYPE_RETRIEVER:
      *info = {"retriever-create", true};
      return true;
    case v1::OBSERVATION_TYPE_EVALUATOR:
      *info = {"evaluator-create", true};
      return true;
    case v1::OBSERVATION_TYPE_EMBEDDING:
      *info = {"embedding-create", true};
      return true;
    case v1::OBSERVATION_TYPE_GUARDRAIL:
      *info = {"guardrail-create", true};
      return true;
    default:
      return false;
  }
}

// Writes the body's fields; the translator wraps them in the envelope.
class BodyWriter {
 public:
  BodyWriter(const LegacyOptions& options, JsonObjectWriter* obj) : options_(options), obj_(obj) {}

  void TraceId(absl::string_view key, absl::string_view id) {
    if (id.empty()) return;
    if (options_.otlp_ids) {
      obj_->String(key, LangfuseTraceIdForOtlp(id));
    } else {
      obj_->String(key, id);
    }
  }
  void ObservationId(absl::string_view key, absl::string_view id) {
    if (id.empty()) return;
    if (options_.otlp_ids) {
      obj_->String(key, LangfuseObservationIdForOtlp(id));
    } else {
      obj_->String(key, id);
    }
  }
  void Time(absl::string_view key, const google::protobuf::Timestamp& ts) {
    obj_->Key(key);
    std::string* out = obj_->out();
    out->push_back('"');
    AppendIso8601Micros(ts, out);
    out->push_back('"');
  }
  absl::Status Payload(absl::string_view key, const v1::Payload& payload) {
    if (!HasPayload(payload)) return absl::OkStatus();
    obj_->Key(key);
    absl::Status status = AppendPayloadJson(payload, obj_->out());
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(key, ": ", status.message()));
    return absl::OkStatus();
  }
  void Metadata(const google::protobuf::Struct& metadata) {
    if (metadata.fields_size() == 0) return;
    obj_->Key("metadata");
    AppendStructJson(metadata, obj_->out());
  }
  void Environment(absl::string_view env) {
    obj_->StringIfNotEmpty("environment", env.empty() ? options_.default_environment : env);
  }
  JsonObjectWriter& obj() { return *obj_; }

 private:
  const LegacyOptions& options_;
  JsonObjectWriter* obj_;
};

template <typename Map, typename Write>
void SortedMap(absl::string_view key, const Map& map, Write write, BodyWriter* body) {
  if (map.empty()) return;
  absl::InlinedVector<const typename Map::value_type*, 16> entries;
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  body->obj().Key(key);
  JsonObjectWriter inner(body->obj().out());
  for (const auto* entry : entries) write(entry->first, entry->second, &inner);
  inner.Close();
}

// Trace-level fields shared by Trace and TraceAttributes (same names), without id,
// timestamp and environment.
template <typename T>
absl::Status WriteTraceFields(const T& t, BodyWriter* body) {
  JsonObjectWriter& obj = body->obj();
  obj.StringIfNotEmpty("name", t.name());
  obj.StringIfNotEmpty("userId", t.user_id());
  obj.StringIfNotEmpty("sessionId", t.session_id());
  obj.StringIfNotEmpty("release", t.release());
  obj.StringIfNotEmpty("version", t.version());
  TG_RETURN_IF_ERROR(body->Payload("input", t.input()));
  TG_RETURN_IF_ERROR(body->Payload("output", t.output()));
  body->Metadata(t.metadata());
  if (t.tags_size() > 0) {
    obj.Key("tags");
    std::string* out = obj.out();
    out->push_back('[');
    for (int i = 0; i < t.tags_size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(t.tags(i), out);
    }
    out->push_back(']');
  }
  if (t.has_public_()) obj.Bool("public", t.public_());
  return absl::OkStatus();
}

absl::Status WriteTrace(const v1::Trace& t, BodyWriter* body) {
  if (t.id().empty()) return absl::InvalidArgumentError("trace.id is required");
  body->TraceId("id", t.id());
  if (t.has_timestamp()) body->Time("timestamp", t.timestamp());
  TG_RETURN_IF_ERROR(WriteTraceFields(t, body));
  body->Environment(t.environment());
  return absl::OkStatus();
}

absl::Status WriteObservation(const v1::Observation& o, const TypeInfo& info, BodyWriter* body) {
  if (o.id().empty()) return absl::InvalidArgumentError("observation.id is required");
  if (o.trace_id().empty()) return absl::InvalidArgumentError("observation.trace_id is required");
  JsonObjectWriter& obj = body->obj();
  body->ObservationId("id", o.id());
  body->TraceId("traceId", o.trace_id());
  body->ObservationId("parentObservationId", o.parent_observation_id());
  obj.StringIfNotEmpty("name", o.name());
  if (o.has_start_time()) body->Time("startTime", o.start_time());
  if (o.has_end_time() && o.type() != v1::OBSERVATION_TYPE_EVENT) {
    body->Time("endTime", o.end_time());
  }
  if (info.generation_fields) {
    if (o.has_completion_start_time()) {
      body->Time("completionStartTime", o.completion_start_time());
    }
    obj.StringIfNotEmpty("model", o.model());
    if (o.model_parameters().fields_size() > 0) {
      obj.Key("modelParameters");
      AppendStructJson(o.model_parameters(), obj.out());
    }
    SortedMap(
        "usageDetails", o.usage_details(),
        [](const std::string& k, int64_t v, JsonObjectWriter* w) { w->Int(k, v); }, body);
    SortedMap(
        "costDetails", o.cost_details(),
        [](const std::string& k, double v, JsonObjectWriter* w) {
          if (std::isfinite(v)) w->Number(k, v);
        },
        body);
    if (!o.prompt_name().empty()) {
      obj.String("promptName", o.prompt_name());
      obj.Int("promptVersion", o.prompt_version());
    }
  }
  if (const char* level = LevelName(o.level())) obj.String("level", level);
  obj.StringIfNotEmpty("statusMessage", o.status_message());
  obj.StringIfNotEmpty("version", o.version());
  TG_RETURN_IF_ERROR(body->Payload("input", o.input()));
  TG_RETURN_IF_ERROR(body->Payload("output", o.output()));
  body->Metadata(o.metadata());
  body->Environment(o.environment());
  return absl::OkStatus();
}

absl::Status WriteScoreValue(const v1::Score& s, JsonObjectWriter* obj) {
  const v1::ScoreDataType type = s.data_type();
  switch (s.value_case()) {
    case v1::Score::kNumericValue: {
      double v = s.numeric_value();
      if (!std::isfinite(v)) return absl::InvalidArgumentError("score value is not finite");
      if (type == v1::SCORE_DATA_TYPE_BOOLEAN && (v == 0 || v == 1)) {
        obj->Int("value", v == 1 ? 1 : 0);
        obj->String("dataType", "BOOLEAN");
        return absl::OkStatus();
      }
      if (type != v1::SCORE_DATA_TYPE_UNSPECIFIED && type != v1::SCORE_DATA_TYPE_NUMERIC) break;
      obj->Number("value", v);
      obj->String("dataType", "NUMERIC");
      return absl::OkStatus();
    }
    case v1::Score::kCategoricalValue:
      if (type != v1::SCORE_DATA_TYPE_UNSPECIFIED && type != v1::SCORE_DATA_TYPE_CATEGORICAL) {
        break;
      }
      obj->String("value", s.categorical_value());
      obj->String("dataType", "CATEGORICAL");
      return absl::OkStatus();
    case v1::Score::kBooleanValue:
      if (type != v1::SCORE_DATA_TYPE_UNSPECIFIED && type != v1::SCORE_DATA_TYPE_BOOLEAN) break;
      obj->Int("value", s.boolean_value() ? 1 : 0);
      obj->String("dataType", "BOOLEAN");
      return absl::OkStatus();
    case v1::Score::VALUE_NOT_SET:
      return absl::InvalidArgumentError("score value is required");
  }
  return absl::InvalidArgumentError("score value does not match its data_type");
}

absl::Status WriteScore(const v1::TraceEvent& event, BodyWriter* body) {
  const v1::Score& s = event.score();
  if (s.id().empty()) return absl::InvalidArgumentError("score.id is required");
  if (s.name().empty()) return absl::InvalidArgumentError("score.name is required");
  JsonObjectWriter& obj = body->obj();
  obj.String("id", s.id());
  body->TraceId("traceId", s.trace_id());
  body->ObservationId("observationId", s.observation_id());
  obj.StringIfNotEmpty("sessionId", s.session_id());
  obj.String("name", s.name());
  TG_RETURN_IF_ERROR(WriteScoreValue(s, &obj));
  obj.StringIfNotEmpty("comment", s.comment());
  body->Metadata(s.metadata());
  body->Environment(s.environment());
  obj.StringIfNotEmpty("configId", s.config_id());
  obj.StringIfNotEmpty("datasetRunId", s.dataset_run_id());
  body->Time("timestamp", s.has_timestamp() ? s.timestamp() : event.timestamp());
  return absl::OkStatus();
}

// Writes {"id","timestamp","type","body":{...}} where `write_body` fills the body.
template <typename WriteBody>
absl::Status AppendEnvelope(const v1::TraceEvent& event, const LegacyOptions& options,
                            absl::string_view envelope_seed, const char* type, WriteBody write_body,
                            std::string* out) {
  if (!event.has_timestamp()) return absl::InvalidArgumentError("event timestamp is required");
  const size_t rollback = out->size();
  const std::string& workspace = options.workspace.empty() ? event.workspace() : options.workspace;
  JsonObjectWriter envelope(out);
  envelope.String("id", EnvelopeId(workspace, envelope_seed));
  BodyWriter(options, &envelope).Time("timestamp", event.timestamp());
  envelope.String("type", type);
  envelope.Key("body");
  JsonObjectWriter body_obj(out);
  BodyWriter body(options, &body_obj);
  absl::Status status = write_body(&body);
  if (!status.ok()) {
    out->resize(rollback);
    return status;
  }
  body_obj.Close();
  envelope.Close();
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendIngestionEvent(const v1::TraceEvent& event, const LegacyOptions& options,
                                  std::string* out) {
  switch (event.payload_case()) {
    case v1::TraceEvent::kTrace:
      return AppendEnvelope(
          event, options, event.event_id(), "trace-create",
          [&](BodyWriter* body) { return WriteTrace(event.trace(), body); }, out);
    case v1::TraceEvent::kObservation: {
      TypeInfo info;
      if (!LookupType(event.observation().type(), &info)) {
        return absl::InvalidArgumentError("observation.type is required");
      }
      return AppendEnvelope(
          event, options, event.event_id(), info.event_type,
          [&](BodyWriter* body) { return WriteObservation(event.observation(), info, body); }, out);
    }
    case v1::TraceEvent::kScore:
      return AppendEnvelope(
          event, options, event.event_id(), "score-create",
          [&](BodyWriter* body) { return WriteScore(event, body); }, out);
    case v1::TraceEvent::PAYLOAD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("event has no payload");
}

absl::StatusOr<std::string> ToIngestionEvent(const v1::TraceEvent& event,
                                             const LegacyOptions& options) {
  std::string out;
  TG_RETURN_IF_ERROR(AppendIngestionEvent(event, options, &out));
  return out;
}

bool HasTraceAttributes(const v1::TraceEvent& event) {
  return event.has_observation() && event.observation().has_trace();
}

absl::StatusOr<std::string> ToTraceAttributesEvent(const v1::TraceEvent& event,
                                                   const LegacyOptions& options) {
  if (!HasTraceAttributes(event)) {
    return absl::InvalidArgumentError("event is not an observation with trace attributes");
  }
  const v1::Observation& o = event.observation();
  if (o.trace_id().empty()) return absl::InvalidArgumentError("observation.trace_id is required");
  std::string out;
  std::string seed = absl::StrCat(event.event_id(), "#trace-attributes");
  TG_RETURN_IF_ERROR(AppendEnvelope(
      event, options, seed, "trace-create",
      [&](BodyWriter* body) {
        body->TraceId("id", o.trace_id());
        if (o.has_start_time()) body->Time("timestamp", o.start_time());
        TG_RETURN_IF_ERROR(WriteTraceFields(o.trace(), body));
        body->Environment(o.environment());
        return absl::OkStatus();
      },
      &out));
  return out;
}

}  // namespace tracegate::translate
