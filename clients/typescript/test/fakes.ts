// Test doubles: a scripted gateway (Transport), a capturing logger, and a fake chat model
// (FakeListChatModel from @langchain/core, plus usage, model name and tool calls).
import { status } from "@grpc/grpc-js";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { Transport, CallError, Logger } from "../src/index";
import type { IngestRequest, IngestResponse, TraceEvent } from "../src/proto";

export type Answer = (req: IngestRequest, call: number) => IngestResponse | CallError | Promise<IngestResponse | CallError>;

export function callError(code: number, message = "fake"): CallError {
  return Object.assign(new Error(message), { code });
}

export function acceptAll(req: IngestRequest): IngestResponse {
  const events = req.events ?? [];
  return {
    batchId: String(req.batchId ?? "0"),
    results: events.map((e) => ({ eventId: e.eventId ?? "", status: "EVENT_STATUS_ACCEPTED", code: 0, reason: "", retryAfter: null })),
    accepted: events.length, duplicate: 0, rejected: 0,
  };
}

/** A Transport that records every request and answers with `answer`. */
export class FakeGateway implements Transport {
  requests: IngestRequest[] = [];
  closed = 0;
  constructor(public answer: Answer = acceptAll) {}
  async ingest(request: IngestRequest): Promise<IngestResponse> {
    // Copy the ids now: the client may mutate events later (environment stamping).
    this.requests.push({ ...request, events: [...(request.events ?? [])] });
    const r = await this.answer(request, this.requests.length);
    if (r instanceof Error) throw r;
    return r;
  }
  close(): void {
    this.closed++;
  }
  events(): TraceEvent[] {
    return this.requests.flatMap((r) => r.events ?? []);
  }
}

export class CapturingLogger implements Logger {
  lines: string[] = [];
  warn(m: string): void {
    this.lines.push(m);
  }
}

export { status };

export interface Script {
  text: string;
  toolCalls?: Array<{ id: string; name: string; args: Record<string, unknown> }>;
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  /** Throw this instead of answering. */
  error?: string;
}

/** FakeListChatModel that also reports a model name, parameters, usage and tool calls. */
export class ScriptedChatModel extends FakeListChatModel {
  scripts: Script[];
  modelName: string;
  j = 0;
  constructor(fields: { scripts: Script[]; modelName?: string }) {
    super({ responses: fields.scripts.map((s) => s.text) });
    this.scripts = fields.scripts;
    this.modelName = fields.modelName ?? "fake-gpt-4o-mini";
  }
  invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    const tools = (options as { tools?: Array<{ name: string; description: string }> } | undefined)?.tools;
    return {
      model: this.modelName, temperature: 0.2, max_tokens: 256,
      tools: tools?.map((t) => ({ type: "function", function: { name: t.name, description: t.description } })),
    };
  }
  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const script = this.scripts[Math.min(this.j, this.scripts.length - 1)];
    this.j++;
    if (script.error) throw new Error(script.error);
    const result = await super._generate(messages, options, runManager);
    const message = new AIMessage({
      content: script.text,
      tool_calls: script.toolCalls ?? [],
      usage_metadata: script.usage,
      response_metadata: { model_name: this.modelName },
    });
    result.generations[0] = { text: script.text, message };
    return result;
  }
}
