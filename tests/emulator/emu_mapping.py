"""Turning OTLP spans into Langfuse records, after INGESTION.md §4.3.

``span_to_records(span)`` takes one flat span from ``emu_otel.parse_export`` and
returns ``(observation, trace_update, is_root)``:

  * ``observation``: the observation record stored under ``observations[spanId]``
    (field names in README.md), including ``traceAttributes``, the trace-level
    attributes this very span carried (v4 stores them on each span row).
  * ``trace_update``: the trace fields this span contributes, or None.  A root
    span (no parent, or ``langfuse.internal.as_root``) always contributes a full
    trace (name falls back to the span name, input/output to the observation's);
    a non-root span contributes only when it carries trace attributes.  Values
    under the key ``_fallback`` apply only where the trace has no value yet.
  * ``is_root``.

Covered: the ``langfuse.*`` attributes, ``user.id``/``session.id``, the
``gen_ai.*`` fallbacks for model, parameters, usage, cost, operation type and
input/output, ``openinference.span.kind`` and ``deployment.environment(.name)``.
Not covered: the framework-specific rules (Vercel AI, Genkit, LlamaIndex, ...)
and folding unused attributes into ``metadata.attributes``; the raw span
attributes, resource attributes and scope are kept in separate record fields
instead, so tests can assert them exactly.

``normalize_usage_details`` and ``normalize_cost_details`` are shared with the
legacy path (§2.5).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any, Dict, Optional, Tuple

from emu_validate import iso_to_ms, ms_to_iso, normalize_environment

OBSERVATION_TYPES = ("SPAN", "GENERATION", "EVENT", "EMBEDDING", "AGENT", "TOOL", "CHAIN",
                     "RETRIEVER", "GUARDRAIL", "EVALUATOR")
_LEVEL_ALIASES = {"TRACE": "DEBUG", "VERBOSE": "DEBUG", "DEBUG": "DEBUG",
                  "INFO": "DEFAULT", "LOG": "DEFAULT", "NOTICE": "DEFAULT", "OK": "DEFAULT",
                  "SUCCESS": "DEFAULT", "DEFAULT": "DEFAULT", "WARN": "WARNING",
                  "WARNING": "WARNING", "FATAL": "ERROR", "CRITICAL": "ERROR", "ERROR": "ERROR"}
_GENAI_OPERATIONS = {"chat": "GENERATION", "completion": "GENERATION",
                     "text_completion": "GENERATION", "generate_content": "GENERATION",
                     "generate": "GENERATION", "embeddings": "EMBEDDING",
                     "invoke_agent": "AGENT", "create_agent": "AGENT", "execute_tool": "TOOL"}
_OPENINFERENCE_KINDS = {"LLM": "GENERATION", "CHAIN": "CHAIN", "TOOL": "TOOL", "AGENT": "AGENT",
                        "RETRIEVER": "RETRIEVER", "EMBEDDING": "EMBEDDING",
                        "GUARDRAIL": "GUARDRAIL", "EVALUATOR": "EVALUATOR"}
MODEL_KEYS = ("langfuse.observation.model.name", "gen_ai.response.model", "ai.model.id",
              "gen_ai.request.model", "llm.response.model", "llm.model_name", "model")
_USER_KEYS = ("langfuse.user.id", "user.id", "langfuse.observation.metadata.langfuse_user_id",
              "langfuse.trace.metadata.langfuse_user_id")
_SESSION_KEYS = ("langfuse.session.id", "session.id", "gen_ai.conversation.id")
_ENV_KEYS = ("langfuse.environment", "deployment.environment.name", "deployment.environment")


def _first(attrs: Dict[str, Any], keys) -> Any:
    for key in keys:
        if attrs.get(key) not in (None, ""):
            return attrs[key]
    return None


def maybe_json(value: Any) -> Any:
    """A JSON string becomes its value; anything else is returned unchanged."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _json_object(value: Any) -> Optional[dict]:
    parsed = maybe_json(value)
    return parsed if isinstance(parsed, dict) else None


def _metadata(attrs: Dict[str, Any], prefix: str) -> Optional[dict]:
    """``<prefix>`` as a JSON object string, merged with flattened ``<prefix>.<k>``."""
    out: Dict[str, Any] = {}
    whole = attrs.get(prefix)
    if whole is not None:
        parsed = maybe_json(whole)
        out.update(parsed if isinstance(parsed, dict) else {"metadata": parsed})
    for key, value in attrs.items():
        if key.startswith(prefix + "."):
            parsed = maybe_json(value)
            out[key[len(prefix) + 1:]] = parsed if isinstance(parsed, (dict, list)) else value
    return out or None


