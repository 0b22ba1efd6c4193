"""Builders for tracegate.v1 events from plain Python values.

    from tracegate import events
    ev = events.observation(trace_id=t, obs_id=o, type="generation", name="llm",
                            start_ns=t0, end_ns=t1, input=[{"role": "user", "content": "hi"}],
                            model="gpt-4o-mini", usage={"input": 3, "output": 1})

Payload conversion (`payload()`): str → text; a list of chat messages (dicts with a
"role", or LangChain messages) → messages; a list of documents (LangChain Documents or
dicts with "page_content") → documents; anything else → JSON (objects that JSON cannot
encode are written with str()). None → no payload. These functions never raise on odd
values; they fall back to str(). Strings that cannot be encoded as UTF-8 (lone surrogates)
are sent with U+FFFD in their place: no builder raises UnicodeEncodeError.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Iterable, Mapping, Optional

from google.protobuf import struct_pb2

from tracegate.v1 import trace_event_pb2 as pb

OBSERVATION_TYPES = {
    "span": pb.OBSERVATION_TYPE_SPAN, "generation": pb.OBSERVATION_TYPE_GENERATION,
    "event": pb.OBSERVATION_TYPE_EVENT, "agent": pb.OBSERVATION_TYPE_AGENT,
    "tool": pb.OBSERVATION_TYPE_TOOL, "chain": pb.OBSERVATION_TYPE_CHAIN,
    "retriever": pb.OBSERVATION_TYPE_RETRIEVER, "embedding": pb.OBSERVATION_TYPE_EMBEDDING,
    "evaluator": pb.OBSERVATION_TYPE_EVALUATOR, "guardrail": pb.OBSERVATION_TYPE_GUARDRAIL,
}
LEVELS = {"debug": pb.LEVEL_DEBUG, "default": pb.LEVEL_DEFAULT, "warning": pb.LEVEL_WARNING,
          "error": pb.LEVEL_ERROR}
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool",
          "function": "function", "developer": "developer"}


def new_id() -> str:
    """A random 32-hex id (like a UUID4 without dashes)."""
    return os.urandom(16).hex()


def now_ns() -> int:
    return time.time_ns()


def _set_ts(ts, ns: int) -> None:
    ts.seconds, ts.nanos = divmod(ns, 1_000_000_000)


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """A JSON-encodable copy of value (pydantic models, dataclasses, sets, bytes, ...)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if _depth > 20:
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, _depth + 1) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    for attr in ("model_dump", "dict"):  # pydantic v2 / v1 (LangChain objects)
        fn = getattr(value, attr, None)
        if callable(fn):
            try:
                return to_jsonable(fn(), _depth + 1)
            except Exception:  # noqa: BLE001 - fall through to str()
                break
    return str(value)


def _s(value: Any) -> str:
    """value as a str that encodes as UTF-8: None → "", other objects → str(); surrogates
    (a str sliced inside a pair, undecodable file names) become U+FFFD instead of making
    protobuf raise UnicodeEncodeError on the caller's thread; a split pair is rejoined."""
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:  # noqa: BLE001 - a broken __str__ must not break the caller
            return "<%s>" % type(value).__name__
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _clean(value: Any, _depth: int = 0) -> Any:
    """A copy of JSON-like data (dicts, lists, str) whose strings, keys included, encode as
    UTF-8 (see _s)."""
    if isinstance(value, str):
        return _s(value)
    if _depth > 100:
        return value
    if isinstance(value, Mapping):
        return {_s(k): _clean(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v, _depth + 1) for v in value]
    return value


def dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=to_jsonable)
    except (TypeError, ValueError):  # e.g. non-string keys, circular references
        return json.dumps(to_jsonable(value), ensure_ascii=False, default=str)


def fill_struct(struct: struct_pb2.Struct, data: Optional[Mapping[str, Any]]) -> None:
    if not data:
        return
    try:
        struct.update(data)
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        struct.Clear()
        struct.update(_clean(json.loads(dumps(data))))


# --- chat messages -------------------------------------------------------------------

_LC = None  # (BaseMessage, Document) from langchain_core, or () when it is not installed


def _lc_types() -> tuple:
    global _LC
    if _LC is None:
        try:
            from langchain_core.documents import Document
            from langchain_core.messages import BaseMessage
            _LC = (BaseMessage, Document)
        except ImportError:
            _LC = ()
    return _LC


def _fields(item: Any) -> Mapping[str, Any]:
    """An object's attributes as a dict without triggering pydantic's slow __getattr__."""
    d = getattr(item, "__dict__", None)
    return d if isinstance(d, dict) else {}


