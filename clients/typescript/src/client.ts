// TracegateClient: a batching, never-blocking, never-throwing client for the gateway.
//
//   const tg = new TracegateClient();           // config from TRACEGATE_* / APP_ENV
//   tg.enqueue({ trace: { id: "t1", name: "hello" } });
//   await tg.shutdown();                        // or let the process exit: it flushes
//
// Contract
// - enqueue() only appends to a bounded in-memory queue: no I/O, no exception. When the
//   queue is full (maxQueueSize) or the client is shut down, the event is dropped, counted
//   in stats().dropped, and one warning is logged per episode.
// - Background workers (maxInFlight) send batches of up to batchSize events and at most
//   maxBatchBytes (4 MiB) of them with the unary Ingest RPC, at once when a batch is full,
//   else after flushIntervalMs. Strings are made well-formed first (a lone surrogate
//   becomes U+FFFD): protobuf would write bytes that are not UTF-8, which the gateway's
//   gRPC cannot decode, refusing the whole call.
// - Per-event results: ACCEPTED and DUPLICATE count as sent; REJECTED with a retryable
//   code (UNAVAILABLE, RESOURCE_EXHAUSTED) is resent with the same event_id after its
//   retry_after; any other REJECTED is counted, logged once per distinct code+reason, and
//   never resent.
// - Gateway unreachable (UNAVAILABLE, DEADLINE_EXCEEDED, ...): the batch is retried with
//   the same event ids (the gateway dedupes) and exponential backoff; one warning per
//   outage, then quiet until delivery resumes. Events keep queueing up to the bound.
// - A call refused for something one event can cause (RESOURCE_EXHAUSTED "message larger
//   than max", INVALID_ARGUMENT, UNIMPLEMENTED: bytes it cannot decode, PERMISSION_DENIED: a
//   workspace the key may not write, FAILED_PRECONDITION, OUT_OF_RANGE): the batch is split
//   in halves, each sent on its own, so only the events at fault are lost; a single event
//   refused so is dropped and counted, one warning per status code. The client stays on.
// - Misconfigured (no API key, UNAUTHENTICATED, TLS files or endpoint that make no
//   channel): one warning; tracing is off, events are dropped and counted.
// - flush() resolves when everything enqueued so far is settled (or false on timeout);
//   shutdown() flushes with a deadline, drops what is left (counted) and closes the channel.
//   With flushOnExit the client flushes on Node's 'beforeExit'.
// Ownership: the client owns an event once enqueued (it may fill in event_id, timestamp,
// environment, and replace lone surrogates in its strings); do not modify it afterwards.
import { randomUUID } from "crypto";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { ClientOptions, requestValueProblem, ResolvedOptions, resolveOptions } from "./config";
import { GrpcTransport, Transport, CallError } from "./transport";
import { toTimestamp } from "./struct";
import { prepareEvent } from "./wellformed";
import type { TraceEvent, IngestResponse } from "./proto";

export interface ClientStats {
  /** Events the gateway answered ACCEPTED or DUPLICATE. */
  sent: number;
  /** Of those, DUPLICATE (already delivered, e.g. by an earlier attempt). */
  duplicate: number;
  /** Events dropped by the client: queue full, misconfiguration, shutdown deadline. */
  dropped: number;
  /** Events the gateway answered REJECTED (not retryable). */
  rejected: number;
  /** Batch or event resends (transient failures, retryable rejections). */
  retries: number;
  /** Events waiting or in flight. */
  pending: number;
}

const RETRYABLE_REJECT = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED]);
/** Call failures that the content of a batch may cause: the batch is split (see split()). */
const REFUSED_CALL = new Set([
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.UNIMPLEMENTED,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.OUT_OF_RANGE,
]);
const CODE_NAMES = Object.fromEntries(
  Object.entries(GrpcStatus).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, k]),
) as Record<number, string>;

export function codeName(code: number | undefined): string {
  return code === undefined ? "UNKNOWN" : (CODE_NAMES[code] ?? String(code));
}

/** A batch being delivered; `events` shrinks to what is still unsettled. */
interface Batch {
  events: TraceEvent[];
  abandoned: boolean;
}

