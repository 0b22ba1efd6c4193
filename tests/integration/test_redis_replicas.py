"""Redis end to end, several gateway processes on one redis-server (tests/integration/
redis_harness.py) and the Langfuse emulator: dedupe across processes, a replica killed with
SIGKILL under load, three replicas sharing a load while one stops."""

import signal
import threading
import time

import emu_harness
from gateway_harness import results, send_events, wait_for
from redis_harness import (consumer_of, delivered_spans, obs_id,
                           pending_entries, redis_config, send_ok, span_events)

EXPORT = {"linger": "50ms", "initial_backoff": "100ms", "max_backoff": "500ms",
          "max_batch_events": 200}


class Load:
    """Sends numbered span events in batches, round robin over `targets`, from a thread;
    remembers which were ACCEPTED. Calls to a dead gateway fail and are not counted."""

    def __init__(self, targets, batch=50):
        self.targets = list(targets)
        self.batch = batch
        self.accepted = set()
        self.sent = 0
        self.failed_calls = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def replace(self, old, new):
        with self._lock:
            self.targets = [new if t is old else t for t in self.targets]

    def remove(self, old):
        with self._lock:
            self.targets = [t for t in self.targets if t is not old]

    def _run(self):
        i = 0
        while not self._stop.is_set():
            with self._lock:
                gw = self.targets[i % len(self.targets)]
            i += 1
            first = self.sent
            self.sent += self.batch
            code, out, _ = send_events(gw, span_events(first, self.batch, prefix="ld"))
            ok = [int(e.split("-")[1]) for e, r in results(out).items() if r[0] == "ACCEPTED"]
            if not ok:
                self.failed_calls += 1
            self.accepted.update(ok)
            time.sleep(0.01)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=60)


def wait_delivered(emu, numbers, timeout=60.0):
    want = {obs_id(n) for n in numbers}
    def done():
        obs, _ = delivered_spans(emu)
        return want.issubset(obs.keys())
    wait_for(done, timeout=timeout, interval=0.25)
    obs, spans = delivered_spans(emu)
    return want - set(obs.keys()), spans


def test_same_events_twice_through_two_gateways_are_duplicate_and_delivered_once(
        emu, start_gateway, redis):
    a = start_gateway(redis_config(emu.port, redis, export=EXPORT))
    b = start_gateway(redis_config(emu.port, redis, export=EXPORT))
    events = span_events(0, 40, prefix="dup")
    send_ok(a, events, expect="ACCEPTED")
    send_ok(b, events, expect="DUPLICATE")
    send_ok(a, events[:10], expect="DUPLICATE")
    missing, _ = wait_delivered(emu, range(40), timeout=20)
    assert not missing
    time.sleep(0.5)  # anything more would arrive now
    _, spans = delivered_spans(emu)
    assert spans == 40, "only one copy reaches Langfuse"
    assert a.http("/readyz")[0] == 200 and b.http("/readyz")[0] == 200


def test_kill_9_a_replica_under_load_loses_no_accepted_event(emu, start_gateway, redis):
    # Replica A delivers to a Langfuse that is down (503), so when it is killed it holds
    # pending entries that only a surviving replica can deliver (after claim_idle_timeout).
    down = emu_harness.spawn("--server-version", "4.16.0", lifetime=300)
    try:
        down.faults({"path": "any", "kind": "status", "status": 503, "count": 100000})
        a = start_gateway(redis_config(down.port, redis, export=EXPORT))
        b = start_gateway(redis_config(emu.port, redis, export=EXPORT))
        load = Load([a, b]).start()
        wait_for(lambda: len(load.accepted) >= 1500, timeout=60)
        held_by_a = wait_for(lambda: pending_entries(redis, "otlp-route", consumer_of(a)),
                             timeout=10)
        assert held_by_a > 0
        a.stop(sig=signal.SIGKILL, timeout=10)
        assert a.proc.returncode == -signal.SIGKILL
        c = start_gateway(redis_config(emu.port, redis, export=EXPORT))
        load.replace(a, c)
        wait_for(lambda: len(load.accepted) >= 3500, timeout=60)
        load.stop()
        accepted = sorted(load.accepted)
        missing, _ = wait_delivered(emu, accepted, timeout=60)
        time.sleep(1.0)
        obs, spans = delivered_spans(emu)
        delivered = set(obs)
        duplicates = spans - len(delivered)
        print("crash test: accepted=%d delivered=%d missing=%d duplicates=%d failed_calls=%d "
              "entries pending at the killed replica=%d"
              % (len(accepted), len(delivered), len(missing), duplicates, load.failed_calls,
                 held_by_a))
        assert not missing, "accepted but never delivered: %d" % len(missing)
        assert duplicates == 0
        _, down_spans = delivered_spans(down)
        assert down_spans == 0
    finally:
        emu_harness.stop(down.proc)