def _is_message(item: Any) -> bool:
    if isinstance(item, Mapping):
        return "role" in item and ("content" in item or "tool_calls" in item)
    lc = _lc_types()
    if lc:
        return isinstance(item, lc[0])
    d = _fields(item)
    return "type" in d and "content" in d and "page_content" not in d


def _fill_content(msg: pb.ChatMessage, content: Any) -> None:
    if content is None:
        return
    if isinstance(content, str):
        msg.content = _s(content)
        return
    if isinstance(content, list):
        for part in content:
            p = msg.parts.add()
            if isinstance(part, str):
                p.type, p.text = "text", _s(part)
            elif isinstance(part, Mapping):
                p.type = _s(part.get("type", "text"))
                if "text" in part:
                    p.text = _s(part["text"])
                url = part.get("image_url")
                if isinstance(url, Mapping):
                    url = url.get("url")
                if url:
                    p.image_url = _s(url)
                elif p.type not in ("text", "image_url") and not p.text:
                    p.text = _s(dumps(part))
            else:
                p.type, p.text = "text", _s(part)
        return
    msg.content = _s(dumps(content))


def _fill_tool_calls(msg: pb.ChatMessage, calls: Any) -> None:
    for call in calls or ():
        if not isinstance(call, Mapping):
            continue
        tc = msg.tool_calls.add()
        fn = call.get("function") if isinstance(call.get("function"), Mapping) else None
        tc.id = _s(call.get("id") or "")
        tc.name = _s((fn or call).get("name") or "")
        args = (fn or {}).get("arguments") if fn else call.get("args", call.get("arguments"))
        tc.arguments_json = _s(args if isinstance(args, str) else dumps(args or {}))


def message(msg: pb.ChatMessage, item: Any) -> None:
    """Fills msg from a dict {role, content, ...} or a LangChain BaseMessage."""
    if isinstance(item, Mapping):
        msg.role = _s(item.get("role") or "user")
        _fill_content(msg, item.get("content"))
        _fill_tool_calls(msg, item.get("tool_calls"))
        if item.get("tool_call_id"):
            msg.tool_call_id = _s(item["tool_call_id"])
        if item.get("name"):
            msg.name = _s(item["name"])
        return
    d = _fields(item)
    kind = _s(d.get("type") or "")
    if kind.endswith("MessageChunk"):  # streamed chunks: "AIMessageChunk" → "ai"
        kind = kind[:-len("MessageChunk")].lower()
    role = d.get("role") if kind == "chat" else _ROLES.get(kind, kind)
    msg.role = _s(role or "user")
    _fill_content(msg, d.get("content"))
    _fill_tool_calls(msg, d.get("tool_calls"))
    if d.get("tool_call_id"):
        msg.tool_call_id = _s(d["tool_call_id"])
    if d.get("name"):
        msg.name = _s(d["name"])


def _is_document(item: Any) -> bool:
    if isinstance(item, Mapping):
        return "page_content" in item
    lc = _lc_types()
    if lc:
        return isinstance(item, lc[1])
    return "page_content" in _fields(item)


def document(doc: pb.Document, item: Any) -> None:
    if isinstance(item, Mapping):
        doc.page_content = _s(item.get("page_content") or "")
        fill_struct(doc.metadata, item.get("metadata"))
        if item.get("id"):
            doc.id = _s(item["id"])
        return
    d = _fields(item)
    doc.page_content = _s(d.get("page_content") or "")
    fill_struct(doc.metadata, d.get("metadata"))
    if d.get("id"):
        doc.id = _s(d["id"])


def fill_payload(p: pb.Payload, value: Any) -> None:
    """Fills an (empty) Payload from value; see the module docstring."""
    if isinstance(value, str):
        p.text = _s(value)
        return
    if isinstance(value, (list, tuple)) and value:
        if all(_is_message(v) for v in value):
            msgs = p.messages.messages
            for item in value:
                message(msgs.add(), item)
            return
        if all(_is_document(v) for v in value):
            docs = p.documents.documents
            for item in value:
                document(docs.add(), item)
            return
    p.json = _s(dumps(value))


def _payload_field(parent, field: str, value: Any) -> None:
    if value is not None:
        fill_payload(getattr(parent, field), value)


# --- events ----------------------------------------------------------------------------

def trace(*, trace_id: str, name: str = "", user_id: str = "", session_id: str = "",
          tags: Iterable[str] = (), metadata: Optional[Mapping[str, Any]] = None,
          input: Any = None, output: Any = None, environment: str = "", release: str = "",
          version: str = "", start_ns: Optional[int] = None, event_id: Optional[str] = None,
          workspace: str = "") -> pb.TraceEvent:
    ev = pb.TraceEvent(event_id=_s(event_id or new_id()), workspace=_s(workspace))
    _set_ts(ev.timestamp, now_ns())
    t = ev.trace
    t.id = _s(trace_id)
    t.name, t.user_id, t.session_id = _s(name), _s(user_id), _s(session_id)
    t.environment, t.release, t.version = _s(environment), _s(release), _s(version)
    t.tags.extend(_s(tag) for tag in tags)
    fill_struct(t.metadata, metadata)
    _payload_field(t, "input", input)
    _payload_field(t, "output", output)
    if start_ns:
        _set_ts(t.timestamp, start_ns)
    return ev


