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
// - Background workers (maxInFlight) send batches of up to batchSize events with the
//   unary Ingest RPC, at once when a batch is full, else after flushIntervalMs.
// - Per-event results: ACCEPTED and DUPLICATE count as sent; REJECTED with a retryable
//   code (UNAVAILABLE, RESOURCE_EXHAUSTED) is resent with the same event_id after its
//   retry_after; any other REJECTED is counted, logged once per distinct code+reason, and
//   never resent.
// - Gateway unreachable (UNAVAILABLE, DEADLINE_EXCEEDED, ...): the batch is retried with
//   the same event ids (the gateway dedupes) and exponential backoff; one warning per
//   outage, then quiet until delivery resumes. Events keep queueing up to the bound.
// - Misconfigured (no API key, UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
//   UNIMPLEMENTED): one warning; those batches are dropped and counted.
// - flush() resolves when everything enqueued so far is settled (or false on timeout);
//   shutdown() flushes with a deadline, drops what is left (counted) and closes the channel.
//   With flushOnExit the client flushes on Node's 'beforeExit'.
// Ownership: the client owns an event once enqueued (it may fill in event_id, timestamp,
// environment); do not modify it afterwards.
import { randomUUID } from "crypto";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { ClientOptions, ResolvedOptions, resolveOptions } from "./config";
import { GrpcTransport, Transport, CallError } from "./transport";
import { toTimestamp } from "./struct";
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
const PERMANENT_CALL = new Set([
  GrpcStatus.UNAUTHENTICATED,
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
  private workers: Promise<void>[] = [];
  private readonly onBeforeExit = () => this.exitFlush();
  private exitFlushing = false;

  constructor(options: ClientOptions = {}, transport?: Transport) {
    this.options = resolveOptions(options);
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

  private take(n: number): TraceEvent[] {
    const end = Math.min(this.queue.length, this.head + n);
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

  private async worker(): Promise<void> {
    while (!this.stopped) {
      const waiting = this.queue.length - this.head;
      if (waiting === 0) {
        this.checkIdle();
        await this.sleep();
        continue;
      }
      if (waiting < this.options.batchSize && this.urgent === 0 && !this.closed) {
        const due = this.oldestAt + this.options.flushIntervalMs - Date.now();
        if (due > 0) {
          await this.sleep(due);
          continue;
        }
      }
      const batch: Batch = { events: this.take(this.options.batchSize), abandoned: false };
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
          { events: batch.events, defaultWorkspace: this.options.workspace, batchId: String(++this.batchSeq) },
          this.options.timeoutMs,
        );
      } catch (e) {
        if (batch.abandoned) return;
        const code = (e as CallError).code;
        if (code !== undefined && PERMANENT_CALL.has(code)) {
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

function jitter(ms: number): number {
  return ms * (0.5 + Math.random() * 0.5);
}
