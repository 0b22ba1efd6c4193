// TracegateClient against a scripted gateway (no network): batching, per-event results,
// retries, misconfiguration, bounds, flush and shutdown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TracegateClient, resolveOptions, sanitizeEnvironment } from "../src/index";
import type { TraceEvent, IngestRequest } from "../src/proto";
import { FakeGateway, CapturingLogger, acceptAll, callError, status } from "./fakes";

function span(i: number): TraceEvent {
  return {
    observation: {
      id: `obs-${i}`, traceId: "t-1", type: "OBSERVATION_TYPE_SPAN", name: `step-${i}`,
      startTime: { seconds: "1700000000", nanos: 0 },
    },
  };
}

function client(gw: FakeGateway, logger: CapturingLogger, extra = {}) {
  return new TracegateClient({
    apiKey: "k", workspace: "ws", flushOnExit: false, logger, initialBackoffMs: 1,
    maxBackoffMs: 5, flushIntervalMs: 10_000, ...extra,
  }, gw);
}

test("batches events, fills ids and timestamps, counts sent", async () => {
  const gw = new FakeGateway();
  const log = new CapturingLogger();
  const c = client(gw, log, { batchSize: 100 });
  for (let i = 0; i < 250; i++) assert.equal(c.enqueue(span(i)), true);
  assert.equal(await c.flush(5000), true);
  const stats = await c.shutdown();
  assert.deepEqual({ ...stats }, { sent: 250, duplicate: 0, dropped: 0, rejected: 0, retries: 0, pending: 0 });
  assert.ok(gw.requests.every((r) => (r.events ?? []).length <= 100));
  assert.ok(gw.requests.every((r) => r.defaultWorkspace === "ws"));
  const ids = gw.events().map((e) => e.eventId);
  assert.equal(new Set(ids).size, 250);
  assert.ok(gw.events().every((e) => e.timestamp && Number(e.timestamp.seconds) > 1_700_000_000));
  assert.deepEqual(log.lines, []);
});

test("transient failures are retried with the same event ids; one warning", async () => {
  const gw = new FakeGateway((req, n) => (n <= 3 ? callError(status.UNAVAILABLE, "connect failed") : acceptAll(req)));
  const log = new CapturingLogger();
  const c = client(gw, log, { maxInFlight: 1 });
  for (let i = 0; i < 5; i++) c.enqueue(span(i));
  assert.equal(await c.flush(5000), true);
  assert.equal(gw.requests.length, 4);
  const first = gw.requests[0].events!.map((e) => e.eventId);
  for (const r of gw.requests) assert.deepEqual(r.events!.map((e) => e.eventId), first);
  const s = c.stats();
  assert.equal(s.sent, 5);
  assert.equal(s.retries, 15);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0], /unavailable \(UNAVAILABLE\)/);
  await c.shutdown();
});

test("REJECTED is counted, logged once per reason, never resent", async () => {
  const gw = new FakeGateway((req: IngestRequest) => ({
    ...acceptAll(req),
    results: (req.events ?? []).map((e, i) => (i % 2 === 0
      ? { eventId: e.eventId!, status: "EVENT_STATUS_REJECTED", code: 3, reason: "observation.name: required", retryAfter: null }
      : { eventId: e.eventId!, status: "EVENT_STATUS_DUPLICATE", code: 0, reason: "", retryAfter: null })),
  }));
  const log = new CapturingLogger();
  const c = client(gw, log);
  for (let i = 0; i < 10; i++) c.enqueue(span(i));
  await c.flush(5000);
  const s = await c.shutdown();
  assert.equal(s.rejected, 5);
  assert.equal(s.sent, 5);
  assert.equal(s.duplicate, 5);
  assert.equal(gw.events().length, 10, "nothing resent");
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0], /REJECTED INVALID_ARGUMENT: observation.name: required \(not retried\)/);
});

test("retryable rejections are resent with the same id after retry_after", async () => {
  const gw = new FakeGateway((req, n) => ({
    ...acceptAll(req),
    results: (req.events ?? []).map((e) => (n === 1 && e.eventId === "e-1"
      ? { eventId: "e-1", status: "EVENT_STATUS_REJECTED", code: status.RESOURCE_EXHAUSTED, reason: "queue full", retryAfter: { seconds: "0", nanos: 1_000_000 } }
      : { eventId: e.eventId!, status: "EVENT_STATUS_ACCEPTED", code: 0, reason: "", retryAfter: null })),
  }));
  const log = new CapturingLogger();
  const c = client(gw, log);
  c.enqueue({ ...span(0), eventId: "e-0" });
  c.enqueue({ ...span(1), eventId: "e-1" });
  await c.flush(5000);
  assert.equal(gw.requests.length, 2);
  assert.deepEqual(gw.requests[1].events!.map((e) => e.eventId), ["e-1"]);
  assert.equal(c.stats().sent, 2);
  assert.equal(c.stats().rejected, 0);
  await c.shutdown();
});

