#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds are small valid (and a few deliberately broken) inputs, so the fuzzers start from
the shapes the gateway really sees. Deterministic: re-running rewrites the same files.

    .venv/bin/python3 tests/fuzz/make_corpus.py
Needs the Python stubs of clients/python (clients/python/src on sys.path) and protobuf.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python", "src"))

from google.protobuf import text_format  # noqa: E402
from tracegate.v1 import ingest_service_pb2, trace_event_pb2  # noqa: E402

NOW = 1767225600  # tests/fuzz/fuzz_util.h kNow

EVENTS = {
    "trace_full": f"""
event_id: "e-trace" workspace: "w" timestamp {{ seconds: {NOW - 60} }}
trace {{ id: "t1" name: "chat" user_id: "u-42" session_id: "s-1" release: "1.2.3" version: "v7"
  environment: "production" tags: "a" tags: "b" public: true
  metadata {{ fields {{ key: "k" value {{ string_value: "v" }} }}
              fields {{ key: "n" value {{ number_value: 1.5 }} }}
              fields {{ key: "l" value {{ list_value {{ values {{ bool_value: true }} }} }} }} }}
  input {{ text: "hello" }} output {{ json: "{{\\"answer\\": [1, 2, {{\\"x\\": null}}]}}" }}
  timestamp {{ seconds: {NOW - 60} }} }}""",
    "generation_full": f"""
event_id: "e-gen" workspace: "w"
observation {{ id: "o1" trace_id: "t1" parent_observation_id: "o0" type: OBSERVATION_TYPE_GENERATION
  name: "llm" start_time {{ seconds: {NOW - 10} }} end_time {{ seconds: {NOW - 5} }}
  completion_start_time {{ seconds: {NOW - 8} }} level: LEVEL_WARNING status_message: "slow"
  version: "v1" environment: "staging" model: "gpt-4o-mini"
  model_parameters {{ fields {{ key: "temperature" value {{ number_value: 0.2 }} }}
                      fields {{ key: "stop" value {{ list_value {{ values {{ string_value: "\\n" }} }} }} }} }}
  usage_details {{ key: "input" value: 10 }} usage_details {{ key: "output" value: 20 }}
  cost_details {{ key: "total" value: 0.0003 }} prompt_name: "qa" prompt_version: 3
  input {{ messages {{ messages {{ role: "system" content: "be brief" }}
                      messages {{ role: "user" parts {{ type: "text" text: "hi" }}
                                  parts {{ type: "image_url" image_url: "https://x/y.png" }} }}
                      messages {{ role: "assistant" tool_calls {{ id: "c1" name: "search"
                                  arguments_json: "{{\\"q\\": \\"x\\"}}" }} }}
                      messages {{ role: "tool" tool_call_id: "c1" name: "search" content: "r" }} }} }}
  output {{ text: "ok" }}
  trace {{ name: "chat" user_id: "u-42" session_id: "s-1" tags: "t" release: "r" version: "v"
           public: false metadata {{ fields {{ key: "m" value {{ string_value: "1" }} }} }} }} }}""",
    "retriever": f"""
event_id: "e-ret" workspace: "team-a"
observation {{ id: "o2" trace_id: "t1" type: OBSERVATION_TYPE_RETRIEVER name: "search"
  start_time {{ seconds: {NOW - 3} }} end_time {{ seconds: {NOW - 2} }}
  output {{ documents {{ documents {{ page_content: "doc" id: "d1"
    metadata {{ fields {{ key: "source" value {{ string_value: "wiki" }} }} }} }} }} }} }}""",
    "event_obs": f"""
event_id: "e-ev" workspace: "w"
observation {{ id: "o3" trace_id: "t1" type: OBSERVATION_TYPE_EVENT name: "click"
  start_time {{ seconds: {NOW - 1} }} end_time {{ seconds: {NOW - 1} }}
  input {{ value {{ struct_value {{ fields {{ key: "x" value {{ null_value: NULL_VALUE }} }} }} }} }} }}""",
    "tool_agent": f"""
event_id: "e-tool" workspace: "w"
observation {{ id: "o4" trace_id: "t1" type: OBSERVATION_TYPE_TOOL name: "calc"
  start_time {{ seconds: {NOW - 4} }} level: LEVEL_ERROR status_message: "boom" }}""",
    "score_numeric": f"""
event_id: "e-s1" workspace: "w"
score {{ id: "s1" trace_id: "t1" observation_id: "o1" name: "faithfulness" numeric_value: 0.9
  data_type: SCORE_DATA_TYPE_NUMERIC comment: "ok" environment: "production"
  timestamp {{ seconds: {NOW} }} }}""",
    "score_categorical": """
event_id: "e-s2" workspace: "w"
score { id: "s2" session_id: "s-1" name: "label" categorical_value: "good" config_id: "cfg" }""",
    "score_boolean": """
event_id: "e-s3" workspace: "other"
score { id: "s3" trace_id: "t1" name: "thumbs" boolean_value: true data_type: SCORE_DATA_TYPE_BOOLEAN
  dataset_run_id: "run-1" }""",
    "unicode": """
event_id: "e-u" workspace: "w"
trace { id: "跟踪-1" name: "запрос ✓" user_id: "用户" tags: "标签"
  input { text: "手机13812345678 email a@b.co 🙂" } }""",
    "invalid_end_before_start": f"""
event_id: "e-bad" workspace: "w"
observation {{ id: "o5" trace_id: "t1" type: OBSERVATION_TYPE_SPAN name: "x"
  start_time {{ seconds: {NOW} }} end_time {{ seconds: {NOW - 100} }} }}""",
}


