// End to end: a real LangChain.js pipeline traced by TracegateCallbackHandler through the
// real gateway into the Langfuse emulator; the received trace is checked node by node.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { TracegateClient } from "../src/index";
import { TracegateCallbackHandler } from "../src/langchain";
import { EmulatorState, RecordingGateway, startRecordingGateway, traceTree, TreeNode } from "../src/testing";
import { ScriptedChatModel } from "./fakes";
import { buildPipeline, QUESTION, ANSWER, FINAL } from "./pipeline";

let rec: RecordingGateway;
before(async () => {
  rec = await startRecordingGateway();
});
after(async () => {
  await rec?.stop();
});
beforeEach(async () => {
  await rec.reset();
});

interface Expect {
  name: string;
  type: string;
  input?: unknown;
  output?: unknown;
  model?: string;
  usage?: Record<string, number>;
  params?: Record<string, unknown>;
  level?: string;
  status?: string;
  children?: Expect[];
}

/** The observations of the trace that have no parent, the gateway's span of a Trace event
 *  included (a LangChain trace must have exactly one: its root run). */
function parentless(state: EmulatorState, traceId?: string): any[] {
  const tid = traceId ?? Object.keys(state.traces)[0];
  return Object.values(state.observations).filter((o: any) => o.traceId === tid && !o.parentObservationId);
}

/** Compares one node and its children, with the path in every message. */
function check(got: TreeNode[], want: Expect[], path: string): void {
  assert.deepEqual(got.map((n) => `${n.name}:${n.type}`), want.map((w) => `${w.name}:${w.type}`),
                   `children of ${path}`);
  want.forEach((w, i) => {
    const n = got[i];
    const p = `${path}/${w.name}[${i}]`;
    if ("input" in w) assert.deepEqual(n.input, w.input, `${p} input`);
    if ("output" in w) assert.deepEqual(n.output, w.output, `${p} output`);
    assert.equal(n.model, w.model ?? null, `${p} model`);
    assert.deepEqual(n.usageDetails, w.usage ?? null, `${p} usage`);
    if (w.params) assert.deepEqual(n.modelParameters, w.params, `${p} model parameters`);
    assert.equal(n.level, w.level ?? "DEFAULT", `${p} level`);
    if (w.status) assert.equal(n.statusMessage, w.status, `${p} status message`);
    check(n.children, w.children ?? [], p);
  });
}

const CONTEXT = "Tracegate forwards LLM traces to Langfuse.\nIt retries with the same event ids.";
const DOCS_OUT = [
  { page_content: "Tracegate forwards LLM traces to Langfuse.", metadata: { source: "docs/a.md" } },
  { page_content: "It retries with the same event ids.", metadata: { source: "docs/b.md" } },
];
const PROMPT_MESSAGES = [
  { role: "system", content: "Answer from the context:\n" + CONTEXT },
  { role: "user", content: QUESTION },
];
const CHECK_MSG = { role: "user", content: "Check the answer: " + ANSWER };
const TOOL_CALL = {
  role: "assistant",
  tool_calls: [{ id: "call_1", type: "function", function: { name: "count_sources", arguments: '{"topic":"tracegate"}' } }],
};
const TOOL_DEF = {
  role: "tool",
  content: JSON.stringify({ type: "function", function: { name: "count_sources", description: "Counts the sources about a topic" } }),
};
const PARAMS = { temperature: 0.2, max_tokens: 256 };

