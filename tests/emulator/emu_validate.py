"""Built-in per-event validation for ``POST /api/public/ingestion``.

This module mirrors, in plain Python, the zod schemas that a Langfuse server
(v4.16 snapshot, see shared/langfuse/INGESTION.md §2.2-2.6) applies to each
event of a batch.  ``validate_event`` returns ``None`` for an event the server
would accept and a short, zod-like error text otherwise.

Deliberate limits (documented, not bugs):
  * zod strips unknown keys, so unknown body fields are accepted here too.
  * ``applyScoreValidation`` (score configs, annotation queues) is not modelled:
    only the dataType/value consistency rules of §2.4 are checked.
  * Values that the server silently drops (non-numeric usageDetails entries,
    negative costDetails) are accepted here and dropped by ``emu_store``.

The helpers ``parse_iso``, ``format_ms`` and ``normalize_environment`` are
shared with the rest of the emulator.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Optional

# ---------------------------------------------------------------------------
# Event types (INGESTION.md §2.3)
# ---------------------------------------------------------------------------

#: event type -> observation type stored for it (None: not an observation).
OBSERVATION_EVENT_TYPES = {
    "span-create": "SPAN",
    "span-update": "SPAN",
    "generation-create": "GENERATION",
    "generation-update": "GENERATION",
    "event-create": "EVENT",
    "agent-create": "AGENT",
    "tool-create": "TOOL",
    "chain-create": "CHAIN",
    "retriever-create": "RETRIEVER",
    "evaluator-create": "EVALUATOR",
    "embedding-create": "EMBEDDING",
    "guardrail-create": "GUARDRAIL",
    "observation-create": None,  # type comes from body.type
    "observation-update": None,
}
#: The seven types the server accepts but the OpenAPI union leaves out.
EXTRA_CREATE_TYPES = frozenset(
    ["agent-create", "tool-create", "chain-create", "retriever-create",
     "evaluator-create", "embedding-create", "guardrail-create"])
GENERATION_LIKE = frozenset(["generation-create", "generation-update"]) | EXTRA_CREATE_TYPES
TRACE_TYPES = frozenset(["trace-create"])
SCORE_TYPES = frozenset(["score-create"])
KNOWN_TYPES = (frozenset(OBSERVATION_EVENT_TYPES) | TRACE_TYPES | SCORE_TYPES
               | frozenset(["sdk-log"]))
#: Refused one by one ("Event type not accepted") by a v4 events_only server.
V4_REFUSED_TYPES = frozenset(OBSERVATION_EVENT_TYPES) | TRACE_TYPES
#: What a Bearer (scores-only) key may send.
SCORE_SCOPE_TYPES = frozenset(["score-create", "sdk-log"])

LEVELS = ("DEBUG", "DEFAULT", "WARNING", "ERROR")
USAGE_UNITS = ("CHARACTERS", "TOKENS", "MILLISECONDS", "SECONDS", "IMAGES", "REQUESTS")
SCORE_DATA_TYPES = ("NUMERIC", "CATEGORICAL", "BOOLEAN", "CORRECTION", "TEXT")
SCORE_SOURCES = ("API", "EVAL", "ANNOTATION")
LEGACY_OBSERVATION_TYPES = ("GENERATION", "SPAN", "EVENT")

# ---------------------------------------------------------------------------
# Time and environment helpers
# ---------------------------------------------------------------------------

# z.iso.datetime({offset: true}): seconds required, any fraction, Z or an
# offset written +HH, +HHMM or +HH:MM.  The calendar date is checked apart.
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d+))?"
    r"(Z|([+-])(\d{2})(?::?(\d{2}))?)$")


def parse_iso(value: Any) -> Optional[_dt.datetime]:
    """Parses an ISO-8601 date-time with ``Z`` or an offset; None if invalid."""
    if not isinstance(value, str):
        return None
    m = _ISO_RE.match(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "0")[:6].ljust(6, "0")
    try:
        if m.group(8) == "Z":
            tz = _dt.timezone.utc
        else:
            offset = _dt.timedelta(hours=int(m.group(10)), minutes=int(m.group(11) or 0))
            tz = _dt.timezone(-offset if m.group(9) == "-" else offset)
        return _dt.datetime(year, month, day, hour, minute, second, int(frac), tzinfo=tz)
    except ValueError:
        return None


def format_ms(when: _dt.datetime) -> str:
    """UTC ISO string cut to millisecond precision, as ClickHouse stores it."""
    when = when.astimezone(_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (when.microsecond // 1000)


def ms_to_iso(epoch_ms: int) -> str:
    return format_ms(_dt.datetime.fromtimestamp(epoch_ms / 1000.0, _dt.timezone.utc))


def iso_to_ms(value: str) -> Optional[str]:
    """Re-formats a valid ISO timestamp to ms UTC; None when not parseable."""
    parsed = parse_iso(value)
    return format_ms(parsed) if parsed else None


_ENV_RE = re.compile(r"^[a-z0-9_-]+$")


def normalize_environment(value: Any) -> str:
    """INGESTION.md §2.6: lowercase, strip a ``langfuse`` prefix, cut to 40."""
    if not isinstance(value, str):
        return "default"
    env = re.sub(r"^langfuse[-_]?", "", value.lower())[:40]
    return env if _ENV_RE.match(env) else "default"


# ---------------------------------------------------------------------------
# Field checks: each returns an error text or None
# ---------------------------------------------------------------------------

def _is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (
        isinstance(v, float) and math.isfinite(v) and v.is_integer())


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_id(v: Any, required: bool) -> Optional[str]:
    if v is None:
        return "Required" if required else None
    if not isinstance(v, str):
        return "Expected string"
    if not 1 <= len(v) <= 800:
        return "String must contain between 1 and 800 character(s)"
    if "\r" in v:
        return "Must not contain carriage return"
    return None


def _check_str(v: Any, max_len: Optional[int] = None) -> Optional[str]:
    if v is None:
        return None
    if not isinstance(v, str):
        return "Expected string"
    if max_len is not None and len(v) > max_len:
        return "String must contain at most %d character(s)" % max_len
    return None


def _check_datetime(v: Any) -> Optional[str]:
    if v is None:
        return None
    return None if parse_iso(v) else "Invalid ISO datetime (needs Z or an offset)"


def _check_enum(v: Any, allowed) -> Optional[str]:
    if v is None or v in allowed:
        return None
    return "Invalid enum value. Expected %s, received %r" % (" | ".join(allowed), v)


def _check_bool(v: Any) -> Optional[str]:
    return None if v is None or isinstance(v, bool) else "Expected boolean"


def _check_object(v: Any) -> Optional[str]:
    return None if v is None or isinstance(v, dict) else "Expected object"


def _check_tags(v: Any) -> Optional[str]:
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        return "Expected array of strings"
    return None


def _check_model_parameters(v: Any) -> Optional[str]:
    if v is None:
        return None
    if not isinstance(v, dict):
        return "Expected object"
    for key, item in v.items():
        if item is None or isinstance(item, (str, bool)) or _is_number(item):
            continue
        if isinstance(item, list) and all(isinstance(s, str) for s in item):
            continue
        if isinstance(item, dict) and all(isinstance(s, str) for s in item.values()):
            continue
        return "%s: Expected string | number | boolean | string[] | {string:string}" % key
    return None


def _check_usage(v: Any) -> Optional[str]:
    """Deprecated ``usage``: a zod union; fails only if both branches fail."""
    if v is None:
        return None
    if not isinstance(v, dict):
        return "Expected object"
    langfuse_ok = all(v.get(k) is None or _is_int(v.get(k)) for k in ("input", "output", "total"))
    langfuse_ok = langfuse_ok and v.get("unit") in (None,) + USAGE_UNITS
    langfuse_ok = langfuse_ok and all(
        v.get(k) is None or _is_number(v.get(k)) for k in ("inputCost", "outputCost", "totalCost"))
    openai_ok = all(v.get(k) is None or _is_int(v.get(k))
                    for k in ("promptTokens", "completionTokens", "totalTokens"))
    return None if (langfuse_ok or openai_ok) else "Invalid usage (neither Langfuse nor OpenAI form)"


def _check_prompt_pair(body: dict) -> Optional[str]:
    name, version = body.get("promptName"), body.get("promptVersion")
    if version is not None and not _is_int(version):
        return "promptVersion: Expected integer"
    if (name is None) != (version is None):
        return "promptName and promptVersion must be provided together"
    return None


def _check_score(body: dict) -> list:
    errs = []
    name = body.get("name")
    if not isinstance(name, str) or not name:
        errs.append(("name", "Required non-empty string"))
    value = body.get("value")
    if not (_is_number(value) or isinstance(value, str)):
        errs.append(("value", "Expected number or string"))
        return errs
    dtype = body.get("dataType")
    if dtype is None:
        return errs
    if dtype == "NUMERIC" and not _is_number(value):
        errs.append(("value", "NUMERIC score needs a number"))
    elif dtype == "CATEGORICAL" and not isinstance(value, str):
        errs.append(("value", "CATEGORICAL score needs a string"))
    elif dtype == "BOOLEAN" and not (_is_number(value) and value in (0, 1)):
        errs.append(("value", "BOOLEAN score needs the number 0 or 1"))
    elif dtype == "CORRECTION":
        if not isinstance(value, str):
            errs.append(("value", "CORRECTION score needs a string"))
        if body.get("configId") is not None:
            errs.append(("configId", "CORRECTION score takes no configId"))
    elif dtype == "TEXT" and not (isinstance(value, str) and 1 <= len(value) <= 500):
        errs.append(("value", "TEXT score needs a string of 1-500 characters"))
    return errs


_COMMON_OBS_STR = ("name", "statusMessage", "parentObservationId", "version")
_GENERATION_STR = ("model", "promptName")


def _check_observation(etype: str, body: dict) -> list:
    errs = []
    legacy = etype.startswith("observation-")
    errs.append(("id", _check_id(body.get("id"), required=not legacy)))
    errs.append(("traceId", _check_id(body.get("traceId"), required=False)))
    for key in _COMMON_OBS_STR:
        errs.append((key, _check_str(body.get(key))))
    errs.append(("startTime", _check_datetime(body.get("startTime"))))
    errs.append(("level", _check_enum(body.get("level"), LEVELS)))
    errs.append(("environment", _check_str(body.get("environment"))))
    if legacy:
        otype = body.get("type")
        errs.append(("type", "Required" if otype is None
                     else _check_enum(otype, LEGACY_OBSERVATION_TYPES)))
    has_end = legacy or etype not in ("event-create",)
    if has_end:
        errs.append(("endTime", _check_datetime(body.get("endTime"))))
    if legacy or etype in GENERATION_LIKE:
        errs.append(("completionStartTime", _check_datetime(body.get("completionStartTime"))))
        errs.append(("model", _check_str(body.get("model"))))
        errs.append(("modelParameters", _check_model_parameters(body.get("modelParameters"))))
        errs.append(("usage", _check_usage(body.get("usage"))))
    if etype in GENERATION_LIKE:
        errs.append(("promptName", _check_str(body.get("promptName"))))
        errs.append(("usageDetails", _check_object(body.get("usageDetails"))))
        errs.append(("costDetails", _check_object(body.get("costDetails"))))
        errs.append(("promptName", _check_prompt_pair(body)))
    return errs


def _check_trace(body: dict) -> list:
    errs = [("id", _check_id(body.get("id"), required=False)),
            ("timestamp", _check_datetime(body.get("timestamp"))),
            ("name", _check_str(body.get("name"), max_len=1000)),
            ("tags", _check_tags(body.get("tags"))),
            ("public", _check_bool(body.get("public"))),
            ("environment", _check_str(body.get("environment")))]
    for key in ("userId", "sessionId", "release", "version", "externalId"):
        errs.append((key, _check_str(body.get(key))))
    return errs


def _check_score_body(body: dict) -> list:
    errs = [("id", _check_id(body.get("id"), required=False)),
            ("source", _check_enum(body.get("source"), SCORE_SOURCES)),
            ("dataType", _check_enum(body.get("dataType"), SCORE_DATA_TYPES)),
            ("environment", _check_str(body.get("environment")))]
    for key in ("traceId", "observationId", "sessionId", "datasetRunId", "comment",
                "configId", "queueId", "executionTraceId"):
        errs.append((key, _check_str(body.get(key))))
    errs.extend(_check_score(body))
    return errs


def envelope_id(event: Any) -> str:
    """The id reported in 207 entries: ``"unknown"`` when not a string."""
    if isinstance(event, dict) and isinstance(event.get("id"), str):
        return event["id"]
    return "unknown"


def validate_event(event: Any) -> Optional[str]:
    """Returns None if the server's zod schema accepts ``event``, else an error text."""
    if not isinstance(event, dict):
        return "Expected object, received %s" % type(event).__name__
    errs = [("id", _check_id(event.get("id"), required=True))]
    ts = event.get("timestamp")
    errs.append(("timestamp", "Required" if ts is None else _check_datetime(ts)))
    etype = event.get("type")
    if etype not in KNOWN_TYPES:
        errs.append(("type", "Invalid discriminator value %r" % (etype,)))
    body = event.get("body")
    if not isinstance(body, dict):
        errs.append(("body", "Required" if body is None else "Expected object"))
    if etype in KNOWN_TYPES and isinstance(body, dict):
        if etype in TRACE_TYPES:
            body_errs = _check_trace(body)
        elif etype in SCORE_TYPES:
            body_errs = _check_score_body(body)
        elif etype == "sdk-log":
            body_errs = [("log", "Required" if "log" not in body else None),
                         ("id", _check_str(body.get("id")))]
        else:
            body_errs = _check_observation(etype, body)
        errs.extend(("body." + key, err) for key, err in body_errs)
    problems = ["%s: %s" % (key, err) for key, err in errs if err]
    return "; ".join(problems) if problems else None


def entity_kind(etype: str) -> Optional[str]:
    """``trace``, ``observation``, ``score`` or None (sdk-log)."""
    if etype in TRACE_TYPES:
        return "trace"
    if etype in SCORE_TYPES:
        return "score"
    if etype in OBSERVATION_EVENT_TYPES:
        return "observation"
    return None
