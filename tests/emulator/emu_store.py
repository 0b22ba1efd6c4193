"""In-memory state of the emulator: stored records, request log, faults, waiting.

One ``Store`` per server; every public method takes the store's lock, so the
HTTP handler threads may call it concurrently.  ``wait`` blocks on a condition
that every change notifies.

Legacy events are kept per entity (kind, body.id) and the record is recomputed
from all of them after each batch, like the worker (INGESTION.md §2.7): sort by
envelope timestamp (``*-create`` first on ties, then arrival), later non-null
values overwrite, ``null`` overwrites except for input/output, ``tags`` are a
sorted union, ``metadata`` and other objects are deep-merged, empty usage/cost
objects are ignored, and the immutable fields keep their first value.  Records
are JSON-ready dicts; their field names are listed in README.md.

Limits: there is no ClickHouse row to merge with, so "first value" means the
first event the emulator saw; the request log keeps the last ``MAX_REQUESTS``.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

import emu_mapping
import emu_validate as v

MAX_REQUESTS = 10000
FAULT_KINDS = ("status", "delay", "drop", "event_error")
FAULT_PATHS = ("otel", "ingestion", "any")
_IMMUTABLE = {"trace": ("id", "timestamp", "environment"),
              "observation": ("id", "traceId", "startTime", "environment"),
              "score": ("id", "timestamp", "traceId", "environment")}


def _deep_merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _deep_merge(old.get(key), value)
        return out
    return new


def _wrap_metadata(value: Any) -> Optional[dict]:
    if value is None or isinstance(value, dict):
        return value
    return {"metadata": value}


def merge_fields(target: dict, body: dict, immutable=()) -> None:
    """Merges one event body (or OTLP trace update) into ``target`` in place."""
    for key, value in body.items():
        if key in immutable and target.get(key) is not None:
            continue
        if key in ("input", "output"):
            if value is not None:
                target[key] = value
        elif key == "tags":
            target[key] = sorted(set(target.get(key) or []) | set(value or []))
        elif key == "metadata":
            value = _wrap_metadata(value)
            if value is not None:
                target[key] = _deep_merge(target.get(key) or {}, value)
        elif key in ("usage", "usageDetails", "costDetails") and value == {}:
            continue
        else:
            target[key] = _deep_merge(target.get(key), value)


def _trace_record(merged: dict, first_ts: str, via: str) -> dict:
    return {
        "id": merged.get("id"),
        "timestamp": v.iso_to_ms(merged.get("timestamp") or "") or first_ts,
        "name": merged.get("name"), "userId": merged.get("userId"),
        "sessionId": merged.get("sessionId"), "release": merged.get("release"),
        "version": merged.get("version"),
        "environment": v.normalize_environment(merged.get("environment")),
        "tags": merged.get("tags") or [], "metadata": merged.get("metadata") or {},
        "input": merged.get("input"), "output": merged.get("output"),
        "public": bool(merged.get("public")), "ingestedVia": via,
    }


def _usage_and_cost(merged: dict) -> Tuple[Optional[dict], Optional[dict]]:
    usage = merged.get("usage") or {}
    if any(k in usage for k in ("promptTokens", "completionTokens", "totalTokens")):
        usage = {"input": usage.get("promptTokens"), "output": usage.get("completionTokens"),
                 "total": usage.get("totalTokens")}
    out = {k: int(usage[k]) for k in ("input", "output", "total")
           if isinstance(usage.get(k), (int, float)) and not isinstance(usage.get(k), bool)}
    details = emu_mapping.normalize_usage_details(merged.get("usageDetails"))
    if details:
        out.update(details)
    elif "total" not in out and ("input" in out or "output" in out):
        out["total"] = out.get("input", 0) + out.get("output", 0)
    cost = {name: usage[key] for name, key in (("input", "inputCost"), ("output", "outputCost"),
                                               ("total", "totalCost"))
            if isinstance(usage.get(key), (int, float))}
    cost.update(emu_mapping.normalize_cost_details(merged.get("costDetails")) or {})
    return out or None, cost or None


def _observation_record(merged: dict, otype: str, first_ts: str) -> dict:
    start = v.iso_to_ms(merged.get("startTime") or "") or first_ts
    end = v.iso_to_ms(merged.get("endTime") or "")
    if end is not None and end < start:
        end = start
    usage, cost = _usage_and_cost(merged)
    return {
        "id": merged.get("id"), "traceId": merged.get("traceId"),
        "parentObservationId": merged.get("parentObservationId"), "type": otype,
        "name": merged.get("name"), "startTime": start, "endTime": end,
        "completionStartTime": v.iso_to_ms(merged.get("completionStartTime") or ""),
        "level": merged.get("level") or "DEFAULT", "statusMessage": merged.get("statusMessage"),
        "version": merged.get("version"),
        "environment": v.normalize_environment(merged.get("environment")),
        "model": merged.get("model"), "modelParameters": merged.get("modelParameters"),
        "usageDetails": usage, "costDetails": cost,
        "promptName": merged.get("promptName"), "promptVersion": merged.get("promptVersion"),
        "input": merged.get("input"), "output": merged.get("output"),
        "metadata": merged.get("metadata") or {}, "traceAttributes": {},
        "ingestedVia": "ingestion",
    }


def _score_record(merged: dict, first_ts: str) -> dict:
    value = merged.get("value")
    data_type = merged.get("dataType") or ("CATEGORICAL" if isinstance(value, str) else "NUMERIC")
    record = {k: merged.get(k) for k in (
        "id", "traceId", "observationId", "sessionId", "datasetRunId", "name", "value",
        "comment", "configId", "queueId", "executionTraceId")}
    record.update(timestamp=first_ts, dataType=data_type, source=merged.get("source") or "API",
                  environment=v.normalize_environment(merged.get("environment")),
                  metadata=merged.get("metadata") or {}, ingestedVia="ingestion")
    return record


def validate_faults(raw: Any) -> List[dict]:
    """Checks a fault description (object or list); raises ValueError."""
    items = raw if isinstance(raw, list) else [raw]
    faults = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("a fault must be an object")
        fault = dict(item)
        kind = fault.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError("kind must be one of %s" % (FAULT_KINDS,))
        fault.setdefault("path", "ingestion" if kind == "event_error" else "any")
        if fault["path"] not in FAULT_PATHS:
            raise ValueError("path must be one of %s" % (FAULT_PATHS,))
        if kind == "event_error" and fault["path"] != "ingestion":
            raise ValueError("event_error applies to path 'ingestion' only")
        fault.setdefault("count", 1)
        if not isinstance(fault["count"], int) or fault["count"] < 1:
            raise ValueError("count must be an integer >= 1")
        if kind in ("status", "event_error"):
            fault.setdefault("status", 500 if kind == "event_error" else None)
            if not isinstance(fault["status"], int) or not 100 <= fault["status"] <= 599:
                raise ValueError("status must be an HTTP status code")
        if kind == "delay" and (not isinstance(fault.get("ms"), (int, float)) or fault["ms"] < 0):
            raise ValueError("delay needs ms >= 0")
        if kind == "event_error":
            fault.setdefault("event_index", 0)
            if not isinstance(fault["event_index"], int) or fault["event_index"] < 0:
                raise ValueError("event_index must be an integer >= 0")
        if "headers" in fault and not isinstance(fault["headers"], dict):
            raise ValueError("headers must be an object")
        faults.append(fault)
    return faults


class Store:
    """Thread-safe emulator state; see the module docstring."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self.reset()

    def reset(self) -> None:
        with self._cond:
            self.traces: Dict[str, dict] = {}
            self.observations: Dict[str, dict] = {}
            self.scores: Dict[str, dict] = {}
            self.requests: List[dict] = []
            self.requests_total = 0
            self.spec_violations: List[dict] = []
            self.faults: List[dict] = []
            self._groups: Dict[Tuple[str, str], dict] = {}
            self._seq = 0
            self._cond.notify_all()

    # -- faults ------------------------------------------------------------
    def add_faults(self, faults: List[dict]) -> int:
        with self._cond:
            self.faults.extend(faults)
            return len(self.faults)

    def clear_faults(self) -> None:
        with self._cond:
            self.faults = []

    def take_fault(self, path_kind: str) -> Optional[dict]:
        """Consumes one use of the first pending fault matching this endpoint."""
        with self._cond:
            for fault in self.faults:
                if fault["path"] not in (path_kind, "any"):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.remove(fault)
                return dict(fault)
            return None

    # -- records -----------------------------------------------------------
    def apply_legacy(self, events: List[dict]) -> None:
        """Stores validated, accepted legacy events (sdk-log excluded)."""
        with self._cond:
            touched = set()
            for event in events:
                kind = v.entity_kind(event["type"])
                key = (kind, event["body"]["id"])
                group = self._groups.setdefault(key, {"events": {}, "traceId": uuid.uuid4().hex})
                self._seq += 1
                # Same envelope id = same S3 object: a re-sent event replaces itself.
                group["events"][event["id"]] = (event, self._seq)
                touched.add(key)
            for key in touched:
                self._recompute(key)
            self._cond.notify_all()

    def _recompute(self, key: Tuple[str, str]) -> None:
        kind, body_id = key
        group = self._groups[key]
        ordered = sorted(group["events"].values(), key=lambda item: (
            v.iso_to_ms(item[0]["timestamp"]) or "", not item[0]["type"].endswith("-create"),
            item[1]))
        merged: dict = {}
        for event, _ in ordered:
            merge_fields(merged, event["body"], _IMMUTABLE[kind])
        first_event = ordered[0][0]
        first_ts = v.iso_to_ms(first_event["timestamp"])
        if kind == "trace":
            self.traces[body_id] = _trace_record(merged, first_ts, "ingestion")
        elif kind == "score":
            self.scores[body_id] = _score_record(merged, first_ts)
        else:
            otype = (v.OBSERVATION_EVENT_TYPES.get(first_event["type"])
                     or first_event["body"].get("type"))
            merged.setdefault("traceId", group["traceId"])
            if merged["traceId"] is None:
                merged["traceId"] = group["traceId"]
            self.observations[body_id] = _observation_record(merged, otype, first_ts)

    def apply_otel(self, converted: List[Tuple[dict, Optional[dict], bool]]) -> None:
        """Stores the output of ``emu_mapping.span_to_records`` for one export."""
        with self._cond:
            for observation, update, is_root in converted:
                self.observations[observation["id"]] = observation
                if update is None:
                    continue
                update = dict(update)
                fallback = update.pop("_fallback", {})
                trace = self.traces.get(update["id"])
                if trace is None:
                    trace = _trace_record({"id": update["id"]}, None, "otel")
                    trace["environment"] = None
                    self.traces[update["id"]] = trace
                if "environment" in update:
                    update["environment"] = v.normalize_environment(update["environment"])
                merge_fields(trace, update)
                for key, value in fallback.items():
                    if trace.get(key) is None:
                        trace[key] = value
                trace["public"] = bool(trace.get("public"))
                if is_root:
                    trace["rootObservationId"] = observation["id"]
            self._cond.notify_all()

    # -- request log -------------------------------------------------------
    def record_request(self, record: dict) -> None:
        with self._cond:
            self.requests.append(record)
            self.requests_total += 1
            del self.requests[:-MAX_REQUESTS]
            self._cond.notify_all()

    def record_spec_violation(self, violation: dict) -> None:
        with self._cond:
            self.spec_violations.append(violation)

    # -- reading -----------------------------------------------------------
    def counts(self) -> Dict[str, int]:
        with self._cond:
            return {"traces": len(self.traces), "observations": len(self.observations),
                    "scores": len(self.scores), "requests": self.requests_total}

    def snapshot(self) -> dict:
        with self._cond:
            return copy.deepcopy({
                "traces": self.traces, "observations": self.observations,
                "scores": self.scores, "requests": self.requests,
                "spec_violations": self.spec_violations, "faults_pending": self.faults,
                "counts": self.counts()})

    def wait(self, wanted: Dict[str, int], timeout: float) -> Tuple[bool, Dict[str, int]]:
        """Blocks until every count in ``wanted`` is reached or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                counts = self.counts()
                if all(counts.get(k, 0) >= n for k, n in wanted.items()):
                    return True, counts
                left = deadline - time.monotonic()
                if left <= 0:
                    return False, counts
                self._cond.wait(left)
