"""LangChain callback handler: every root run becomes one Tracegate (Langfuse) trace.

    from tracegate.langchain import TracegateCallbackHandler
    handler = TracegateCallbackHandler(tags={"team": "rag"}, service="onekey-rag")
    chain.invoke(question, config={"callbacks": [handler],
                                   "metadata": {"langfuse_user_id": "u1"}})

The seed's constructor works as written through the alias `LangfuseTracer(project_name=,
dataset_name=, api_key=, tags={...}, base_url=...)`: api_key is the gateway API key and
base_url the gateway address (see tracegate.config).

Mapping (what Langfuse's own LangChain handler records, see docs/clients.md):
- chain → CHAIN, or AGENT when its class path or name says "agent" (or it reported an
  agent action); LLM and chat model → GENERATION; tool → TOOL; retriever → RETRIEVER.
  Parents follow LangChain's parent_run_id; a run whose parent is unknown starts a trace.
- Trace id = the root run id, observation id = the run id (UUIDs). Each observation is
  sent once, when its run ends, carrying the trace's name, user, session, tags, release
  and version. There is no separate Trace event: the root run's observation is the trace's
  only root and also carries the trace's metadata, input and output (the root run's).
- Generations: model (metadata ls_model_name, invocation params, serialized kwargs, then
  llm_output model_name), model parameters (temperature, max_tokens, top_p, ...), input as
  role/content messages (tool definitions appended as role "tool"), output message, usage
  from llm_output token_usage / usage_metadata (renamed to input/output/total and
  *_details like Langfuse), completion start time from the first streamed token.
- Errors: level ERROR with str(error) as status message (chains, LLMs, tools, retrievers).
- Trace attributes from the root run's metadata: langfuse_user_id, langfuse_session_id,
  langfuse_tags, langfuse_trace_name; tags = handler tags + env:<APP_ENV> + service:<name>
  + the root run's tags.
- Every callback swallows its own errors: tracing never breaks the chain.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from tracegate import events
from tracegate.client import TracegateClient, get_client
from tracegate.config import ClientConfig
from tracegate.lc_runs import (HIDDEN_TAG, TRACE_KEYS, RunRecord, TraceRecord, guard,
                               prompt_of, run_name, tag_list)
from tracegate.usage import model_name, model_parameters, parse_usage

log = logging.getLogger("tracegate")


class TracegateCallbackHandler(BaseCallbackHandler):
    """See the module docstring. Thread-safe: runs may end on any thread."""

    raise_error = False
    run_inline = True

    def __init__(self, *, client: Optional[TracegateClient] = None,
                 tags: Union[None, Mapping[str, Any], Sequence[str]] = None,
                 metadata: Optional[Mapping[str, Any]] = None, trace_name: Optional[str] = None,
                 user_id: Optional[str] = None, session_id: Optional[str] = None,
                 release: str = "", version: str = "", service: Optional[str] = None,
                 **client_kw: Any):
        super().__init__()
        if client is None:
            client = get_client(**client_kw)
        self.client = client
        cfg: ClientConfig = client.config
        self._service = service if service is not None else cfg.service
        base = tag_list(tags)
        defaults = [t for t in cfg.default_tags() if not t.startswith("service:")]
        if self._service:
            defaults.append("service:" + self._service)
        self._tags = base + [t for t in defaults
                             if t.split(":", 1)[0] not in {b.split(":", 1)[0] for b in base}]
        self._metadata = dict(metadata or {})
        self._trace_name, self._user_id, self._session_id = trace_name, user_id, session_id
        self._release, self._version = release, version
        self._env = cfg.environment
        self._runs: Dict[UUID, RunRecord] = {}
        self._lock = threading.Lock()
        self._failed: set = set()
        self.last_trace_id: Optional[str] = None

    # --- helpers ------------------------------------------------------------------------

    def _start(self, run_id: UUID, parent_run_id: Optional[UUID], type_: str, name: str,
               input_: Any, tags: Optional[List[str]], metadata: Optional[Dict[str, Any]]) -> RunRecord:
        metadata = dict(metadata or {})
        parent = self._runs.get(parent_run_id) if parent_run_id else None
        if parent is None:
            trace = self._new_trace(run_id, name, tags, metadata)
        else:
            trace = parent.trace
        obs_meta = {k: v for k, v in metadata.items() if k not in TRACE_KEYS}
        run = RunRecord(str(run_id), trace, parent.id if parent else "", type_, name, input_,
                   obs_meta, parent is None)
        if tags and HIDDEN_TAG in tags:
            run.level = "debug"
        run.prompt = prompt_of(metadata.get("langfuse_prompt")) or (parent.prompt if parent
                                                                   else None)
        with self._lock:
            self._runs[run_id] = run
        return run

    def _new_trace(self, run_id: UUID, name: str, tags, metadata: Dict[str, Any]) -> TraceRecord:
        extra_tags = metadata.get("langfuse_tags") or []
        all_tags = list(dict.fromkeys(self._tags + [t for t in (tags or []) if t != HIDDEN_TAG]
                                      + [str(t) for t in extra_tags]))
        trace_meta = dict(self._metadata)
        trace_meta.update({k: v for k, v in metadata.items()
                           if k not in TRACE_KEYS and not k.startswith("ls_")})
        trace = TraceRecord(str(run_id),
                       str(metadata.get("langfuse_trace_name") or self._trace_name or name),
                       str(metadata.get("langfuse_user_id") or self._user_id or ""),
                       str(metadata.get("langfuse_session_id") or self._session_id or ""),
                       all_tags, trace_meta, self._release, self._version)
        self.last_trace_id = trace.id
        return trace

    def _end(self, run_id: UUID, output: Any = None, *, error: Optional[BaseException] = None):
        with self._lock:
            run = self._runs.pop(run_id, None)
        if run is None:
            return
        if output is not None:
            run.output = output
        if error is not None:
            if type(error).__name__ == "GraphBubbleUp" or any(
                    c.__name__ == "GraphBubbleUp" for c in type(error).__mro__):
                run.level = "default"
            else:
                run.level = "error"
            run.status = str(error) or type(error).__name__
        end_ns = time.time_ns()
        trace = run.trace
        attrs = trace.attrs
        if run.root:
            # No Trace event: the root run's observation is the trace's one root and
            # carries its input, output and metadata (as Langfuse's own handler does).
            attrs = dict(attrs, metadata=trace.metadata or None, input=run.root_input,
                         output=run.output if error is None else None)
        # Serialising inputs and outputs is the expensive part: it runs on the sender thread
        # (the callables below), the caller only records references and times.
        self.client.send(functools.partial(
            events.observation, trace_id=trace.id, obs_id=run.id, type=run.type,
            name=run.name, start_ns=run.start_ns, end_ns=end_ns, parent_id=run.parent_id,
            input=run.input, output=run.output, metadata=run.metadata or None, level=run.level,
            status_message=run.status, model=run.model, model_parameters=run.params,
            usage=run.usage, completion_start_ns=run.first_token_ns, environment=self._env,
            version=self._version, trace_attrs=attrs, event_id=run.id,
            **({"prompt_name": run.prompt[0], "prompt_version": run.prompt[1]}
               if run.prompt and run.type == "generation" else {})))

    # --- chains and agents ---------------------------------------------------------------

    @guard
    def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, tags=None,
                       metadata=None, **kwargs):
        name = run_name(serialized, kwargs)
        path = " ".join(str(p) for p in (serialized or {}).get("id") or [])
        type_ = "agent" if "agent" in name.lower() or "agent" in path.lower() else "chain"
        self._start(run_id, parent_run_id, type_, name, inputs, tags, metadata)

    @guard
    def on_chain_end(self, outputs, *, run_id, parent_run_id=None, **kwargs):
        self._end(run_id, outputs)

    @guard
    def on_chain_error(self, error, *, run_id, parent_run_id=None, **kwargs):
        self._end(run_id, error=error)

    @guard
    def on_agent_action(self, action, *, run_id, parent_run_id=None, **kwargs):
        run = self._runs.get(run_id)
        if run is not None:
            run.type = "agent"
            run.output = {"tool": getattr(action, "tool", None),
                          "tool_input": getattr(action, "tool_input", None),
                          "log": getattr(action, "log", None)}

    @guard
    def on_agent_finish(self, finish, *, run_id, parent_run_id=None, **kwargs):
        run = self._runs.get(run_id)
        if run is not None:
            run.type = "agent"
            run.output = getattr(finish, "return_values", finish)

    # --- LLMs and chat models -----------------------------------------------------------

    def _start_generation(self, serialized, input_, run_id, parent_run_id, tags, metadata,
                          kwargs):
        name = run_name(serialized, kwargs)
        run = self._start(run_id, parent_run_id, "generation", name, input_, tags, metadata)
        params = kwargs.get("invocation_params") or {}
        run.model = model_name(serialized, params, metadata or {})
        run.params = model_parameters(params, metadata) or None
        return run, params

    @guard
    def on_chat_model_start(self, serialized, messages, *, run_id, parent_run_id=None,
                            tags=None, metadata=None, **kwargs):
        flat = [m for batch in messages for m in batch] if len(messages) == 1 else None
        if flat is None:
            input_: Any = [[events.to_jsonable(m) for m in b] for b in messages]
        else:
            input_ = list(flat)
        run, params = self._start_generation(serialized, input_, run_id, parent_run_id, tags,
                                             metadata, kwargs)
        tools = params.get("tools") if isinstance(params, Mapping) else None
        if tools and flat is not None:
            run.input = flat + [{"role": "tool", "content": events.dumps(t)} for t in tools]

    @guard
    def on_llm_start(self, serialized, prompts, *, run_id, parent_run_id=None, tags=None,
                     metadata=None, **kwargs):
        input_ = prompts[0] if len(prompts) == 1 else list(prompts)
        self._start_generation(serialized, input_, run_id, parent_run_id, tags, metadata, kwargs)

    @guard
    def on_llm_new_token(self, token, *, chunk=None, run_id, parent_run_id=None, **kwargs):
        run = self._runs.get(run_id)
        if run is not None and run.first_token_ns is None:
            run.first_token_ns = time.time_ns()

    @guard
    def on_llm_end(self, response, *, run_id, parent_run_id=None, **kwargs):
        run = self._runs.get(run_id)
        if run is None:
            return
        output = None
        generations = getattr(response, "generations", None) or []
        if generations and generations[-1]:
            last = generations[-1][-1]
            msg = getattr(last, "message", None)
            # A chat result is one assistant message, exported as [{"role", "content"}].
            output = [msg] if msg is not None else getattr(last, "text", None)
        run.usage = parse_usage(response) or None
        llm_output = getattr(response, "llm_output", None) or {}
        if isinstance(llm_output, Mapping) and llm_output.get("model_name"):
            run.model = str(llm_output["model_name"])
        self._end(run_id, output)

    @guard
    def on_llm_error(self, error, *, run_id, parent_run_id=None, **kwargs):
        self._end(run_id, error=error)

    # --- tools and retrievers -------------------------------------------------------------

    @guard
    def on_tool_start(self, serialized, input_str, *, run_id, parent_run_id=None, tags=None,
                      metadata=None, inputs=None, **kwargs):
        name = run_name(serialized, kwargs)
        self._start(run_id, parent_run_id, "tool", name,
                    inputs if inputs is not None else input_str, tags, metadata)

    @guard
    def on_tool_end(self, output, *, run_id, parent_run_id=None, **kwargs):
        if getattr(output, "status", None) == "error":
            run = self._runs.get(run_id)
            if run is not None:
                run.level, run.status = "error", str(getattr(output, "content", output))
        content = getattr(output, "content", output)
        self._end(run_id, content)

    @guard
    def on_tool_error(self, error, *, run_id, parent_run_id=None, **kwargs):
        self._end(run_id, error=error)

    @guard
    def on_retriever_start(self, serialized, query, *, run_id, parent_run_id=None, tags=None,
                           metadata=None, **kwargs):
        self._start(run_id, parent_run_id, "retriever", run_name(serialized, kwargs), query,
                    tags, metadata)

    @guard
    def on_retriever_end(self, documents, *, run_id, parent_run_id=None, **kwargs):
        self._end(run_id, list(documents))

    @guard
    def on_retriever_error(self, error, *, run_id, parent_run_id=None, **kwargs):
        self._end(run_id, error=error)

    # --- manual events (the seed's tracer.log_event / log_metric) -------------------------

    def _open_run(self) -> Optional[RunRecord]:
        """The latest started open run, if every open run belongs to one trace (a handler
        shared by concurrent requests has several: then nothing is guessed)."""
        with self._lock:
            runs = list(self._runs.values())
        if not runs or len({r.trace.id for r in runs}) != 1:
            return None
        return max(runs, key=lambda r: r.start_ns)

    def _own_trace_attrs(self, name: str) -> Dict[str, Any]:
        """Trace attributes of a trace that a manual event or metric starts on its own."""
        return {"name": self._trace_name or name, "user_id": self._user_id or "",
                "session_id": self._session_id or "", "tags": self._tags,
                "metadata": self._metadata or None, "release": self._release,
                "version": self._version}

    def _manual_trace(self, name: str, trace_id: Optional[str]) -> str:
        """trace_id, else a new trace of its own. That one needs a Trace event: a score
        alone has no observation to carry the trace (it is then the trace's only root)."""
        if trace_id:
            return trace_id
        trace_id = events.new_id()
        a = self._own_trace_attrs(name)
        self.client.send(events.trace(trace_id=trace_id, name=a["name"], user_id=a["user_id"],
                                      session_id=a["session_id"], tags=a["tags"],
                                      metadata=a["metadata"], environment=self._env,
                                      release=self._release, version=self._version))
        return trace_id

    def log_event(self, name: str, payload: Any = None, *, trace_id: Optional[str] = None,
                  parent_id: str = "", level: str = "", metadata: Optional[Mapping] = None) -> str:
        """Sends an EVENT observation. Without trace_id it goes under the run that is open
        (inside a chain traced by this handler), else it is the root of a trace of its own
        (carrying that trace's attributes, no separate Trace event).

        Returns the trace id. Never raises."""
        try:
            attrs = None
            if trace_id is None:
                run = self._open_run()
                if run is not None:
                    trace_id, parent_id = run.trace.id, parent_id or run.id
                    attrs = run.trace.attrs
                else:
                    trace_id = events.new_id()
                    attrs = self._own_trace_attrs(name)
            tid = trace_id
            now = time.time_ns()
            self.client.send(functools.partial(
                events.observation, trace_id=tid, obs_id=events.new_id(), type="event",
                name=name, start_ns=now, end_ns=now, parent_id=parent_id, input=payload,
                metadata=metadata, level=level, environment=self._env, trace_attrs=attrs))
            return tid
        except Exception as e:  # noqa: BLE001
            log.debug("tracegate: log_event failed: %r", e)
            return trace_id or ""

    def log_metric(self, name: str, value: Union[float, int, bool, str], *,
                   trace_id: Optional[str] = None, observation_id: str = "",
                   comment: str = "") -> str:
        """Sends a score (numeric, boolean or categorical) on trace_id, else on the open
        run's trace (see log_event), else on a trace of its own. Returns the trace id."""
        try:
            if trace_id is None:
                run = self._open_run()
                if run is not None:
                    trace_id = run.trace.id
            tid = self._manual_trace(name, trace_id)
            self.client.send(events.score(trace_id=tid, name=name, value=value,
                                          observation_id=observation_id, comment=comment,
                                          environment=self._env))
            return tid
        except Exception as e:  # noqa: BLE001
            log.debug("tracegate: log_metric failed: %r", e)
            return trace_id or ""

    def flush(self, timeout: Optional[float] = 10.0) -> bool:
        return self.client.flush(timeout)


class LangfuseTracer(TracegateCallbackHandler):
    """The seed's `LangfuseTracer(project_name, dataset_name, api_key, tags, base_url)`.

    project_name and dataset_name go into the trace metadata (langfuse_project,
    langfuse_dataset); api_key is the gateway key; base_url the gateway address."""

    def __init__(self, project_name: Optional[str] = None, dataset_name: Optional[str] = None,
                 api_key: Optional[str] = None,
                 tags: Union[None, Mapping[str, Any], Sequence[str]] = None,
                 base_url: Optional[str] = None, metadata: Optional[Mapping[str, Any]] = None,
                 client: Optional[TracegateClient] = None, **kw: Any):
        meta = dict(metadata or {})
        project = project_name or os.environ.get("LANGFUSE_PROJECT_NAME")
        dataset = dataset_name or os.environ.get("LANGFUSE_DATASET_NAME")
        if project:
            meta.setdefault("langfuse_project", project)
        if dataset:
            meta.setdefault("langfuse_dataset", dataset)
        client_kw = {k: kw.pop(k) for k in list(kw) if k in (
            "workspace", "app_env", "app_id", "tls", "ca_file", "cert_file", "key_file")}
        if client is None:
            client = get_client(endpoint=base_url, api_key=api_key, **client_kw)
        super().__init__(client=client, tags=tags, metadata=meta, **kw)


CallbackHandler = TracegateCallbackHandler