export class TracegateClient {
  readonly options: ResolvedOptions;
  private readonly transport: Transport;
  private queue: TraceEvent[] = [];
  private head = 0;
  private oldestAt = 0;
  private readonly active = new Set<Batch>();
  private batchSeq = 0;
  private counters = { sent: 0, duplicate: 0, dropped: 0, rejected: 0, retries: 0 };
  private closed = false; // no more enqueue
  private stopped = false; // workers exit, leftovers dropped
  private urgent = 0; // > 0 while a flush waits: send partial batches at once
  private wakers: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private down = false; // inside an outage (warned)
  private queueFullWarned = false;
  private misconfigWarned = false;
  private readonly rejectLogged = new Set<string>();
  private readonly refusedLogged = new Set<number>();
  /** Upper bound of each event's encoded size, measured once when it is first batched. */
  private readonly sizes = new WeakMap<TraceEvent, number>();
  private sizeCut = false; // the last batch was cut by maxBatchBytes
  private workers: Promise<void>[] = [];
  private readonly onBeforeExit = () => this.exitFlush();
  private exitFlushing = false;

  constructor(options: ClientOptions = {}, transport?: Transport) {
    this.options = resolveOptions(options);
    const appIdProblem = this.options.appId ? requestValueProblem(this.options.appId) : "";
    if (appIdProblem) {
      this.options.logger.warn(`appId (TRACEGATE_APP_ID) ${appIdProblem}; it is not sent`);
      this.options.appId = "";
    }
    this.transport = transport ?? new GrpcTransport(this.options);
    if (this.options.enabled && !this.options.apiKey && !transport) {
      this.warnMisconfigured("no API key (set TRACEGATE_API_KEY); events will be dropped");
    }
    for (let i = 0; i < this.options.maxInFlight; i++) {
      this.workers.push(this.worker().catch((e) => this.options.logger.warn(`worker stopped: ${e}`)));
    }
    if (this.options.flushOnExit) process.on("beforeExit", this.onBeforeExit);
  }

  /** Queues one event. Never throws, never blocks; false if it was dropped. */
  enqueue(event: TraceEvent): boolean {
    try {
      if (this.closed || !this.options.enabled || this.misconfigWarned) {
        this.counters.dropped++;
        return false;
      }
      if (this.queue.length - this.head >= this.options.maxQueueSize) {
        this.counters.dropped++;
        if (!this.queueFullWarned) {
          this.queueFullWarned = true;
          this.options.logger.warn(
            `queue full (${this.options.maxQueueSize} events): dropping events until it drains`,
          );
        }
        return false;
      }
      if (!event.eventId) event.eventId = randomUUID();
      if (!event.timestamp) event.timestamp = toTimestamp(Date.now());
      if (this.queue.length === this.head) this.oldestAt = Date.now();
      this.queue.push(event);
      const n = this.queue.length - this.head;
      if (n === 1 || n >= this.options.batchSize) this.wake();
      return true;
    } catch {
      this.counters.dropped++;
      return false;
    }
  }

  stats(): ClientStats {
    return { ...this.counters, pending: this.pendingCount() };
  }

