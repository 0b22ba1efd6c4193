// tracegate-cli: sends TraceEvents to a Tracegate gateway and prints one result per event.
//
//   tracegate-cli send --file=events.jsonl [--stream] [--batch=100]
//       one TraceEvent per line in the proto JSON mapping, e.g.
//       {"eventId":"e1","trace":{"id":"t1","name":"hello","tags":["a"]}}
//   tracegate-cli event --kind=span --trace_id=t1 --name=step [--parent_id=..] [--input=..]
//       builds one event from flags (kinds: trace, span, generation, event, agent, tool,
//       chain, retriever, embedding, evaluator, guardrail, score)
//   tracegate-cli verify [--service=NAME]
//       sends the "langfuse-sanity-check" trace (tags env:<APP_ENV>, service:<NAME>) with a
//       chain, a retriever, a generation and a score; the chain is the trace's only root
//       and carries its input, output and metadata (no separate Trace event)
//
// Connection flags (or env): --endpoint (TRACEGATE_ENDPOINT, default 127.0.0.1:50051),
// --api_key (TRACEGATE_API_KEY), --workspace (TRACEGATE_WORKSPACE), --tls, --ca_file,
// --cert_file, --key_file, --timeout, --app_id (TRACEGATE_APP_ID: the app_id of every
// request, for the tag app:<id>; an invalid one is not sent). Output:
// "<event_id> ACCEPTED|DUPLICATE" or "<event_id> REJECTED <CODE> <reason>". Exit 0: nothing
// rejected; 1: some event rejected; 2: the call failed or the input is bad.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "tracegate/client.h"

namespace {
std::string Env(const char* name, const char* dflt) {
  const char* v = std::getenv(name);
  return v && *v ? v : dflt;
}
}  // namespace

ABSL_FLAG(std::string, endpoint, Env("TRACEGATE_ENDPOINT", "127.0.0.1:50051"), "host:port");
ABSL_FLAG(std::string, api_key, Env("TRACEGATE_API_KEY", ""), "gateway API key");
ABSL_FLAG(std::string, workspace, Env("TRACEGATE_WORKSPACE", "default"), "default workspace");
ABSL_FLAG(std::string, app_id, Env("TRACEGATE_APP_ID", ""),
          "app id sent as IngestRequest.app_id (tag app:<id>)");
ABSL_FLAG(bool, tls, false, "use TLS");
ABSL_FLAG(std::string, ca_file, "", "PEM CA bundle for TLS");
ABSL_FLAG(std::string, cert_file, "", "client certificate (mTLS)");
ABSL_FLAG(std::string, key_file, "", "client private key (mTLS)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "per-call deadline");
ABSL_FLAG(std::string, file, "", "send: JSON-lines file of TraceEvents ('-' = stdin)");
ABSL_FLAG(bool, stream, false, "send over the bidirectional stream instead of unary calls");
ABSL_FLAG(int, batch, 100, "send: events per request");
ABSL_FLAG(std::string, kind, "span", "event: trace|span|generation|...|score");
ABSL_FLAG(std::string, event_id, "", "event: event id (default: random)");
ABSL_FLAG(std::string, trace_id, "", "event: trace id (default: random)");
ABSL_FLAG(std::string, id, "", "event: observation/score id (default: random)");
ABSL_FLAG(std::string, parent_id, "", "event: parent observation id");
ABSL_FLAG(std::string, name, "tracegate-cli", "event: name");
ABSL_FLAG(std::string, input, "", "event: input text");
ABSL_FLAG(std::string, output, "", "event: output text");
ABSL_FLAG(std::string, model, "", "event: model name (generation)");
ABSL_FLAG(std::vector<std::string>, tags, {}, "event: comma-separated tags (trace)");
ABSL_FLAG(std::string, user_id, "", "event: user id (trace)");
ABSL_FLAG(double, value, 1.0, "event: numeric score value");
ABSL_FLAG(std::string, service, Env("TRACEGATE_SERVICE", "tracegate"), "verify: service tag");

namespace {

using tracegate::v1::IngestRequest;
using tracegate::v1::TraceEvent;

std::string RandomHex(int bytes) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string out;
  for (int i = 0; i < bytes; ++i) absl::StrAppend(&out, absl::Hex(rng() & 0xff, absl::kZeroPad2));
  return out;
}

google::protobuf::Timestamp Now(absl::Duration offset = absl::ZeroDuration()) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(absl::Now() + offset));
}

