"""End to end: the batching client and tracegate-verify → real gateway → Langfuse emulator."""

import os
import subprocess
import sys
import threading
import textwrap

from tracegate import events


def span(i, trace_id):
    return events.observation(trace_id=trace_id, obs_id="%016x" % (i + 1), type="span",
                              name="work-%d" % i, start_ns=events.now_ns(),
                              end_ns=events.now_ns(), event_id="ev-%d" % i)


def spans_received(rec):
    """Spans that reached the sink, counted over every OTLP request (duplicates count)."""
    return sum(r.get("n_spans") or 0 for r in rec.state()["requests"]
               if r.get("endpoint") == "otel" and r["status"] == 200)


def test_10000_events_from_several_threads_arrive_once_each(tracegate_recorder):
    rec = tracegate_recorder
    client = rec.client(max_queue_size=20_000, batch_size=500)
    trace_id = events.new_id()
    threads, per = 4, 2_500
    errors = []

    def produce(t):
        try:
            for i in range(t * per, (t + 1) * per):
                assert client.send(span(i, trace_id))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert client.flush(timeout=60)
    stats = client.stats()
    assert (stats["sent"], stats["duplicate"], stats["dropped"], stats["rejected"]) == (
        10_000, 0, 0, 0)
    assert rec.wait(observations=10_000, timeout=60)
    stored = {o["id"] for o in rec.state()["observations"].values()}
    assert stored == {"%016x" % (i + 1) for i in range(10_000)}
    assert spans_received(rec) == 10_000
    client.shutdown()


def test_gateway_down_then_restarted(tracegate_recorder):
    rec = tracegate_recorder
    client = rec.client(max_queue_size=100, batch_size=50, max_backoff=0.5)
    trace_id = events.new_id()
    rec.stop_gateway()
    try:
        # The host code runs on: send() never raises or blocks while the gateway is gone.
        accepted = [client.send(span(i, trace_id)) for i in range(1_000)]
        assert not client.flush(timeout=1)
        stats = client.stats()
        kept = accepted.count(True)
        assert stats["dropped"] == 1_000 - kept and 100 <= kept <= 150
        assert stats["sent"] == 0
    finally:
        rec.start_gateway()  # same port
    assert client.flush(timeout=30)
    assert client.stats()["sent"] == kept
    assert rec.wait(observations=kept, timeout=30)
    stored = {o["id"] for o in rec.state()["observations"].values()}
    assert stored == {"%016x" % (i + 1) for i, ok in enumerate(accepted) if ok}
    # Delivery goes on normally afterwards.
    client.send(span(5_000, trace_id))
    assert client.flush(timeout=10) and client.stats()["sent"] == kept + 1
    assert rec.wait(observations=kept + 1, timeout=10)
    client.shutdown()


def test_process_exit_flushes_buffered_events(tracegate_recorder):
    rec = tracegate_recorder
    trace_id = events.new_id()
    script = textwrap.dedent("""
        from tracegate import get_client, events
        client = get_client()  # from TRACEGATE_* env; nothing flushes but the atexit hook
        tid = "TRACE_ID"
        for i in range(50):
            client.send(events.observation(trace_id=tid, obs_id="%016x" % (i + 7),
                                           type="event", name="e", start_ns=events.now_ns()))
        print("sent", flush=True)
    """).replace("TRACE_ID", trace_id)
    env = dict(os.environ, **rec.env())
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    assert rec.wait(observations=50, timeout=10)
    assert len(rec.observations(trace_id)) == 50