  /** Resolves true once every event enqueued so far is settled, false after timeoutMs. */
  flush(timeoutMs = 30_000): Promise<boolean> {
    if (this.pendingCount() === 0) return Promise.resolve(true);
    this.urgent++;
    this.wake();
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.urgent--;
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.idleWaiters.push(() => finish(true));
    });
  }

  /** Stops accepting events, flushes for up to timeoutMs, drops the rest, closes. */
  async shutdown(timeoutMs = 5_000): Promise<ClientStats> {
    if (!this.closed) {
      this.closed = true;
      process.removeListener("beforeExit", this.onBeforeExit);
      await this.flush(timeoutMs);
      this.stopped = true;
      // Whatever is still queued or in flight is given up: counted as dropped now, and
      // the answers of calls still in flight are ignored.
      const left = this.pendingCount();
      for (const b of this.active) b.abandoned = true;
      this.active.clear();
      this.queue = [];
      this.head = 0;
      this.counters.dropped += left;
      if (left > 0) this.options.logger.warn(`shutdown: ${left} events not delivered in time, dropped`);
      this.wake();
      this.transport.close(); // cancels calls still in flight
    }
    return this.stats();
  }

  private pendingCount(): number {
    let n = this.queue.length - this.head;
    for (const b of this.active) n += b.events.length;
    return n;
  }

  private exitFlush(): void {
    if (this.exitFlushing || this.closed) return;
    if (this.pendingCount() === 0) {
      this.transport.close(); // an idle channel must not keep the process alive
      return;
    }
    this.exitFlushing = true;
    this.flush(this.options.exitFlushTimeoutMs).then((ok) => {
      this.exitFlushing = false;
      if (!ok) void this.shutdown(0);
      else this.transport.close();
    });
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  /** Waits for wake() or `ms` (an unref'd timer: it never keeps the process alive). */
  private sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.wakers.push(done);
      if (ms !== undefined) {
        timer = setTimeout(done, Math.max(0, ms));
        timer.unref();
      }
    });
  }

  /** The next batch: up to batchSize events, at most maxBatchBytes, at least one event. */
  private take(): TraceEvent[] {
    const limit = Math.min(this.queue.length, this.head + this.options.batchSize);
    let end = this.head;
    // default_workspace, batch_id, app_id
    let bytes = 64 + Buffer.byteLength(this.options.workspace) + Buffer.byteLength(this.options.appId);
    while (end < limit) {
      const n = this.eventBytes(this.queue[end]);
      if (end > this.head && bytes + n > this.options.maxBatchBytes) break;
      bytes += n;
      end++;
    }
    this.sizeCut = end < limit; // what is left makes a full batch: send it without waiting
    const batch = this.queue.slice(this.head, end);
    this.head = end;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.oldestAt = Date.now();
    return batch;
  }

  /** Makes the event's strings well-formed (once) and returns its size bound. */
  private eventBytes(event: TraceEvent): number {
    let n = this.sizes.get(event);
    if (n === undefined) {
      try {
        n = prepareEvent(event) + 64; // + the environment stamped later and the framing
      } catch {
        n = this.options.maxBatchBytes; // cannot measure it (a frozen object?): it goes alone
      }
      this.sizes.set(event, n);
    }
    return n;
  }

  private async worker(): Promise<void> {
    while (!this.stopped) {
      const waiting = this.queue.length - this.head;
      if (waiting === 0) {
        this.checkIdle();
        await this.sleep();
        continue;
      }
      if (waiting < this.options.batchSize && this.urgent === 0 && !this.closed && !this.sizeCut) {
        const due = this.oldestAt + this.options.flushIntervalMs - Date.now();
        if (due > 0) {
          await this.sleep(due);
          continue;
        }
      }
      const batch: Batch = { events: this.take(), abandoned: false };
      this.active.add(batch);
      try {
        await this.deliver(batch);
      } catch (e) {
        if (!batch.abandoned) {
          this.counters.dropped += batch.events.length; // a bug of ours must not stop the worker
          this.options.logger.warn(`internal error, ${batch.events.length} events dropped: ${e}`);
        }
      } finally {
        this.active.delete(batch);
      }
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.pendingCount() !== 0 || this.idleWaiters.length === 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Delivers one batch: retries transient failures until done, dropped or abandoned. */
  private async deliver(batch: Batch): Promise<void> {
    let backoff = this.options.initialBackoffMs;
    for (let attempt = 0; batch.events.length > 0; attempt++) {
      if (batch.abandoned) return;
      if (this.misconfigWarned) {
        this.counters.dropped += batch.events.length;
        batch.events = [];
        return;
      }
      if (attempt > 0) this.counters.retries += batch.events.length;
      this.stampEnvironment(batch.events);
      let res: IngestResponse;
      try {
        res = await this.transport.ingest(
          {
            events: batch.events, defaultWorkspace: this.options.workspace, batchId: String(++this.batchSeq),
            appId: this.options.appId,
          },
          this.options.timeoutMs,
        );
      } catch (e) {
        if (batch.abandoned) return;
        const err = e as CallError;
        const code = err.code;
        if ((code === GrpcStatus.RESOURCE_EXHAUSTED && tooLarge(err)) ||
            (code !== undefined && REFUSED_CALL.has(code) && !err.fatal)) {
          await this.split(batch, err);
          return;
        }
        if (err.fatal || code === GrpcStatus.UNAUTHENTICATED) {
          this.warnMisconfigured(
            `gateway at ${this.options.endpoint} refused the call (${codeName(code)}: ` +
              `${(e as Error).message}); tracing is off, events are dropped`,
          );
          this.counters.dropped += batch.events.length;
          batch.events = [];
          return;
        }
        if (!this.down) {
          this.down = true;
          this.options.logger.warn(
            `gateway at ${this.options.endpoint} unavailable (${codeName(code)}); retrying ` +
              `quietly, buffering up to ${this.options.maxQueueSize} events`,
          );
        }
        await this.sleep(jitter(backoff));
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
        continue;
      }
      if (batch.abandoned) return;
      if (this.down) {
        this.down = false;
        this.options.logger.debug?.("gateway reachable again; delivery resumed");
      }
      batch.events = this.settle(batch.events, res);
      if (batch.events.length > 0) {
        const after = Math.max(this.retryAfterMs, jitter(backoff));
        this.retryAfterMs = 0;
        await this.sleep(after);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }

  private retryAfterMs = 0;

  /** The gateway refused the whole call for something one event can cause. Sends the two
   *  halves on their own (so that one bad event loses only itself); drops a single event
   *  (counted, one warning per status code). Never resends the same request. */
  private async split(batch: Batch, err: CallError): Promise<void> {
    const events = batch.events;
    batch.events = [];
    if (events.length === 1) {
      this.counters.dropped++;
      const code = err.code ?? GrpcStatus.UNKNOWN;
      if (!this.refusedLogged.has(code)) {
        this.refusedLogged.add(code);
        const size = this.sizes.get(events[0]);
        this.options.logger.warn(
          `gateway at ${this.options.endpoint} refused an event` +
            (size !== undefined ? ` (about ${size} bytes)` : "") +
            ` (${codeName(code)}: ${err.details || err.message}); such events are dropped`,
        );
      }
      return;
    }
    this.counters.retries += events.length;
    const mid = events.length >> 1;
    const parts: Batch[] = [events.slice(0, mid), events.slice(mid)].map((p) => ({ events: p, abandoned: false }));
    for (const p of parts) this.active.add(p);
    try {
      for (const p of parts) {
        try {
          await this.deliver(p);
        } catch (e) {
          if (!p.abandoned) {
            this.counters.dropped += p.events.length; // a bug of ours must not lose the other half
            p.events = [];
            this.options.logger.warn(`internal error, events dropped: ${e}`);
          }
        }
      }
    } finally {
      for (const p of parts) this.active.delete(p);
    }
  }

  /** Counts the per-event results; returns the events to resend. */
  private settle(sent: TraceEvent[], res: IngestResponse): TraceEvent[] {
    const retry: TraceEvent[] = [];
    const results = res.results ?? [];
    for (let i = 0; i < sent.length; i++) {
      const r = results[i];
      if (!r) {
        retry.push(sent[i]); // the gateway always answers each event; resend if it did not
        continue;
      }
      if (r.status === "EVENT_STATUS_ACCEPTED" || r.status === "EVENT_STATUS_DUPLICATE") {
        this.counters.sent++;
        if (r.status === "EVENT_STATUS_DUPLICATE") this.counters.duplicate++;
      } else if (RETRYABLE_REJECT.has(r.code)) {
        retry.push(sent[i]);
        const ra = r.retryAfter;
        if (ra) {
          const ms = Number(ra.seconds ?? 0) * 1000 + Math.floor((ra.nanos ?? 0) / 1e6);
          this.retryAfterMs = Math.max(this.retryAfterMs, Math.min(ms, this.options.maxBackoffMs));
        }
      } else {
        this.counters.rejected++;
        const key = `${r.code} ${r.reason}`;
        if (!this.rejectLogged.has(key) && this.rejectLogged.size < 1000) {
          this.rejectLogged.add(key);
          this.options.logger.warn(
            `event ${r.eventId} REJECTED ${codeName(r.code)}: ${r.reason} (not retried)`,
          );
        }
      }
    }
    return retry;
  }

  private stampEnvironment(events: TraceEvent[]): void {
    const env = this.options.environment;
    if (!env) return;
    for (const e of events) {
      const body = e.trace ?? e.observation ?? e.score;
      if (body && !body.environment) body.environment = env;
    }
  }

  private warnMisconfigured(message: string): void {
    if (this.misconfigWarned) return;
    this.misconfigWarned = true;
    this.options.logger.warn(message);
  }
}

/** RESOURCE_EXHAUSTED for the size of the request ("Received message larger than max"), not
 *  an overloaded gateway. */
function tooLarge(err: CallError): boolean {
  return /larger than max/i.test(err.details || err.message || "");
}

function jitter(ms: number): number {
  return ms * (0.5 + Math.random() * 0.5);
}