def parse_tags(value: Any) -> Optional[list]:
    """Array, JSON array string, comma-separated string or single string."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        parsed = maybe_json(value) if value.strip().startswith("[") else None
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
        return [t.strip() for t in value.split(",") if t.strip()]
    return [str(value)]


def _as_bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _non_negative_int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return int(value)
    return None


def _openai_form(usage: dict, prefix_in: str, prefix_out: str) -> Optional[dict]:
    keys_in, keys_out = prefix_in + "_tokens", prefix_out + "_tokens"
    allowed = {keys_in, keys_out, "total_tokens", keys_in + "_details", keys_out + "_details"}
    if not {keys_in, keys_out, "total_tokens"} <= set(usage) <= allowed:
        return None
    counts = [_non_negative_int(usage[k]) for k in (keys_in, keys_out, "total_tokens")]
    if None in counts or not all(isinstance(usage[k], int) for k in (keys_in, keys_out, "total_tokens")):
        return None
    out = {"input": counts[0], "output": counts[1], "total": counts[2]}
    for details, side in ((keys_in + "_details", "input"), (keys_out + "_details", "output")):
        for key, value in (usage.get(details) or {}).items():
            count = _non_negative_int(value)
            if count is not None:
                out["%s_%s" % (side, key)] = count
                out[side] = max(0, out[side] - count)
    return out


def normalize_usage_details(usage: Any) -> Optional[dict]:
    """INGESTION.md §2.5: OpenAI chat, OpenAI responses, else a map of ints >= 0."""
    if not isinstance(usage, dict):
        return None
    out = _openai_form(usage, "prompt", "completion") or _openai_form(usage, "input", "output")
    if out is None:
        out = {k: n for k, n in ((k, _non_negative_int(v)) for k, v in usage.items())
               if n is not None}
    return out or None


def normalize_cost_details(cost: Any) -> Optional[dict]:
    """Map of string to number >= 0; other values are dropped."""
    if not isinstance(cost, dict):
        return None
    out = {k: float(v) for k, v in cost.items()
           if isinstance(v, (int, float)) and not isinstance(v, bool)
           and math.isfinite(v) and v >= 0}
    return out or None


def _genai_usage(attrs: Dict[str, Any]) -> Optional[dict]:
    def get(*names):
        for name in names:
            for prefix in ("gen_ai.usage.", "llm.token_count."):
                value = _non_negative_int(attrs.get(prefix + name))
                if value is not None:
                    return value
        return None
    cache_read = get("cache_read_input_tokens", "input_tokens_details.cached_tokens")
    cache_create = get("cache_creation_input_tokens")
    reasoning = get("reasoning_tokens", "output_reasoning_tokens")
    audio_out = get("output_audio_tokens")
    out = {}
    inp = get("input_tokens", "prompt_tokens", "prompt")
    if inp is not None:
        out["input"] = max(0, inp - (cache_read or 0) - (cache_create or 0))
    outp = get("output_tokens", "completion_tokens", "completion")
    if outp is not None:
        out["output"] = max(0, outp - (reasoning or 0) - (audio_out or 0))
    total = get("total_tokens", "total")
    for key, value in (("total", total), ("input_cached_tokens", cache_read),
                       ("input_cache_creation", cache_create),
                       ("output_reasoning_tokens", reasoning), ("output_audio_tokens", audio_out)):
        if value is not None:
            out[key] = value
    return out or None


def _observation_type(attrs: Dict[str, Any]) -> str:
    declared = attrs.get("langfuse.observation.type")
    if isinstance(declared, str) and declared.upper() in OBSERVATION_TYPES:
        return declared.upper()
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.upper() in _OPENINFERENCE_KINDS:
        return _OPENINFERENCE_KINDS[kind.upper()]
    operation = attrs.get("gen_ai.operation.name")
    if isinstance(operation, str) and operation in _GENAI_OPERATIONS:
        return _GENAI_OPERATIONS[operation]
    if _first(attrs, MODEL_KEYS) is not None:
        return "GENERATION"
    return "SPAN"


def _level(attrs: Dict[str, Any], status_code: int) -> str:
    declared = attrs.get("langfuse.observation.level")
    if isinstance(declared, str) and declared.upper() in _LEVEL_ALIASES:
        return _LEVEL_ALIASES[declared.upper()]
    return "ERROR" if status_code == 2 else "DEFAULT"


def _model_parameters(attrs: Dict[str, Any]) -> Optional[dict]:
    explicit = _json_object(attrs.get("langfuse.observation.model.parameters"))
    if explicit is not None:
        return explicit
    out = {k[len("gen_ai.request."):]: v for k, v in attrs.items()
           if k.startswith("gen_ai.request.") and k != "gen_ai.request.model"}
    invocation = _json_object(attrs.get("llm.invocation_parameters"))
    if invocation:
        out.update(invocation)
    return out or None


def _cost(attrs: Dict[str, Any]) -> Optional[dict]:
    explicit = attrs.get("langfuse.observation.cost_details")
    if explicit is not None:
        return normalize_cost_details(_json_object(explicit))
    total = _first(attrs, ("gen_ai.usage.cost", "llm.cost.total"))
    return normalize_cost_details({"total": total}) if total is not None else None


def trace_attributes(attrs: Dict[str, Any]) -> Dict[str, Any]:
    """The trace-level attributes this span itself carries (no resource fallback)."""
    found = {
        "name": attrs.get("langfuse.trace.name"),
        "userId": _first(attrs, _USER_KEYS),
        "sessionId": _first(attrs, _SESSION_KEYS),
        "tags": parse_tags(_first(attrs, ("langfuse.trace.tags", "langfuse.tags"))),
        "public": _as_bool(_first(attrs, ("langfuse.trace.public", "langfuse.public"))),
        "metadata": _metadata(attrs, "langfuse.trace.metadata"),
        "input": maybe_json(attrs.get("langfuse.trace.input")),
        "output": maybe_json(attrs.get("langfuse.trace.output")),
        "version": attrs.get("langfuse.version"),
        "release": attrs.get("langfuse.release"),
        "environment": _first(attrs, _ENV_KEYS),
    }
    return {k: v for k, v in found.items() if v is not None}


_TRIGGERS = ("name", "userId", "sessionId", "tags", "public", "metadata", "input", "output")


def _times(span: dict) -> Tuple[int, int]:
    start, end = span["startTimeUnixNano"] // 1_000_000, span["endTimeUnixNano"] // 1_000_000
    if not start and not end:
        start = end = int(time.time() * 1000)
    return (start or end), (end or start)


def _io(attrs: Dict[str, Any], which: str) -> Any:
    keys = {"input": ("langfuse.observation.input", "gen_ai.input.messages",
                      "gen_ai.tool.call.arguments", "input.value"),
            "output": ("langfuse.observation.output", "gen_ai.output.messages",
                       "gen_ai.tool.call.result", "output.value")}[which]
    return maybe_json(_first(attrs, keys))


def span_to_records(span: dict) -> Tuple[dict, Optional[dict], bool]:
    """See the module docstring."""
    attrs, resource = span["attributes"], span["resource"]
    start_ms, end_ms = _times(span)
    otype = _observation_type(attrs)
    trace_attrs = trace_attributes(attrs)
    environment = normalize_environment(_first(attrs, _ENV_KEYS) or _first(resource, _ENV_KEYS))
    version = attrs.get("langfuse.version") or resource.get("service.version")
    prompt_version = _non_negative_int(attrs.get("langfuse.observation.prompt.version"))
    completion_start = maybe_json(attrs.get("langfuse.observation.completion_start_time"))
    observation = {
        "id": span["spanId"],
        "traceId": span["traceId"],
        "parentObservationId": span["parentSpanId"],
        "type": otype,
        "name": attrs.get("gen_ai.tool.name") or span["name"],
        "startTime": ms_to_iso(start_ms),
        "endTime": ms_to_iso(end_ms),
        "completionStartTime": iso_to_ms(completion_start) if isinstance(completion_start, str) else None,
        "level": _level(attrs, span["status"]["code"]),
        "statusMessage": attrs.get("langfuse.observation.status_message")
        or span["status"]["message"] or None,
        "version": version,
        "environment": environment,
        "model": _first(attrs, MODEL_KEYS),
        "modelParameters": _model_parameters(attrs),
        "usageDetails": (normalize_usage_details(_json_object(attrs["langfuse.observation.usage_details"]))
                         if "langfuse.observation.usage_details" in attrs else _genai_usage(attrs)),
        "costDetails": _cost(attrs),
        "promptName": None,
        "promptVersion": None,
        "input": _io(attrs, "input"),
        "output": _io(attrs, "output"),
        "metadata": _metadata(attrs, "langfuse.observation.metadata"),
        "traceAttributes": trace_attrs,
        "attributes": attrs,
        "resourceAttributes": resource,
        "scope": span["scope"],
        "source": "otel",
    }
    if otype == "GENERATION" and attrs.get("langfuse.observation.prompt.name") is not None:
        observation["promptName"] = attrs["langfuse.observation.prompt.name"]
        observation["promptVersion"] = prompt_version
    is_root = span["parentSpanId"] is None or _as_bool(attrs.get("langfuse.internal.as_root")) is True
    if not is_root and not any(k in trace_attrs for k in _TRIGGERS):
        return observation, None, False
    update = {k: v for k, v in trace_attrs.items() if k != "environment"}
    update["id"] = span["traceId"]
    # Values used only where the trace has nothing better (see emu_store.apply_otel).
    fallback = {"timestamp": ms_to_iso(start_ms), "environment": environment}
    if is_root:
        update["timestamp"] = fallback.pop("timestamp")
        update["environment"] = fallback.pop("environment")
        fallback.update(name=span["name"], input=observation["input"],
                        output=observation["output"], version=version,
                        release=resource.get("langfuse.release"))
    update["_fallback"] = {k: v for k, v in fallback.items() if v is not None}
    return observation, update, is_root
