#include "tests/security/bad_input_catalogue.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/struct.pb.h"

namespace tracegate::security_testing {
namespace {

using tracegate::v1::IngestRequest;
using tracegate::v1::TraceEvent;
using G = grpc::StatusCode;

constexpr int64_t kNow = 1767225600;  // 2026-01-01; tests run later, timestamps stay valid

TraceEvent TraceEv(const std::string& event_id, const std::string& trace_id = "t1") {
  TraceEvent ev;
  ev.set_event_id(event_id);
  ev.mutable_trace()->set_id(trace_id);
  ev.mutable_trace()->set_name("catalogue");
  return ev;
}

TraceEvent ObservationEv(const std::string& event_id) {
  TraceEvent ev;
  ev.set_event_id(event_id);
  auto* o = ev.mutable_observation();
  o->set_id("o1");
  o->set_trace_id("t1");
  o->set_type(tracegate::v1::OBSERVATION_TYPE_SPAN);
  o->set_name("step");
  o->mutable_start_time()->set_seconds(kNow);
  o->mutable_end_time()->set_seconds(kNow + 1);
  return ev;
}

TraceEvent ScoreEv(const std::string& event_id) {
  TraceEvent ev;
  ev.set_event_id(event_id);
  auto* s = ev.mutable_score();
  s->set_id("s1");
  s->set_trace_id("t1");
  s->set_name("quality");
  s->set_numeric_value(0.5);
  return ev;
}

BadInput One(TraceEvent ev) {
  BadInput in;
  in.request.set_default_workspace("w");
  *in.request.add_events() = std::move(ev);
  return in;
}

// A Value nested `depth` levels deep: {"k": {"k": ... "leaf"}}.
google::protobuf::Value Nested(int depth) {
  google::protobuf::Value leaf;
  leaf.set_string_value("leaf");
  for (int i = 0; i < depth; ++i) {
    google::protobuf::Value outer;
    (*outer.mutable_struct_value()->mutable_fields())["k"] = std::move(leaf);
    leaf = std::move(outer);
  }
  return leaf;
}

BadInput Raw(std::string bytes) {
  BadInput in;
  in.raw = std::move(bytes);
  in.use_raw = true;
  return in;
}

}  // namespace

std::vector<CatalogueCase> Catalogue(const std::string& bearer) {
  std::vector<CatalogueCase> cases;
  auto call = [&](std::string kind, std::function<BadInput()> make, G code, std::string msg) {
    CatalogueCase c;
    c.kind = std::move(kind);
    c.make = std::move(make);
    c.call_code = code;
    c.call_message = std::move(msg);
    cases.push_back(std::move(c));
  };
  auto event = [&](std::string kind, std::function<BadInput()> make, std::string reason,
                   int code = 3, int index = 0,
                   tracegate::v1::EventStatus status = tracegate::v1::EVENT_STATUS_REJECTED) {
    CatalogueCase c;
    c.kind = std::move(kind);
    c.make = std::move(make);
    c.event_index = index;
    c.event_status = status;
    c.event_code = code;
    c.event_reason = std::move(reason);
    cases.push_back(std::move(c));
  };

  // --- the wire: bytes that are not a valid IngestRequest ---
  call(
      "malformed protobuf (garbage bytes)", [] { return Raw("\xff\xff\xff\xff\xff"); },
      G::UNIMPLEMENTED, "");
  call(
      "truncated protobuf (length prefix longer than the message)",
      [] { return Raw(std::string("\x0a\x64\x0a\x02", 4)); }, G::UNIMPLEMENTED, "");
  call(
      "unterminated group (wire type 3 without its end)",
      [] { return Raw(std::string("\x0b\x0a\x00", 3)); }, G::UNIMPLEMENTED, "");
  {
    CatalogueCase c;
    c.kind = "wrong wire type for a known field (kept as an unknown field)";
    c.make = [] { return Raw(std::string("\x0d\x01\x02\x03\x04", 5)); };
    c.call_message = "call succeeds with no results";
    c.event_status = tracegate::v1::EVENT_STATUS_UNSPECIFIED;
    c.expect_results = 0;
    cases.push_back(std::move(c));
  }
  call(
      "invalid UTF-8 in a string field",
      [] {
        IngestRequest r;
        r.set_default_workspace("w");
        *r.add_events() = TraceEv("AAAAUTF8");
        std::string bytes = r.SerializeAsString();
        return Raw(absl::StrReplaceAll(bytes, {{"AAAAUTF8", "\xff\xfe\xfd\xfc\xc0\x80\xed\xa0"}}));
      },
      G::UNIMPLEMENTED, "");
  call(
      "protobuf nested deeper than the parser's recursion limit (metadata Struct 40 levels)",
      [] {
        TraceEvent ev = TraceEv("deep-proto");
        (*ev.mutable_trace()->mutable_metadata()->mutable_fields())["k"] = Nested(40);
        return One(ev);
      },
      G::UNIMPLEMENTED, "");
  call(
      "message larger than server.max_receive_message_bytes (17 MiB)",
      [] {
        TraceEvent ev = TraceEv("huge");
        ev.mutable_trace()->set_name(std::string(17u << 20, 'x'));
        return One(ev);
      },
      G::RESOURCE_EXHAUSTED, "Received message larger than max (17825820 vs. 16777216)");

  // --- authentication ---
  call(
      "no authorization metadata",
      [] {
        BadInput in = One(TraceEv("e1"));
        in.authorization = "-";
        return in;
      },
      G::UNAUTHENTICATED, "missing \"authorization: Bearer <api key>\" metadata");
  call(
      "authorization with a scheme other than Bearer",
      [] {
        BadInput in = One(TraceEv("e1"));
        in.authorization = "Basic dXNlcjpwYXNz";
        return in;
      },
      G::UNAUTHENTICATED, "authorization scheme must be Bearer");
  call(
      "unknown API key",
      [] {
        BadInput in = One(TraceEv("e1"));
        in.authorization = "Bearer tg_not_a_configured_key_0000";
        return in;
      },
      G::UNAUTHENTICATED, "unknown API key");
  call(
      "API key of 2000 characters",
      [] {
        BadInput in = One(TraceEv("e1"));
        in.authorization = "Bearer " + std::string(2000, 'k');
        return in;
      },
      G::UNAUTHENTICATED, "malformed API key");
  call(
      "key that may not write the workspace (all events)",
      [] {
        BadInput in = One(TraceEv("e1"));
        in.request.set_default_workspace("forbidden");
        in.authorization = "limited";
        return in;
      },
      G::PERMISSION_DENIED, "this API key may not write workspace(s) \"forbidden\"");

  // --- batch level ---
  call(
      "100k-event batch (limit 10000)",
      [] {
        BadInput in;
        in.request.set_default_workspace("w");
        for (int i = 0; i < 100000; ++i) in.request.add_events()->set_event_id(absl::StrCat(i));
        return in;
      },
      G::INVALID_ARGUMENT, "batch has 100000 events; the limit is 10000");
  {
    CatalogueCase c;
    c.kind = "empty batch";
    c.make = [] {
      BadInput in;
      in.request.set_default_workspace("w");
      return in;
    };
    c.call_message = "call succeeds with no results";
    c.event_status = tracegate::v1::EVENT_STATUS_UNSPECIFIED;
    c.expect_results = 0;
    cases.push_back(std::move(c));
  }
  event(
      "duplicate event ids in one batch",
      [] {
        BadInput in = One(TraceEv("dup-1"));
        *in.request.add_events() = TraceEv("dup-1");
        return in;
      },
      "", 0, 1, tracegate::v1::EVENT_STATUS_DUPLICATE);
  event(
      "no workspace and no default_workspace",
      [] {
        BadInput in = One(TraceEv("e1"));
        in.request.clear_default_workspace();
        return in;
      },
      "workspace: required (set TraceEvent.workspace or IngestRequest.default_workspace)");

  // --- identifiers ---
  event(
      "801-character event_id", [] { return One(TraceEv(std::string(801, 'e'))); },
      "event_id: longer than 800 characters");
  event(
      "801-character trace id", [] { return One(TraceEv("e1", std::string(801, 't'))); },
      "trace.id: longer than 800 characters");
  event(
      "missing event_id", [] { return One(TraceEv("")); }, "event_id: required");
  event(
      "control character (newline) in an id", [] { return One(TraceEv("e1", "t\n1")); },
      "trace.id: contains control characters");
  event(
      "event without a payload",
      [] {
        TraceEvent ev;
        ev.set_event_id("e1");
        return One(ev);
      },
      "payload: required (one of trace, observation, score)");
  event(
      "observation without trace_id",
      [] {
        TraceEvent ev = ObservationEv("e1");
        ev.mutable_observation()->clear_trace_id();
        return One(ev);
      },
      "observation.trace_id: required");

  // --- sizes ---
  event(
      "10 MB string field (over limits.max_event_bytes)",
      [] {
        TraceEvent ev = TraceEv("big");
        ev.mutable_timestamp()->set_seconds(kNow);  // fixed size (no receive-time stamp)
        ev.mutable_trace()->mutable_input()->set_text(std::string(10'000'000, 'x'));
        return One(ev);
      },
      "event: 10000046 bytes, more than the limit of 1000000");
  event(
      "name of 1001 characters",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_trace()->set_name(std::string(1001, 'n'));
        return One(ev);
      },
      "trace.name: longer than 1000 characters");
  event(
      "101 tags (limit 100)",
      [] {
        TraceEvent ev = TraceEv("e1");
        for (int i = 0; i < 101; ++i) ev.mutable_trace()->add_tags(absl::StrCat("t", i));
        return One(ev);
      },
      "trace.tags: more than 100 tags");

