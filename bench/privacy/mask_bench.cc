// Microbenchmark of the privacy stage: CPU time of Policy::Apply per event on a typical
// ~4 KB chat generation (system prompt, retrieved context, user question with an e-mail
// and a phone number, a tool call, the assistant's answer; trace attributes with a user id),
// per capture mode, plus the raw scanner speed.
//
//   ninja -C build privacy-mask-bench && build/bench/privacy/privacy-mask-bench
//   build/bench/privacy/privacy-mask-bench --rounds=7 --events=2000
//
// Each round applies the policy to `events` fresh copies (made before the clock starts);
// the figure is the median over rounds of CPU time per event (single thread), with the
// fastest round in brackets (closer to the intrinsic cost on a busy machine).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gateway/privacy/pii_scanner.h"
#include "gateway/privacy/policy.h"
#include "tracegate/v1/trace_event.pb.h"

namespace {

using tracegate::privacy::CaptureMode;
using tracegate::privacy::PolicyOptions;

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

std::string Repeat(const std::string& s, size_t bytes) {
  std::string out;
  while (out.size() < bytes) out += s;
  out.resize(bytes);
  return out;
}

// A chat generation of about 4 KB of text, with a little PII as real traffic has.
tracegate::v1::TraceEvent ChatGeneration() {
  tracegate::v1::TraceEvent e;
  e.set_event_id("ev-bench-1");
  e.set_workspace("support");
  auto* o = e.mutable_observation();
  o->set_id("c3c3c3c3c3c3c3c3");
  o->set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  o->set_type(tracegate::v1::OBSERVATION_TYPE_GENERATION);
  o->set_name("llm");
  o->set_model("gpt-4o-mini");
  auto* t = o->mutable_trace();
  t->set_user_id("user-8812");
  t->add_tags("team:support");
  auto* msgs = o->mutable_input()->mutable_messages();
  auto* sys = msgs->add_messages();
  sys->set_role("system");
  sys->set_content(
      Repeat("You are a helpful support assistant for an online shop. Answer briefly, cite the "
             "knowledge base, and never invent order details. ",
             600));
  auto* ctx = msgs->add_messages();
  ctx->set_role("system");
  ctx->set_content(
      Repeat("Context: Refunds are processed within 5-7 business days after the returned item "
             "arrives at the warehouse. Express shipping costs 12.50 EUR and arrives in 2 days; "
             "standard shipping is free above 49 EUR. Version 4.16 of the returns policy applies "
             "since 2024-01-15. ",
             1800));
  auto* user = msgs->add_messages();
  user->set_role("user");
  user->set_content(
      "Hi, I ordered a kettle last week and it arrived broken. Can you refund it? You can "
      "reach me at alice@example.com or 138 1234 5678. " +
      Repeat("It was a gift, so I would prefer a replacement if that is faster. ", 300));
  auto* assistant = msgs->add_messages();
  assistant->set_role("assistant");
  auto* call = assistant->add_tool_calls();
  call->set_id("call_1");
  call->set_name("lookup_order");
  call->set_arguments_json(R"({"order_id":"ORD-20260101","email":"alice@example.com","limit":5})");
  auto* tool = msgs->add_messages();
  tool->set_role("tool");
  tool->set_tool_call_id("call_1");
  tool->set_content(R"({"status":"delivered","items":[{"sku":"KT-200","qty":1}]})");
  auto* out = o->mutable_output()->mutable_messages()->add_messages();
  out->set_role("assistant");
  out->set_content(
      Repeat("I am sorry the kettle arrived damaged. I have started a replacement; you will get a "
             "confirmation e-mail with the tracking number within a day. ",
             900));
  return e;
}

size_t TextBytes(const tracegate::v1::TraceEvent& e) {
  size_t n = 0;
  for (const auto& m : e.observation().input().messages().messages()) {
    n += m.content().size();
    for (const auto& c : m.tool_calls()) n += c.arguments_json().size();
  }
  for (const auto& m : e.observation().output().messages().messages()) n += m.content().size();
  return n;
}

struct Result {
  double median;
  double min;
};

Result MicrosPerEvent(const PolicyOptions& options, const tracegate::v1::TraceEvent& event,
                      int rounds, int events) {
  auto policy = tracegate::privacy::Policy::Create(options);
  if (!policy.ok()) {
    std::fprintf(stderr, "policy: %s\n", std::string(policy.status().message()).c_str());
    std::exit(1);
  }
  std::vector<double> per_event;
  for (int r = 0; r < rounds; ++r) {
    std::vector<tracegate::v1::TraceEvent> batch(events, event);
    const double start = CpuSeconds();
    for (auto& e : batch) {
      auto keep = (*policy)->Apply(e, {.request_id = "req-1", .app_id = "helpdesk"});
      if (!keep.ok()) std::abort();
    }
    per_event.push_back((CpuSeconds() - start) * 1e6 / events);
  }
  std::sort(per_event.begin(), per_event.end());
  return Result{per_event[per_event.size() / 2], per_event.front()};
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 7;
  int events = 2000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rounds=", 9) == 0) rounds = std::atoi(argv[i] + 9);
    if (std::strncmp(argv[i], "--events=", 9) == 0) events = std::atoi(argv[i] + 9);
  }
  if (rounds < 1 || events < 1) {
    std::fprintf(stderr, "usage: privacy-mask-bench [--rounds=N] [--events=N]\n");
    return 2;
  }
  const tracegate::v1::TraceEvent event = ChatGeneration();
  std::printf("event: chat generation, %zu bytes of text, %zu bytes serialised\n", TextBytes(event),
              event.ByteSizeLong());
  std::printf(
      "%d rounds x %d events, CPU time per event (one thread): median of rounds (fastest)\n",
      rounds, events);

