// TracegateClient against the real gateway and the Langfuse emulator: volume, outages,
// restart, shutdown and process-exit flushes, rejections.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as net from "net";
import * as path from "path";
import { TracegateClient } from "../src/index";
import type { TraceEvent } from "../src/proto";
import {
  Gateway, gatewayConfig, RecordingGateway, startEmulator, startGateway, startRecordingGateway, TEST_API_KEY,
  TEST_WORKSPACE,
} from "../src/testing";
import { CapturingLogger } from "./fakes";

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

const T0 = Math.floor(Date.now() / 1000);

function span(traceId: string, id: string): TraceEvent {
  return {
    observation: {
      id, traceId, type: "OBSERVATION_TYPE_SPAN", name: "work",
      startTime: { seconds: String(T0), nanos: 0 }, endTime: { seconds: String(T0), nanos: 1000 },
    },
  };
}

/** Spans received per request, summed: every span delivered exactly once means this equals
 *  the number sent (the emulator's store would hide duplicates, its request log does not). */
function spansReceived(state: { requests: Array<{ path: string; n_spans?: number; status: number }> }): number {
  return state.requests.filter((r) => r.status === 200).reduce((a, r) => a + (r.n_spans ?? 0), 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test("10,000 events from 4 concurrent producers arrive once each", async () => {
  const client = new TracegateClient({ ...rec.clientOptions, batchSize: 200, maxInFlight: 4 });
  const producers = [0, 1, 2, 3].map(async (p) => {
    for (let i = 0; i < 2500; i++) {
      assert.equal(client.enqueue(span(`trace-p${p}`, `p${p}-${i}`)), true);
      if (i % 50 === 49) await new Promise((r) => setImmediate(r)); // interleave producers
    }
  });
  await Promise.all(producers);
  assert.equal(await client.flush(60_000), true);
  const stats = await client.shutdown();
  assert.deepEqual({ sent: stats.sent, dropped: stats.dropped, rejected: stats.rejected }, { sent: 10_000, dropped: 0, rejected: 0 });
  const state = await rec.waitFor({ observations: 10_000 }, 60);
  assert.equal(state.counts.observations, 10_000);
  assert.equal(spansReceived(state), 10_000, "each span delivered once");
  for (let p = 0; p < 4; p++) {
    const ids = Object.values(state.observations).filter((o) => o.traceId === `trace-p${p}` || o.metadata?.tracegate_trace_id === `trace-p${p}`);
    assert.equal(ids.length, 2500, `producer ${p}`);
  }
});

test("gateway missing: host code runs on, one warning, counters say what was dropped", async () => {
  const log = new CapturingLogger();
  const client = new TracegateClient({
    endpoint: `127.0.0.1:${await freePort()}`, apiKey: TEST_API_KEY, workspace: TEST_WORKSPACE,
    flushOnExit: false, logger: log, maxQueueSize: 300, batchSize: 50, initialBackoffMs: 20, maxBackoffMs: 100,
    flushIntervalMs: 10,
  });
  let work = 0;
  for (let i = 0; i < 500; i++) {
    client.enqueue(span("t-down", `down-${i}`)); // never throws, never blocks
    work += i;
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20)); // let the client fail a few times
  }
  assert.equal(work, 124_750, "the host's own work is unaffected");
  assert.equal(await client.flush(300), false, "nothing can be delivered");
  const stats = await client.shutdown(100);
  assert.equal(stats.sent, 0);
  assert.equal(stats.dropped, 500, "queue-full drops + shutdown drops"); // at most 300 queued + 2x50 in flight
  assert.equal(stats.pending, 0);
  const warnings = log.lines.filter((l) => l.includes("unavailable"));
  assert.equal(warnings.length, 1, log.lines.join("\n"));
  assert.equal(log.lines.filter((l) => l.includes("queue full")).length, 1);
});

test("gateway restart: delivery resumes with the buffered events", async () => {
  const log = new CapturingLogger();
  const client = new TracegateClient({ ...rec.clientOptions, logger: log, initialBackoffMs: 50, maxBackoffMs: 200, flushIntervalMs: 10 });
  for (let i = 0; i < 100; i++) client.enqueue(span("t-restart", `before-${i}`));
  assert.equal(await client.flush(15_000), true);
  await rec.gateway.stop();
  for (let i = 0; i < 200; i++) client.enqueue(span("t-restart", `during-${i}`));
  assert.equal(await client.flush(500), false, "gateway is down");
  await rec.restartGateway();
  assert.equal(await client.flush(30_000), true, "delivery resumed");
  const stats = await client.shutdown();
  assert.equal(stats.sent, 300);
  assert.equal(stats.dropped, 0);
  const state = await rec.waitFor({ observations: 300 }, 30);
  assert.equal(state.counts.observations, 300);
  assert.equal(log.lines.filter((l) => l.includes("unavailable")).length, 1, log.lines.join("\n"));
});

test("shutdown flushes what is buffered", async () => {
  const client = new TracegateClient({ ...rec.clientOptions, batchSize: 1000, flushIntervalMs: 60_000 });
  for (let i = 0; i < 500; i++) client.enqueue(span("t-shutdown", `s-${i}`));
  const stats = await client.shutdown(15_000);
  assert.equal(stats.sent, 500);
  const state = await rec.waitFor({ observations: 500 });
  assert.equal(state.counts.observations, 500);
});