def test_kill_9_after_langfuse_took_a_batch_but_before_the_ack_redelivers_it(
        emu, start_gateway, redis):
    """The at-least-once window: Langfuse stored a batch, the replica died before XACK. The
    entry stays pending, a surviving replica claims it after claim_idle_timeout and sends it
    again. Nothing is lost; the batch arrives twice (Langfuse upserts by id) and the test
    reports how many spans were duplicates."""
    # The first OTLP request is held 4 s by "Langfuse", then stored normally.
    emu.faults({"path": "otel", "kind": "delay", "ms": 4000, "count": 1})
    a = start_gateway(redis_config(emu.port, redis, export=EXPORT))
    send_ok(a, span_events(0, 100, prefix="win"))
    # A has read the entry and its request is held by the emulator (the fault was taken).
    assert wait_for(lambda: pending_entries(redis, "otlp-route", consumer_of(a)), timeout=10)
    assert wait_for(lambda: not emu.state()["faults_pending"], timeout=10)
    a.stop(sig=signal.SIGKILL, timeout=10)
    # "Langfuse" finishes the held request: the batch is stored, nobody acks it.
    assert wait_for(lambda: len(delivered_spans(emu)[0]) == 100, timeout=15), [(r["endpoint"], r["status"], r.get("fault")) for r in emu.state()["requests"]]
    assert pending_entries(redis, "otlp-route", consumer_of(a)) == 1
    b = start_gateway(redis_config(emu.port, redis, export=EXPORT))
    # B claims the dead replica's entry (claim_idle_timeout 3 s) and delivers it again.
    assert wait_for(lambda: delivered_spans(emu)[1] >= 200, timeout=30)
    assert wait_for(lambda: pending_entries(redis, "otlp-route") == 0, timeout=10)
    obs, spans = delivered_spans(emu)
    print("at-least-once window: delivered=%d spans received=%d duplicates=%d"
          % (len(obs), spans, spans - len(obs)))
    assert len(obs) == 100 and spans == 200
    assert b.metric("tracegate_events_delivered_total") == 100


def test_three_replicas_share_the_load_and_stopping_one_loses_nothing(emu, start_gateway,
                                                                     redis):
    gws = [start_gateway(redis_config(emu.port, redis, export=EXPORT)) for _ in range(3)]
    load = Load(gws).start()
    wait_for(lambda: len(load.accepted) >= 1500, timeout=60)
    stopped = gws[1]
    delivered_by_stopped = stopped.metric("tracegate_events_delivered_total")
    load.remove(stopped)
    stopped.stop(sig=signal.SIGTERM, timeout=30)
    assert stopped.proc.returncode == 0, stopped.logs()[-3000:]
    wait_for(lambda: len(load.accepted) >= 3000, timeout=60)
    load.stop()
    accepted = sorted(load.accepted)
    missing, _ = wait_delivered(emu, accepted, timeout=60)
    time.sleep(1.0)
    obs, spans = delivered_spans(emu)
    per_replica = [delivered_by_stopped] + [g.metric("tracegate_events_delivered_total")
                                            for g in (gws[0], gws[2])]
    print("three replicas: accepted=%d delivered per replica=%s duplicates=%d"
          % (len(accepted), per_replica, spans - len(obs)))
    assert not missing
    assert spans == len(obs), "no event delivered twice"
    assert sum(1 for n in per_replica if n > 0) >= 2, per_replica