  // --- JSON-like values ---
  event(
      "metadata list nested 40 levels (limit 32)",
      [] {
        TraceEvent ev = TraceEv("e1");
        google::protobuf::Value v;
        v.set_string_value("leaf");
        for (int i = 0; i < 40; ++i) {
          google::protobuf::Value outer;
          *outer.mutable_list_value()->add_values() = std::move(v);
          v = std::move(outer);
        }
        (*ev.mutable_trace()->mutable_metadata()->mutable_fields())["k"] = std::move(v);
        return One(ev);
      },
      "trace.metadata.k[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]["
      "0][0][0][0][0][0]: nested deeper than 32 levels");
  event(
      "Payload.json nested 1000 levels",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_trace()->mutable_input()->set_json(std::string(1000, '[') +
                                                      std::string(1000, ']'));
        return One(ev);
      },
      "trace.input.json: nested deeper than 32 levels");
  event(
      "Payload.json that does not parse",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_trace()->mutable_input()->set_json("{\"a\": ");
        return One(ev);
      },
      "trace.input.json: invalid JSON");
  event(
      "NaN in metadata",
      [] {
        TraceEvent ev = TraceEv("e1");
        (*ev.mutable_trace()->mutable_metadata()->mutable_fields())["x"].set_number_value(NAN);
        return One(ev);
      },
      "trace.metadata.x: not a finite number");
  event(
      "+inf in cost_details",
      [] {
        TraceEvent ev = ObservationEv("e1");
        (*ev.mutable_observation()->mutable_cost_details())["total"] =
            std::numeric_limits<double>::infinity();
        return One(ev);
      },
      "observation.cost_details.total: not a finite number");
  event(
      "NaN score value",
      [] {
        TraceEvent ev = ScoreEv("e1");
        ev.mutable_score()->set_numeric_value(NAN);
        return One(ev);
      },
      "score.numeric_value: not a finite number");
  event(
      "negative usage",
      [] {
        TraceEvent ev = ObservationEv("e1");
        (*ev.mutable_observation()->mutable_usage_details())["input"] = -5;
        return One(ev);
      },
      "observation.usage_details.input: negative");

  // --- timestamps ---
  event(
      "timestamp in year 1",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_timestamp()->set_seconds(-62135596800);
        return One(ev);
      },
      "timestamp: before 1970-01-01");
  event(
      "timestamp in year 9999",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_timestamp()->set_seconds(253402300799);
        return One(ev);
      },
      "timestamp: more than 24h in the future");
  event(
      "timestamp with nanos out of range",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_timestamp()->set_seconds(kNow);
        ev.mutable_timestamp()->set_nanos(2000000000);
        return One(ev);
      },
      "timestamp: nanos out of range");
  event(
      "observation ending before it starts",
      [] {
        TraceEvent ev = ObservationEv("e1");
        ev.mutable_observation()->mutable_end_time()->set_seconds(kNow - 60);
        return One(ev);
      },
      "observation.end_time: before start_time");

  // --- enums and shapes ---
  event(
      "unknown enum value (observation type 99)",
      [] {
        TraceEvent ev = ObservationEv("e1");
        ev.mutable_observation()->set_type(static_cast<tracegate::v1::ObservationType>(99));
        return One(ev);
      },
      "observation.type: unknown value 99");
  event(
      "unknown enum value (level 42)",
      [] {
        TraceEvent ev = ObservationEv("e1");
        ev.mutable_observation()->set_level(static_cast<tracegate::v1::Level>(42));
        return One(ev);
      },
      "observation.level: unknown value 42");
  event(
      "invalid environment name",
      [] {
        TraceEvent ev = TraceEv("e1");
        ev.mutable_trace()->set_environment("Langfuse-Prod");
        return One(ev);
      },
      "trace.environment: must match [a-z0-9_-]{1,40} and not start with \"langfuse\"");
  event(
      "score value not matching data_type",
      [] {
        TraceEvent ev = ScoreEv("e1");
        ev.mutable_score()->set_data_type(tracegate::v1::SCORE_DATA_TYPE_BOOLEAN);
        return One(ev);
      },
      "score.data_type: SCORE_DATA_TYPE_BOOLEAN needs boolean_value, got numeric_value");
  event(
      "prompt_version without prompt_name",
      [] {
        TraceEvent ev = ObservationEv("e1");
        ev.mutable_observation()->set_type(tracegate::v1::OBSERVATION_TYPE_GENERATION);
        ev.mutable_observation()->set_prompt_version(3);
        return One(ev);
      },
      "observation.prompt_name: required with prompt_version");
  event(
      "a bad event next to a good one (only the bad one is rejected)",
      [] {
        BadInput in = One(TraceEv("good"));
        *in.request.add_events() = TraceEv("bad", "");
        return in;
      },
      "trace.id: required", 3, 1);

  for (CatalogueCase& c : cases) {
    if (c.make == nullptr) continue;
    auto make = c.make;
    c.make = [make, bearer] {
      BadInput in = make();
      if (in.authorization.empty()) in.authorization = bearer;
      return in;
    };
  }
  return cases;
}

std::string MarkdownRow(const CatalogueCase& c) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  auto name = [](int code) -> std::string {
    return code >= 0 && code <= 16 ? kNames[code] : absl::StrCat(code);
  };
  auto quoted = [](const std::string& text) {
    return text.empty() ? std::string("(no message)") : absl::StrCat("`", text, "`");
  };
  std::string answer;
  if (c.call_code != grpc::StatusCode::OK) {
    answer = absl::StrCat("call fails ", name(static_cast<int>(c.call_code)), ": ",
                          quoted(c.call_message));
  } else if (c.event_status == tracegate::v1::EVENT_STATUS_DUPLICATE) {
    answer = absl::StrCat("event ", c.event_index, " DUPLICATE");
  } else if (c.event_status == tracegate::v1::EVENT_STATUS_REJECTED) {
    answer = absl::StrCat("event ", c.event_index, " REJECTED ", name(c.event_code), ": ",
                          quoted(c.event_reason));
  } else {
    answer = c.call_message;  // e.g. the empty batch
  }
  return absl::StrCat("| ", c.kind, " | ", absl::StrReplaceAll(answer, {{"|", "\\|"}}), " |");
}

}  // namespace tracegate::security_testing
