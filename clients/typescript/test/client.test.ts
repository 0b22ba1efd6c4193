// TracegateClient against a scripted gateway (no network): batching, per-event results,
// retries, misconfiguration, bounds, flush and shutdown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TracegateClient, resolveOptions, sanitizeEnvironment, loadProtos, toStruct } from "../src/index";
import { replaceLoneSurrogates, wellFormed } from "../src/wellformed";
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

test("appId (else TRACEGATE_APP_ID) is sent on every request", async () => {
  assert.equal(resolveOptions({}, { TRACEGATE_APP_ID: "from-env" }).appId, "from-env");
  assert.equal(resolveOptions({ appId: "arg" }, { TRACEGATE_APP_ID: "from-env" }).appId, "arg");
  const gw = new FakeGateway();
  const log = new CapturingLogger();
  const c = client(gw, log, { batchSize: 2, appId: "checkout-web" });
  for (let i = 0; i < 5; i++) c.enqueue(span(i));
  assert.equal(await c.flush(5000), true);
  await c.shutdown();
  assert.equal(gw.requests.length, 3);
  assert.ok(gw.requests.every((r) => r.appId === "checkout-web"));
  assert.deepEqual(log.lines, []);
});

test("an appId the gateway would refuse is logged once and not sent", async () => {
  for (const bad of ["a\nb", "x".repeat(201), "é".repeat(101)]) {
    const gw = new FakeGateway();
    const log = new CapturingLogger();
    const c = client(gw, log, { batchSize: 1, appId: bad });
    c.enqueue(span(1));
    c.enqueue(span(2));
    assert.equal(await c.flush(5000), true);
    await c.shutdown();
    assert.equal(gw.requests.length, 2);
    assert.ok(gw.requests.every((r) => !r.appId));
    assert.equal(log.lines.filter((l) => l.includes("appId")).length, 1);
  }
  const gw = new FakeGateway();
  const c = client(gw, new CapturingLogger(), { appId: "é".repeat(100) }); // 200 bytes: fine
  c.enqueue(span(1));
  assert.equal(await c.flush(5000), true);
  await c.shutdown();
  assert.equal(gw.requests[0].appId, "é".repeat(100));
});

// --- requests cut by size, too large, lone surrogates, calls refused for one event --------

/** The encoded size of a request, as the real gateway would receive it. */
function encodedBytes(req: IngestRequest): number {
  return loadProtos().tracegate.v1.IngestService.service.Ingest.requestSerialize(req).length;
}

/** Answers like gRPC with a receive limit of `limit` bytes; records the encoded sizes and
 *  the observation ids of the requests it takes. */
function limitedGateway(limit: number, sizes: number[], taken: string[] = []): FakeGateway {
  return new FakeGateway((req) => {
    const n = encodedBytes(req);
    if (n > limit) return callError(status.RESOURCE_EXHAUSTED, `Received message larger than max (${n} vs. ${limit})`);
    sizes.push(n);
    for (const e of req.events ?? []) taken.push(e.observation?.id ?? "");
    return acceptAll(req);
  });
}

function bigSpan(i: number, bytes: number): TraceEvent {
  const e = span(i);
  e.observation!.input = { text: "x".repeat(bytes) };
  return e;
}

test("requests are cut by maxBatchBytes: 20 events of 900 KB reach a 16 MiB gateway", async () => {
  // In one request they made 18 MB, refused by gRPC and retried forever.
  const sizes: number[] = [];
  const gw = limitedGateway(16 << 20, sizes);
  const log = new CapturingLogger();
  const c = client(gw, log, { flushIntervalMs: 10 });
  for (let i = 0; i < 20; i++) assert.equal(c.enqueue(bigSpan(i, 900_000)), true);
  assert.equal(await c.flush(10_000), true);
  const s = await c.shutdown();
  assert.deepEqual({ sent: s.sent, dropped: s.dropped, retries: s.retries }, { sent: 20, dropped: 0, retries: 0 });
  assert.equal(sizes.length, gw.requests.length, "no request refused");
  assert.ok(sizes.length >= 5 && Math.max(...sizes) <= 4 << 20, `sizes ${sizes}`);
  assert.deepEqual(log.lines, []);
});

test("maxBatchBytes is an option", async () => {
  const sizes: number[] = [];
  const gw = limitedGateway(16 << 20, sizes);
  const c = client(gw, new CapturingLogger(), { maxBatchBytes: 100_000 });
  for (let i = 0; i < 10; i++) c.enqueue(bigSpan(i, 30_000));
  assert.equal(await c.flush(5000), true);
  assert.equal((await c.shutdown()).sent, 10);
  assert.ok(sizes.length >= 4 && Math.max(...sizes) <= 100_000, `sizes ${sizes}`);
});

