// TracegateCallbackHandler and usage parsing without a gateway (a scripted transport).
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { HumanMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { TracegateClient } from "../src/index";
import { TracegateCallbackHandler } from "../src/langchain";
import { normalizeUsage, parseUsage } from "../src/usage";
import type { TraceEvent } from "../src/proto";
import { FakeGateway, CapturingLogger } from "./fakes";

async function traced(run: (h: TracegateCallbackHandler) => Promise<unknown>, opts = {}): Promise<TraceEvent[]> {
  const gw = new FakeGateway();
  const client = new TracegateClient({ apiKey: "k", flushOnExit: false, logger: new CapturingLogger() }, gw);
  const handler = new TracegateCallbackHandler({ client, ...opts });
  await run(handler).catch(() => undefined);
  await client.shutdown();
  assert.equal(handler.errors, 0);
  return gw.events();
}

const ms = (t: { seconds?: unknown; nanos?: number } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

test("streaming sets completion_start_time at the first token, within start..end", async () => {
  const model = new FakeListChatModel({ responses: ["streamed answer"], sleep: 2 });
  const events = await traced(async (h) => {
    for await (const _ of await model.stream([new HumanMessage("hi")], { callbacks: [h] })) { /* drain */ }
  });
  const gen = events.find((e) => e.observation?.type === "OBSERVATION_TYPE_GENERATION")!.observation!;
  assert.ok(gen.completionStartTime, "completion start time set");
  const [s, c, e] = [ms(gen.startTime), ms(gen.completionStartTime), ms(gen.endTime)];
  assert.ok(s <= c && c <= e, `${s} <= ${c} <= ${e}`);
});

test("langfuse_* metadata of the root run becomes trace attributes on every event", async () => {
  const chain = RunnableLambda.from(async (x: string) => x.toUpperCase()).withConfig({ runName: "upper" });
  const events = await traced((h) => chain.invoke("a", {
    callbacks: [h], tags: ["t1", "langsmith:hidden"],
    metadata: { langfuse_user_id: "u", langfuse_session_id: "s", langfuse_trace_name: "named", langfuse_tags: ["x"], k: "v" },
  }), { tags: ["base"], metadata: { team: "rag" } });
  assert.equal(events.filter((e) => e.trace).length, 0, "no Trace event: the root run carries the trace");
  assert.equal(events.length, 1);
  const obs = events[0].observation!;
  assert.equal(obs.level, "LEVEL_DEBUG", "LangSmith's hidden tag lowers the level");
  const { metadata, input, output, ...attrs } = obs.trace!;
  assert.deepEqual(attrs, { name: "named", tags: ["base", "t1", "x"], userId: "u", sessionId: "s" });
  assert.deepEqual(Object.keys(metadata!.fields!).sort(), ["k", "team"]);
  assert.deepEqual(input, { text: "a" });
  assert.deepEqual(output, { text: "A" });
  assert.equal(obs.id, obs.traceId, "the root run's id is the trace id and its observation id");
  assert.equal(obs.parentObservationId, "");
  assert.deepEqual(obs.input, { text: "a" });
  assert.deepEqual(obs.output, { text: "A" });
});

test("chain errors are ERROR with the message; the host sees its own error only", async () => {
  const chain = RunnableLambda.from(async () => { throw new Error("boom: bad input"); }).withConfig({ runName: "explode" });
  const gw = new FakeGateway();
  const client = new TracegateClient({ apiKey: "k", flushOnExit: false }, gw);
  await assert.rejects(chain.invoke("x", { callbacks: [new TracegateCallbackHandler({ client })] }), /boom: bad input/);
  await client.shutdown();
  const obs = gw.events().find((e) => e.observation)!.observation!;
  assert.equal(obs.level, "LEVEL_ERROR");
  assert.equal(obs.statusMessage, "boom: bad input");
});

test("callbacks with garbage arguments never throw", () => {
  const client = new TracegateClient({ apiKey: "k", flushOnExit: false }, new FakeGateway());
  const h = new TracegateCallbackHandler({ client });
  const anyH = h as unknown as Record<string, (...a: unknown[]) => void>;
  for (const name of ["handleChainStart", "handleChainEnd", "handleLLMStart", "handleChatModelStart", "handleLLMEnd",
    "handleToolStart", "handleToolEnd", "handleRetrieverStart", "handleRetrieverEnd", "handleAgentAction", "handleLLMError"]) {
    assert.doesNotThrow(() => anyH[name].call(h, undefined, undefined, "run-x", undefined, undefined));
  }
  void client.shutdown();
});

test("usage: provider keys renamed, details subtracted, strings dropped", () => {
  assert.deepEqual(normalizeUsage({
    input_tokens: 100, output_tokens: 40, total_tokens: 140,
    input_token_details: { cache_read: 30 }, output_token_details: { reasoning: 10 }, model: "x",
  }), { input: 70, output: 30, total: 140, input_cache_read: 30, output_reasoning: 10 });
  assert.deepEqual(parseUsage({ llmOutput: { tokenUsage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 } }, generations: [] }),
                   { input: 3, output: 4, total: 7 });
  assert.equal(parseUsage({ generations: [[{ text: "x" }]] }), undefined);
});

test("logEvent and logMetric (the seed's tracer.log_event / log_metric)", async () => {
  const gw = new FakeGateway();
  const client = new TracegateClient({ apiKey: "k", flushOnExit: false }, gw);
  const h = new TracegateCallbackHandler({ client, serviceName: "rag", projectName: "onekey-rag" });
  const traceId = h.logEvent("retriever_search", { source: "pinecone", hit_count: 3 });
  assert.equal(h.logMetric("hit_rate", 0.75, { traceId }), traceId);
  h.logMetric("grounded", true, { traceId });
  h.logMetric("standalone", 1);
  await client.shutdown();
  const events = gw.events();
  // The event is the root of its own trace and carries it; only the standalone metric
  // (no observation to carry a trace) needs a Trace event.
  const traces = events.filter((e) => e.trace).map((e) => e.trace!);
  assert.equal(traces.length, 1);
  assert.notEqual(traces[0].id, traceId);
  assert.equal(traces[0].name, "standalone");
  const ev = events.find((e) => e.observation)!.observation!;
  assert.equal(ev.trace!.name, "retriever_search");
  assert.deepEqual(ev.trace!.tags, ["service:rag"]);
  assert.equal(ev.trace!.metadata!.fields!.langfuse_project.stringValue, "onekey-rag");
  assert.equal(ev.parentObservationId, "");
  assert.equal(ev.type, "OBSERVATION_TYPE_EVENT");
  assert.equal(ev.traceId, traceId);
  assert.deepEqual(ev.startTime, ev.endTime);
  assert.equal(ev.input!.value!.structValue!.fields!.source.stringValue, "pinecone");
  const scores = events.filter((e) => e.score).map((e) => e.score!);
  assert.deepEqual(scores.map((s) => [s.name, s.traceId, s.numericValue ?? s.booleanValue]),
                   [["hit_rate", traceId, 0.75], ["grounded", traceId, true], ["standalone", traces[0].id, 1]]);
});

test("the handler passes appId on to the client it creates", async () => {
  const handler = new TracegateCallbackHandler({
    clientOptions: { endpoint: "127.0.0.1:1", apiKey: "k", flushOnExit: false, appId: "from-options" },
    appId: "checkout-web",
  });
  assert.equal(handler.client.options.appId, "checkout-web");
  await handler.client.shutdown(100);
  const plain = new TracegateCallbackHandler({
    clientOptions: { endpoint: "127.0.0.1:1", apiKey: "k", flushOnExit: false, appId: "from-options" },
  });
  assert.equal(plain.client.options.appId, "from-options");
  await plain.client.shutdown(100);
});
