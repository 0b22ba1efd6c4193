#include "bench/loadgen/workload.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gateway/translate/otlp_encoder.h"
#include "google/protobuf/util/time_util.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::bench {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kEventPh[] = "EEEEEEEE-EEEE-EEEE-EEEE-EEEEEEEEEEEE";
constexpr char kTracePh[] = "TTTTTTTT-TTTT-TTTT-TTTT-TTTTTTTTTTTT";
constexpr char kObsPh[] = "OOOOOOOO-OOOO-OOOO-OOOO-OOOOOOOOOOOO";
constexpr size_t kIdLen = 36;
constexpr uint64_t kEventSalt = 0x6576656e74000000ULL;  // "event"
constexpr uint64_t kTraceSalt = 0x7472616365000000ULL;  // "trace"
constexpr uint64_t kObsSalt = 0x6f62736572000000ULL;    // "obser"
constexpr int kEventsPerTrace = 8;                       // spans share a trace id in groups

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

std::string Words(size_t bytes, absl::string_view seed) {
  static constexpr absl::string_view kText =
      "The retrieval step returned five passages about invoice reconciliation; the model "
      "should cite the passage ids, keep amounts exact, and answer in the user's language. ";
  std::string out(seed);
  while (out.size() < bytes) out.append(kText.data(), kText.size());
  out.resize(bytes);
  return out;
}

void SetStr(google::protobuf::Struct* s, const std::string& k, const std::string& v) {
  (*s->mutable_fields())[k].set_string_value(v);
}

v1::TraceEvent SpanEvent(absl::Time now) {
  v1::TraceEvent e;
  e.set_event_id(kEventPh);
  *e.mutable_timestamp() = Ts(now);
  auto* o = e.mutable_observation();
  o->set_id(kObsPh);
  o->set_trace_id(kTracePh);
  o->set_type(v1::OBSERVATION_TYPE_SPAN);
  o->set_name("retriever.search");
  *o->mutable_start_time() = Ts(now - absl::Milliseconds(40));
  *o->mutable_end_time() = Ts(now);
  o->set_level(v1::LEVEL_DEFAULT);
  o->mutable_input()->set_text(Words(110, "query: "));
  o->mutable_output()->set_text(Words(90, "5 passages: "));
  SetStr(o->mutable_metadata(), "component", "rag");
  SetStr(o->mutable_metadata(), "index", "kb-invoices-v3");
  o->set_environment("production");
  return e;
}

v1::TraceEvent GenerationEvent(absl::Time now) {
  v1::TraceEvent e;
  e.set_event_id(kEventPh);
  *e.mutable_timestamp() = Ts(now);
  auto* o = e.mutable_observation();
  o->set_id(kObsPh);
  o->set_trace_id(kTracePh);
  o->set_type(v1::OBSERVATION_TYPE_GENERATION);
  o->set_name("chat.completion");
  *o->mutable_start_time() = Ts(now - absl::Milliseconds(900));
  *o->mutable_completion_start_time() = Ts(now - absl::Milliseconds(600));
  *o->mutable_end_time() = Ts(now);
  o->set_model("gpt-4o-mini");
  (*o->mutable_model_parameters()->mutable_fields())["temperature"].set_number_value(0.2);
  (*o->mutable_model_parameters()->mutable_fields())["max_tokens"].set_number_value(512);
  (*o->mutable_usage_details())["input"] = 910;
  (*o->mutable_usage_details())["output"] = 160;
  (*o->mutable_usage_details())["total"] = 1070;
  (*o->mutable_cost_details())["input"] = 0.0001365;
  (*o->mutable_cost_details())["output"] = 0.000096;
  auto* in = o->mutable_input()->mutable_messages();
  auto* sys = in->add_messages();
  sys->set_role("system");
  sys->set_content(Words(600, "You are a careful accounting assistant. "));
  auto* user = in->add_messages();
  user->set_role("user");
  user->set_content(Words(2500, "Context passages: "));
  auto* out = o->mutable_output()->mutable_messages()->add_messages();
  out->set_role("assistant");
  out->set_content(Words(600, "Based on passages 2 and 4: "));
  o->set_prompt_name("invoice-qa");
  o->set_prompt_version(7);
  o->set_environment("production");
  auto* t = o->mutable_trace();
  t->set_name("invoice-qa");
  t->set_user_id("user-4711");
  t->set_session_id("session-2026-11-26-0042");
  t->add_tags("bench");
  t->add_tags("rag");
  return e;
}

