"""The batching Tracegate client: a bounded queue drained by one background sender thread.

    from tracegate import TracegateClient, events
    client = TracegateClient()                 # config from TRACEGATE_* env (see config.py)
    client.send(events.trace(trace_id=events.new_id(), name="hello"))
    client.flush(timeout=5)                    # optional; shutdown() also runs at exit
    client.stats()  # {"sent": 1, "duplicate": 0, "rejected": 0, "dropped": 0, ...}

Contract
- `send()` never blocks on the network and never raises: it appends to a bounded queue
  (default 10,000 events) and returns False when the event was dropped (queue full,
  client disabled or shut down). Thread-safe; one client per process is enough. It also
  takes a callable that builds the event, so that serialisation (messages, documents,
  JSON) runs on the sender thread instead of the caller's.
- The sender thread sends batches (up to `batch_size` events, or whatever arrived within
  `flush_interval`, cut further so that a request stays under `max_batch_bytes`, default
  4 MiB, of serialized events; an event larger than that goes alone) with the unary Ingest
  RPC. An event without an event_id gets a random one. Per-event results are honoured:
  ACCEPTED and DUPLICATE count as sent; REJECTED with a retryable code (UNAVAILABLE,
  RESOURCE_EXHAUSTED) is resent after its retry_after; any other REJECTED is counted,
  logged once per distinct reason and never resent.
- A failed call (gateway missing, overloaded, deadline) is retried with exponential
  backoff, resending the same events with the same event_ids (the gateway dedupes). The
  first failure of an outage logs one warning; the client then stays quiet until the
  gateway answers again. Meanwhile new events wait in the queue; once it is full, new
  events are dropped and counted.
- A call refused for something one event can cause (RESOURCE_EXHAUSTED "... larger than
  max": the gateway's server.max_receive_message_bytes is below max_batch_bytes;
  PERMISSION_DENIED: a workspace the key may not write; INVALID_ARGUMENT, UNIMPLEMENTED,
  FAILED_PRECONDITION, OUT_OF_RANGE) is never resent as it was: the batch is split in
  halves and each half sent on its own; a single event refused so is dropped and counted,
  one warning per status code. Only the events at fault are lost.
- Any other call refused for good (UNAUTHENTICATED, ...) means a misconfiguration: one
  warning, the batch is dropped and counted, later batches are still tried (a fixed
  gateway config starts working).
- Without an API key the client is disabled: one warning, every event dropped (counted),
  no thread, no connection (the seed's rule: tracing failures never affect the service).
- `flush(timeout)` waits until everything sent before the call is resolved; `shutdown()`
  flushes (bounded by its timeout), counts what is left as dropped and stops the thread.
  An atexit hook runs shutdown(TRACEGATE_EXIT_TIMEOUT seconds, default 2).
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import random
import threading
import time
import weakref
from typing import Any, Optional

from tracegate.channel import open_channel
from tracegate.config import ClientConfig, request_value_problem

log = logging.getLogger("tracegate")

_RETRYABLE_EVENT_CODES = {8, 14}  # RESOURCE_EXHAUSTED, UNAVAILABLE
# Call failures one event of the batch may cause: the batch is split (see _split).
_SPLIT_CODES = {"PERMISSION_DENIED", "INVALID_ARGUMENT", "UNIMPLEMENTED", "FAILED_PRECONDITION",
                "OUT_OF_RANGE"}
_MAX_LOGGED_REASONS = 100
DEFAULT_MAX_BATCH_BYTES = 4 << 20  # well under gRPC's default 16 MiB message limit


class TracegateClient:
    def __init__(self, endpoint: Optional[str] = None, api_key: Optional[str] = None,
                 workspace: Optional[str] = None, *, config: Optional[ClientConfig] = None,
                 max_queue_size: int = 10_000, batch_size: int = 100,
                 flush_interval: float = 0.1, timeout: float = 10.0,
                 initial_backoff: float = 0.1, max_backoff: float = 5.0,
                 max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
                 register_atexit: bool = True, **config_kw: Any):
        self.config = config or ClientConfig.resolve(endpoint=endpoint, api_key=api_key,
                                                     workspace=workspace, **config_kw)
        self._max_queue = max(1, int(max_queue_size))
        self._batch_size = max(1, int(batch_size))
        self._max_batch_bytes = max(1, int(max_batch_bytes))
        self._flush_interval = max(0.0, float(flush_interval))
        self._timeout = float(timeout)
        self._initial_backoff = float(initial_backoff)
        self._max_backoff = float(max_backoff)

        self._reset_state()
        self._app_id = self.config.app_id
        problem = request_value_problem(self._app_id) if self._app_id else ""
        if problem:
            self._warn_once("app_id", "tracegate: app_id (TRACEGATE_APP_ID) %s; it is not sent"
                            % problem)
            self._app_id = ""
        self._metadata = (("authorization", "Bearer " + self.config.api_key),)
        self.enabled = bool(self.config.api_key)
        if not self.enabled:
            self._warn_once("disabled", "tracegate: no API key (TRACEGATE_API_KEY); tracing is "
                            "disabled and events are dropped")
        ref = weakref.ref(self)
        if register_atexit:
            atexit.register(_shutdown_at_exit, ref)
        if hasattr(os, "register_at_fork"):  # prefork servers (gunicorn, uwsgi, celery)
            os.register_at_fork(after_in_child=lambda: _reset_after_fork(ref))

    def _reset_state(self) -> None:
        """Fresh queue, locks, counters and no sender thread or channel (also after fork:
        the child has no sender thread and must not use the parent's channel)."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)  # sender waits for events / flush
        self._progress = threading.Condition(self._lock)  # flush waits for resolution
        self._queue: collections.deque = collections.deque()
        self._enqueued = 0  # events accepted into the queue, ever
        self._resolved = 0  # of those: sent, rejected or dropped later
        self._flush_wanted = 0
        self._closing = False
        self._abandon_at: Optional[float] = None  # monotonic deadline set by shutdown()
        self._stop = threading.Event()  # interrupts backoff sleeps at the abandon deadline
        self._counts = collections.Counter()
        self._warned: set = set()
        self._reasons_logged: set = set()
        self._thread: Optional[threading.Thread] = None
        self._stub = None
        self._channel = None

    # --- caller side ------------------------------------------------------------------

    def send(self, event) -> bool:
        """Queues one tracegate.v1.TraceEvent, or a zero-argument callable that returns
        one (then the event is built on the sender thread, off the caller's path; an
        exception there drops it). Never blocks or raises; False if dropped."""
        try:
            with self._lock:
                if not self.enabled or self._closing or len(self._queue) >= self._max_queue:
                    self._counts["dropped"] += 1
                    full = self.enabled and not self._closing
                else:
                    self._queue.append(event)
                    self._enqueued += 1
                    if len(self._queue) >= self._batch_size:
                        self._wake.notify()
                    if self._thread is None:
                        self._start_thread()
                    return True
            if full:
                self._warn_once("full", "tracegate: queue full (%d events); dropping events "
                                "until the gateway catches up" % self._max_queue)
            return False
        except Exception:  # noqa: BLE001 - tracing must never break the caller
            return False

    def stats(self) -> dict:
        """Counters: sent (incl. duplicate), duplicate, rejected, dropped, retried, queued."""
        with self._lock:
            out = {k: self._counts.get(k, 0)
                   for k in ("sent", "duplicate", "rejected", "dropped", "retried")}
            out["queued"] = self._enqueued - self._resolved
            return out

    def flush(self, timeout: Optional[float] = 10.0) -> bool:
        """Waits until every event queued before this call is resolved. True if it was."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            target = self._enqueued
            self._flush_wanted = max(self._flush_wanted, target)
            self._wake.notify()
            while self._resolved < target:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                if self._thread is None or not self._thread.is_alive():
                    return self._resolved >= target
                self._progress.wait(left if left is None else min(left, 0.5))
            return True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Flushes for at most `timeout` seconds, drops what is left, stops the sender."""
        with self._lock:
            if self._closing and self._thread is None:
                return
            self._closing = True
            self._abandon_at = time.monotonic() + max(0.0, timeout)
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(max(0.0, timeout) + 2.0)
        self._stop.set()
        with self._lock:
            self._thread = None
        if self._channel is not None:
            try:
                self._channel.close()
            except Exception:  # noqa: BLE001
                pass

    close = shutdown

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    # --- sender thread ----------------------------------------------------------------

    def _start_thread(self) -> None:  # called with the lock held
        self._thread = threading.Thread(target=self._run, name="tracegate-sender", daemon=True)
        self._thread.start()

    def _next_batch(self) -> Optional[list]:
        with self._lock:
            first_wait = None
            while True:
                n = len(self._queue)
                if n >= self._batch_size or (n and (self._closing or
                                                    self._flush_wanted > self._resolved)):
                    break
                if n == 0 and self._closing:
                    return None
                if n and first_wait is None:
                    first_wait = time.monotonic() + self._flush_interval
                timeout = None if first_wait is None else first_wait - time.monotonic()
                if timeout is not None and timeout <= 0:
                    break
                self._wake.wait(timeout)
            take = min(self._batch_size, len(self._queue))
            return [self._queue.popleft() for _ in range(take)]

    def _materialize(self, batch: list) -> list:
        """Builds the events that were queued as callables (see send()); fills a missing
        event_id (the gateway requires one; resends keep it)."""
        from tracegate.events import new_id
        from tracegate.v1 import trace_event_pb2
        out = []
        failed = 0
        for item in batch:
            if callable(item):
                try:
                    item = item()
                except Exception as e:  # noqa: BLE001
                    failed += 1
                    self._warn_once("build", "tracegate: building an event failed: %r" % e)
                    continue
            if not isinstance(item, trace_event_pb2.TraceEvent):
                failed += 1
                self._warn_once("type", "tracegate: send() got a %s, not a TraceEvent; dropped"
                                % type(item).__name__)
                continue
            if not item.event_id:
                item.event_id = new_id()
            out.append(item)
        if failed:
            self._resolve(dropped=failed)
        return out

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            unsettled = len(batch)
            try:
                batch = self._materialize(batch)
                unsettled = len(batch)
                for part in self._cut(batch):
                    self._deliver(part)
                    unsettled -= len(part)
            except Exception as e:  # noqa: BLE001 - never let the sender die
                self._warn_once("internal", "tracegate: sender error %r; batch dropped" % e)
                self._resolve(dropped=unsettled)

    def _cut(self, batch: list) -> list:
        """batch as requests of at most max_batch_bytes serialized events (each event
        costs its size plus a few bytes of framing); an event larger than that goes alone."""
        header = len(self.config.workspace.encode("utf-8", "replace")) + 32
        parts, part, size = [], [], header
        for ev in batch:
            n = ev.ByteSize() + 6
            if part and size + n > self._max_batch_bytes:
                parts.append(part)
                part, size = [], header
            part.append(ev)
            size += n
        if part:
            parts.append(part)
        return parts

    def _resolve(self, **counts: int) -> None:
        with self._lock:
            for k, v in counts.items():
                self._counts[k] += v
            self._resolved += sum(v for k, v in counts.items()
                                  if k in ("sent", "rejected", "dropped"))
            self._progress.notify_all()

    def _abandoned(self) -> bool:
        return self._abandon_at is not None and time.monotonic() >= self._abandon_at

    def _ensure_stub(self):
        if self._stub is None:
            from tracegate.v1 import ingest_service_pb2_grpc
            self._channel = open_channel(self.config)
            self._stub = ingest_service_pb2_grpc.IngestServiceStub(self._channel)
        return self._stub

    def _deliver(self, pending: list) -> None:
        import grpc

        from tracegate.v1 import ingest_service_pb2 as ipb
        backoff = self._initial_backoff
        batch_id = 0
        while pending:
            if self._abandoned():
                self._resolve(dropped=len(pending))
                return
            batch_id += 1
            request = ipb.IngestRequest(events=pending, default_workspace=self.config.workspace,
                                        batch_id=batch_id, app_id=self._app_id)
            timeout = self._timeout
            if self._abandon_at is not None:
                timeout = max(0.05, min(timeout, self._abandon_at - time.monotonic()))
            try:
                response = self._ensure_stub().Ingest(request, timeout=timeout,
                                                      metadata=self._metadata)
            except grpc.RpcError as e:
                code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN
                if ((code == grpc.StatusCode.RESOURCE_EXHAUSTED and _too_large(e))
                        or code.name in _SPLIT_CODES):
                    self._split(pending, code.name, _details(e))
                    return
                if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                            grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED,
                            grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN,
                            grpc.StatusCode.INTERNAL):
                    self._warn_once("down", "tracegate: gateway %s unavailable (%s: %s); events "
                                    "are kept and retried quietly" %
                                    (self.config.endpoint, code.name, _details(e)))
                    self._counts_add(retried=len(pending))
                    self._sleep(backoff)
                    backoff = min(self._max_backoff, backoff * 2)
                    continue
                self._warn_once("refused:" + code.name, "tracegate: gateway %s refused the "
                                "events (%s: %s); check the API key and workspace" %
                                (self.config.endpoint, code.name, _details(e)))
                self._resolve(dropped=len(pending))
                return
            if "down" in self._warned:
                with self._lock:
                    self._warned.discard("down")
                log.info("tracegate: gateway %s reachable again", self.config.endpoint)
            pending, wait = self._account(pending, response)
            if pending:
                self._counts_add(retried=len(pending))
                self._sleep(max(wait, backoff))
                backoff = min(self._max_backoff, backoff * 2)

    def _split(self, pending: list, code: str, details: str) -> None:
        """The gateway refused the call for something one event can cause (its size, a
        workspace, bytes it cannot decode): sends the two halves on their own, drops (and
        counts) a single event refused by itself."""
        if len(pending) > 1:
            self._counts_add(retried=len(pending))
            half = len(pending) // 2
            self._deliver(pending[:half])
            self._deliver(pending[half:])
            return
        self._warn_once("refused-event:" + code, "tracegate: gateway %s refused an event of "
                        "%d bytes (%s: %s); such events are dropped" %
                        (self.config.endpoint, pending[0].ByteSize(), code, details))
        self._resolve(dropped=1)

    def _account(self, pending: list, response) -> tuple[list, float]:
        """Counts per-event results; returns (events to resend, seconds to wait)."""
        by_id = {r.event_id: r for r in response.results}
        ordered = len(response.results) == len(pending)
        retry, wait = [], 0.0
        sent = dup = rejected = 0
        for i, ev in enumerate(pending):
            r = response.results[i] if ordered else by_id.get(ev.event_id)
            if r is None:
                retry.append(ev)
                continue
            if r.status in (1, 2):  # ACCEPTED, DUPLICATE
                sent += 1
                dup += r.status == 2
            elif r.code in _RETRYABLE_EVENT_CODES:
                retry.append(ev)
                wait = max(wait, r.retry_after.seconds + r.retry_after.nanos / 1e9)
            else:
                rejected += 1
                self._log_rejection(r)
        self._resolve(sent=sent, duplicate=dup, rejected=rejected)
        return retry, wait

    def _log_rejection(self, r) -> None:
        key = (r.code, r.reason)
        with self._lock:
            if key in self._reasons_logged or len(self._reasons_logged) >= _MAX_LOGGED_REASONS:
                return
            self._reasons_logged.add(key)
        log.warning("tracegate: event %s rejected (code %d): %s", r.event_id, r.code, r.reason)

    def _counts_add(self, **counts: int) -> None:
        with self._lock:
            for k, v in counts.items():
                self._counts[k] += v

    def _sleep(self, seconds: float) -> None:
        jitter = seconds * (0.8 + 0.4 * random.random())
        if self._abandon_at is not None:
            jitter = min(jitter, max(0.0, self._abandon_at - time.monotonic()))
        self._stop.wait(jitter)

    def _warn_once(self, key: str, message: str) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        log.warning(message)


def _too_large(error) -> bool:
    """RESOURCE_EXHAUSTED because of the message size (gRPC's "Received message larger
    than max"), not an overloaded gateway."""
    return "larger than max" in _details(error).lower()


def _details(error) -> str:
    try:
        return error.details() or ""
    except Exception:  # noqa: BLE001
        return ""


def _reset_after_fork(ref) -> None:
    client = ref()
    if client is not None:
        client._reset_state()  # the parent's queued events stay the parent's to send


def _shutdown_at_exit(ref) -> None:
    client = ref()
    if client is None:
        return
    try:
        client.shutdown(float(os.environ.get("TRACEGATE_EXIT_TIMEOUT", "2")))
    except Exception:  # noqa: BLE001
        pass


_shared_lock = threading.Lock()
_shared: dict = {}


def get_client(**config_kw: Any) -> TracegateClient:
    """A process-wide client per configuration (arguments as for ClientConfig.resolve,
    then the environment), so that many handlers share one queue, thread and channel."""
    config = ClientConfig.resolve(**config_kw)
    with _shared_lock:
        client = _shared.get(config)
        if client is None or client._closing:
            client = _shared[config] = TracegateClient(config=config)
        return client
