// TracegateCallbackHandler: LangChain.js runs → one Tracegate trace per root run.
//
//   const handler = new TracegateCallbackHandler({ serviceName: "rag", tags: { team: "rag" } });
//   await chain.invoke(input, { callbacks: [handler] });
//
// Mapping (the same as Langfuse's LangChain CallbackHandler, v4 type system):
//   chain run      → CHAIN, or AGENT when its class path or name contains "agent"
//   LLM/chat model → GENERATION: input = prompt(s) or chat messages (+ bound tools as
//                    {role:"tool"} messages), model (ls_model_name, invocation params or
//                    the result's model_name), model parameters, usage from the result,
//                    completion_start_time at the first streamed token
//   tool run       → TOOL;  retriever run → RETRIEVER (input = query, output = documents)
//   agent action / finish → the run becomes AGENT, output = the action / return values
//   errors         → level ERROR, status_message = the error's message, cost total 0
// The root run's id is the trace id, each run's id its observation id; a child's parent is
// its parent run. The trace takes the root run's name, input and output, the handler's
// tags/metadata plus the root's metadata keys langfuse_user_id, langfuse_session_id,
// langfuse_trace_name and langfuse_tags. Name, user, session, tags, release and version
// ride on every observation; the root run's observation also carries the trace metadata,
// input and output. Each observation is sent once, when its run ends. There is no separate
// Trace event: the root run's observation is the trace's only root (as with Langfuse's own
// handler), so the OTLP egress makes no extra "trace" span.
//
// Never throws into LangChain: every callback is guarded; failures are counted in
// `errors`. Callbacks run inline (awaitHandlers) and only build objects and enqueue.
import { randomUUID } from "crypto";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { DocumentInterface } from "@langchain/core/documents";
import type { AgentAction, AgentFinish } from "@langchain/core/agents";
import type { ChainValues } from "@langchain/core/utils/types";
import { TracegateClient } from "./client";
import type { ClientOptions } from "./config";
import type { Observation, ObservationType, Payload, Score, Timestamp, TraceAttributes } from "./proto";
import { toPayload, toStruct, toTimestamp } from "./struct";
import { parseUsage } from "./usage";
import {
  messagesPayload, messageToChat, documentsPayload, modelParameters, extractModelName, lcPayload,
} from "./lc_convert";

export interface TracegateHandlerOptions {
  /** The client to send through; one is created from clientOptions/env otherwise. */
  client?: TracegateClient;
  clientOptions?: ClientOptions;
  /** clientOptions.appId for the client created here (else TRACEGATE_APP_ID). */
  appId?: string;
  /** Trace name; default: the root run's name (or metadata.langfuse_trace_name). */
  traceName?: string;
  userId?: string;
  sessionId?: string;
  release?: string;
  version?: string;
  /** Tags: a list, or a map rendered as "key:value" (as in `tags={"env": "prod"}`). */
  tags?: string[] | Record<string, string | number | boolean>;
  metadata?: Record<string, unknown>;
  /** Adds the tag "service:<name>". */
  serviceName?: string;
  /** Recorded in the trace metadata as langfuse_project / langfuse_dataset. */
  projectName?: string;
  datasetName?: string;
}

interface TraceState {
  id: string;
  name: string;
  userId?: string;
  sessionId?: string;
  tags: string[];
  metadata: Record<string, unknown>;
}

interface RunState {
  id: string;
  trace: TraceState;
  parentId?: string;
  isRoot: boolean;
  type: ObservationType;
  name: string;
  startMs: number;
  input?: Payload;
  metadata?: Record<string, unknown>;
  level?: "LEVEL_DEBUG";
  model?: string;
  modelParameters?: Record<string, unknown>;
  completionStartMs?: number;
  output?: Payload;
}

const TRACE_KEYS = ["langfuse_user_id", "langfuse_session_id", "langfuse_trace_name", "langfuse_tags", "langfuse_prompt"];
const HIDDEN_TAG = "langsmith:hidden";