test("a Node process that just ends flushes at exit (config from the environment)", async () => {
  const index = path.resolve(__dirname, "..", "src", "index.js");
  const script = `
    const { TracegateClient } = require(${JSON.stringify(index)});
    const c = new TracegateClient({ flushIntervalMs: 60000 });
    for (let i = 0; i < 50; i++) c.enqueue({ trace: { id: "exit-" + i, name: "at-exit" } });
    console.log("enqueued");`;
  const child = spawn(process.execPath, ["-e", script], {
    env: { ...process.env, TRACEGATE_ENDPOINT: rec.endpoint, TRACEGATE_API_KEY: TEST_API_KEY,
           TRACEGATE_WORKSPACE: TEST_WORKSPACE, APP_ENV: "exit-test" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  assert.equal(code, 0, out);
  const state = await rec.waitFor({ traces: 50 });
  assert.equal(state.counts.traces, 50);
  assert.ok(Object.values(state.traces).every((t) => t.environment === "exit-test" && t.name === "at-exit"));
});

test("REJECTED events are counted and logged once, valid ones in the batch arrive", async () => {
  const log = new CapturingLogger();
  const client = new TracegateClient({ ...rec.clientOptions, logger: log });
  const bad = (i: number): TraceEvent => ({
    observation: {
      id: `bad-${i}`, traceId: "t-bad", type: "OBSERVATION_TYPE_SPAN", name: "bad",
      startTime: { seconds: String(T0), nanos: 0 }, endTime: { seconds: String(T0 - 10), nanos: 0 },
    },
  });
  client.enqueue(bad(1));
  client.enqueue(span("t-bad", "good-1"));
  client.enqueue(bad(2));
  const stats = await client.shutdown(15_000);
  assert.equal(stats.rejected, 2);
  assert.equal(stats.sent, 1);
  const rejectedLines = log.lines.filter((l) => l.includes("REJECTED"));
  assert.equal(rejectedLines.length, 1, log.lines.join("\n"));
  assert.match(rejectedLines[0], /INVALID_ARGUMENT: .*end_time/);
  const state = await rec.waitFor({ observations: 1 });
  assert.equal(state.counts.observations, 1);
});

test("wrong API key: one warning, events dropped, the host never sees an error", async () => {
  const log = new CapturingLogger();
  const client = new TracegateClient({ ...rec.clientOptions, apiKey: "tg_wrong", logger: log });
  for (let i = 0; i < 20; i++) client.enqueue(span("t-key", `k-${i}`));
  await client.flush(10_000);
  for (let i = 0; i < 5; i++) client.enqueue(span("t-key", `k2-${i}`));
  const stats = await client.shutdown(1000);
  assert.equal(stats.dropped, 25);
  assert.equal(stats.sent, 0);
  assert.equal(log.lines.length, 1, log.lines.join("\n"));
  assert.match(log.lines[0], /UNAUTHENTICATED/);
});

test("20 events of 900 KB and a lone surrogate all arrive; the client stays on", async () => {
  // 18 MB in one request was refused by gRPC (16 MiB) and retried forever; a lone
  // surrogate was encoded as invalid UTF-8, refused UNIMPLEMENTED, and turned tracing off.
  const log = new CapturingLogger();
  const client = new TracegateClient({ ...rec.clientOptions, logger: log, flushIntervalMs: 10 });
  for (let i = 0; i < 20; i++) {
    const e = span("t-big", `big-${i}`);
    e.observation!.input = { text: "x".repeat(900_000) };
    assert.equal(client.enqueue(e), true);
  }
  const half = "hi 😀".slice(0, 4);
  client.enqueue({ observation: { ...span("t-big", "surrogate").observation, name: half, input: { text: half } } });
  assert.equal(await client.flush(60_000), true);
  const stats = await client.shutdown();
  assert.deepEqual({ sent: stats.sent, dropped: stats.dropped, rejected: stats.rejected }, { sent: 21, dropped: 0, rejected: 0 });
  assert.deepEqual(log.lines, []);
  const state = await rec.waitFor({ observations: 21 }, 60);
  const names = Object.values(state.observations).map((o) => o.name);
  assert.ok(names.includes("hi \uFFFD"), JSON.stringify(names));
});

test("appId becomes the trace's app:<id> tag and metadata app_id (enrichment on)", async () => {
  // The shared recorder turns enrichment off; this test runs its own gateway with it on.
  const emulator = await startEmulator();
  let gateway: Gateway | undefined;
  try {
    const config = gatewayConfig(emulator.url).replace("enrich: false", "enrich: true");
    assert.ok(config.includes("enrich: true"));
    gateway = await startGateway(config);
    const client = new TracegateClient({
      endpoint: gateway.endpoint, apiKey: TEST_API_KEY, workspace: TEST_WORKSPACE, flushOnExit: false,
      appId: "checkout-web",
    });
    assert.equal(client.enqueue({ trace: { id: "trace-app-id", name: "app-id-trace" } }), true);
    assert.equal(await client.flush(30_000), true);
    const stats = await client.shutdown();
    assert.equal(stats.sent, 1);
    const state = await emulator.waitFor({ traces: 1 }, 30);
    const traces = Object.values(state.traces) as Array<{ tags: string[]; metadata: Record<string, unknown> }>;
    assert.equal(traces.length, 1);
    assert.ok(traces[0].tags.includes("app:checkout-web"), JSON.stringify(traces[0]));
    assert.equal(traces[0].metadata.app_id, "checkout-web");
  } finally {
    await gateway?.stop();
    await emulator.stop();
  }
});