const char* CodeName(int code) {
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                                 "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                                 "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

bool ParseObservationType(const std::string& kind, tracegate::v1::ObservationType* type) {
  const std::string name = "OBSERVATION_TYPE_" + [&] {
    std::string up = kind;
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return up;
  }();
  return tracegate::v1::ObservationType_Parse(name, type) &&
         *type != tracegate::v1::OBSERVATION_TYPE_UNSPECIFIED;
}

// Prints results; returns the exit code contribution (0 ok, 1 some rejected).
int Print(const tracegate::v1::IngestResponse& resp) {
  int rc = 0;
  for (const auto& r : resp.results()) {
    switch (r.status()) {
      case tracegate::v1::EVENT_STATUS_ACCEPTED:
        std::cout << r.event_id() << " ACCEPTED\n";
        break;
      case tracegate::v1::EVENT_STATUS_DUPLICATE:
        std::cout << r.event_id() << " DUPLICATE\n";
        break;
      default:
        std::cout << r.event_id() << " REJECTED " << CodeName(r.code()) << " " << r.reason()
                  << "\n";
        rc = 1;
    }
  }
  return rc;
}

int SendAll(tracegate::client::Client& client, std::vector<TraceEvent> events) {
  const int per = std::max(1, absl::GetFlag(FLAGS_batch));
  std::vector<IngestRequest> requests;
  for (size_t i = 0; i < events.size(); i += per) {
    IngestRequest req;
    req.set_default_workspace(absl::GetFlag(FLAGS_workspace));
    req.set_batch_id(requests.size() + 1);
    for (size_t j = i; j < std::min(events.size(), i + per); ++j) {
      *req.add_events() = std::move(events[j]);
    }
    requests.push_back(std::move(req));
  }
  int rc = 0;
  if (absl::GetFlag(FLAGS_stream)) {
    auto responses = client.SendStream(requests);
    if (!responses.ok()) {
      std::cerr << "stream failed: " << responses.status() << "\n";
      return 2;
    }
    for (const auto& r : *responses) rc |= Print(r);
    return rc;
  }
  for (const auto& req : requests) {
    auto resp = client.Send(req);
    if (!resp.ok()) {
      std::cerr << "call failed: " << CodeName(static_cast<int>(resp.status().code())) << ": "
                << resp.status().message() << "\n";
      return 2;
    }
    rc |= Print(*resp);
  }
  return rc;
}

absl::StatusOr<std::vector<TraceEvent>> ReadJsonLines(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto content = tracegate::client::ReadFile(path);
    if (!content.ok()) return content.status();
    text = *std::move(content);
  }
  std::vector<TraceEvent> events;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    TraceEvent ev;
    auto st = google::protobuf::util::JsonStringToMessage(std::string(line), &ev);
    if (!st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": not a TraceEvent: ", st.message().ToString()));
    }
    events.push_back(std::move(ev));
  }
  return events;
}

