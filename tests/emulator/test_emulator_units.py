"""Unit tests of the emulator's pure helpers (no server process)."""

from __future__ import annotations

import http.client
import os

import pytest

import emu_mapping
import emu_store
import emu_validate as v
from emu_harness import SPEC, basic


@pytest.mark.parametrize("ts, ok", [
    ("2026-03-01T10:00:00Z", True), ("2026-03-01T10:00:00.123456789Z", True),
    ("2026-03-01T10:00:00+02:00", True), ("2026-03-01T10:00:00.1+0200", True),
    ("2026-03-01T10:00:00-05", True), ("2026-03-01T10:00:00", False),
    ("2026-03-01T10:00Z", False), ("2026-02-30T10:00:00Z", False),
    ("2026-03-01 10:00:00Z", False), (1772359200, False),
])
def test_iso_timestamps_follow_zod_offset_rule(ts, ok):
    assert (v.parse_iso(ts) is not None) == ok


def test_iso_to_ms_cuts_to_milliseconds_in_utc():
    assert v.iso_to_ms("2026-03-01T12:00:00.1239+02:00") == "2026-03-01T10:00:00.123Z"


@pytest.mark.parametrize("raw, env", [
    ("Production", "production"), ("langfuse-prod", "prod"), ("langfuse", "default"),
    ("has space", "default"), (None, "default"), ("x" * 50, "x" * 40), ("a_b-1", "a_b-1"),
])
def test_environment_normalisation(raw, env):
    assert v.normalize_environment(raw) == env


@pytest.mark.parametrize("body, fragment", [
    ({"id": "s", "name": "q", "value": 2, "dataType": "BOOLEAN"}, "0 or 1"),
    ({"id": "s", "name": "q", "value": "", "dataType": "TEXT"}, "1-500"),
    ({"id": "s", "name": "q", "value": "x", "dataType": "CORRECTION", "configId": "c"}, "configId"),
    ({"id": "s", "name": "", "value": 1}, "name"),
    ({"id": "s", "name": "q", "value": [1]}, "value"),
])
def test_score_rules(body, fragment):
    error = v.validate_event({"id": "e", "timestamp": "2026-03-01T10:00:00Z",
                              "type": "score-create", "body": body})
    assert error is not None and fragment in error


@pytest.mark.parametrize("etype, body, ok", [
    ("generation-create", {"id": "g", "level": "INFO"}, False),
    ("generation-create", {"id": "g", "modelParameters": {"stop": ["a"], "x": {"k": "v"}}}, True),
    ("generation-create", {"id": "g", "modelParameters": {"x": {"k": 1}}}, False),
    ("generation-create", {"id": "g", "usageDetails": [1]}, False),
    ("generation-create", {"id": "g", "usage": {"input": "x", "promptTokens": "y"}}, False),
    ("generation-create", {"id": "g", "usage": {"input": "x"}}, True),  # OpenAI branch strips it
    ("guardrail-create", {"id": "g", "promptVersion": 1}, False),
    ("observation-create", {"type": "AGENT"}, False),
    ("observation-create", {"type": "EVENT"}, True),
    ("span-create", {"id": "a" * 801}, False),
    ("span-create", {"id": "a\rb"}, False),
    ("trace-create", {"id": "t", "name": "n" * 1001}, False),
    ("trace-create", {}, True),  # accepted (and dropped by the server)
    ("sdk-log", {"id": "x"}, False),
    ("dataset-run-item-create", {"id": "x"}, False),
])
def test_body_rules(etype, body, ok):
    error = v.validate_event({"id": "e", "timestamp": "2026-03-01T10:00:00Z",
                              "type": etype, "body": body})
    assert (error is None) == ok, error


def test_usage_details_forms():
    norm = emu_mapping.normalize_usage_details
    assert norm({"input_tokens": 9, "output_tokens": 4, "total_tokens": 13,
                 "output_tokens_details": {"reasoning_tokens": 3}}) == {
        "input": 9, "output": 1, "total": 13, "output_reasoning_tokens": 3}
    assert norm({"input": "7", "bad": "x", "neg": -1}) == {"input": 7}
    assert norm({}) is None
    assert emu_mapping.normalize_cost_details({"total": 0.5, "x": -1, "y": "1"}) == {"total": 0.5}


