// tracegate-bench-sink: a fast stand-in for Langfuse's ingestion endpoints, for benchmarks.
// It must never be the bottleneck, so it does the least a real server must: read the body
// (cpp-httplib inflates gzip), count, and answer.
//
//   POST /api/public/otel/v1/traces   OTLP/HTTP protobuf; counts spans (protobuf wire walk)
//   POST /api/public/ingestion        {"batch":[...]}; counts events, answers 207 with one
//                                     success per envelope id (or 200 with --ingestion_200)
//   GET  /api/public/health           {"status":"OK","version":"3.124.0"}
//   GET  /stats                       JSON counters; POST /reset zeroes them
// With --validate it also parses each OTLP body fully (span ids 16/8 bytes, names set) and
// each ingestion body as JSON (envelopes with id, type, body); invalid requests get 400.
//
//   tracegate-bench-sink --listen=127.0.0.1 --port=0    # prints "port N" when listening
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, listen, "127.0.0.1", "address to listen on");
ABSL_FLAG(int, port, 0, "port (0 = any free)");
ABSL_FLAG(int, threads, 8, "HTTP worker threads");
ABSL_FLAG(bool, validate, false, "parse and check every body fully");
ABSL_FLAG(bool, ingestion_200, false, "answer ingestion with 200 {} instead of a 207 list");

