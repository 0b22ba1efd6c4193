"""C++ BatchingClient → real gateway → Langfuse emulator (the issue's "every client" tests)."""

import json
import os
import subprocess

from tracegate import events

DRIVER = os.environ.get("TRACEGATE_CPP_E2E_BIN") or os.path.join(
    os.environ.get("TRACEGATE_BUILD_DIR", "build"), "tests", "clients", "tracegate-client-e2e")


def spans_received(rec):
    return sum(r.get("n_spans") or 0 for r in rec.state()["requests"]
               if r.get("endpoint") == "otel" and r["status"] == 200)


def test_10000_events_from_4_threads_arrive_once_each(tracegate_recorder):
    rec = tracegate_recorder
    trace_id = events.new_id()
    out = subprocess.run([DRIVER, "--mode=burst", "--threads=4", "--events=10000",
                          "--trace_id=" + trace_id], env=dict(os.environ, **rec.env()),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (report["accepted"], report["sent"], report["duplicate"], report["dropped"],
            report["rejected"]) == (10000, 10000, 0, 0, 0)
    assert rec.wait(observations=10000, timeout=60)
    stored = {o["id"] for o in rec.observations(trace_id)}
    assert stored == {"%016x" % i for i in range(1, 10001)}
    assert spans_received(rec) == 10000


def test_gateway_down_then_restarted(tracegate_recorder):
    rec = tracegate_recorder
    trace_id = events.new_id()
    rec.stop_gateway()
    proc = subprocess.Popen([DRIVER, "--mode=outage", "--events=1000", "--queue=100",
                             "--batch=50", "--trace_id=" + trace_id],
                            env=dict(os.environ, **rec.env()), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        down = json.loads(proc.stdout.readline())
        kept = down["accepted"]
        assert 100 <= kept <= 150 and down["dropped"] == 1000 - kept and down["sent"] == 0
        rec.start_gateway()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        restarted = json.loads(proc.stdout.readline())
        after = json.loads(proc.stdout.readline())
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert restarted["sent"] == kept and restarted["queued"] == 0
    assert after["sent"] == kept + 1
    stderr = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert stderr.count("retried quietly") == 1, stderr  # one warning for the outage
    assert rec.wait(observations=kept + 1, timeout=30)
    assert len(rec.observations(trace_id)) == kept + 1


def test_large_events_invalid_utf8_and_missing_event_id(tracegate_recorder):
    # 20 x 900 KB is more than the gateway takes in one request; a name that is not UTF-8
    # makes a request the gateway cannot parse. Both must arrive, as must the event the
    # caller gave no event_id; APP_ENV becomes the environment.
    rec = tracegate_recorder
    trace_id = events.new_id()
    out = subprocess.run([DRIVER, "--mode=awkward", "--events=20", "--trace_id=" + trace_id],
                         env=dict(os.environ, APP_ENV="Staging", **rec.env()),
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (report["accepted"], report["sent"], report["dropped"], report["rejected"],
            report["retried"]) == (22, 22, 0, 0, 0), report
    assert rec.wait(observations=22, timeout=60)
    stored = rec.observations(trace_id)
    assert sorted(o["name"] for o in stored) == sorted(
        ["work-%d" % i for i in range(1, 21)] + ["bad-\ufffd-name", "work-22"])
    assert {o["environment"] for o in stored} == {"staging"}
    assert sum(len(o.get("statusMessage") or "") for o in stored) == 20 * 900_000


def test_app_id_from_the_environment_becomes_the_app_tag_and_metadata():
    # The recorder fixture turns enrichment off; this test runs its own gateway with it on,
    # so that the gateway stamps app:<id> and the metadata app_id from the request's app_id.
    from tracegate.testing import Recorder
    privacy = "privacy:\n  user_id: keep\n  capture: full\n  enrich: true\n"
    with Recorder(extra_config=privacy) as rec:
        trace_id = events.new_id()
        out = subprocess.run([DRIVER, "--mode=trace", "--trace_id=" + trace_id],
                             env=dict(os.environ, TRACEGATE_APP_ID="checkout-web", **rec.env()),
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        report = json.loads(out.stdout.strip().splitlines()[-1])
        assert (report["accepted"], report["sent"], report["rejected"]) == (1, 1, 0), report
        trace = rec.wait_trace(name="cpp-trace", timeout=30)
    assert "app:checkout-web" in trace["tags"], trace
    assert trace["metadata"]["app_id"] == "checkout-web", trace
