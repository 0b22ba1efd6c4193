"""Run bookkeeping for the LangChain handler (tracegate.langchain): the per-trace and
per-run records, run names, tags, prompt links and the callback error guard."""

from __future__ import annotations

import logging
import time
from typing import Any, List, Mapping, Optional, Sequence, Union

log = logging.getLogger("tracegate")

TRACE_KEYS = ("langfuse_user_id", "langfuse_session_id", "langfuse_tags",
               "langfuse_trace_name", "langfuse_prompt")
HIDDEN_TAG = "langsmith:hidden"


class TraceRecord:
    __slots__ = ("id", "name", "user_id", "session_id", "tags", "metadata", "attrs")

    def __init__(self, trace_id, name, user_id, session_id, tags, metadata, release="",
                 version=""):
        self.id, self.name, self.user_id, self.session_id = trace_id, name, user_id, session_id
        self.tags, self.metadata = tags, metadata
        # What every observation of the trace carries (the root adds metadata, input, output).
        self.attrs = {"name": name, "user_id": user_id, "session_id": session_id, "tags": tags,
                      "release": release, "version": version}


class RunRecord:
    __slots__ = ("id", "trace", "parent_id", "type", "name", "start_ns", "input", "output",
                 "metadata", "level", "status", "model", "params", "usage", "first_token_ns",
                 "root", "root_input", "prompt")

    def __init__(self, run_id, trace, parent_id, type_, name, input_, metadata, root):
        self.id, self.trace, self.parent_id = run_id, trace, parent_id
        self.type, self.name, self.input, self.metadata = type_, name, input_, metadata
        self.start_ns = time.time_ns()
        self.output = None
        self.level = ""
        self.status = ""
        self.model = ""
        self.params = None
        self.usage = None
        self.first_token_ns = None
        self.root = root
        self.root_input = input_
        self.prompt = None  # (name, version) of a Langfuse prompt, inherited by children


def guard(method):
    """Never let a tracing error escape into LangChain (logged once per callback)."""
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as e:  # noqa: BLE001
            if method.__name__ not in self._failed:
                self._failed.add(method.__name__)
                log.warning("tracegate: %s failed: %r (tracing continues)", method.__name__, e)
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def run_name(serialized: Optional[Mapping[str, Any]], kwargs: Mapping[str, Any]) -> str:
    if kwargs.get("name"):
        return str(kwargs["name"])
    if serialized:
        if serialized.get("name"):
            return str(serialized["name"])
        ident = serialized.get("id")
        if isinstance(ident, list) and ident:
            return str(ident[-1])
    return "<unknown>"


def prompt_of(value: Any) -> Optional[tuple]:
    """(name, version) of metadata["langfuse_prompt"]: a Langfuse prompt object or a dict."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        name, version = value.get("name"), value.get("version")
    else:
        name, version = getattr(value, "name", None), getattr(value, "version", None)
    try:
        return (str(name), int(version)) if name and version is not None else None
    except (TypeError, ValueError):
        return None


def tag_list(tags: Union[None, Mapping[str, Any], Sequence[str]]) -> List[str]:
    if not tags:
        return []
    if isinstance(tags, Mapping):
        return ["%s:%s" % (k, v) for k, v in tags.items() if v is not None]
    return [str(t) for t in tags]
