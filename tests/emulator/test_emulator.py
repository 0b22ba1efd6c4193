"""End-to-end tests of the Langfuse emulator, run as a subprocess on port 0."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import time

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from emu_harness import PK, SK, SPEC, basic

TS = "2026-03-01T10:00:00.000Z"
TRACE_ID = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
ROOT_ID = bytes.fromhex("b7ad6b7169203331")
CHILD_ID = bytes.fromhex("00f067aa0ba902b7")


def event(eid, etype, body, ts=TS):
    return {"id": eid, "timestamp": ts, "type": etype, "body": body}


def kv(key, value):
    any_value = common_pb2.AnyValue()
    if isinstance(value, bool):
        any_value.bool_value = value
    elif isinstance(value, int):
        any_value.int_value = value
    elif isinstance(value, list):
        any_value.array_value.values.extend(common_pb2.AnyValue(string_value=s) for s in value)
    else:
        any_value.string_value = value
    return common_pb2.KeyValue(key=key, value=any_value)


TRACE_ATTRS = {"langfuse.trace.name": "checkout", "user.id": "u-1", "session.id": "s-1",
               "langfuse.trace.tags": ["b", "a"], "langfuse.environment": "Staging"}


def export(spans, resource=None) -> bytes:
    request = trace_service_pb2.ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend(kv(k, v) for k, v in (resource or {}).items())
    ss = rs.scope_spans.add()
    ss.scope.name = "tracegate"
    ss.spans.extend(spans)
    return request.SerializeToString()


def span(span_id, parent=b"", name="op", attrs=None, trace_id=TRACE_ID, status_code=0,
         start_ns=1_772_359_200_123_456_789, end_ns=1_772_359_201_987_654_321):
    s = trace_pb2.Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent, name=name,
                       start_time_unix_nano=start_ns, end_time_unix_nano=end_ns)
    s.attributes.extend(kv(k, v) for k, v in (attrs or {}).items())
    s.status.code = status_code
    return s


# -- health, auth, content types ------------------------------------------------

def test_health_and_ready_need_no_auth(emu):
    for path in ("/api/public/health", "/api/public/ready"):
        resp = emu.request("GET", path)
        assert resp.status == 200
        assert resp.json() == {"status": "OK", "version": "4.16.0"}


def test_ingestion_auth_failures(emu):
    batch = [event("e1", "score-create", {"id": "s1", "name": "q", "value": 1})]
    resp = emu.request("POST", "/api/public/ingestion", {"batch": batch},
                       {"Content-Type": "application/json"})
    assert resp.status == 401 and resp.json()["error"] == "UnauthorizedError"
    assert emu.ingest(batch, auth=basic(PK, "sk-wrong")).status == 401
    assert emu.ingest(batch, auth="Basic !!!notbase64").status == 401
    assert emu.state()["scores"] == {}


def test_bearer_key_may_send_scores_only_on_ingestion(start_emulator):
    emu = start_emulator("--server-version", "3.225.4")
    batch = [event("e1", "trace-create", {"id": "t1"}),
             event("e2", "score-create", {"id": "s1", "name": "q", "value": 0.5})]
    body = emu.ingest(batch, auth="Bearer " + PK).json()
    assert body["successes"] == [{"id": "e2", "status": 201}]
    assert [(e["id"], e["status"], e["message"]) for e in body["errors"]] == [
        ("e1", 401, "Access Scope Denied")]
    assert emu.ingest(batch, auth="Bearer pk-unknown").status == 401


def test_otel_auth_and_content_type(emu):
    body = export([span(ROOT_ID)])
    assert emu.otel(body, auth="Bearer " + PK).status == 403
    assert emu.otel(body, auth=basic(PK, "nope")).status == 401
    resp = emu.request("POST", "/api/public/otel/v1/traces", body,
                       {"Content-Type": "application/x-protobuf"})
    assert resp.status == 401 and "message" in resp.json()
    resp = emu.otel(body, content_type="text/plain")
    assert resp.status == 400 and resp.json() == {"error": "Invalid content type"}
    assert emu.otel(body, content_type="application/x-protobuf; charset=binary").status == 200


def test_ingestion_content_type_size_and_shape(emu):
    ok = {"Authorization": basic()}
    resp = emu.request("POST", "/api/public/ingestion", {"batch": []},
                       dict(ok, **{"Content-Type": "text/plain"}))
    assert resp.status == 400
    resp = emu.request("POST", "/api/public/ingestion", {"batch": {}},
                       dict(ok, **{"Content-Type": "application/json"}))
    assert resp.status == 400 and resp.json()["message"] == "Invalid request data"
    resp = emu.ingest([])
    assert resp.status == 207 and resp.json() == {"successes": [], "errors": []}
    big = [event("e1", "score-create", {"id": "s", "name": "q", "value": "x" * (5 << 20)})]
    assert emu.ingest(big).status == 413


def test_ingestion_version_header(emu):
    body = export([span(ROOT_ID)])
    assert emu.otel(body, **{"x-langfuse-ingestion-version": "5"}).status == 400
    assert emu.otel(body, **{"x-langfuse-ingestion-version": "four"}).status == 400
    assert emu.otel(body, **{"x-langfuse-ingestion-version": "4"}).status == 200


# -- OTLP -------------------------------------------------------------------------

def test_gzip_protobuf_round_trip(emu):
    child_attrs = dict(TRACE_ATTRS, **{
        "langfuse.observation.type": "generation",
        "langfuse.observation.model.name": "gpt-4o",
        "langfuse.observation.model.parameters": json.dumps({"temperature": 0.2}),
        "langfuse.observation.usage_details": json.dumps({"input": 10, "output": 3}),
        "langfuse.observation.cost_details": json.dumps({"total": 0.0012}),
        "langfuse.observation.input": json.dumps([{"role": "user", "content": "hi"}]),
        "langfuse.observation.output": "plain text",
        "langfuse.observation.level": "WARN",
        "langfuse.observation.metadata.team": "search",
        "langfuse.observation.prompt.name": "greet",
        "langfuse.observation.prompt.version": 3,
    })
    root_attrs = dict(TRACE_ATTRS, **{"langfuse.trace.metadata": json.dumps({"tier": "gold"}),
                                      "langfuse.trace.input": json.dumps({"q": "hi"})})
    raw = export([span(CHILD_ID, ROOT_ID, "llm", child_attrs),
                  span(ROOT_ID, b"", "root", root_attrs, status_code=2)],
                 resource={"service.version": "1.2.3"})
    resp = emu.otel(gzip.compress(raw), **{"Content-Encoding": "gzip",
                                           "x-langfuse-ingestion-version": "4"})
    assert resp.status == 200 and resp.json() == {}
    state = emu.state()
    trace = state["traces"][TRACE_ID.hex()]
    assert trace["name"] == "checkout" and trace["userId"] == "u-1"
    assert trace["sessionId"] == "s-1" and trace["tags"] == ["a", "b"]
    assert trace["metadata"] == {"tier": "gold"} and trace["input"] == {"q": "hi"}
    assert trace["environment"] == "staging" and trace["version"] == "1.2.3"
    assert trace["timestamp"] == "2026-03-01T10:00:00.123Z"
    assert trace["rootObservationId"] == ROOT_ID.hex()
    child = state["observations"][CHILD_ID.hex()]
    assert child["traceId"] == TRACE_ID.hex()
    assert child["parentObservationId"] == ROOT_ID.hex()
    assert child["type"] == "GENERATION" and child["model"] == "gpt-4o"
    assert child["modelParameters"] == {"temperature": 0.2}
    assert child["usageDetails"] == {"input": 10, "output": 3}
    assert child["costDetails"] == {"total": 0.0012}
    assert child["input"] == [{"role": "user", "content": "hi"}]
    assert child["output"] == "plain text"
    assert child["level"] == "WARNING" and child["metadata"] == {"team": "search"}
    assert (child["promptName"], child["promptVersion"]) == ("greet", 3)
    assert child["startTime"] == "2026-03-01T10:00:00.123Z"
    assert child["endTime"] == "2026-03-01T10:00:01.987Z"
    root = state["observations"][ROOT_ID.hex()]
    assert root["type"] == "SPAN" and root["level"] == "ERROR"
    assert root["parentObservationId"] is None
    for obs in (child, root):  # v4 rows carry the trace attributes of their own span
        assert obs["traceAttributes"]["name"] == "checkout"
        assert obs["traceAttributes"]["userId"] == "u-1"
        assert obs["traceAttributes"]["tags"] == ["b", "a"]
    (req,) = state["requests"]
    assert req["content_encoding"] == "gzip" and req["n_spans"] == 2
    assert req["headers"]["authorization"] == "REDACTED"
    assert req["body_bytes"] == len(gzip.compress(raw)) or req["body_bytes"] > 0


def test_otlp_json_and_non_root_trace_update(emu):
    doc = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [{
        "traceId": TRACE_ID.hex(), "spanId": CHILD_ID.hex(), "parentSpanId": ROOT_ID.hex(),
        "name": "tool", "startTimeUnixNano": "1772359200000000000",
        "endTimeUnixNano": "1772359200500000000",
        "attributes": [{"key": "langfuse.observation.type", "value": {"stringValue": "tool"}},
                       {"key": "langfuse.trace.tags", "value": {"stringValue": "x, y"}}]}]}]}]}
    assert emu.otel(json.dumps(doc).encode(), content_type="application/json").status == 200
    state = emu.state()
    assert state["observations"][CHILD_ID.hex()]["type"] == "TOOL"
    assert state["traces"][TRACE_ID.hex()]["tags"] == ["x", "y"]
    assert "rootObservationId" not in state["traces"][TRACE_ID.hex()]


@pytest.mark.parametrize("bad", [
    {"span_id": bytes(8)},                      # all-zero span id
    {"span_id": b"\x01" * 7},                   # 7 bytes
    {"trace_id": bytes(16)},                    # all-zero trace id
    {"trace_id": b"\x02" * 15},
])
def test_invalid_span_id_rejects_whole_export(emu, bad):
    args = dict(span_id=CHILD_ID, trace_id=TRACE_ID)
    args.update(bad)
    body = export([span(ROOT_ID), span(args["span_id"], ROOT_ID, trace_id=args["trace_id"])])
    resp = emu.otel(body)
    assert resp.status == 400 and "error" in resp.json()
    state = emu.state()
    assert state["observations"] == {} and state["traces"] == {}


def test_bad_gzip_and_garbage_protobuf(emu):
    assert emu.otel(b"not gzip", **{"Content-Encoding": "gzip"}).status == 400
    assert emu.otel(b"\xff\xff\xff\xff").status == 400


# -- legacy batches ------------------------------------------------------------------

def test_legacy_207_with_one_bad_event(start_emulator):
    emu = start_emulator("--server-version", "3.225.4")
    batch = [event("e1", "trace-create", {"id": "t1", "name": "n", "tags": ["z"]}),
             event("e2", "span-create", {"traceId": "t1"}),          # body.id missing
             event("e3", "generation-create", {"id": "g1", "traceId": "t1", "model": "m",
                                               "usage": {"input": 5, "output": 2, "unit": "TOKENS"}})]
    resp = emu.ingest(batch)
    assert resp.status == 207
    body = resp.json()
    assert body["successes"] == [{"id": "e1", "status": 201}, {"id": "e3", "status": 201}]
    (err,) = body["errors"]
    assert err["id"] == "e2" and err["status"] == 400
    assert err["message"] == "Invalid request data" and "body.id" in err["error"]
    state = emu.state()
    assert set(state["observations"]) == {"g1"} and state["traces"]["t1"]["name"] == "n"
    assert state["observations"]["g1"]["usageDetails"] == {"input": 5, "output": 2, "total": 7}


def test_legacy_merge_orders_by_envelope_timestamp(start_emulator):
    emu = start_emulator("--server-version", "3.225.4")
    emu.ingest([event("e2", "trace-create", {"id": "t1", "name": "new", "tags": ["b"],
                                             "metadata": {"k2": "v2"}}, ts="2026-03-01T10:00:02Z")])
    emu.ingest([event("e1", "trace-create", {"id": "t1", "name": "old", "tags": ["a"],
                                             "metadata": {"k1": "v1"}, "environment": "prod"},
                      ts="2026-03-01T10:00:01Z")])
    trace = emu.state()["traces"]["t1"]
    assert trace["name"] == "new" and trace["tags"] == ["a", "b"]
    assert trace["metadata"] == {"k1": "v1", "k2": "v2"} and trace["environment"] == "prod"
    assert trace["timestamp"] == "2026-03-01T10:00:01.000Z"


@pytest.mark.parametrize("version, trace_status", [("3.225.4", 201), ("4.16.0", 400)])
def test_v4_refuses_trace_events_but_accepts_scores(start_emulator, version, trace_status):
    emu = start_emulator("--server-version", version)
    batch = [event("e1", "trace-create", {"id": "t1"}),
             event("e2", "agent-create", {"id": "a1", "traceId": "t1"}),
             event("e3", "score-create", {"id": "s1", "traceId": "t1", "name": "q", "value": 1}),
             event("e4", "sdk-log", {"log": "hello"})]
    body = emu.ingest(batch).json()
    statuses = {e["id"]: e["status"] for e in body["successes"] + body["errors"]}
    assert statuses == {"e1": trace_status, "e2": trace_status, "e3": 201}
    state = emu.state()
    assert "s1" in state["scores"]
    assert ("t1" in state["traces"]) == (trace_status == 201)
    if trace_status == 400:
        assert {e["message"] for e in body["errors"]} == {"Event type not accepted"}
    else:
        assert state["observations"]["a1"]["type"] == "AGENT"


def test_old_v3_has_no_otel_route_nor_extra_types(start_emulator):
    emu = start_emulator("--server-version", "3.21.0")
    assert emu.otel(export([span(ROOT_ID)])).status == 404
    body = emu.ingest([event("e1", "agent-create", {"id": "a1", "traceId": "t1"}),
                       event("e2", "span-create", {"id": "s1", "traceId": "t1"})]).json()
    assert [e["id"] for e in body["errors"]] == ["e1"] and len(body["successes"]) == 1
    assert emu.state()["server"]["otel_route"] is False


def test_resent_batch_is_idempotent(start_emulator):
    emu = start_emulator("--server-version", "3.225.4")
    batch = [event("e1", "span-create", {"id": "s1", "traceId": "t1", "name": "a"}),
             event("e2", "span-update", {"id": "s1", "endTime": "2026-03-01T10:00:05Z"},
                   ts="2026-03-01T10:00:05Z")]
    emu.ingest(batch)
    first = emu.state()["observations"]
    emu.ingest(batch)
    assert emu.state()["observations"] == first
    assert first["s1"]["endTime"] == "2026-03-01T10:00:05.000Z" and first["s1"]["name"] == "a"


# -- faults and control API ------------------------------------------------------------

def test_fault_503_three_times_then_ok(emu):
    emu.faults({"path": "otel", "kind": "status", "status": 503, "count": 3})
    body = export([span(ROOT_ID)])
    assert [emu.otel(body).status for _ in range(4)] == [503, 503, 503, 200]
    state = emu.state()
    assert [r["fault"] for r in state["requests"]] == ["status"] * 3 + [None]
    assert list(state["observations"]) == [ROOT_ID.hex()]


def test_fault_429_with_retry_after(emu):
    emu.faults([{"kind": "status", "status": 429, "retry_after": "2", "count": 1}])
    resp = emu.ingest([])
    assert resp.status == 429 and resp.headers.get("Retry-After") == "2"
    assert emu.ingest([]).status == 207


def test_fault_delay(emu):
    emu.faults({"path": "ingestion", "kind": "delay", "ms": 600})
    started = time.monotonic()
    assert emu.ingest([]).status == 207
    assert time.monotonic() - started >= 0.55
    started = time.monotonic()
    emu.ingest([])
    assert time.monotonic() - started < 0.5


def test_fault_drop_closes_without_response(emu):
    emu.faults({"path": "otel", "kind": "drop"})
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        emu.otel(export([span(ROOT_ID)]))
    assert emu.otel(export([span(ROOT_ID)])).status == 200


def test_fault_event_error(start_emulator):
    emu = start_emulator("--server-version", "3.225.4")
    emu.faults({"kind": "event_error", "status": 500, "event_index": 1})
    batch = [event("e%d" % i, "trace-create", {"id": "t%d" % i}) for i in range(3)]
    body = emu.ingest(batch).json()
    assert [s["id"] for s in body["successes"]] == ["e0", "e2"]
    assert [(e["id"], e["status"]) for e in body["errors"]] == [("e1", 500)]
    assert set(emu.state()["traces"]) == {"t0", "t2"}
    assert emu.ingest(batch).json()["errors"] == []


def test_bad_fault_is_refused_and_reset_clears(emu):
    assert emu.request("POST", "/_emulator/faults", {"kind": "explode"}).status == 400
    emu.faults({"kind": "status", "status": 500, "count": 5})
    emu.ingest([event("e1", "score-create", {"id": "s", "name": "q", "value": 1})])
    emu.reset()
    state = emu.state()
    assert state["faults_pending"] == [] and state["requests"] == [] and state["scores"] == {}
    assert emu.ingest([]).status == 207


def test_wait_endpoint(emu):
    resp = emu.request("GET", "/_emulator/wait?observations=1&timeout=0.2")
    assert resp.status == 408 and resp.json()["counts"]["observations"] == 0
    emu.otel(export([span(ROOT_ID)]))
    resp = emu.request("GET", "/_emulator/wait?observations=1&traces=1&timeout=5")
    assert resp.status == 200 and resp.json()["reached"] is True


def test_extra_key_pairs_and_record_file(start_emulator, tmp_path):
    record = tmp_path / "requests.jsonl"
    emu = start_emulator("--key", "pk-lf-2:sk-lf-2", "--record-file", str(record))
    assert emu.otel(export([span(ROOT_ID)]), auth=basic("pk-lf-2", "sk-lf-2")).status == 200
    assert emu.otel(export([span(ROOT_ID)]), auth=basic("pk-lf-2", SK)).status == 200
    state = emu.state()
    assert [r["public_key"] for r in state["requests"]] == ["pk-lf-2", PK]
    assert state["requests"][1]["warnings"]  # pk does not match the secret key
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["payload"]["resourceSpans"]


def test_max_lifetime_exits(start_emulator):
    emu = start_emulator(lifetime=0.5)
    assert emu.proc.wait(timeout=10) == 0


# -- OpenAPI validation (needs shared/langfuse/openapi.yml) ------------------------------

needs_spec = pytest.mark.skipif(not os.path.exists(SPEC), reason="shared/ spec not present")
# The server parses numeric strings in usageDetails; the spec says integer.
SPEC_ONLY_BAD = event("e1", "generation-create", {"id": "g1", "traceId": "t1",
                                                  "usageDetails": {"input": "12"}})


@needs_spec
def test_openapi_strict_mode_rejects_spec_violation(start_emulator):
    emu = start_emulator("--server-version", "3.225.4", "--openapi", SPEC)
    body = emu.ingest([SPEC_ONLY_BAD, event("e2", "tool-create", {"id": "x", "traceId": "t1"})]).json()
    assert body["successes"] == [{"id": "e2", "status": 201}]
    (err,) = body["errors"]
    assert err["id"] == "e1" and err["status"] == 400 and "OpenAPI" in err["error"]
    (violation,) = emu.state()["spec_violations"]
    assert violation["event_id"] == "e1" and "usageDetails" in violation["errors"][0]


@needs_spec
def test_openapi_lenient_mode_records_violation(start_emulator):
    emu = start_emulator("--server-version", "3.225.4", "--no-strict-openapi")
    body = emu.ingest([SPEC_ONLY_BAD]).json()
    assert body["errors"] == []
    state = emu.state()
    assert state["observations"]["g1"]["usageDetails"] == {"input": 12}
    assert len(state["spec_violations"]) == 1 and state["server"]["openapi"]


def test_without_spec_only_builtin_checks(start_emulator):
    emu = start_emulator("--server-version", "3.225.4", "--no-openapi")
    body = emu.ingest([SPEC_ONLY_BAD]).json()
    assert body["errors"] == [] and emu.state()["spec_violations"] == []
    assert emu.state()["server"]["openapi"] is None
