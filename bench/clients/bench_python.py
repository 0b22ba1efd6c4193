#!/usr/bin/env python3
"""Time the Python client adds to the caller's thread per traced LLM call, in µs.

    .venv/bin/python3 bench/clients/bench_python.py [--calls 5000] [--rounds 5]
        [--endpoint host:port --api-key KEY]   # default: a gateway + emulator started here

A "traced LLM call" is one chat-model call of a fake LangChain model (no network) with
the Tracegate handler attached: the handler builds the generation event (messages in and
out, model, parameters, usage, trace attributes) and hands it to the batching client,
whose background thread sends it to a real gateway (started on 127.0.0.1 with the
recording emulator unless --endpoint is given). Reported, as the median over rounds of
the mean per call:

- bare:      model.invoke without callbacks, calls back to back
- paced_*:   the same, with a 2 ms sleep between calls (a real LLM call waits on the
             network with the GIL released, so the sender's work overlaps it)
- noop:      with a do-nothing LangChain callback handler (LangChain's own dispatch cost)
- tracegate: with TracegateCallbackHandler
- added = tracegate - bare, and tracegate - noop (what the handler itself adds)
- pipeline:  the retriever → prompt → model → parser + agent/tool pipeline of the tests
             (14 observations + 1 trace event), with and without the handler
- send:      TracegateClient.send() of a prebuilt event; build: events.observation()

Each figure comes twice: *_wall (wall clock around the call; includes waiting for the
GIL while the sender thread runs, and any other load on the machine) and *_cpu (CPU time
of the calling thread only). One JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "clients", "python", "tests"))
sys.path.insert(0, os.path.join(REPO, "clients", "python", "src"))

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage  # noqa: E402

import lc_pipeline  # noqa: E402
from tracegate import TracegateClient, events  # noqa: E402
from tracegate.langchain import TracegateCallbackHandler  # noqa: E402


class Noop(BaseCallbackHandler):
    pass


def answers():
    msg = AIMessage("Tracegate is a gateway that carries traces to Langfuse.",
                    usage_metadata={"input_tokens": 40, "output_tokens": 12,
                                    "total_tokens": 52})
    while True:
        yield msg


MESSAGES = [SystemMessage("You answer questions about internal tools, briefly."),
            HumanMessage("What is Tracegate and why do we run it in front of Langfuse?")]


def per_call_us(fn, calls: int, pause_s: float = 0.0) -> tuple:
    """(wall µs, caller-thread CPU µs) per fn() call. With pause_s, sleeps between calls
    (the GIL is free then, as while a real LLM call waits on the network) and times only
    the calls. Thread CPU time leaves out the sender thread and other processes."""
    wall = cpu = 0
    for _ in range(calls):
        if pause_s:
            time.sleep(pause_s)
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        fn()
        cpu += time.thread_time_ns() - c0
        wall += time.perf_counter_ns() - t0
    return wall / calls / 1000.0, cpu / calls / 1000.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pause", type=float, default=0.002,
                    help="paced runs: seconds between calls (default 0.002)")
    ap.add_argument("--endpoint")
    ap.add_argument("--api-key")
    args = ap.parse_args()

    recorder = None
    if args.endpoint:
        client = TracegateClient(endpoint=args.endpoint, api_key=args.api_key or "",
                                 register_atexit=False, max_queue_size=100_000)
    else:
        from tracegate.testing import Recorder
        recorder = Recorder().start()
        client = recorder.client(max_queue_size=100_000)
    try:
        model = lc_pipeline.FakeChat(messages=answers())
        handler = TracegateCallbackHandler(client=client, tags={"team": "bench"},
                                           service="bench")
        noop = Noop()
        cfg_t = {"callbacks": [handler], "metadata": {"langfuse_user_id": "u1"}}
        cfg_n = {"callbacks": [noop], "metadata": {"langfuse_user_id": "u1"}}
        for _ in range(200):  # warm up imports, caches, the channel
            model.invoke(MESSAGES, config=cfg_t)
        client.flush(30)

        results = {k: [] for k in ("bare", "noop", "tracegate", "paced_bare",
                                   "paced_tracegate", "pipeline_bare", "pipeline_tracegate",
                                   "send", "build")}
        paced_calls = max(100, args.calls // 10)
        pipe_calls = max(50, args.calls // 20)
        event = events.observation(trace_id="t", obs_id="o", type="generation", name="llm",
                                   start_ns=events.now_ns(), end_ns=events.now_ns(),
                                   input=[{"role": "user", "content": "hi"}], model="m")
        for _ in range(args.rounds):
            results["bare"].append(per_call_us(lambda: model.invoke(MESSAGES), args.calls))
            results["noop"].append(per_call_us(lambda: model.invoke(MESSAGES, config=cfg_n),
                                               args.calls))
            results["tracegate"].append(per_call_us(
                lambda: model.invoke(MESSAGES, config=cfg_t), args.calls))
            client.flush(60)
            results["paced_bare"].append(per_call_us(lambda: model.invoke(MESSAGES),
                                                     paced_calls, args.pause))
            results["paced_tracegate"].append(per_call_us(
                lambda: model.invoke(MESSAGES, config=cfg_t), paced_calls, args.pause))
            client.flush(60)
            results["pipeline_bare"].append(per_call_us(
                lambda: lc_pipeline.build().invoke(lc_pipeline.QUESTION), pipe_calls))
            results["pipeline_tracegate"].append(per_call_us(
                lambda: lc_pipeline.build().invoke(lc_pipeline.QUESTION, config=cfg_t),
                pipe_calls))
            client.flush(60)
            results["send"].append(per_call_us(lambda: client.send(event), args.calls))
            client.flush(60)
            results["build"].append(per_call_us(lambda: events.observation(
                trace_id="t", obs_id="o", type="generation", name="llm",
                start_ns=1, end_ns=2, input=MESSAGES, output=[MESSAGES[0]], model="m",
                usage={"input": 1, "output": 2}, trace_attrs={"name": "n", "tags": ["a"]}),
                args.calls))
        med = {}
        for k, v in results.items():
            med[k + "_wall"] = round(statistics.median(w for w, _ in v), 2)
            med[k + "_cpu"] = round(statistics.median(c for _, c in v), 2)
        for kind in ("wall", "cpu"):
            med["added_vs_bare_" + kind] = round(med["tracegate_" + kind] - med["bare_" + kind], 2)
            med["added_vs_noop_" + kind] = round(med["tracegate_" + kind] - med["noop_" + kind], 2)
            med["paced_added_" + kind] = round(med["paced_tracegate_" + kind]
                                               - med["paced_bare_" + kind], 2)
            med["pipeline_added_" + kind] = round(med["pipeline_tracegate_" + kind]
                                                  - med["pipeline_bare_" + kind], 2)
        stats = client.stats()
        out = {"unit": "us per call (median of %d rounds)" % args.rounds, "calls": args.calls,
               "pipeline_calls": pipe_calls, "paced_calls": paced_calls,
               "pause_s": args.pause, "load_avg_1m": os.getloadavg()[0], "python": sys.version.split()[0],
               "results": med, "client": stats,
               "gateway": args.endpoint or "local tracegate + emulator"}
        print(json.dumps(out, indent=1))
        return 0 if stats["dropped"] == 0 and stats["rejected"] == 0 else 1
    finally:
        client.shutdown(10)
        if recorder is not None:
            recorder.stop()


if __name__ == "__main__":
    sys.exit(main())