test("a RAG pipeline with an agent step arrives as one trace, node by node", async () => {
  const client = new TracegateClient({ ...rec.clientOptions, environment: "ci" });
  const handler = new TracegateCallbackHandler({
    client, serviceName: "rag-svc", tags: { team: "rag" }, userId: "user-7", sessionId: "sess-1",
    metadata: { request_id: "r-1" }, projectName: "onekey-rag", datasetName: "rag-llm",
    release: "rel-1", version: "v-2",
  });
  const out = await buildPipeline().invoke(QUESTION, { callbacks: [handler] });
  assert.equal(out, FINAL);
  const stats = await client.shutdown();
  assert.equal(handler.errors, 0);
  assert.deepEqual({ sent: stats.sent, dropped: stats.dropped, rejected: stats.rejected }, { sent: 13, dropped: 0, rejected: 0 });

  const state = await rec.waitFor({ traces: 1, observations: 13 });
  assert.equal(state.counts.traces, 1, "one trace");
  assert.equal(state.counts.observations, 13, "no span made of a Trace event");
  const trace = Object.values(state.traces)[0];
  const roots = parentless(state);
  assert.deepEqual(roots.map((o) => `${o.name}:${o.type}`), ["rag_pipeline:CHAIN"], "one root");
  assert.equal(trace.rootObservationId, roots[0].id);
  assert.equal(trace.release, "rel-1");
  assert.equal(trace.version, "v-2");
  assert.equal(trace.name, "rag_pipeline");
  assert.equal(trace.userId, "user-7");
  assert.equal(trace.sessionId, "sess-1");
  assert.equal(trace.environment, "ci");
  assert.deepEqual(trace.tags, ["env:ci", "service:rag-svc", "team:rag"]);
  assert.equal(trace.input, QUESTION);
  assert.equal(trace.output, FINAL);
  assert.equal(trace.metadata.request_id, "r-1");
  assert.equal(trace.metadata.langfuse_project, "onekey-rag");
  assert.equal(trace.metadata.langfuse_dataset, "rag-llm");

  const tree = traceTree(state);
  check(tree, [{
    name: "rag_pipeline", type: "CHAIN", input: QUESTION, output: FINAL,
    children: [
      {
        name: "RunnableMap", type: "CHAIN", input: QUESTION, output: { context: CONTEXT, question: QUESTION },
        children: [
          {
            name: "RunnableSequence", type: "CHAIN", input: QUESTION, output: CONTEXT,
            children: [
              { name: "FakeRetriever", type: "RETRIEVER", input: QUESTION, output: DOCS_OUT },
              { name: "format_docs", type: "CHAIN", input: DOCS_OUT, output: CONTEXT },
            ],
          },
          { name: "RunnablePassthrough", type: "CHAIN", input: QUESTION, output: QUESTION },
        ],
      },
      { name: "ChatPromptTemplate", type: "CHAIN", input: { context: CONTEXT, question: QUESTION }, output: PROMPT_MESSAGES },
      {
        name: "ScriptedChatModel", type: "GENERATION", input: PROMPT_MESSAGES,
        output: [{ role: "assistant", content: ANSWER }], model: "fake-gpt-4o-mini",
        usage: { input: 30, output: 5, total: 35 }, params: PARAMS,
      },
      { name: "StrOutputParser", type: "CHAIN", input: [{ role: "assistant", content: ANSWER }], output: ANSWER },
      {
        name: "verify_agent", type: "AGENT", input: ANSWER, output: FINAL,
        children: [
          {
            name: "ScriptedChatModel", type: "GENERATION", input: [CHECK_MSG, TOOL_DEF], output: [TOOL_CALL],
            model: "fake-agent-model", usage: { input: 12, output: 7, total: 19 }, params: PARAMS,
          },
          { name: "count_sources", type: "TOOL", input: { topic: "tracegate" }, output: "2 sources about tracegate" },
          {
            name: "ScriptedChatModel", type: "GENERATION",
            input: [CHECK_MSG, TOOL_CALL, { role: "tool", content: "2 sources about tracegate", tool_call_id: "call_1", name: "count_sources" }],
            output: [{ role: "assistant", content: FINAL }],
            model: "fake-agent-model", usage: { input: 20, output: 9, total: 29 }, params: PARAMS,
          },
        ],
      },
    ],
  }], "trace");

  // Trace attributes ride on every observation; the root is marked; tool call id kept.
  const all: TreeNode[] = [];
  const walk = (n: TreeNode) => { all.push(n); n.children.forEach(walk); };
  tree.forEach(walk);
  assert.equal(all.length, 13);
  for (const o of Object.values(state.observations)) {
    assert.equal(o.traceAttributes?.userId, "user-7", `${o.name} carries the user`);
    assert.equal(o.environment, "ci");
    const io = "input" in o.traceAttributes || "output" in o.traceAttributes;
    assert.equal(io, o.id === roots[0].id, `${o.name}: only the root carries the trace input/output`);
  }
  assert.equal(tree[0].metadata.is_langchain_root, true);
  assert.equal(all.find((n) => n.name === "count_sources")!.metadata.tool_call_id, "call_1");
});