def event(text):
    e = trace_event_pb2.TraceEvent()
    text_format.Parse(text, e)
    return e


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    events = {k: event(v) for k, v in EVENTS.items()}
    for name, e in events.items():
        write("trace_event", name, e.SerializeToString())

    batches = {
        "all": list(events.values()),
        "rag": [events[k] for k in ("trace_full", "retriever", "generation_full", "tool_agent")],
        "scores": [events[k] for k in ("score_numeric", "score_categorical", "score_boolean")],
        "duplicates": [events["trace_full"], events["trace_full"], events["event_obs"]],
    }
    for name, evs in batches.items():
        r = ingest_service_pb2.IngestRequest(default_workspace="w", batch_id=7)
        r.events.extend(evs)
        write("otlp_roundtrip", name, r.SerializeToString())
        write("ingest_request", name, r.SerializeToString())
    r = ingest_service_pb2.IngestRequest()
    e = event(EVENTS["trace_full"])
    e.ClearField("workspace")
    r.events.append(e)
    write("ingest_request", "no_workspace", r.SerializeToString())
    r = ingest_service_pb2.IngestRequest(default_workspace="forbidden")
    r.events.append(event(EVENTS["tool_agent"]))
    r.events[0].ClearField("workspace")
    write("ingest_request", "forbidden", r.SerializeToString())

    with open(os.path.join(ROOT, "examples", "tracegate.yaml"), encoding="utf-8") as f:
        write("config_yaml", "example", f.read())
    write("config_yaml", "full", """\
server: {grpc_listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0", ingest_threads: ${N:-2}}
limits: {max_events_per_batch: 100, max_future_skew: 1h}
api_keys:
  - name: svc
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: [w, "*"]
    rate_limit: {events_per_second: 100, bytes_per_second: 1e6, burst: 2s}
routes:
  - name: a
    workspaces: [w]
    langfuse: {base_url: "https://lf.example.com/x", public_key: pk, secret_key: ${LANGFUSE_SECRET_KEY}}
    egress: auto
    environment: prod
  - name: rest
    workspaces: ["*"]
    langfuse:
      base_url: http://lf:3000
      public_key_file: /run/secrets/pk
      secret_key_file: /run/secrets/sk
      timeout: 5s
export: {max_batch_events: 100, linger: 50ms, gzip_level: 6, max_attempts: 3}
dedupe: {window: 1h, max_entries: 1000}
queue: {max_events_per_route: 100000}
logging: {level: debug}
security:
  tls: {cert_file: /etc/tls.crt, key_file: /etc/tls.key, client_ca_file: /etc/ca.pem}
  admin_key_sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
  grpc: {keepalive_time: 30s, max_connection_age: 30m, max_concurrent_streams: 100}
rate_limits:
  per_key: {events_per_second: 1000}
  per_workspace: {bytes_per_second: 5000000}
  workspaces: {big: {events_per_second: 1e4}}
""")
    write("config_yaml", "anchors_and_tags", """\
base: &b {base_url: "http://lf", public_key: p, secret_key: s}
routes: [{name: a, workspaces: ["*"], langfuse: *b}]
api_keys: [{name: !!str 1, sha256: ${MISSING:-x}, workspaces: ["*"]}]
""")
    write("config_yaml", "broken", "routes: [\n  - name: a\n    workspaces: [\"*\"\n")
    write("config_yaml", "duplicate_keys", "logging: {level: info}\nlogging: {level: debug}\n")

    write("ingestion_response", "mixed", """{"successes":[{"id":"a","status":201}],\
"errors":[{"id":"b","status":400,"message":"Invalid request data","error":"x"},\
{"id":"c","status":500},{"id":"d"},{"status":409},"junk",{"id":5}]}""")
    write("ingestion_response", "empty", "{}")
    write("ingestion_response", "not_json", "<html>502 Bad Gateway</html>")
    write("ingestion_response", "wrong_types", """{"successes":{},"errors":"nope"}""")
    write("ingestion_response", "deep", "[" * 100 + "]" * 100)
    write("ingestion_response", "unicode", """{"errors":[{"id":"é","status":400,"message":"\\u00e9\\ud83d\\ude00 ✓"}]}""")

    for name, value in {
        "good": "Bearer tg_fuzz_key",
        "spaces": "  bearer \t tg_fuzz_key  ",
        "basic": "Basic dXNlcjpwYXNz",
        "empty": "",
        "scheme_only": "Bearer",
        "control": "Bearer tg_fuzz\x01key",
        "long": "Bearer " + "k" * 1500,
    }.items():
        write("auth_header", name, value)


if __name__ == "__main__":
    main()