def test_verify_command_delivers_the_sanity_trace(tracegate_recorder):
    rec = tracegate_recorder
    exe = os.path.join(os.path.dirname(sys.executable), "tracegate-verify")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "tracegate", "verify"]
    env = dict(os.environ, APP_ENV="staging", **rec.env())
    out = subprocess.run(cmd + ["--service", "onekey-rag"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("ACCEPTED") == 4  # three observations and a score
    trace = rec.wait_trace(name="langfuse-sanity-check", observations=3)
    assert sorted(trace["tags"]) == ["env:staging", "service:onekey-rag"]
    assert trace["environment"] == "staging"
    assert (trace["input"], trace["output"]) == ("Is the Langfuse pipeline working?", "yes")
    assert trace["metadata"]["source"] == "tracegate-verify (python)"
    everything = rec.observations(trace["id"], include_trace_span=True)
    roots = [o["name"] for o in everything if not o.get("parentObservationId")]
    assert roots == ["sanity-chain"] and len(everything) == 3
    tree = rec.tree(trace["id"])
    assert [(n["name"], n["type"]) for n in tree] == [("sanity-chain", "CHAIN")]
    assert sorted((c["name"], c["type"]) for c in tree[0]["children"]) == [
        ("sanity-generation", "GENERATION"), ("sanity-retriever", "RETRIEVER")]
    assert rec.wait(scores=1)
    (score,) = rec.scores()
    assert score["name"] == "sanity" and score["traceId"] == trace["id"]


def test_verify_without_gateway_fails_cleanly(tracegate_recorder):
    env = dict(os.environ, TRACEGATE_API_KEY="k", TRACEGATE_ENDPOINT="127.0.0.1:1")
    out = subprocess.run([sys.executable, "-m", "tracegate", "verify", "--timeout", "2"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "call failed: UNAVAILABLE" in out.stderr


def test_large_events_lone_surrogates_and_missing_ids_reach_langfuse(tracegate_recorder):
    # 20 events of 900 KB each (under the gateway's 1 MB event limit): 18 MB in one request
    # was refused by gRPC (16 MiB) and retried forever; batches are now cut by size.
    import json

    from tracegate.v1 import trace_event_pb2 as pb
    rec = tracegate_recorder
    client = rec.client()
    trace_id = events.new_id()
    for i in range(20):
        ev = span(i, trace_id)
        ev.event_id = events.new_id()  # other tests sent "ev-<i>": the gateway dedupes
        ev.observation.input.text = "x" * 900_000
        assert client.send(ev)
    half = json.loads('"hi \\ud83d"')  # half of a surrogate pair
    assert client.send(events.observation(trace_id=trace_id, obs_id="%016x" % 100,
                                          type="span", name=half, start_ns=events.now_ns(),
                                          input={"q": half}, metadata={half: half}))
    no_id = pb.TraceEvent(observation=pb.Observation(id="%016x" % 101, trace_id=trace_id,
                                                     name="no-event-id",
                                                     type=pb.OBSERVATION_TYPE_EVENT))
    no_id.observation.start_time.GetCurrentTime()
    assert client.send(no_id)
    assert client.flush(timeout=60)
    stats = client.stats()
    assert (stats["sent"], stats["duplicate"], stats["dropped"], stats["rejected"]) == (
        22, 0, 0, 0), stats
    assert rec.wait(observations=22, timeout=60)
    stored = {o["id"]: o for o in rec.state()["observations"].values()}
    assert {"%016x" % (i + 1) for i in range(20)} | {"%016x" % 100, "%016x" % 101} <= set(
        stored)
    assert stored["%016x" % 100]["name"] == "hi \ufffd"
    client.shutdown()


def test_app_id_becomes_the_app_tag_and_metadata():
    """With enrichment on (the recorder turns it off by default), the gateway tags the trace
    app:<app_id> and writes metadata app_id from the request's app_id."""
    from tracegate.testing import Recorder
    privacy = "privacy:\n  user_id: keep\n  capture: full\n  enrich: true\n"
    with Recorder(extra_config=privacy) as rec:
        client = rec.client(app_id="checkout-web")
        trace_id = events.new_id()
        try:
            assert client.send(events.trace(trace_id=trace_id, name="app-id-trace"))
            assert client.flush(timeout=30)
            assert client.stats()["sent"] == 1
            trace = rec.wait_trace(name="app-id-trace", timeout=30)
        finally:
            client.shutdown(timeout=5)
    assert "app:checkout-web" in trace["tags"], trace
    assert trace["metadata"]["app_id"] == "checkout-web", trace
