"""OTLP/HTTP trace exports: parsing and validation, as ``/api/public/otel/v1/traces`` does.

``parse_export(body, content_type)`` accepts an ``ExportTraceServiceRequest`` as
protobuf (classes from the PyPI package ``opentelemetry-proto``) or as OTLP/JSON and
returns a list of flat span dicts::

    {"traceId": hex, "spanId": hex, "parentSpanId": hex | None, "name": str,
     "startTimeUnixNano": int, "endTimeUnixNano": int,
     "attributes": {key: python value}, "status": {"code": int, "message": str},
     "n_events": int, "resource": {key: value}, "scope": {"name", "version"}}

It raises ``OtlpError`` (answered with 400 ``{"error": ...}``) for an unparseable
body, for non-array ``resourceSpans``/``scopeSpans``/``spans``/``attributes``/``events``
(JSON), and for **any** span whose traceId is not 16 non-zero bytes or whose spanId
is not 8 non-zero bytes: the whole export is refused, nothing is stored
(INGESTION.md §4.2).  Protobuf ids are hex-encoded; OTLP/JSON ids must be hex
strings of the right length and are kept as sent (lowercased).  An all-zero or
empty ``parentSpanId`` means "no parent".  Mapping spans to Langfuse records lives
in ``emu_mapping``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


class OtlpError(ValueError):
    """The export is malformed; the server answers 400 and stores nothing."""


# ---------------------------------------------------------------------------
# Protobuf
# ---------------------------------------------------------------------------

def _pb_any(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_pb_any(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _pb_any(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def _pb_attrs(attrs: Any) -> Dict[str, Any]:
    return {kv.key: _pb_any(kv.value) for kv in attrs}


def _pb_id(raw: bytes, size: int, what: str) -> str:
    if len(raw) != size or not any(raw):
        raise OtlpError("Invalid %s: expected %d non-zero bytes, got %r" % (what, size, raw.hex()))
    return raw.hex()


def _parse_protobuf(body: bytes) -> List[dict]:
    request = trace_service_pb2.ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise OtlpError("Failed to parse protobuf: %s" % exc) from exc
    spans = []
    for rs in request.resource_spans:
        resource = _pb_attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            scope = {"name": ss.scope.name, "version": ss.scope.version,
                     "attributes": _pb_attrs(ss.scope.attributes)}
            for span in ss.spans:
                parent = span.parent_span_id
                spans.append({
                    "traceId": _pb_id(span.trace_id, 16, "traceId"),
                    "spanId": _pb_id(span.span_id, 8, "spanId"),
                    "parentSpanId": parent.hex() if any(parent) else None,
                    "name": span.name,
                    "kind": span.kind,
                    "startTimeUnixNano": span.start_time_unix_nano,
                    "endTimeUnixNano": span.end_time_unix_nano,
                    "attributes": _pb_attrs(span.attributes),
                    "status": {"code": span.status.code, "message": span.status.message},
                    "n_events": len(span.events),
                    "resource": resource,
                    "scope": scope,
                })
    return spans


# ---------------------------------------------------------------------------
# OTLP/JSON
# ---------------------------------------------------------------------------

_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def _get(obj: dict, camel: str, snake: str, default: Any = None) -> Any:
    if camel in obj:
        return obj[camel]
    return obj.get(snake, default)


def _json_list(obj: dict, camel: str, snake: str, where: str) -> list:
    value = _get(obj, camel, snake, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtlpError("%s.%s must be an array" % (where, camel))
    return value


def _json_any(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "string_value", "boolValue", "bool_value"):
        if key in value:
            return value[key]
    for key in ("intValue", "int_value"):
        if key in value:
            try:
                return int(value[key])
            except (TypeError, ValueError):
                raise OtlpError("Invalid intValue %r" % (value[key],))
    for key in ("doubleValue", "double_value"):
        if key in value:
            return float(value[key])
    if "arrayValue" in value or "array_value" in value:
        arr = _get(value, "arrayValue", "array_value") or {}
        return [_json_any(v) for v in (arr.get("values") or [])]
    if "kvlistValue" in value or "kvlist_value" in value:
        kv = _get(value, "kvlistValue", "kvlist_value") or {}
        return _json_attrs(kv.get("values") or [], "kvlistValue")
    if "bytesValue" in value or "bytes_value" in value:
        return _get(value, "bytesValue", "bytes_value")
    return None


def _json_attrs(attrs: Any, where: str) -> Dict[str, Any]:
    if attrs is None:
        return {}
    if not isinstance(attrs, list):
        raise OtlpError("%s.attributes must be an array of {key, value}" % where)
    out = {}
    for kv in attrs:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise OtlpError("%s.attributes entries must be {key, value}" % where)
        out[kv["key"]] = _json_any(kv.get("value"))
    return out


def _json_id(value: Any, size: int, what: str) -> str:
    text = value if isinstance(value, str) else ""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(text) != 2 * size or len(raw) != size or not any(raw):
        raise OtlpError("Invalid %s: expected %d hex characters, non-zero, got %r"
                        % (what, 2 * size, value))
    return text.lower()


def _json_nanos(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise OtlpError("Invalid time %r" % (value,))


def _parse_json(body: bytes) -> List[dict]:
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OtlpError("Failed to parse JSON: %s" % exc) from exc
    if not isinstance(doc, dict):
        raise OtlpError("Body must be an ExportTraceServiceRequest object")
    spans = []
    for rs in _json_list(doc, "resourceSpans", "resource_spans", "$"):
        if not isinstance(rs, dict):
            raise OtlpError("resourceSpans entries must be objects")
        resource = _json_attrs((rs.get("resource") or {}).get("attributes"), "resource")
        for ss in _json_list(rs, "scopeSpans", "scope_spans", "resourceSpans[]"):
            if not isinstance(ss, dict):
                raise OtlpError("scopeSpans entries must be objects")
            raw_scope = ss.get("scope") or {}
            scope = {"name": raw_scope.get("name", ""), "version": raw_scope.get("version", ""),
                     "attributes": _json_attrs(raw_scope.get("attributes"), "scope")}
            for span in _json_list(ss, "spans", "spans", "scopeSpans[]"):
                if not isinstance(span, dict):
                    raise OtlpError("spans entries must be objects")
                parent = _get(span, "parentSpanId", "parent_span_id") or None
                if parent is not None and (not isinstance(parent, str) or not parent.strip("0")):
                    parent = None
                status = span.get("status") or {}
                code = status.get("code", 0)
                code = _STATUS_NAMES.get(code, code) if isinstance(code, str) else code
                spans.append({
                    "traceId": _json_id(_get(span, "traceId", "trace_id"), 16, "traceId"),
                    "spanId": _json_id(_get(span, "spanId", "span_id"), 8, "spanId"),
                    "parentSpanId": parent.lower() if parent else None,
                    "name": span.get("name", ""),
                    "kind": span.get("kind", 0),
                    "startTimeUnixNano": _json_nanos(_get(span, "startTimeUnixNano",
                                                          "start_time_unix_nano")),
                    "endTimeUnixNano": _json_nanos(_get(span, "endTimeUnixNano",
                                                        "end_time_unix_nano")),
                    "attributes": _json_attrs(span.get("attributes"), "span"),
                    "status": {"code": int(code or 0), "message": status.get("message", "")},
                    "n_events": len(_json_list(span, "events", "events", "span")),
                    "resource": resource,
                    "scope": scope,
                })
    return spans


def parse_export(body: bytes, content_type: str) -> List[dict]:
    """Parses an export; raises ``OtlpError`` as described in the module docstring."""
    if "application/x-protobuf" in content_type:
        return _parse_protobuf(body)
    if "application/json" in content_type:
        return _parse_json(body)
    raise OtlpError("Invalid content type")


def export_to_jsonable(body: bytes, content_type: str) -> Optional[Any]:
    """Best-effort decoded copy of an export for ``--record-file`` (None on failure)."""
    try:
        if "application/x-protobuf" in content_type:
            from google.protobuf.json_format import MessageToDict
            request = trace_service_pb2.ExportTraceServiceRequest()
            request.ParseFromString(body)
            return MessageToDict(request)
        return json.loads(body.decode("utf-8"))
    except Exception:  # pylint: disable=broad-except
        return None