v1::TraceEvent ScoreEvent(absl::Time now) {
  v1::TraceEvent e;
  e.set_event_id(kEventPh);
  *e.mutable_timestamp() = Ts(now);
  auto* s = e.mutable_score();
  s->set_id(kObsPh);
  s->set_trace_id(kTracePh);
  s->set_name("faithfulness");
  s->set_numeric_value(0.87);
  s->set_data_type(v1::SCORE_DATA_TYPE_NUMERIC);
  s->set_comment("llm-as-judge v2");
  s->set_environment("production");
  return e;
}

void FindAll(const std::string& haystack, absl::string_view needle, std::vector<size_t>* out) {
  for (size_t pos = haystack.find(needle.data(), 0, needle.size()); pos != std::string::npos;
       pos = haystack.find(needle.data(), pos + needle.size(), needle.size())) {
    out->push_back(pos);
  }
}

inline char* PutVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// 8-4-4-4-12 lower-case hex of (hi, lo).
inline void PutUuid(uint64_t hi, uint64_t lo, char* p) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[32];
  for (int i = 15; i >= 0; --i, hi >>= 4) digits[i] = kHex[hi & 15];
  for (int i = 31; i >= 16; --i, lo >>= 4) digits[i] = kHex[lo & 15];
  int d = 0;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      p[i] = '-';
    } else {
      p[i] = digits[d++];
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<std::pair<EventKind, int>>> ParseMix(const std::string& text) {
  std::vector<std::pair<EventKind, int>> mix;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, ':');
    int weight = 1;
    if (kv.size() > 2 || (kv.size() == 2 && (!absl::SimpleAtoi(kv[1], &weight) || weight < 0))) {
      return absl::InvalidArgumentError(absl::StrCat("mix: bad entry \"", part, "\""));
    }
    EventKind kind;
    if (kv[0] == "span") {
      kind = EventKind::kSpan;
    } else if (kv[0] == "generation") {
      kind = EventKind::kGeneration;
    } else if (kv[0] == "score") {
      kind = EventKind::kScore;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("mix: unknown kind \"", kv[0], "\" (span, generation, score)"));
    }
    if (weight > 0) mix.emplace_back(kind, weight);
  }
  if (mix.empty()) return absl::InvalidArgumentError("mix: no event kind with weight > 0");
  return mix;
}

Workload::Template Workload::MakeTemplate(const v1::TraceEvent& event) {
  Template t;
  event.SerializeToString(&t.bytes);
  FindAll(t.bytes, kEventPh, &t.event_id_at);
  FindAll(t.bytes, kTracePh, &t.trace_id_at);
  FindAll(t.bytes, kObsPh, &t.observation_id_at);
  return t;
}

Workload::Workload(WorkloadOptions options) : options_(std::move(options)) {
  if (options_.batch_size < 1) options_.batch_size = 1;
  if (options_.workspaces < 1) options_.workspaces = 1;
  templates_.push_back(MakeTemplate(SpanEvent(options_.now)));
  templates_.push_back(MakeTemplate(GenerationEvent(options_.now)));
  templates_.push_back(MakeTemplate(ScoreEvent(options_.now)));
  // Interleave the kinds: with weights 90/10 a generation comes every ~10 events.
  int total = 0;
  for (const auto& [kind, weight] : options_.mix) total += weight;
  std::vector<int> credit(options_.mix.size(), 0);
  for (int i = 0; i < total; ++i) {
    size_t best = 0;
    for (size_t k = 0; k < options_.mix.size(); ++k) {
      credit[k] += options_.mix[k].second;
      if (credit[k] > credit[best]) best = k;
    }
    credit[best] -= total;
    kind_cycle_.push_back(static_cast<int>(options_.mix[best].first));
  }
  recent_.resize(options_.workspaces);
  for (int i = 0; i < options_.workspaces; ++i) {
    workspace_names_.push_back(absl::StrCat("bench-", i));
  }
}