test("misconfigured (UNAUTHENTICATED): one warning, batches dropped, then quiet", async () => {
  const gw = new FakeGateway(() => callError(status.UNAUTHENTICATED, "unknown API key"));
  const log = new CapturingLogger();
  const c = client(gw, log, { maxInFlight: 1 });
  for (let i = 0; i < 7; i++) c.enqueue(span(i));
  await c.flush(5000);
  for (let i = 0; i < 3; i++) assert.equal(c.enqueue(span(i)), false);
  const s = await c.shutdown();
  assert.equal(s.dropped, 10);
  assert.equal(s.sent, 0);
  assert.equal(gw.requests.length, 1);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0], /UNAUTHENTICATED/);
});

test("no API key: one warning at start, events dropped, no calls", async () => {
  const log = new CapturingLogger();
  const c = new TracegateClient({ apiKey: "", endpoint: "127.0.0.1:1", flushOnExit: false, logger: log });
  assert.equal(c.enqueue(span(0)), false);
  const s = await c.shutdown();
  assert.equal(s.dropped, 1);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0], /no API key/);
});

test("bounded queue: drops beyond maxQueueSize while the gateway hangs; shutdown drops the rest", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const gw = new FakeGateway(async (req) => {
    await gate;
    return acceptAll(req);
  });
  const log = new CapturingLogger();
  const c = client(gw, log, { maxQueueSize: 10, batchSize: 5, maxInFlight: 1 });
  let accepted = 0;
  for (let i = 0; i < 30; i++) if (c.enqueue(span(i))) accepted++;
  // 5 are in flight after the first take at most; the queue holds at most 10 more.
  assert.ok(accepted <= 15 && accepted >= 10, `accepted ${accepted}`);
  assert.equal(c.stats().dropped, 30 - accepted);
  assert.equal(log.lines.filter((l) => l.includes("queue full")).length, 1);
  const stats = await c.shutdown(50); // gateway still hanging: nothing can be delivered
  release();
  assert.equal(stats.sent, 0);
  assert.equal(stats.dropped, 30);
  assert.equal(stats.pending, 0);
  assert.equal(gw.closed, 1);
});

test("flush times out (false) while the gateway is down, events stay buffered", async () => {
  let up = false;
  const gw = new FakeGateway((req) => (up ? acceptAll(req) : callError(status.UNAVAILABLE)));
  const log = new CapturingLogger();
  const c = client(gw, log);
  for (let i = 0; i < 20; i++) c.enqueue(span(i));
  assert.equal(await c.flush(50), false);
  assert.equal(c.stats().pending, 20);
  up = true;
  assert.equal(await c.flush(5000), true);
  assert.equal(c.stats().sent, 20);
  await c.shutdown();
});

test("a partial batch goes out after flushIntervalMs without flush()", async () => {
  const gw = new FakeGateway();
  const c = client(gw, new CapturingLogger(), { flushIntervalMs: 20 });
  c.enqueue(span(0));
  for (let i = 0; i < 200 && gw.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(gw.requests.length, 1);
  await c.shutdown();
});

test("enqueue never throws and the environment is stamped on events that have none", async () => {
  const gw = new FakeGateway();
  const c = client(gw, new CapturingLogger(), { environment: "Staging" });
  assert.equal(c.enqueue(null as unknown as TraceEvent), false);
  c.enqueue({ trace: { id: "t" } });
  c.enqueue({ trace: { id: "t2", environment: "prod" } });
  await c.shutdown();
  assert.deepEqual(gw.events().map((e) => e.trace!.environment), ["staging", "prod"]);
  assert.equal(c.enqueue(span(1)), false, "closed client drops");
});

test("options come from the environment; arguments win", () => {
  const env = {
    TRACEGATE_ENDPOINT: "gw:443", TRACEGATE_API_KEY: "tg_x", TRACEGATE_WORKSPACE: "team",
    APP_ENV: "prod", TRACEGATE_CA_FILE: "/ca.pem",
  };
  const o = resolveOptions({}, env);
  assert.equal(o.endpoint, "gw:443");
  assert.equal(o.apiKey, "tg_x");
  assert.equal(o.workspace, "team");
  assert.equal(o.environment, "prod");
  assert.deepEqual(o.tls, { caFile: "/ca.pem", certFile: undefined, keyFile: undefined });
  assert.equal(resolveOptions({ workspace: "w", tls: false }, env).workspace, "w");
  assert.equal(resolveOptions({ tls: false }, env).tls, undefined);
  assert.equal(resolveOptions({}, { TRACEGATE_TLS: "1" }).tls !== undefined, true);
  assert.equal(resolveOptions({}, {}).endpoint, "127.0.0.1:50051");
  assert.equal(sanitizeEnvironment("langfuse-x"), "");
  assert.equal(sanitizeEnvironment("Bad Env"), "");
});
