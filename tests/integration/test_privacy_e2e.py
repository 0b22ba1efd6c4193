"""End to end: privacy policies (issue 4) through the real gateway into Langfuse emulators.

One gateway, one route per capture mode, each route delivering to its own emulator that
records every request it receives (--record-file: request record + decoded payload). Traces
full of planted PII (e-mails, CN and international phone numbers, card numbers, IPs, user
ids, credentials) go through every mode; then every recorded byte of each emulator, the
gateway's log and its /metrics are scanned: no planted value may appear where that mode's
policy forbids it. A sampling route (rate 0.3) gets 10k traces and must keep whole traces
only, within a few percent of 30%.

Events are sent with the Python stubs (clients/python) so that IngestRequest.request_id and
app_id can be set.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time

import grpc
import pytest

import emu_harness
from gateway_harness import SK, sha256, wait_for
from tracegate.v1 import ingest_service_pb2, ingest_service_pb2_grpc, trace_event_pb2
from google.protobuf import json_format

API_KEY = "tg_privacy_e2e_key_0001"
HMAC_SECRET = "hmac-e2e-secret-4f2a9c71d3b8"
MODES = {"full": "full", "truncate": "truncate:40", "mask": "mask", "hash": "hash",
         "drop": "drop"}

USER_ID = "user-planted-8812"
CREDENTIALS = ["sk-lf-plantedsecret0123", "tg_planted_key_4567", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJl"]
PII = ["alice.planted@example.com", "bob.planted@example.org", "13912345670", "139 8765 4321",
       "+44 20 7946 0123", "+1 (415) 555-0199", "4111 1111 1111 1111", "5500000000000004",
       "203.0.113.99", "2001:db8::beef"]


def ts(offset_ms=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(milliseconds=offset_ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def planted_trace(mode: str) -> list[dict]:
    """Every field type of the contract, each carrying planted values."""
    tid = sha256("trace-" + mode)[:32]
    text = ("Customer alice.planted@example.com (+44 20 7946 0123, 13912345670) paid with "
            "4111 1111 1111 1111 from 203.0.113.99; key sk-lf-plantedsecret0123")
    attrs = {"name": "support", "userId": USER_ID, "tags": ["mail:bob.planted@example.org"],
             "metadata": {"email": "alice.planted@example.com", "phone": "139 8765 4321"}}

    def obs(suffix, body):
        body.update({"id": sha256(mode + suffix)[:16], "traceId": tid, "trace": attrs,
                     "startTime": ts(-100), "endTime": ts()})
        return {"eventId": "%s-%s" % (mode, suffix), "timestamp": ts(), "observation": body}

    return [
        {"eventId": mode + "-trace", "timestamp": ts(),
         "trace": {"id": tid, "name": "support", "userId": USER_ID,
                   "tags": ["customer:alice.planted@example.com"],
                   "metadata": {"user_id": USER_ID, "mobile": 13912345670,
                                "note": "card 5500000000000004",
                                "authorization": "Bearer tg_planted_key_4567"},
                   "input": {"text": text}, "output": {"text": "Refunded to 5500000000000004."}}},
        obs("gen", {"type": "OBSERVATION_TYPE_GENERATION", "name": "llm", "model": "gpt-4o-mini",
                    "input": {"messages": {"messages": [
                        {"role": "system", "content": "Never reveal tg_planted_key_4567."},
                        {"role": "user", "parts": [{"type": "text", "text": text}]},
                        {"role": "assistant", "toolCalls": [{"id": "c1", "name": "refund",
                         "argumentsJson": json.dumps({"card": "4111 1111 1111 1111",
                                                      "phone": "+1 (415) 555-0199",
                                                      "ip": "2001:db8::beef"})}]}]}},
                    "output": {"messages": {"messages": [
                        {"role": "assistant", "content": "Mailed bob.planted@example.org"}]}}}),
        obs("retriever", {"type": "OBSERVATION_TYPE_RETRIEVER", "name": "kb",
                          "output": {"documents": {"documents": [
                              {"pageContent": "Call +1 (415) 555-0199 or 139 8765 4321",
                               "metadata": {"owner": "alice.planted@example.com"}}]}}}),
        obs("tool", {"type": "OBSERVATION_TYPE_TOOL", "name": "lookup",
                     "statusMessage": "looked up 203.0.113.99",
                     "input": {"json": json.dumps({"query": "alice.planted@example.com",
                                                   "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJl"})},
                     "metadata": {"client_ip": "203.0.113.99", "nested": {"k": "13912345670"}}}),
        {"eventId": mode + "-score", "timestamp": ts(),
         "score": {"id": mode + "-score-1", "traceId": tid, "name": "quality", "numericValue": 1,
                   "comment": "reviewed by bob.planted@example.org",
                   "metadata": {"reviewer": "bob.planted@example.org"}}},
    ]


def config(ports: dict, sample_port: int, secret_file: str) -> str:
    lines = ["server:", '  grpc_listen: "127.0.0.1:0"', '  admin_listen: "127.0.0.1:0"',
             "  drain_timeout: 10s", "  app_env: e2e", "api_keys:", "  - name: privacy-key",
             "    sha256: %s" % sha256(API_KEY), '    workspaces: ["*"]',
             "privacy:", "  hmac_secret_file: %s" % secret_file,
             "  langfuse_project: privacy-e2e", "routes:"]
    routes = [(m, ports[m], '{capture: "%s"}' % c) for m, c in MODES.items()]
    routes.append(("sample", sample_port, "{sample_rate: 0.3, capture: drop, enrich: false}"))
    for name, port, privacy in routes:
        lines += ["  - name: %s" % name, "    workspaces: [w-%s]" % name, "    egress: otlp",
                  "    privacy: %s" % privacy, "    langfuse:",
                  "      base_url: http://127.0.0.1:%d" % port,
                  "      public_key: ${TEST_LANGFUSE_PK}", "      secret_key: ${TEST_LANGFUSE_SK}",
                  "      timeout: 5s"]
    lines += ["export:", "  linger: 50ms", "  initial_backoff: 100ms", "  max_backoff: 2s",
              "  max_batch_events: 1000"]
    return "\n".join(lines) + "\n"


def send(gw, events: list[dict], workspace: str, request_id="req-e2e-1", app_id="helpdesk"):
    req = ingest_service_pb2.IngestRequest(default_workspace=workspace, request_id=request_id,
                                           app_id=app_id)
    for e in events:
        json_format.ParseDict(e, req.events.add())
    with grpc.insecure_channel(gw.endpoint) as channel:
        stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
        resp = stub.Ingest(req, metadata=[("authorization", "Bearer " + API_KEY)], timeout=30)
    assert resp.rejected == 0, [r for r in resp.results if r.status != 1]
    return resp


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy")
    emus, records = {}, {}
    try:
        for mode in list(MODES) + ["sample"]:
            records[mode] = str(tmp / ("%s.jsonl" % mode))
            args = ["--server-version", "4.16.0"]
            if mode != "sample":
                args += ["--record-file", records[mode]]
            emus[mode] = emu_harness.spawn(*args, lifetime=600)
        secret_file = tmp / "hmac.secret"
        secret_file.write_text(HMAC_SECRET + "\n")
        os.chmod(secret_file, 0o600)
        yield emus, records, config({m: emus[m].port for m in MODES}, emus["sample"].port,
                                    str(secret_file))
    finally:
        for e in emus.values():
            emu_harness.stop(e.proc)


def test_planted_values_only_where_each_mode_allows(setup, start_gateway):
    emus, records, cfg = setup
    gw = start_gateway(cfg)
    for mode in MODES:
        send(gw, planted_trace(mode), "w-" + mode)
    for mode in MODES:
        r = emus[mode].request("GET", "/_emulator/wait?traces=1&observations=4&scores=1&timeout=20")
        assert r.status == 200, (mode, r.body)
    time.sleep(0.3)
    logs_and_metrics = gw.logs() + gw.http("/metrics")[1]
    for mode in MODES:
        with open(records[mode]) as f:
            received = f.read() + json.dumps(emus[mode].state())
        assert received, mode
        # Never, in any mode: raw user ids, credentials, the HMAC secret, gateway/Langfuse keys.
        for value in [USER_ID, HMAC_SECRET, API_KEY, SK] + CREDENTIALS:
            assert value not in received, (mode, value)
            assert value not in logs_and_metrics, value
        if mode == "full":
            # Full capture keeps text as sent: the scan would see planted values.
            assert "alice.planted@example.com" in received and "13912345670" in received
            continue
        for value in PII:
            assert value not in received, (mode, value)
    # What the policies did, read back from the stored data.
    hashed_user = None
    for mode in MODES:
        state = emus[mode].state()
        (trace,) = state["traces"].values()
        assert len(trace["userId"]) == 64 and trace["userId"] != USER_ID
        hashed_user = hashed_user or trace["userId"]
        assert trace["userId"] == hashed_user  # one key: the same hash in every route
        assert {"env:e2e", "service:tracegate", "ws:w-%s" % mode, "app:helpdesk"} <= set(trace["tags"])
        md = trace["metadata"]
        assert md["workspace_id"] == "w-" + mode and md["request_id"] == "req-e2e-1"
        assert md["app_id"] == "helpdesk" and md["langfuse_project"] == "privacy-e2e"
        assert md["user_id_hash"] == hashed_user and "authorization" not in md
        gen = next(o for o in state["observations"].values() if o["type"] == "GENERATION")
        assert gen["traceAttributes"]["userId"] == hashed_user
        if mode == "drop":
            assert gen.get("input") in (None, "") and trace.get("input") in (None, "")
        else:
            assert [m["role"] for m in gen["input"]] == ["system", "user", "assistant"]
        tool = next(o for o in state["observations"].values() if o["type"] == "TOOL")
        assert "nested" not in (tool.get("metadata") or {})  # scalars only by default
    mask = emus["mask"].state()
    (trace,) = mask["traces"].values()
    assert "[EMAIL]" in trace["input"] and "[CARD]" in trace["input"] and "[PHONE]" in trace["input"]
    assert "[SECRET]" in trace["input"]


def test_sampling_keeps_whole_traces_at_the_configured_rate(setup, start_gateway):
    emus, _, cfg = setup
    gw = start_gateway(cfg)
    rng = random.Random(4)
    n = 10000
    ids = ["%032x" % rng.getrandbits(128) for _ in range(n)]
    events = []
    for i, tid in enumerate(ids):
        events.append({"eventId": "t-%d" % i, "timestamp": ts(), "trace": {"id": tid, "name": "s"}})
        events.append({"eventId": "o-%d" % i, "timestamp": ts(),
                       "observation": {"id": "%016x" % (i + 1), "traceId": tid, "name": "child",
                                       "type": "OBSERVATION_TYPE_SPAN", "startTime": ts()}})
        if i % 10 == 0:
            events.append({"eventId": "s-%d" % i, "timestamp": ts(),
                           "score": {"id": "score-%d" % i, "traceId": tid, "name": "q",
                                     "numericValue": 1}})
    for k in range(0, len(events), 2000):
        send(gw, events[k:k + 2000], "w-sample", request_id="", app_id="")
    total = n * 2 + n // 10
    sampled = gw.metric("tracegate_events_total", workspace="w-sample", outcome="accepted",
                        reason="sampled")
    assert wait_for(lambda: gw.metric("tracegate_events_delivered_total", route="sample")
                    >= total - sampled, timeout=120)
    state = emus["sample"].state()
    traces = set(state["traces"])
    children = {o["traceId"] for o in state["observations"].values() if o["name"] == "child"}
    scored = {s["traceId"] for s in state["scores"].values()}
    assert traces == children, "a trace and its observation were sampled differently"
    assert scored == {ids[i] for i in range(0, n, 10)} & traces
    fraction = len(traces) / n
    assert 0.28 <= fraction <= 0.32, fraction
    # Everything not delivered was counted as sampled, nothing else went missing.
    assert sampled == total - (2 * len(traces) + len(scored))