  PolicyOptions base;
  base.hmac_secret = "bench-secret-0123456789abcdef";
  base.sensitive_keys = {"user_id", "email", "phone", "mobile", "order_id", "id_card"};
  base.drop_keys = {"authorization", "api_key", "token", "password", "secret", "cookie"};
  base.app_env = "prod";
  base.service_name = "support-bot";
  struct Case {
    const char* name;
    CaptureMode mode;
    bool enrich;
  } cases[] = {
      {"mask (default) + enrich", CaptureMode::kMask, true},
      {"mask, enrich off", CaptureMode::kMask, false},
      {"truncate:200 + enrich", CaptureMode::kTruncate, true},
      {"hash + enrich", CaptureMode::kHash, true},
      {"full + enrich", CaptureMode::kFull, true},
      {"drop + enrich", CaptureMode::kDrop, true},
  };
  for (const Case& c : cases) {
    PolicyOptions o = base;
    o.capture = c.mode;
    o.truncate_chars = 200;
    o.enrich = c.enrich;
    const Result r = MicrosPerEvent(o, event, rounds, events);
    std::printf("  %-26s %7.2f us/event (min %.2f)\n", c.name, r.median, r.min);
  }

  // The scanner alone (no PII in the texts): the context message, which has numbers
  // ("5-7", "12.50", "2024-01-15"), and the system prompt, which is plain prose.
  auto scanner = tracegate::privacy::PiiScanner::Create({});
  const auto& messages = event.observation().input().messages().messages();
  for (int which : {1, 0}) {
    const std::string& text = messages.Get(which).content();
    std::string out;
    size_t found = 0;
    double best = 1e9;
    for (int r = 0; r < rounds; ++r) {
      const double start = CpuSeconds();
      for (int i = 0; i < events; ++i) {
        found += (*scanner)->Redact(text, tracegate::privacy::PiiScanner::kAll, &out) ? 1 : 0;
      }
      best = std::min(best, CpuSeconds() - start);
    }
    const double secs = best;
    const int reps = events;
    std::printf("  scanner, %4zu B %-12s %7.0f MB/s, fastest round (%zu matches)\n", text.size(),
                which == 1 ? "with numbers" : "prose",
                text.size() * static_cast<double>(reps) / secs / 1e6, found);
  }
  return 0;
}