absl::StatusOr<TraceEvent> EventFromFlags() {
  TraceEvent ev;
  ev.set_event_id(absl::GetFlag(FLAGS_event_id).empty() ? RandomHex(16)
                                                          : absl::GetFlag(FLAGS_event_id));
  *ev.mutable_timestamp() = Now();
  const std::string kind = absl::GetFlag(FLAGS_kind);
  const std::string trace_id =
      absl::GetFlag(FLAGS_trace_id).empty() ? RandomHex(16) : absl::GetFlag(FLAGS_trace_id);
  const std::string id = absl::GetFlag(FLAGS_id).empty() ? RandomHex(8) : absl::GetFlag(FLAGS_id);
  if (kind == "trace") {
    auto* t = ev.mutable_trace();
    t->set_id(trace_id);
    t->set_name(absl::GetFlag(FLAGS_name));
    t->set_user_id(absl::GetFlag(FLAGS_user_id));
    for (const auto& tag : absl::GetFlag(FLAGS_tags)) t->add_tags(tag);
    if (!absl::GetFlag(FLAGS_input).empty()) t->mutable_input()->set_text(absl::GetFlag(FLAGS_input));
    if (!absl::GetFlag(FLAGS_output).empty()) t->mutable_output()->set_text(absl::GetFlag(FLAGS_output));
    return ev;
  }
  if (kind == "score") {
    auto* s = ev.mutable_score();
    s->set_id(id);
    s->set_trace_id(trace_id);
    s->set_observation_id(absl::GetFlag(FLAGS_parent_id));
    s->set_name(absl::GetFlag(FLAGS_name));
    s->set_numeric_value(absl::GetFlag(FLAGS_value));
    return ev;
  }
  tracegate::v1::ObservationType type;
  if (!ParseObservationType(kind, &type)) {
    return absl::InvalidArgumentError(absl::StrCat("--kind=", kind, ": unknown kind"));
  }
  auto* o = ev.mutable_observation();
  o->set_id(id);
  o->set_trace_id(trace_id);
  o->set_parent_observation_id(absl::GetFlag(FLAGS_parent_id));
  o->set_type(type);
  o->set_name(absl::GetFlag(FLAGS_name));
  *o->mutable_start_time() = Now(-absl::Milliseconds(5));
  if (type != tracegate::v1::OBSERVATION_TYPE_EVENT) *o->mutable_end_time() = Now();
  o->set_model(absl::GetFlag(FLAGS_model));
  if (!absl::GetFlag(FLAGS_input).empty()) o->mutable_input()->set_text(absl::GetFlag(FLAGS_input));
  if (!absl::GetFlag(FLAGS_output).empty()) o->mutable_output()->set_text(absl::GetFlag(FLAGS_output));
  return ev;
}

