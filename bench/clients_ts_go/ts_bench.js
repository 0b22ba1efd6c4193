#!/usr/bin/env node
// Time the TypeScript client adds to the caller per traced LLM call (µs).
//   node bench/clients_ts_go/ts_bench.js [calls=20000] [rounds=5]
// Needs `npm run build` in clients/typescript and a built gateway (TRACEGATE_BUILD_DIR).
// A chat model call (FakeListChatModel + usage, from clients/typescript/test/fakes.ts) is
// timed three ways, interleaved per round: no callbacks; a no-op BaseCallbackHandler
// (LangChain's own callback cost); TracegateCallbackHandler sending to the real gateway
// (+ Langfuse emulator), each traced round ending with a flush. Node runs the client's
// background sending on the caller's thread, so the honest figure is the process's CPU time
// per call (process.cpuUsage: handler + serialisation + gRPC), not the wall time, which
// also contains waiting for the gateway's acks during the flush.
"use strict";
const path = require("path");
const { createRequire } = require("module");

const TS = path.resolve(__dirname, "..", "..", "clients", "typescript");
const req = createRequire(path.join(TS, "package.json"));
const { TracegateClient } = req("./dist/src/index.js");
const { TracegateCallbackHandler } = req("./dist/src/langchain.js");
const { startRecordingGateway } = req("./dist/src/testing.js");
const { ScriptedChatModel } = req("./dist/test/fakes.js");
const { BaseCallbackHandler } = req("@langchain/core/callbacks/base");
const { HumanMessage, SystemMessage } = req("@langchain/core/messages");

const CALLS = Number(process.argv[2] ?? 20000);
const ROUNDS = Number(process.argv[3] ?? 5);

class NoopHandler extends BaseCallbackHandler {
  name = "noop";
  constructor() {
    super();
    this.awaitHandlers = true;
  }
  handleChatModelStart() {}
  handleLLMEnd() {}
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs n calls (then `after`, e.g. a flush); returns wall and process CPU µs per call. */
async function timeCalls(model, messages, callbacks, n, after) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await model.invoke(messages, callbacks ? { callbacks } : undefined);
  if (after) await after();
  const cpu = process.cpuUsage(c0);
  return { wall: Number(process.hrtime.bigint() - t0) / 1e3 / n, cpu: (cpu.user + cpu.system) / n };
}

async function main() {
  const rec = await startRecordingGateway();
  try {
    const model = new ScriptedChatModel({
      scripts: [{ text: "It forwards traces.", usage: { input_tokens: 30, output_tokens: 5, total_tokens: 35 } }],
    });
    const messages = [new SystemMessage("Answer from the context: Tracegate forwards traces."),
      new HumanMessage("What does Tracegate do?")];
    const client = new TracegateClient({ ...rec.clientOptions, maxQueueSize: 1_000_000 });
    const traced = new TracegateCallbackHandler({ client, serviceName: "bench" });
    const noop = new NoopHandler();
    const flush = () => client.flush(300_000);
    for (let w = 0; w < 3; w++) { // warm-up (JIT)
      await timeCalls(model, messages, undefined, 3000);
      await timeCalls(model, messages, [noop], 3000);
      await timeCalls(model, messages, [traced], 3000, flush);
    }
    const r = { none: [], noop: [], traced: [] };
    for (let round = 0; round < ROUNDS; round++) {
      r.none.push(await timeCalls(model, messages, undefined, CALLS));
      r.noop.push(await timeCalls(model, messages, [noop], CALLS));
      r.traced.push(await timeCalls(model, messages, [traced], CALLS, flush));
    }
    const stats = await client.shutdown(60_000);
    const med = (k, f) => +median(r[k].map((x) => x[f])).toFixed(2);
    const out = {
      calls_per_round: CALLS, rounds: ROUNDS, events_per_call: 2,
      cpu_us_per_call: { no_callbacks: med("none", "cpu"), noop_handler: med("noop", "cpu"), tracegate_incl_flush: med("traced", "cpu") },
      wall_us_per_call: { no_callbacks: med("none", "wall"), noop_handler: med("noop", "wall"), tracegate_incl_flush: med("traced", "wall") },
      added_cpu_us_vs_noop_handler: +(med("traced", "cpu") - med("noop", "cpu")).toFixed(2),
      added_cpu_us_vs_no_callbacks: +(med("traced", "cpu") - med("none", "cpu")).toFixed(2),
      client: stats,
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await rec.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
