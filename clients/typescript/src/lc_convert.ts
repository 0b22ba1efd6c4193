// LangChain.js values → Tracegate payloads: chat messages, documents, model parameters.
import type { BaseMessage } from "@langchain/core/messages";
import type { DocumentInterface } from "@langchain/core/documents";
import type { Serialized } from "@langchain/core/load/serializable";
import type { ChatMessage, Payload } from "./proto";
import { toStruct, toValue } from "./struct";

const ROLES: Record<string, string> = {
  human: "user",
  ai: "assistant",
  system: "system",
  tool: "tool",
  function: "function",
  developer: "developer",
};

type MessageLike = BaseMessage & {
  tool_calls?: Array<{ id?: string; name: string; args: unknown }>;
  tool_call_id?: string;
  role?: string;
};

function messageType(m: MessageLike): string {
  const anyM = m as unknown as { _getType?: () => string; getType?: () => string; type?: string };
  if (typeof anyM.getType === "function") return anyM.getType();
  if (typeof anyM._getType === "function") return anyM._getType();
  return anyM.type ?? "generic";
}

/** One LangChain message in the OpenAI shape of tracegate.v1.ChatMessage. */
export function messageToChat(message: BaseMessage): ChatMessage {
  const m = message as MessageLike;
  const type = messageType(m);
  const out: ChatMessage = { role: ROLES[type] ?? m.role ?? type };
  if (typeof m.content === "string") {
    out.content = m.content;
  } else if (Array.isArray(m.content)) {
    out.parts = m.content.map((p) => {
      const part = p as { type?: string; text?: string; image_url?: string | { url?: string } };
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
      return { type: part.type ?? "text", text: part.text ?? "", imageUrl: url ?? "" };
    });
  }
  if (Array.isArray(m.tool_calls) && m.tool_calls.length) {
    out.toolCalls = m.tool_calls.map((c) => ({
      id: c.id ?? "",
      name: c.name,
      argumentsJson: JSON.stringify(c.args ?? {}),
    }));
  }
  if (m.tool_call_id) out.toolCallId = m.tool_call_id;
  if (m.name) out.name = m.name;
  return out;
}

/** The input of a chat model run: its messages, plus each bound tool as a "tool" message. */
export function messagesPayload(messages: BaseMessage[][], tools?: unknown): Payload {
  const toolMessages: ChatMessage[] = Array.isArray(tools)
    ? tools.map((t) => ({ role: "tool", content: typeof t === "string" ? t : JSON.stringify(t) }))
    : [];
  if (messages.length === 1) {
    return { messages: { messages: [...messages[0].map(messageToChat), ...toolMessages] } };
  }
  const lists = messages.map((list) => list.map((m) => chatToPlain(messageToChat(m))));
  return { value: toValue(lists) };
}

function chatToPlain(c: ChatMessage): Record<string, unknown> {
  const o: Record<string, unknown> = { role: c.role, content: c.content ?? "" };
  if (c.toolCallId) o.tool_call_id = c.toolCallId;
  if (c.name) o.name = c.name;
  return o;
}

/** Retrieved documents as a Documents payload. */
export function documentsPayload(documents: DocumentInterface[]): Payload {
  return {
    documents: {
      documents: (documents ?? []).map((d) => ({
        pageContent: String(d.pageContent ?? ""),
        metadata: d.metadata && Object.keys(d.metadata).length ? toStruct(d.metadata) : undefined,
        id: d.id ?? "",
      })),
    },
  };
}

const PARAM_KEYS = [
  "temperature", "max_tokens", "max_completion_tokens", "top_p", "frequency_penalty",
  "presence_penalty", "request_timeout", "decoding_method", "min_new_tokens", "max_new_tokens",
  "stop_sequences", "stop",
];
const CAMEL: Record<string, string> = {
  maxTokens: "max_tokens", topP: "top_p", frequencyPenalty: "frequency_penalty",
  presencePenalty: "presence_penalty", maxCompletionTokens: "max_completion_tokens",
  timeout: "request_timeout", stopSequences: "stop_sequences",
};