export class TracegateCallbackHandler extends BaseCallbackHandler {
  name = "TracegateCallbackHandler";
  readonly client: TracegateClient;
  /** Callbacks that failed inside the handler (the host never sees these). */
  errors = 0;
  private readonly opts: TracegateHandlerOptions;
  private readonly baseTags: string[];
  private readonly runs = new Map<string, RunState>();

  constructor(options: TracegateHandlerOptions = {}) {
    super();
    this.awaitHandlers = true;
    this.opts = options;
    this.client = options.client ?? new TracegateClient(
      options.appId === undefined ? options.clientOptions : { ...options.clientOptions, appId: options.appId });
    const tags: string[] = [];
    const env = this.client.options.environment;
    if (env) tags.push(`env:${env}`);
    if (options.serviceName) tags.push(`service:${options.serviceName}`);
    if (Array.isArray(options.tags)) tags.push(...options.tags);
    else if (options.tags) for (const [k, v] of Object.entries(options.tags)) tags.push(`${k}:${v}`);
    this.baseTags = [...new Set(tags)];
  }

  /** Flushes the underlying client. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.client.flush(timeoutMs);
  }

  /** The seed's `tracer.log_event(name, payload)`: an EVENT observation carrying `payload`
   *  as its input, in the given trace or as the root of a trace of its own (then it carries
   *  that trace's attributes and metadata; no separate Trace event). Returns the trace id. */
  logEvent(name: string, payload: unknown, opts: { traceId?: string; parentId?: string } = {}): string {
    try {
      const now = toTimestamp(Date.now());
      const traceId = opts.traceId ?? randomUUID();
      const trace = this.baseAttributes(name);
      if (!opts.traceId) {
        const meta = this.ownMetadata();
        if (Object.keys(meta).length) trace.metadata = toStruct(meta);
      }
      this.client.enqueue({
        observation: {
          id: randomUUID(), traceId, parentObservationId: opts.parentId ?? "",
          type: "OBSERVATION_TYPE_EVENT", name, startTime: now, endTime: now,
          input: toPayload(payload), trace,
        },
      });
      return traceId;
    } catch {
      this.errors++;
      return opts.traceId ?? "";
    }
  }

  /** The seed's `tracer.log_metric(name, value)`: a score (numeric, boolean or categorical)
   *  on the given trace or on a trace of its own. Returns the trace id. */
  logMetric(name: string, value: number | boolean | string, opts: { traceId?: string; comment?: string } = {}): string {
    try {
      const traceId = opts.traceId ?? this.ownTrace(name, toTimestamp(Date.now()));
      const score: Score = { id: randomUUID(), traceId, name, comment: opts.comment ?? "" };
      if (typeof value === "number") score.numericValue = value;
      else if (typeof value === "boolean") score.booleanValue = value;
      else score.categoricalValue = value;
      this.client.enqueue({ score });
      return traceId;
    } catch {
      this.errors++;
      return opts.traceId ?? "";
    }
  }

  private baseAttributes(name: string): TraceAttributes {
    const a: TraceAttributes = { name: this.opts.traceName ?? name, tags: this.baseTags };
    if (this.opts.userId) a.userId = this.opts.userId;
    if (this.opts.sessionId) a.sessionId = this.opts.sessionId;
    if (this.opts.release) a.release = this.opts.release;
    if (this.opts.version) a.version = this.opts.version;
    return a;
  }

  /** The handler's trace metadata (metadata option, project and dataset names). */
  private ownMetadata(): Record<string, unknown> {
    const meta: Record<string, unknown> = { ...(this.opts.metadata ?? {}) };
    if (this.opts.projectName) meta.langfuse_project = this.opts.projectName;
    if (this.opts.datasetName) meta.langfuse_dataset = this.opts.datasetName;
    return meta;
  }

  /** Sends a Trace event for a standalone metric (a score has no observation to carry the
   *  trace, so the Trace event is that trace's only root); returns its id. */
  private ownTrace(name: string, at: Timestamp): string {
    const id = randomUUID();
    const meta = this.ownMetadata();
    this.client.enqueue({
      trace: {
        id, name: this.opts.traceName ?? name, userId: this.opts.userId ?? "",
        sessionId: this.opts.sessionId ?? "", release: this.opts.release ?? "",
        version: this.opts.version ?? "", tags: this.baseTags, metadata: toStruct(meta), timestamp: at,
      },
    });
    return id;
  }