// The sanity trace of the deployment guide: trace "langfuse-sanity-check" with default tags,
// a chain that holds a retriever and a generation, and a score. There is no Trace event
// (on the OTLP egress it would become a second root span): the chain is the root and
// carries the trace's input, output and metadata in its trace attributes.
std::vector<TraceEvent> SanityTrace(std::string* trace_id_out) {
  const std::string trace_id = RandomHex(16);
  *trace_id_out = trace_id;
  const std::string app_env = Env("APP_ENV", "dev");
  const std::string service = absl::GetFlag(FLAGS_service);
  std::vector<TraceEvent> out;
  auto base = [&](const std::string& suffix) {
    TraceEvent ev;
    ev.set_event_id(trace_id + "-" + suffix);
    *ev.mutable_timestamp() = Now();
    return ev;
  };
  auto attrs = [&](tracegate::v1::TraceAttributes* a) {
    a->set_name("langfuse-sanity-check");
    a->add_tags("env:" + app_env);
    a->add_tags("service:" + service);
  };
  const std::string chain_id = RandomHex(8), retriever_id = RandomHex(8), gen_id = RandomHex(8);
  TraceEvent chain = base("chain");
  auto* c = chain.mutable_observation();
  c->set_id(chain_id);
  c->set_trace_id(trace_id);
  c->set_type(tracegate::v1::OBSERVATION_TYPE_CHAIN);
  c->set_name("sanity-chain");
  *c->mutable_start_time() = Now(-absl::Milliseconds(300));
  *c->mutable_end_time() = Now();
  c->mutable_input()->set_text("Is the Langfuse pipeline working?");
  c->mutable_output()->set_text("yes");
  auto* t = c->mutable_trace();
  attrs(t);
  t->mutable_input()->set_text("Is the Langfuse pipeline working?");
  t->mutable_output()->set_text("yes");
  (*t->mutable_metadata()->mutable_fields())["source"].set_string_value("tracegate-cli verify");
  out.push_back(chain);

  TraceEvent retriever = base("retriever");
  auto* r = retriever.mutable_observation();
  r->set_id(retriever_id);
  r->set_trace_id(trace_id);
  r->set_parent_observation_id(chain_id);
  r->set_type(tracegate::v1::OBSERVATION_TYPE_RETRIEVER);
  r->set_name("sanity-retriever");
  *r->mutable_start_time() = Now(-absl::Milliseconds(290));
  *r->mutable_end_time() = Now(-absl::Milliseconds(250));
  r->mutable_input()->set_text("pipeline check");
  auto* doc = r->mutable_output()->mutable_documents()->add_documents();
  doc->set_page_content("Tracegate delivers traces to Langfuse.");
  attrs(r->mutable_trace());
  out.push_back(retriever);

  TraceEvent gen = base("generation");
  auto* g = gen.mutable_observation();
  g->set_id(gen_id);
  g->set_trace_id(trace_id);
  g->set_parent_observation_id(chain_id);
  g->set_type(tracegate::v1::OBSERVATION_TYPE_GENERATION);
  g->set_name("sanity-generation");
  g->set_model("sanity-model");
  *g->mutable_start_time() = Now(-absl::Milliseconds(240));
  *g->mutable_completion_start_time() = Now(-absl::Milliseconds(200));
  *g->mutable_end_time() = Now(-absl::Milliseconds(10));
  auto* msg = g->mutable_input()->mutable_messages()->add_messages();
  msg->set_role("user");
  msg->set_content("Say yes.");
  g->mutable_output()->set_text("yes");
  (*g->mutable_usage_details())["input"] = 3;
  (*g->mutable_usage_details())["output"] = 1;
  (*g->mutable_usage_details())["total"] = 4;
  attrs(g->mutable_trace());
  out.push_back(gen);

  TraceEvent score = base("score");
  auto* s = score.mutable_score();
  s->set_id(trace_id + "-sanity");
  s->set_trace_id(trace_id);
  s->set_name("sanity");
  s->set_boolean_value(true);
  s->set_data_type(tracegate::v1::SCORE_DATA_TYPE_BOOLEAN);
  out.push_back(score);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "tracegate-cli send --file=events.jsonl | event --kind=span ... | verify");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << "usage: tracegate-cli send|event|verify [flags] (see --help)\n";
    return 2;
  }
  const std::string command = args[1];
  tracegate::client::ClientOptions opts;
  opts.endpoint = absl::GetFlag(FLAGS_endpoint);
  opts.api_key = absl::GetFlag(FLAGS_api_key);
  opts.tls = absl::GetFlag(FLAGS_tls);
  opts.ca_file = absl::GetFlag(FLAGS_ca_file);
  opts.cert_file = absl::GetFlag(FLAGS_cert_file);
  opts.key_file = absl::GetFlag(FLAGS_key_file);
  opts.timeout = absl::GetFlag(FLAGS_timeout);
  opts.app_id = absl::GetFlag(FLAGS_app_id);
  if (opts.api_key.empty()) {
    std::cerr << "no API key: set TRACEGATE_API_KEY or --api_key\n";
    return 2;
  }
  auto client = tracegate::client::Client::Create(opts);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 2;
  }
  if (command == "send") {
    if (absl::GetFlag(FLAGS_file).empty()) {
      std::cerr << "send: --file is required\n";
      return 2;
    }
    auto events = ReadJsonLines(absl::GetFlag(FLAGS_file));
    if (!events.ok()) {
      std::cerr << events.status().message() << "\n";
      return 2;
    }
    return SendAll(**client, *std::move(events));
  }
  if (command == "event") {
    auto ev = EventFromFlags();
    if (!ev.ok()) {
      std::cerr << ev.status().message() << "\n";
      return 2;
    }
    return SendAll(**client, {*std::move(ev)});
  }
  if (command == "verify") {
    std::string trace_id;
    auto events = SanityTrace(&trace_id);
    std::cout << "sanity trace " << trace_id << " (langfuse-sanity-check)\n";
    return SendAll(**client, std::move(events));
  }
  std::cerr << "unknown command \"" << command << "\"\n";
  return 2;
}