def observation(*, trace_id: str, obs_id: str, type: str, name: str, start_ns: int,
                end_ns: Optional[int] = None, parent_id: str = "", input: Any = None,
                output: Any = None, metadata: Optional[Mapping[str, Any]] = None,
                level: str = "", status_message: str = "", model: str = "",
                model_parameters: Optional[Mapping[str, Any]] = None,
                usage: Optional[Mapping[str, int]] = None,
                cost: Optional[Mapping[str, float]] = None,
                completion_start_ns: Optional[int] = None, environment: str = "",
                version: str = "", prompt_name: str = "", prompt_version: int = 0,
                trace_attrs: Optional[Mapping[str, Any]] = None,
                event_id: Optional[str] = None, workspace: str = "") -> pb.TraceEvent:
    ev = pb.TraceEvent(event_id=_s(event_id or new_id()), workspace=_s(workspace))
    _set_ts(ev.timestamp, now_ns())
    o = ev.observation
    o.id, o.trace_id, o.parent_observation_id = _s(obs_id), _s(trace_id), _s(parent_id)
    o.type = OBSERVATION_TYPES[type]
    o.name = _s(name)
    _set_ts(o.start_time, start_ns)
    if end_ns is not None:
        _set_ts(o.end_time, max(end_ns, start_ns))
    if completion_start_ns is not None:
        _set_ts(o.completion_start_time, completion_start_ns)
    if level:
        o.level = LEVELS[level]
    o.status_message, o.environment = _s(status_message), _s(environment)
    o.version, o.model = _s(version), _s(model)
    _payload_field(o, "input", input)
    _payload_field(o, "output", output)
    fill_struct(o.metadata, metadata)
    fill_struct(o.model_parameters, model_parameters)
    for k, v in (usage or {}).items():
        o.usage_details[_s(k)] = int(v)
    for k, v in (cost or {}).items():
        o.cost_details[_s(k)] = float(v)
    if prompt_name and prompt_version:
        o.prompt_name, o.prompt_version = _s(prompt_name), int(prompt_version)
    if trace_attrs:
        _trace_attributes(o.trace, trace_attrs)
    return ev


def _trace_attributes(a, attrs: Mapping[str, Any]) -> None:
    """Fills TraceAttributes from a dict with the proto's field names (name, user_id,
    session_id, tags, metadata, release, version, public, input, output)."""
    a.name = _s(attrs.get("name"))
    a.user_id = _s(attrs.get("user_id"))
    a.session_id = _s(attrs.get("session_id"))
    a.tags.extend(_s(tag) for tag in attrs.get("tags") or ())
    fill_struct(a.metadata, attrs.get("metadata"))
    a.release, a.version = _s(attrs.get("release")), _s(attrs.get("version"))
    if attrs.get("public") is not None:
        a.public = bool(attrs["public"])
    _payload_field(a, "input", attrs.get("input"))
    _payload_field(a, "output", attrs.get("output"))


def score(*, trace_id: str = "", name: str, value: Any, observation_id: str = "",
          session_id: str = "", comment: str = "", score_id: Optional[str] = None,
          metadata: Optional[Mapping[str, Any]] = None, environment: str = "",
          event_id: Optional[str] = None, workspace: str = "") -> pb.TraceEvent:
    """A score: bool → BOOLEAN, int/float → NUMERIC, str → CATEGORICAL."""
    ev = pb.TraceEvent(event_id=_s(event_id or new_id()), workspace=_s(workspace))
    _set_ts(ev.timestamp, now_ns())
    s = ev.score
    s.id = _s(score_id or new_id())
    s.trace_id, s.observation_id, s.session_id = _s(trace_id), _s(observation_id), _s(session_id)
    s.name, s.comment, s.environment = _s(name), _s(comment), _s(environment)
    if isinstance(value, bool):
        s.boolean_value, s.data_type = value, pb.SCORE_DATA_TYPE_BOOLEAN
    elif isinstance(value, (int, float)):
        s.numeric_value, s.data_type = float(value), pb.SCORE_DATA_TYPE_NUMERIC
    else:
        s.categorical_value, s.data_type = _s(value), pb.SCORE_DATA_TYPE_CATEGORICAL
    fill_struct(s.metadata, metadata)
    return ev