int Workload::NextKind() {
  int kind = kind_cycle_[kind_pos_];
  kind_pos_ = (kind_pos_ + 1) % kind_cycle_.size();
  return kind;
}

void Workload::WriteIds(const Template& t, uint64_t counter, char* out) const {
  const uint64_t run = options_.run_id;
  for (size_t at : t.event_id_at) PutUuid(run ^ kEventSalt, counter, out + at);
  for (size_t at : t.trace_id_at) PutUuid(run ^ kTraceSalt, counter / kEventsPerTrace, out + at);
  for (size_t at : t.observation_id_at) PutUuid(run ^ kObsSalt, counter, out + at);
}

size_t Workload::MaxRequestBytes() const {
  size_t largest = 0;
  for (const Template& t : templates_) largest = std::max(largest, t.bytes.size());
  return static_cast<size_t>(options_.batch_size) * (largest + 6) + 64;
}

size_t Workload::EventBytes(EventKind kind) const {
  return templates_[static_cast<int>(kind)].bytes.size();
}

std::string Workload::NextIngestRequest(uint64_t batch_id) {
  std::string out;
  NextIngestRequestInto(batch_id, &out);
  return out;
}

void Workload::NextIngestRequestInto(uint64_t batch_id, std::string* out) {
  const int ws = static_cast<int>(next_batch_++ % options_.workspaces);
  Recent& recent = recent_[ws];
  size_t added = 0;  // ids of this batch at the back of recent.ids
  out->resize(MaxRequestBytes());
  char* p = out->data();
  for (int i = 0; i < options_.batch_size; ++i) {
    uint64_t counter;
    int kind;
    dup_accumulator_ += static_cast<uint64_t>(options_.duplicate_ratio * 1'000'000);
    if (dup_accumulator_ >= 1'000'000 && recent.ids.size() > added) {
      dup_accumulator_ -= 1'000'000;
      // Repeat an event of an earlier batch of this workspace (never one of this batch).
      // A stride walk over the older ids: no id twice in one batch.
      const size_t older = recent.ids.size() - added;
      const auto& [c, k] = recent.ids[(recent.cursor++ * 7919) % older];
      counter = c;
      kind = k;
    } else {
      counter = next_counter_++;
      kind = NextKind();
      recent.ids.emplace_back(counter, kind);
      ++added;
      if (recent.ids.size() > 4096) recent.ids.pop_front();
    }
    const Template& t = templates_[kind];
    *p++ = 0x0A;  // IngestRequest.events (field 1, length-delimited)
    p = PutVarint(t.bytes.size(), p);
    std::memcpy(p, t.bytes.data(), t.bytes.size());
    WriteIds(t, counter, p);
    p += t.bytes.size();
  }
  const std::string& name = workspace_names_[ws];
  *p++ = 0x12;  // default_workspace (field 2)
  p = PutVarint(name.size(), p);
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = 0x18;  // batch_id (field 3, varint)
  p = PutVarint(batch_id, p);
  out->resize(p - out->data());
}

std::vector<v1::TraceEvent> Workload::NextEvents(std::string* workspace) {
  std::string bytes = NextIngestRequest(0);
  v1::IngestRequest request;
  request.ParseFromString(bytes);
  if (workspace != nullptr) *workspace = request.default_workspace();
  return {request.events().begin(), request.events().end()};
}

absl::StatusOr<std::string> Workload::OtlpExportRequest() {
  std::string workspace;
  std::vector<v1::TraceEvent> events = NextEvents(&workspace);
  translate::OtlpOptions options;
  options.workspace = workspace;
  translate::OtlpBatchEncoder encoder(options);
  for (v1::TraceEvent& e : events) {
    if (e.has_score()) continue;
    e.set_workspace(workspace);
    absl::Status added = encoder.Add(e);
    if (!added.ok()) return absl::InternalError(absl::StrCat("otlp: ", added.message()));
  }
  return encoder.Serialize();
}

}  // namespace tracegate::bench