test("an LLM error shows as an ERROR observation with its message", async () => {
  const client = new TracegateClient(rec.clientOptions);
  const handler = new TracegateCallbackHandler({ client });
  const model = new ScriptedChatModel({ scripts: [{ text: "", error: "model overloaded (503)" }] });
  const chain = ChatPromptTemplate.fromMessages([["human", "{q}"]]).pipe(model).pipe(new StringOutputParser())
    .withConfig({ runName: "failing_chain" });
  await assert.rejects(chain.invoke({ q: "hi" }, { callbacks: [handler] }), /model overloaded/);
  await client.shutdown();
  const state = await rec.waitFor({ traces: 1, observations: 3 });
  assert.deepEqual(parentless(state).map((o) => o.name), ["failing_chain"]);
  const trace = Object.values(state.traces)[0];
  assert.equal(trace.name, "failing_chain");
  assert.deepEqual(trace.input, { q: "hi" });
  assert.equal(trace.output, null);
  check(traceTree(state), [{
    name: "failing_chain", type: "CHAIN", input: { q: "hi" }, level: "ERROR", status: "model overloaded (503)",
    children: [
      { name: "ChatPromptTemplate", type: "CHAIN", output: [{ role: "user", content: "hi" }] },
      {
        name: "ScriptedChatModel", type: "GENERATION", input: [{ role: "user", content: "hi" }],
        model: "fake-gpt-4o-mini", level: "ERROR", status: "model overloaded (503)",
      },
    ],
  }], "trace");
  const gen = Object.values(state.observations).find((o) => o.type === "GENERATION");
  assert.deepEqual(gen.costDetails, { total: 0 });
});

test("logEvent / logMetric arrive as an EVENT observation and scores of one trace", async () => {
  const client = new TracegateClient(rec.clientOptions);
  const handler = new TracegateCallbackHandler({ client, serviceName: "rag" });
  const traceId = handler.logEvent("retriever_search", { source: "pinecone", query: "q", hit_count: 3 });
  handler.logMetric("hit_rate", 0.75, { traceId });
  handler.logMetric("grounded", true, { traceId });
  handler.logMetric("verdict", "good", { traceId });
  const stats = await client.shutdown();
  assert.equal(stats.sent, 4, "one event and three scores: no Trace event");
  const state = await rec.waitFor({ traces: 1, observations: 1, scores: 3 });
  const trace = Object.values(state.traces)[0];
  assert.equal(trace.name, "retriever_search");
  assert.deepEqual(trace.tags, ["service:rag"]);
  assert.deepEqual(parentless(state).map((o) => o.type), ["EVENT"], "the event is the only root");
  const tree = traceTree(state);
  assert.equal(tree.length, 1);
  const [event] = tree;
  assert.equal(event.type, "EVENT");
  assert.deepEqual(event.input, { source: "pinecone", query: "q", hit_count: 3 });
  const scores = Object.values(state.scores).map((s) => [s.name, s.value, s.dataType, s.traceId === trace.id]);
  scores.sort();
  assert.deepEqual(scores, [["grounded", 1, "BOOLEAN", true], ["hit_rate", 0.75, "NUMERIC", true], ["verdict", "good", "CATEGORICAL", true]]);
});