namespace {

std::atomic<int64_t> otlp_requests{0}, otlp_spans{0}, otlp_bytes{0};
std::atomic<int64_t> ingestion_requests{0}, ingestion_events{0}, ingestion_bytes{0};
std::atomic<int64_t> invalid_requests{0};

bool ReadVarint(const char*& p, const char* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

// Visits the length-delimited fields numbered `want` of one message; false if malformed.
template <typename F>
bool ForEachBytesField(const char* p, const char* end, int want, F f) {
  while (p < end) {
    uint64_t key, v;
    if (!ReadVarint(p, end, &key)) return false;
    switch (key & 7) {
      case 0:
        if (!ReadVarint(p, end, &v)) return false;
        break;
      case 1:
        if (end - p < 8) return false;
        p += 8;
        break;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        break;
      case 2:
        if (!ReadVarint(p, end, &v) || v > static_cast<uint64_t>(end - p)) return false;
        if (static_cast<int>(key >> 3) == want && !f(p, p + v)) return false;
        p += v;
        break;
      default:
        return false;
    }
  }
  return true;
}

// ExportTraceServiceRequest.resource_spans(1).scope_spans(2).spans(2): count, and with
// `validate` check each span's trace_id (1) is 16 bytes, span_id (2) 8 bytes, name (5) set.
bool CountSpans(const std::string& body, bool validate, int64_t* spans) {
  return ForEachBytesField(body.data(), body.data() + body.size(), 1, [&](auto rb, auto re) {
    return ForEachBytesField(rb, re, 2, [&](auto sb, auto se) {
      return ForEachBytesField(sb, se, 2, [&](const char* b, const char* e) {
        ++*spans;
        if (!validate) return true;
        size_t trace = 0, span = 0, name = 0;
        bool ok = true;
        for (int field : {1, 2, 5}) {
          ok = ok && ForEachBytesField(b, e, field, [&](const char* x, const char* y) {
                 (field == 1 ? trace : field == 2 ? span : name) = static_cast<size_t>(y - x);
                 return true;
               });
        }
        return ok && trace == 16 && span == 8 && name > 0;
      });
    });
  });
}

// Envelope ids of {"batch":[{"id":"...",...},...]} without building a DOM: a string-aware
// depth scan that reads the "id" key of each top-level batch element.
bool EnvelopeIds(const std::string& body, std::vector<std::string>* ids, int64_t* events) {
  size_t i = body.find("\"batch\"");
  if (i == std::string::npos) return false;
  i = body.find('[', i);
  if (i == std::string::npos) return false;
  int depth = 0;  // 0: inside the batch array
  bool want_id = false;
  for (++i; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '"') {
      size_t j = i + 1;
      std::string text;
      for (; j < body.size() && body[j] != '"'; ++j) {
        if (body[j] == '\\') ++j;
        if (j < body.size()) text.push_back(body[j]);
      }
      if (j >= body.size()) return false;
      size_t k = j + 1;
      while (k < body.size() && isspace(static_cast<unsigned char>(body[k]))) ++k;
      const bool is_key = k < body.size() && body[k] == ':';
      if (depth == 1 && is_key) {
        want_id = text == "id";
      } else if (depth == 1 && want_id) {
        ids->push_back(std::move(text));
        want_id = false;
      }
      i = j;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return true;
      if (depth == 0 && c == '}') ++*events;
    }
  }
  return false;
}

bool ValidIngestion(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("batch")) return false;
  for (const auto& e : json["batch"]) {
    if (!e.is_object() || !e.contains("id") || !e.contains("type") || !e.contains("body")) {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const bool validate = absl::GetFlag(FLAGS_validate);
  const bool ingestion_200 = absl::GetFlag(FLAGS_ingestion_200);
  const auto started = std::chrono::steady_clock::now();

  httplib::Server server;
  const int threads = absl::GetFlag(FLAGS_threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);  // no Nagle wait between response header and body writes
  server.set_keep_alive_max_count(1 << 30);
  server.set_keep_alive_timeout(60);
  server.set_payload_max_length(64 << 20);

  server.Post("/api/public/otel/v1/traces", [&](const httplib::Request& req,
                                                 httplib::Response& res) {
    int64_t spans = 0;
    if (!CountSpans(req.body, validate, &spans)) {
      ++invalid_requests;
      res.status = 400;
      res.set_content("{\"message\":\"invalid OTLP body\"}", "application/json");
      return;
    }
    ++otlp_requests;
    otlp_spans += spans;
    otlp_bytes += static_cast<int64_t>(req.body.size());
    res.status = 200;
    res.set_content("", "application/x-protobuf");  // an empty ExportTraceServiceResponse
  });

  server.Post("/api/public/ingestion", [&](const httplib::Request& req, httplib::Response& res) {
    std::vector<std::string> ids;
    int64_t events = 0;
    if (!EnvelopeIds(req.body, &ids, &events) || (validate && !ValidIngestion(req.body))) {
      ++invalid_requests;
      res.status = 400;
      res.set_content("{\"message\":\"invalid ingestion body\"}", "application/json");
      return;
    }
    ++ingestion_requests;
    ingestion_events += events;
    ingestion_bytes += static_cast<int64_t>(req.body.size());
    if (ingestion_200) {
      res.status = 200;
      res.set_content("{}", "application/json");
      return;
    }
    std::string out = "{\"successes\":[";
    out.reserve(ids.size() * 64 + 32);
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::StrAppend(&out, i ? "," : "", "{\"id\":", nlohmann::json(ids[i]).dump(),
                      ",\"status\":201}");
    }
    out += "],\"errors\":[]}";
    res.status = 207;
    res.set_content(out, "application/json");
  });

  server.Get("/api/public/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"OK\",\"version\":\"3.124.0\"}", "application/json");
  });

  server.Get("/stats", [&](const httplib::Request&, httplib::Response& res) {
    nlohmann::json s;
    s["otlp_requests"] = otlp_requests.load();
    s["otlp_spans"] = otlp_spans.load();
    s["otlp_bytes"] = otlp_bytes.load();
    s["ingestion_requests"] = ingestion_requests.load();
    s["ingestion_events"] = ingestion_events.load();
    s["ingestion_bytes"] = ingestion_bytes.load();
    s["invalid_requests"] = invalid_requests.load();
    s["events"] = otlp_spans.load() + ingestion_events.load();
    s["uptime_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    res.set_content(s.dump(), "application/json");
  });

  server.Post("/reset", [](const httplib::Request&, httplib::Response& res) {
    for (auto* c : {&otlp_requests, &otlp_spans, &otlp_bytes, &ingestion_requests,
                    &ingestion_events, &ingestion_bytes, &invalid_requests}) {
      c->store(0);
    }
    res.set_content("{}", "application/json");
  });

  int port = absl::GetFlag(FLAGS_port);
  const std::string host = absl::GetFlag(FLAGS_listen);
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << "sink: cannot listen on " << host << "\n";
    return 1;
  }
  std::cout << "port " << port << std::endl;
  server.listen_after_bind();
  return 0;
}