  // ---------------------------------------------------------------- chains
  // The argument order is the one CallbackManager really uses (parentRunId 4th, runType
  // and runName last), which differs from the order in @langchain/core 1.x's d.ts.
  handleChainStart(chain: Serialized, inputs: ChainValues, runId: string, parentRunId?: string,
                   tags?: string[], metadata?: Record<string, unknown>, _runType?: string,
                   runName?: string): void {
    this.guard(() => {
      const name = runNameOf(chain, runName);
      const path = (chain?.id ?? []).join(".").toLowerCase();
      const isAgent = name.toLowerCase().includes("agent") || path.includes("agent");
      const run = this.start(runId, parentRunId, isAgent ? "OBSERVATION_TYPE_AGENT" : "OBSERVATION_TYPE_CHAIN",
                             name, undefined, tags, metadata);
      run.input = lcPayload(inputs, "input");
    });
  }

  handleChainEnd(outputs: ChainValues, runId: string): void {
    this.guard(() => this.end(runId, { outputPayload: lcPayload(outputs, "output") }));
  }

  handleChainError(err: unknown, runId: string): void {
    this.guard(() => this.end(runId, { error: err }));
  }

  // ---------------------------------------------------------------- models
  handleLLMStart(llm: Serialized, prompts: string[], runId: string, parentRunId?: string,
                 extraParams?: Record<string, unknown>, tags?: string[],
                 metadata?: Record<string, unknown>, runName?: string): void {
    this.guard(() => {
      const run = this.start(runId, parentRunId, "OBSERVATION_TYPE_GENERATION", runNameOf(llm, runName),
                             prompts.length === 1 ? prompts[0] : prompts, tags, metadata);
      this.modelInfo(run, llm, extraParams, metadata);
    });
  }

  handleChatModelStart(llm: Serialized, messages: BaseMessage[][], runId: string, parentRunId?: string,
                       extraParams?: Record<string, unknown>, tags?: string[],
                       metadata?: Record<string, unknown>, runName?: string): void {
    this.guard(() => {
      const run = this.start(runId, parentRunId, "OBSERVATION_TYPE_GENERATION", runNameOf(llm, runName),
                             undefined, tags, metadata);
      const invocation = (extraParams?.invocation_params ?? {}) as Record<string, unknown>;
      run.input = messagesPayload(messages, invocation.tools);
      this.modelInfo(run, llm, extraParams, metadata);
    });
  }

  handleLLMNewToken(_token: string, _idx: unknown, runId: string): void {
    this.guard(() => {
      const run = this.runs.get(runId);
      if (run && run.completionStartMs === undefined) run.completionStartMs = Date.now();
    });
  }

  handleLLMEnd(output: LLMResult, runId: string): void {
    this.guard(() => {
      const run = this.runs.get(runId);
      if (!run) return;
      const gens = output?.generations ?? [];
      const lastChunk = gens[gens.length - 1] ?? [];
      const last = lastChunk[lastChunk.length - 1] as { text?: string; message?: BaseMessage } | undefined;
      let out: Payload | undefined;
      if (last?.message) out = { messages: { messages: [messageToChat(last.message)] } };
      else if (last) out = toPayload(last.text ?? "");
      const llmOutput = (output?.llmOutput ?? {}) as Record<string, unknown>;
      const meta = (last?.message as { response_metadata?: Record<string, unknown> } | undefined)
        ?.response_metadata;
      const reported = llmOutput.model_name ?? llmOutput.modelName ?? meta?.model_name ?? meta?.model;
      if (typeof reported === "string" && reported) run.model = reported;
      this.end(runId, { outputPayload: out, usage: parseUsage(output) });
    });
  }

  handleLLMError(err: unknown, runId: string): void {
    this.guard(() => this.end(runId, { error: err }));
  }