@pytest.mark.parametrize("raw, tags", [
    (["a", "b"], ["a", "b"]), ('["a", "b"]', ["a", "b"]), ("a, b", ["a", "b"]), ("solo", ["solo"]),
])
def test_tag_forms(raw, tags):
    assert emu_mapping.parse_tags(raw) == tags


def _span(attrs, parent="00f067aa0ba902b7", code=0):
    return {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
            "parentSpanId": parent, "name": "op", "startTimeUnixNano": 0,
            "endTimeUnixNano": 5_000_000, "attributes": attrs, "status": {"code": code, "message": ""},
            "resource": {}, "scope": {"name": "s", "version": ""}}


def test_span_mapping_rules():
    obs, update, root = emu_mapping.span_to_records(_span({"langfuse.observation.level": "fatal"}))
    assert obs["level"] == "ERROR" and update is None and not root
    assert obs["startTime"] == obs["endTime"]  # a missing end copies the other one
    obs, _, _ = emu_mapping.span_to_records(_span({"gen_ai.operation.name": "embeddings"}, code=2))
    assert obs["type"] == "EMBEDDING" and obs["level"] == "ERROR"
    obs, _, _ = emu_mapping.span_to_records(_span({"gen_ai.request.model": "m",
                                                   "gen_ai.request.temperature": 0.1,
                                                   "gen_ai.usage.input_tokens": 10,
                                                   "gen_ai.usage.output_tokens": 2}))
    assert obs["type"] == "GENERATION" and obs["model"] == "m"
    assert obs["modelParameters"] == {"temperature": 0.1}
    assert obs["usageDetails"] == {"input": 10, "output": 2}
    _, update, root = emu_mapping.span_to_records(
        _span({"langfuse.internal.as_root": True, "deployment.environment.name": "QA"}))
    assert root and update["environment"] == "qa" and update["_fallback"]["name"] == "op"


def test_store_merge_keeps_immutables_and_nulls_do_not_clear_io():
    target = {}
    emu_store.merge_fields(target, {"id": "t", "input": {"a": 1}, "environment": "a"}, ("environment",))
    emu_store.merge_fields(target, {"input": None, "environment": "b", "metadata": "scalar"},
                           ("environment",))
    assert target == {"id": "t", "input": {"a": 1}, "environment": "a",
                      "metadata": {"metadata": "scalar"}}


def test_parse_version():
    import langfuse_emulator
    assert langfuse_emulator.parse_version("v4.16.0") == (4, 16, 0)
    assert langfuse_emulator.parse_version("3.98") == (3, 98, 0)
    assert langfuse_emulator.parse_version("3.225.4-rc1") == (3, 225, 4)


def test_fault_validation():
    with pytest.raises(ValueError):
        emu_store.validate_faults({"kind": "status"})
    with pytest.raises(ValueError):
        emu_store.validate_faults({"kind": "event_error", "path": "otel"})
    (fault,) = emu_store.validate_faults({"kind": "drop"})
    assert fault == {"kind": "drop", "path": "any", "count": 1}


@pytest.mark.skipif(not os.path.exists(SPEC), reason="shared/ spec not present")
def test_spec_validator_accepts_good_and_flags_bad():
    import emu_openapi
    spec = emu_openapi.SpecValidator(SPEC)
    good = {"id": "e", "timestamp": "2026-03-01T10:00:00Z", "type": "generation-create",
            "body": {"id": "g", "modelParameters": {"t": 1, "s": ["x"]}, "level": None,
                     "usageDetails": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}}
    assert spec.validate(good) == []
    bad = dict(good, type="embedding-create", body={"id": "g", "promptVersion": "3"})
    assert any("promptVersion" in p for p in spec.validate(bad))


def test_keep_alive_survives_error_responses(start_emulator):
    emu = start_emulator()
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        for auth, status in ((basic(sk="bad"), 401), (basic(), 207), (None, 401), (basic(), 207)):
            headers = {"Content-Type": "application/json"}
            if auth:
                headers["Authorization"] = auth
            conn.request("POST", "/api/public/ingestion", body=b'{"batch": []}', headers=headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == status
    finally:
        conn.close()
    assert emu.state()["counts"]["requests"] == 4