/** The model parameters Langfuse records, from a run's invocation params. Values are kept
 *  only when the proto allows them: string, number, bool or a list of strings. */
export function modelParameters(invocation: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, v: unknown) => {
    if (v === null || v === undefined) return;
    if (["string", "number", "boolean"].includes(typeof v)) out[key] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[key] = v;
  };
  for (const k of PARAM_KEYS) put(k, invocation[k]);
  for (const [camel, snake] of Object.entries(CAMEL)) if (!(snake in out)) put(snake, invocation[camel]);
  return out;
}

/** The model name from invocation params or the serialized constructor kwargs. */
export function extractModelName(llm: Serialized | undefined, invocation: Record<string, unknown>): string | undefined {
  const kwargs = ((llm as { kwargs?: Record<string, unknown> } | undefined)?.kwargs ?? {});
  for (const src of [invocation, kwargs]) {
    for (const k of ["model", "model_name", "modelName", "model_id", "modelId", "deployment_name"]) {
      const v = src[k];
      if (typeof v === "string" && v) return v;
    }
  }
  return undefined;
}

function isMessage(v: unknown): v is BaseMessage {
  if (typeof v !== "object" || v === null) return false;
  const m = v as { _getType?: unknown; getType?: unknown; content?: unknown };
  return (typeof m._getType === "function" || typeof m.getType === "function") && "content" in m;
}

function isDocument(v: unknown): v is DocumentInterface {
  return typeof v === "object" && v !== null && typeof (v as DocumentInterface).pageContent === "string";
}

function chatToJson(c: ChatMessage): Record<string, unknown> {
  const o = chatToPlain(c);
  if (c.toolCalls?.length) {
    o.tool_calls = c.toolCalls.map((t) => ({ id: t.id, name: t.name, arguments: t.argumentsJson }));
  }
  return o;
}

/** LangChain values inside plain data (messages, documents, prompt values) as plain JSON. */
export function lcPlain(v: unknown, depth = 0): unknown {
  if (depth > 20 || v === null || typeof v !== "object") return v;
  if (isMessage(v)) return chatToJson(messageToChat(v));
  if (isDocument(v)) return { page_content: v.pageContent, metadata: v.metadata ?? {} };
  const pv = v as { messages?: unknown; toChatMessages?: unknown; value?: unknown };
  if (typeof pv.toChatMessages === "function" && Array.isArray(pv.messages)) {
    return pv.messages.map((m) => lcPlain(m, depth + 1));
  }
  if (Array.isArray(v)) return v.map((x) => lcPlain(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    if (typeof pv.value === "string" && typeof (v as object).toString === "function") return pv.value;
    return v; // toValue() uses its toJSON()
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = lcPlain(x, depth + 1);
  return out;
}

/** A run's input or output as a Payload. LangChain.js wraps non-object chain inputs as
 *  {input: x} and outputs as {output: x}; those are unwrapped (Python passes x itself). */
export function lcPayload(v: unknown, wrapper?: "input" | "output"): Payload | undefined {
  if (v === undefined) return undefined;
  let x: unknown = v;
  if (wrapper && x && typeof x === "object" && !Array.isArray(x)) {
    const keys = Object.keys(x as object);
    if (keys.length === 1 && keys[0] === wrapper) x = (x as Record<string, unknown>)[wrapper];
  }
  if (Array.isArray(x) && x.length > 0 && x.every(isMessage)) {
    return { messages: { messages: x.map(messageToChat) } };
  }
  if (Array.isArray(x) && x.length > 0 && x.every(isDocument)) return documentsPayload(x);
  if (isMessage(x)) return { messages: { messages: [messageToChat(x)] } };
  const pv = x as { messages?: unknown; toChatMessages?: unknown } | null;
  if (pv && typeof pv === "object" && typeof pv.toChatMessages === "function" && Array.isArray(pv.messages)) {
    return { messages: { messages: (pv.messages as BaseMessage[]).map(messageToChat) } };
  }
  const plain = lcPlain(x);
  if (typeof plain === "string") return { text: plain };
  return { value: toValue(plain) };
}