  // ---------------------------------------------------------------- tools, retrievers
  handleToolStart(tool: Serialized, input: string, runId: string, parentRunId?: string,
                  tags?: string[], metadata?: Record<string, unknown>, runName?: string,
                  toolCallId?: string): void {
    this.guard(() => {
      const meta = toolCallId ? { ...(metadata ?? {}), tool_call_id: toolCallId } : metadata;
      const run = this.start(runId, parentRunId, "OBSERVATION_TYPE_TOOL", runNameOf(tool, runName), input, tags, meta);
      if (/^\s*[[{]/.test(input)) {
        try {
          JSON.parse(input); // structured tool input (LangChain.js stringifies it): keep it as JSON
          run.input = { json: input };
        } catch {
          /* plain text */
        }
      }
    });
  }

  handleToolEnd(output: unknown, runId: string): void {
    this.guard(() => {
      const msg = output as { status?: string; content?: unknown; _getType?: () => string } | undefined;
      if (msg && typeof msg === "object" && typeof msg._getType === "function" && msg._getType() === "tool") {
        const out = lcPayload(msg.content);
        if (msg.status === "error") this.end(runId, { error: String(msg.content), outputPayload: out });
        else this.end(runId, { outputPayload: out });
        return;
      }
      this.end(runId, { outputPayload: lcPayload(output) });
    });
  }

  handleToolError(err: unknown, runId: string): void {
    this.guard(() => this.end(runId, { error: err }));
  }

  handleRetrieverStart(retriever: Serialized, query: string, runId: string, parentRunId?: string,
                       tags?: string[], metadata?: Record<string, unknown>, name?: string): void {
    this.guard(() => {
      this.start(runId, parentRunId, "OBSERVATION_TYPE_RETRIEVER", runNameOf(retriever, name), query, tags, metadata);
    });
  }

  handleRetrieverEnd(documents: DocumentInterface[], runId: string): void {
    this.guard(() => this.end(runId, { outputPayload: documentsPayload(documents) }));
  }

  handleRetrieverError(err: unknown, runId: string): void {
    this.guard(() => this.end(runId, { error: err }));
  }

  // ---------------------------------------------------------------- agents
  handleAgentAction(action: AgentAction, runId: string): void {
    this.guard(() => {
      const run = this.runs.get(runId);
      if (!run) return;
      run.type = "OBSERVATION_TYPE_AGENT";
      run.output = toPayload({ tool: action.tool, tool_input: action.toolInput, log: action.log });
    });
  }

  handleAgentEnd(finish: AgentFinish, runId: string): void {
    this.guard(() => {
      const run = this.runs.get(runId);
      if (!run) return;
      run.type = "OBSERVATION_TYPE_AGENT";
      run.output = toPayload(finish.returnValues);
    });
  }

  // ---------------------------------------------------------------- internals
  private guard(f: () => void): void {
    try {
      f();
    } catch {
      this.errors++;
    }
  }

  private start(runId: string, parentRunId: string | undefined, type: ObservationType, name: string,
                input: unknown, tags?: string[], metadata?: Record<string, unknown>): RunState {
    const now = Date.now();
    const parent = parentRunId ? this.runs.get(parentRunId) : undefined;
    const meta: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(metadata ?? {})) if (!TRACE_KEYS.includes(k)) meta[k] = v;
    const runTags = userTags(tags);
    if (runTags.length) meta.tags = runTags;
    let trace: TraceState;
    if (parent) {
      trace = parent.trace;
    } else {
      trace = this.newTrace(runId, name, tags, metadata);
      meta.is_langchain_root = true;
    }
    const run: RunState = {
      id: runId,
      trace,
      parentId: parent?.id,
      isRoot: !parent,
      type,
      name,
      startMs: now,
      input: input === undefined ? undefined : toPayload(input),
      metadata: Object.keys(meta).length ? meta : undefined,
      level: tags?.includes(HIDDEN_TAG) ? "LEVEL_DEBUG" : undefined,
    };
    this.runs.set(runId, run);
    return run;
  }

  private newTrace(id: string, runName: string, tags: string[] | undefined,
                   metadata: Record<string, unknown> | undefined): TraceState {
    const m = metadata ?? {};
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    const extraTags = Array.isArray(m.langfuse_tags) ? m.langfuse_tags.map(String) : [];
    const traceMeta = this.ownMetadata();
    for (const [k, v] of Object.entries(m)) if (!TRACE_KEYS.includes(k) && !k.startsWith("ls_")) traceMeta[k] = v;
    const allTags = [...this.baseTags, ...userTags(tags), ...extraTags];
    return {
      id,
      name: this.opts.traceName ?? str(m.langfuse_trace_name) ?? runName,
      userId: str(m.langfuse_user_id) ?? this.opts.userId,
      sessionId: str(m.langfuse_session_id) ?? this.opts.sessionId,
      tags: [...new Set(allTags)],
      metadata: traceMeta,
    };
  }

  private modelInfo(run: RunState, llm: Serialized, extraParams?: Record<string, unknown>,
                    metadata?: Record<string, unknown>): void {
    const invocation = (extraParams?.invocation_params ?? {}) as Record<string, unknown>;
    const lsName = metadata?.ls_model_name;
    run.model = typeof lsName === "string" && lsName ? lsName : extractModelName(llm, invocation);
    run.modelParameters = modelParameters(invocation);
  }

  private end(runId: string, r: { output?: unknown; outputPayload?: Payload; error?: unknown;
                                  usage?: Record<string, number> }): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    const now = Date.now();
    const trace = run.trace;
    const output = r.outputPayload ?? (r.output !== undefined ? toPayload(r.output) : run.output);
    const attrs: TraceAttributes = { name: trace.name, tags: trace.tags };
    if (trace.userId) attrs.userId = trace.userId;
    if (trace.sessionId) attrs.sessionId = trace.sessionId;
    if (this.opts.release) attrs.release = this.opts.release;
    if (this.opts.version) attrs.version = this.opts.version;
    if (run.isRoot) {
      // The root run's observation is the trace's root: it carries what a Trace event would.
      if (Object.keys(trace.metadata).length) attrs.metadata = toStruct(trace.metadata);
      if (run.input) attrs.input = run.input;
      if (output && r.error === undefined) attrs.output = output;
    }
    const obs: Observation = {
      id: run.id,
      traceId: trace.id,
      parentObservationId: run.parentId ?? "",
      type: run.type,
      name: run.name,
      startTime: toTimestamp(run.startMs),
      endTime: toTimestamp(Math.max(now, run.startMs)),
      input: run.input,
      output,
      trace: attrs,
    };
    if (run.metadata) obs.metadata = toStruct(run.metadata);
    if (run.level) obs.level = run.level;
    if (run.model) obs.model = run.model;
    if (run.modelParameters && Object.keys(run.modelParameters).length) {
      obs.modelParameters = toStruct(run.modelParameters);
    }
    if (run.completionStartMs !== undefined) obs.completionStartTime = toTimestamp(run.completionStartMs);
    if (r.usage) obs.usageDetails = r.usage;
    if (r.error !== undefined) {
      obs.level = "LEVEL_ERROR";
      obs.statusMessage = errorMessage(r.error);
      obs.costDetails = { total: 0 };
    }
    if (this.opts.version) obs.version = this.opts.version;
    this.client.enqueue({ observation: obs });
  }
}

/** Tags a user set, without the ones LangChain adds itself (seq:step:N, map:key:K, hidden). */
function userTags(tags: string[] | undefined): string[] {
  return (tags ?? []).filter((t) => t !== HIDDEN_TAG && !t.startsWith("seq:") && !t.startsWith("map:key:"));
}

function runNameOf(serialized: Serialized | undefined, runName?: string): string {
  if (runName) return runName;
  const s = serialized as { name?: string; id?: string[] } | undefined;
  if (s?.name) return s.name;
  if (s?.id?.length) return s.id[s.id.length - 1];
  return "<unknown>";
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || String(err);
  return typeof err === "string" ? err : String(err);
}