test("a request refused as too large is split; a single oversized event is dropped, counted, logged once", async () => {
  const sizes: number[] = [];
  const taken: string[] = [];
  const gw = limitedGateway(1 << 20, sizes, taken); // its limit is below maxBatchBytes
  const log = new CapturingLogger();
  const c = client(gw, log, { maxBatchBytes: 64 << 20, maxInFlight: 1 });
  for (let i = 0; i < 10; i++) {
    c.enqueue(bigSpan(i, 200_000));
    if (i === 4) c.enqueue(bigSpan(99, 1_500_000));
    if (i === 7) c.enqueue(bigSpan(98, 1_200_000));
  }
  assert.equal(await c.flush(10_000), true);
  assert.equal(c.enqueue(span(50)), true, "the client stays on");
  assert.equal(await c.flush(5000), true);
  const s = await c.shutdown();
  assert.deepEqual({ sent: s.sent, dropped: s.dropped, rejected: s.rejected, pending: s.pending },
    { sent: 11, dropped: 2, rejected: 0, pending: 0 });
  const want = [...Array.from({ length: 10 }, (_, i) => `obs-${i}`), "obs-50"];
  assert.deepEqual([...taken].sort(), want.sort(), "each other event delivered once");
  assert.equal(log.lines.length, 1, log.lines.join("\n"));
  assert.match(log.lines[0], /refused an event .*RESOURCE_EXHAUSTED: Received message larger than max/);
});

test("lone surrogates are replaced with U+FFFD before encoding (values and keys)", async () => {
  const half = "hi 😀".slice(0, 4);
  const gw = new FakeGateway((req) => {
    // The gateway's parser refuses invalid UTF-8: check the bytes the client would send.
    const bytes = loadProtos().tracegate.v1.IngestService.service.Ingest.requestSerialize(req);
    return bytes.includes(Buffer.from([0xed, 0xa0, 0xbd])) ? callError(status.UNIMPLEMENTED, "") : acceptAll(req);
  });
  const log = new CapturingLogger();
  const c = client(gw, log);
  c.enqueue({
    observation: {
      id: "o", traceId: "t" + half, type: "OBSERVATION_TYPE_SPAN", name: half,
      startTime: { seconds: "1700000000", nanos: 0 }, input: { text: half },
      metadata: toStruct({ [half]: [half, { k: "\uDE00x" }] }),
      trace: { tags: [half, "ok"] },
    },
  });
  c.enqueue({ trace: { id: "t2", name: "pair \uD83D\uDE00 kept" } });
  assert.equal(await c.flush(5000), true);
  const s = await c.shutdown();
  assert.deepEqual({ sent: s.sent, dropped: s.dropped }, { sent: 2, dropped: 0 });
  const [o, t] = gw.events();
  assert.equal(o.observation!.name, "hi \uFFFD");
  assert.equal(o.observation!.traceId, "thi \uFFFD");
  assert.equal(o.observation!.input!.text, "hi \uFFFD");
  assert.deepEqual(o.observation!.trace!.tags, ["hi \uFFFD", "ok"]);
  const meta = o.observation!.metadata!.fields!;
  assert.deepEqual(Object.keys(meta), ["hi \uFFFD"]);
  const list = meta["hi \uFFFD"].listValue!.values!;
  assert.equal(list[0].stringValue, "hi \uFFFD");
  assert.equal(list[1].structValue!.fields!.k.stringValue, "\uFFFDx");
  assert.equal(t.trace!.name, "pair 😀 kept");
  assert.deepEqual(log.lines, []);
});

test("replaceLoneSurrogates (used where String.prototype.toWellFormed is missing)", () => {
  const cases: Array<[string, string]> = [
    ["a\uD83D", "a\uFFFD"], ["\uDE00b", "\uFFFDb"], ["a\uD83D\uDE00b", "a\uD83D\uDE00b"],
    ["\uDE00\uD83D", "\uFFFD\uFFFD"], ["\uD83D\uD83D\uDE00", "\uFFFD\uD83D\uDE00"], ["plain", "plain"], ["", ""],
  ];
  for (const [input, want] of cases) {
    assert.equal(replaceLoneSurrogates(input), want, JSON.stringify(input));
    assert.equal(wellFormed(input), want);
  }
  const units = ["a", "\uD83D", "\uDE00", "é", "\uDBFF", "\uDC00"];
  for (let n = 0; n < 2000; n++) {
    let s = "";
    for (let i = 0; i < 6; i++) s += units[(n * 7 + i * 13 + (n >> i)) % units.length];
    assert.equal(Buffer.from(replaceLoneSurrogates(s), "utf8").toString("utf8"), replaceLoneSurrogates(s));
    const native = (s as unknown as { toWellFormed?: () => string }).toWellFormed;
    if (native) assert.equal(replaceLoneSurrogates(s), native.call(s), JSON.stringify(s));
  }
});

test("a call refused for one event (UNIMPLEMENTED) loses only that event; the client stays on", async () => {
  const bad = (req: IngestRequest) => (req.events ?? []).some((e) => e.observation?.name === "bad");
  const gw = new FakeGateway((req) => (bad(req) ? callError(status.UNIMPLEMENTED, "") : acceptAll(req)));
  const log = new CapturingLogger();
  const c = client(gw, log, { maxInFlight: 1 });
  for (let i = 0; i < 10; i++) {
    const e = span(i);
    if (i === 6) e.observation!.name = "bad";
    c.enqueue(e);
  }
  assert.equal(await c.flush(5000), true);
  assert.equal(c.enqueue(span(10)), true, "not turned off");
  assert.equal(await c.flush(5000), true);
  const s = await c.shutdown();
  assert.deepEqual({ sent: s.sent, dropped: s.dropped, pending: s.pending }, { sent: 10, dropped: 1, pending: 0 });
  assert.ok(gw.requests.length <= 10, `${gw.requests.length} calls`); // bisected, not one by one
  assert.equal(log.lines.length, 1, log.lines.join("\n"));
  assert.match(log.lines[0], /refused an event .*UNIMPLEMENTED/);
  assert.doesNotMatch(log.lines[0], /tracing is off/);
});
