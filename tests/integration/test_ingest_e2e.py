"""End to end: tracegate-cli → gRPC → tracegate → Langfuse emulator, over OTLP and legacy.

Each test starts its own gateway on port 0 against the module's emulator (reset per test)."""

import datetime
import json
import signal
import time

import pytest

import emu_harness
from gateway_harness import (API_KEY, OTHER_KEY, STAR_KEY, cli, make_config, results,
                             send_events, wait_for)


def ts(offset_ms=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(milliseconds=offset_ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CHAIN, RETRIEVER, GEN, TOOL, EVENT = ("a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2",
                                      "c3c3c3c3c3c3c3c3", "d4d4d4d4d4d4d4d4",
                                      "e5e5e5e5e5e5e5e5")
TRACE_ATTRS = {"name": "rag-query", "userId": "user-42", "sessionId": "sess-7",
               "tags": ["env:test", "service:rag"]}


def is_user_hash(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and value != "user-42" and all(
        c in "0123456789abcdef" for c in value)


def nested_trace(trace_id=TRACE_ID, prefix="ev"):
    """A trace with chain → retriever, chain → generation → tool, an event, and a score."""
    def obs(eid, body):
        body.setdefault("traceId", trace_id)
        body.setdefault("trace", TRACE_ATTRS)
        return {"eventId": "%s-%s" % (prefix, eid), "timestamp": ts(), "observation": body}

    return [
        {"eventId": prefix + "-trace", "timestamp": ts(),
         "trace": {"id": trace_id, "name": "rag-query", "userId": "user-42",
                   "sessionId": "sess-7", "tags": ["env:test", "service:rag"],
                   "metadata": {"team": "rag"}, "input": {"text": "what is tracegate?"},
                   "output": {"text": "a gateway"}}},
        obs("chain", {"id": CHAIN, "type": "OBSERVATION_TYPE_CHAIN", "name": "qa-chain",
                      "startTime": ts(-500), "endTime": ts(-10)}),
        obs("retriever", {"id": RETRIEVER, "parentObservationId": CHAIN,
                          "type": "OBSERVATION_TYPE_RETRIEVER", "name": "vector-search",
                          "startTime": ts(-490), "endTime": ts(-400),
                          "input": {"text": "tracegate"},
                          "output": {"documents": {"documents": [
                              {"pageContent": "Tracegate is a gateway.",
                               "metadata": {"source": "docs"}}]}}}),
        obs("generation", {"id": GEN, "parentObservationId": CHAIN,
                           "type": "OBSERVATION_TYPE_GENERATION", "name": "llm",
                           "startTime": ts(-390), "completionStartTime": ts(-300),
                           "endTime": ts(-100), "model": "gpt-4o-mini",
                           "modelParameters": {"temperature": 0.2},
                           "usageDetails": {"input": "10", "output": "5", "total": "15"},
                           "costDetails": {"total": 0.0012},
                           "input": {"messages": {"messages": [
                               {"role": "system", "content": "be brief"},
                               {"role": "user", "content": "what is tracegate?"}]}},
                           "output": {"text": "a gateway"}}),
        obs("tool", {"id": TOOL, "parentObservationId": GEN, "type": "OBSERVATION_TYPE_TOOL",
                     "name": "search-docs", "startTime": ts(-350), "endTime": ts(-320),
                     "input": {"json": "{\"q\": \"tracegate\"}"}}),
        obs("event", {"id": EVENT, "parentObservationId": CHAIN,
                      "type": "OBSERVATION_TYPE_EVENT", "name": "cache-miss",
                      "startTime": ts(-450), "level": "LEVEL_WARNING",
                      "statusMessage": "cold cache"}),
        {"eventId": prefix + "-score", "timestamp": ts(),
         "score": {"id": prefix + "-score-1", "traceId": trace_id, "name": "faithfulness",
                   "numericValue": 0.9}},
    ]


def test_nested_trace_arrives_over_otlp_with_score_over_ingestion(emu, start_gateway):
    gw = start_gateway(make_config(emu.port))
    code, out, err = send_events(gw, nested_trace())
    assert code == 0, out + err
    assert all(v[0] == "ACCEPTED" for v in results(out).values()) and len(results(out)) == 7
    assert emu.request("GET", "/_emulator/wait?observations=6&scores=1&traces=1&timeout=15").status == 200
    state = emu.state()
    obs = state["observations"]
    # Types and parents exactly as sent (hex ids pass through unchanged).
    expect = {CHAIN: ("CHAIN", None), RETRIEVER: ("RETRIEVER", CHAIN),
              GEN: ("GENERATION", CHAIN), TOOL: ("TOOL", GEN), EVENT: ("EVENT", CHAIN)}
    for oid, (typ, parent) in expect.items():
        assert obs[oid]["type"] == typ, obs[oid]
        assert obs[oid]["parentObservationId"] == parent
        assert obs[oid]["traceId"] == TRACE_ID
        # v4 stores trace attributes per row: every span carries them.
        ta = obs[oid]["traceAttributes"]
        # Default privacy policy (docs/privacy.md): user ids are HMAC-hashed, ws: tag added.
        assert ta["name"] == "rag-query" and is_user_hash(ta["userId"])
        assert ta["sessionId"] == "sess-7"
        assert sorted(ta["tags"]) == ["env:test", "service:rag", "ws:alpha"]
    gen = obs[GEN]
    assert gen["model"] == "gpt-4o-mini"
    assert gen["usageDetails"] == {"input": 10, "output": 5, "total": 15}
    assert gen["costDetails"] == {"total": 0.0012}
    assert gen["modelParameters"]["temperature"] == 0.2
    assert gen["completionStartTime"] is not None
    assert gen["startTime"] < gen["completionStartTime"] < gen["endTime"]
    assert gen["input"][1] == {"role": "user", "content": "what is tracegate?"}
    assert obs[RETRIEVER]["output"][0]["page_content"] == "Tracegate is a gateway."
    assert obs[TOOL]["input"] == {"q": "tracegate"}
    assert obs[EVENT]["level"] == "WARNING" and obs[EVENT]["statusMessage"] == "cold cache"
    assert obs[EVENT]["startTime"] == obs[EVENT]["endTime"]
    trace = state["traces"][TRACE_ID]
    assert trace["name"] == "rag-query" and trace["userId"] == ta["userId"]
    assert set(trace["tags"]) == {"env:test", "service:rag", "ws:alpha"}
    score = next(iter(state["scores"].values()))
    assert score["traceId"] == TRACE_ID and score["value"] == 0.9 and score["name"] == "faithfulness"
    otel = [r for r in state["requests"] if r["endpoint"] == "otel"]
    assert otel and all(r["content_encoding"] == "gzip" for r in otel)
    assert all(r["headers"].get("x-langfuse-ingestion-version") == "4" for r in otel)
    ing = [r for r in state["requests"] if r["endpoint"] == "ingestion"]
    assert ing and ing[0]["n_events"] == 1
    assert state["spec_violations"] == []


def test_same_trace_through_legacy_route_is_valid_ingestion(start_gateway):
    v3 = emu_harness.spawn("--server-version", "3.225.4", lifetime=300)
    try:
        cfg = make_config(v3.port, routes=[
            {"name": "otlp-route", "workspaces": ["alpha", "gamma"], "egress": "otlp"},
            {"name": "legacy-route", "workspaces": ["beta"], "egress": "legacy"}])
        gw = start_gateway(cfg)
        code, out, err = send_events(gw, nested_trace(prefix="lg"), workspace="beta")
        assert code == 0, out + err
        assert v3.request("GET", "/_emulator/wait?observations=5&scores=1&traces=1&timeout=15").status == 200
        state = v3.state()
        assert all(r["endpoint"] == "ingestion" for r in state["requests"])
        assert all(not r["errors"] for r in state["requests"]), state["requests"]
        assert state["spec_violations"] == []
        obs = state["observations"]
        assert obs[GEN]["type"] == "GENERATION" and obs[GEN]["model"] == "gpt-4o-mini"
        assert obs[GEN]["usageDetails"]["total"] == 15
        assert obs[TOOL]["type"] == "TOOL" and obs[TOOL]["parentObservationId"] == GEN
        assert state["traces"][TRACE_ID]["name"] == "rag-query"
    finally:
        emu_harness.stop(v3.proc)


def test_bad_events_rejected_alone_good_ones_delivered(emu, start_gateway):
    gw = start_gateway(make_config(emu.port))
    good = {"eventId": "good-1", "timestamp": ts(),
            "observation": {"id": "f0f0f0f0f0f0f0f0", "traceId": TRACE_ID,
                            "type": "OBSERVATION_TYPE_SPAN", "name": "ok",
                            "startTime": ts(-5), "endTime": ts()}}
    def span(eid, **over):
        body = dict(good["observation"], id="1234567812345678")
        body.update(over)
        return {"eventId": eid, "timestamp": ts(), "observation": body}
    events = [
        good,
        span("no-id", id=""),
        span("end-before-start", startTime=ts(), endTime=ts(-1000)),
        span("long-name", name="n" * 1001),
        span("bad-level", level=9),
        span("no-type", type="OBSERVATION_TYPE_UNSPECIFIED"),
        span("huge-input", input={"text": "x" * 1_100_000}),
        {"eventId": "no-payload", "timestamp": ts()},
    ]
    code, out, err = send_events(gw, events)
    assert code == 1, out + err  # some rejected
    res = results(out)
    assert res["good-1"][0] == "ACCEPTED"
    for eid in ["no-id", "end-before-start", "long-name", "bad-level", "no-type",
                "huge-input", "no-payload"]:
        assert res[eid][0] == "REJECTED", (eid, res.get(eid))
        assert res[eid][1] == "INVALID_ARGUMENT", (eid, res[eid])
    assert "observation.id" in res["no-id"][2]
    assert "end_time" in res["end-before-start"][2]
    assert "observation.name" in res["long-name"][2]
    assert "observation.level" in res["bad-level"][2]
    assert "observation.type" in res["no-type"][2]
    # Unknown workspace (key may write any workspace, but none is routed there).
    code, out, _ = send_events(gw, [dict(good, eventId="ghost-1")], key=STAR_KEY,
                               workspace="ghost")
    r = results(out)["ghost-1"]
    assert r[0] == "REJECTED" and r[1] == "NOT_FOUND" and "unknown workspace" in r[2]
    assert emu.request("GET", "/_emulator/wait?observations=1&timeout=10").status == 200
    time.sleep(0.5)  # give any wrongly queued event time to show up
    assert set(emu.state()["observations"]) == {"f0f0f0f0f0f0f0f0"}


def test_wrong_key_and_foreign_workspace_deliver_nothing(emu, start_gateway):
    gw = start_gateway(make_config(emu.port))
    events = nested_trace(prefix="auth")
    code, out, err = send_events(gw, events, key="tg_not_a_key")
    assert code == 2 and "UNAUTHENTICATED" in err, (out, err)
    code, out, err = send_events(gw, events, key=OTHER_KEY, workspace="alpha")
    assert code == 2 and "PERMISSION_DENIED" in err, (out, err)
    time.sleep(0.5)
    assert emu.state()["requests"] == []
    assert "tg_not_a_key" not in gw.logs()


def test_duplicates_are_not_forwarded_twice(emu, start_gateway):
    gw = start_gateway(make_config(emu.port))
    events = nested_trace(prefix="dup")
    assert send_events(gw, events)[0] == 0
    code, out, _ = send_events(gw, events, stream=True)
    assert code == 0
    assert all(v[0] == "DUPLICATE" for v in results(out).values())
    assert emu.request("GET", "/_emulator/wait?observations=5&scores=1&timeout=10").status == 200
    time.sleep(0.5)
    spans = sum(r.get("n_spans", 0) for r in emu.state()["requests"] if r["endpoint"] == "otel")
    assert spans == 6  # 5 observations + the trace's root span, once


def test_three_503_then_success_is_delivered_once(emu, start_gateway):
    emu.faults({"path": "otel", "kind": "status", "status": 503, "count": 3})
    gw = start_gateway(make_config(emu.port))
    code, _, _ = send_events(gw, nested_trace(prefix="r503")[:2])
    assert code == 0
    assert emu.request("GET", "/_emulator/wait?observations=1&timeout=20").status == 200
    time.sleep(0.3)
    otel = [r for r in emu.state()["requests"] if r["endpoint"] == "otel"]
    assert [r["status"] for r in otel] == [503, 503, 503, 200]
    assert gw.metric("tracegate_export_retries_total", route="otlp-route") >= 3
    assert gw.metric("tracegate_events_delivered_total", route="otlp-route") == 2


def test_429_retry_after_is_honoured(emu, start_gateway):
    emu.faults({"path": "otel", "kind": "status", "status": 429, "retry_after": "2"})
    gw = start_gateway(make_config(emu.port, export={"initial_backoff": "10ms",
                                                     "max_backoff": "50ms"}))
    assert send_events(gw, nested_trace(prefix="r429")[:2])[0] == 0
    assert emu.request("GET", "/_emulator/wait?observations=1&timeout=20").status == 200
    otel = [r for r in emu.state()["requests"] if r["endpoint"] == "otel"]
    assert [r["status"] for r in otel] == [429, 200]
    t0, t1 = (datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00")) for r in otel)
    assert (t1 - t0).total_seconds() >= 2.0


def test_207_with_one_400_dead_letters_that_event_only(emu, start_gateway):
    emu.faults({"path": "ingestion", "kind": "event_error", "status": 400, "event_index": 1})
    gw = start_gateway(make_config(emu.port))
    scores = [{"eventId": "s%d" % i, "timestamp": ts(),
               "score": {"id": "score-%d" % i, "traceId": TRACE_ID, "name": "q",
                         "numericValue": i}} for i in range(3)]
    assert send_events(gw, scores)[0] == 0
    assert emu.request("GET", "/_emulator/wait?scores=2&timeout=15").status == 200
    assert wait_for(lambda: gw.metric("tracegate_events_failed_total", route="otlp-route") == 1)
    time.sleep(0.3)
    assert len(emu.state()["scores"]) == 2
    status, body = gw.http("/admin/dead-letters?route=otlp-route")
    letters = json.loads(body)
    assert status == 200 and len(letters) == 1
    assert letters[0]["event_id"] in {"s0", "s1", "s2"} and "400" in letters[0]["reason"]
    assert gw.metric("tracegate_events_delivered_total", route="otlp-route") == 2
    # Permanent failures are not retried forever: exactly one ingestion request was made.
    assert len([r for r in emu.state()["requests"] if r["endpoint"] == "ingestion"]) == 1


def test_health_ready_metrics_and_sanity_trace(emu, start_gateway):
    gw = start_gateway(make_config(emu.port))
    assert gw.http("/healthz")[0] == 200
    assert gw.http("/readyz")[0] == 200
    code, out, err = cli(gw, "verify", "--workspace=alpha", "--service=rag")
    assert code == 0, out + err
    assert emu.request("GET", "/_emulator/wait?traces=1&observations=3&scores=1&timeout=15").status == 200
    state = emu.state()
    traces = state["traces"]
    (trace,) = traces.values()
    assert trace["name"] == "langfuse-sanity-check"
    # One root: the sanity chain carries the trace attributes (no span made of a Trace event).
    assert len(state["observations"]) == 3
    roots = [o for o in state["observations"].values() if not o["parentObservationId"]]
    assert [(o["name"], o["type"]) for o in roots] == [("sanity-chain", "CHAIN")]
    assert (trace["input"], trace["output"]) == ("Is the Langfuse pipeline working?", "yes")
    assert trace["metadata"]["source"] == "tracegate-cli verify"
    tags = set(trace["tags"])
    assert "service:rag" in tags and "ws:alpha" in tags, tags
    assert any(t.startswith("env:") for t in tags), tags  # the gateway's or the client's APP_ENV
    assert gw.metric("tracegate_events_total", workspace="alpha", outcome="accepted") == 4
    text = gw.http("/metrics")[1]
    assert "tracegate_export_request_duration_seconds_bucket" in text
    assert "sk-lf-test" not in text and "sk-lf-test" not in gw.logs()


def test_sigterm_drains_the_queue_before_exit(emu, start_gateway):
    emu.faults({"path": "otel", "kind": "delay", "ms": 1500})
    gw = start_gateway(make_config(emu.port))
    assert send_events(gw, nested_trace(prefix="drain")[:3])[0] == 0
    rc = gw.stop(signal.SIGTERM, timeout=30)
    assert rc == 0
    assert len(emu.state()["observations"]) == 3  # the trace's root span + chain + retriever
    assert "queue drained" in gw.logs()


def test_a_second_gateway_on_a_port_in_use_fails_to_start(emu, start_gateway):
    """SO_REUSEPORT is off: a second gateway on the same gRPC port must not silently share
    it (half the calls would reach a process with another config)."""
    first = start_gateway(make_config(emu.port))
    taken = make_config(emu.port).replace('grpc_listen: "127.0.0.1:0"',
                                          'grpc_listen: "127.0.0.1:%d"' % first.grpc_port)
    with pytest.raises(RuntimeError) as failed:
        start_gateway(taken, deadline_s=15)
    assert "cannot listen for gRPC on 127.0.0.1:%d" % first.grpc_port in str(failed.value)
    assert send_events(first, nested_trace(prefix="port")[:1])[0] == 0
