"""The scenarios of bench/run and how one is measured (see bench/run and bench/README.md)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time

import benchlib as bl
import perfprofile as prof

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_PROTO = os.path.join(ROOT, "proto", "tracegate", "config", "v1", "config.proto")
HERE = os.path.dirname(os.path.abspath(__file__))
PRELOADS = {"jemalloc": ["/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                         "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2"]}

# Each scenario: how the gateway is configured and what the load generator sends.
# `requires` names a config.proto section that must exist (features still being built are
# skipped with a message instead of failing). `extra` is YAML appended to the config.
SCENARIOS = [
    dict(name="null", kind="null", quick=True,
         about="null gateway: same RPCs, answers ACCEPTED without work (the ceiling)"),
    dict(name="embedded/otlp", egress="otlp", quick=True,
         about="in-process dedupe+queue, OTLP egress (Langfuse v3.22+/v4), small spans"),
    dict(name="embedded/legacy", egress="legacy", quick=True,
         about="in-process dedupe+queue, legacy /api/public/ingestion egress"),
    dict(name="embedded/otlp 2 exp", egress="otlp", export={"workers_per_route": 2},
         about="embedded/otlp with export.workers_per_route: 2 (export in parallel)"),
    dict(name="embedded/otlp unary", egress="otlp", protocol="unary",
         about="as embedded/otlp, unary Ingest calls instead of a stream"),
    dict(name="embedded/otlp mixed", egress="otlp", mix="span:85,generation:10,score:5",
         duplicates=0.05, workspaces=4,
         about="85% spans, 10% 4 KB chat generations, 5% scores; 5% duplicates; 4 workspaces"),
    dict(name="privacy/off", egress="otlp", requires="privacy", extra_key="privacy_off",
         mix="span:85,generation:10,score:5",
         about="privacy policy that keeps everything (capture full, user ids kept), mixed events"),
    dict(name="privacy/mask", egress="otlp", requires="privacy", extra_key="privacy_mask",
         mix="span:85,generation:10,score:5",
         about="privacy defaults: PII masked in inputs/outputs, user ids HMAC-hashed, enrichment"),
    dict(name="redis/otlp", egress="otlp", requires="redis", redis=True,
         about="Redis dedupe + durable stream queue (AOF everysec), OTLP egress"),
    dict(name="redis/legacy", egress="legacy", requires="redis", redis=True,
         about="Redis, legacy egress"),
    dict(name="redis/otlp x3", egress="otlp", requires="redis", redis=True, replicas=3,
         about="three gateway replicas sharing one Redis"),
    dict(name="collector", kind="otelcol",
         about="OpenTelemetry Collector: OTLP/gRPC in, batch, OTLP/HTTP out (same spans)"),
]


def config_has(section: str) -> bool:
    """Whether config.proto's Config message has a field named `section`."""
    with open(CONFIG_PROTO) as f:
        text = f.read()
    m = re.search(r"message Config \{(.*?)\n\}", text, re.S)
    return bool(m and re.search(r"\b%s\s*=\s*\d+;" % re.escape(section), m.group(1)))


def server_uses(feature: str) -> bool:
    """Whether the composition root (gateway/server/*.cc) mentions `feature` at all: a
    section the server ignores would silently measure the embedded default instead."""
    d = os.path.join(ROOT, "gateway", "server")
    for name in os.listdir(d):
        if name.endswith(".cc"):
            with open(os.path.join(d, name)) as f:
                if feature in f.read().lower():
                    return True
    return False


def extra_yaml(key: str, redis_port: int = 0) -> str:
    """YAML sections for features whose schema lives in config.proto (see docs)."""
    if key == "redis":
        return "\n".join(["redis:", '  url: "redis://127.0.0.1:%d"' % redis_port])
    secret = '  hmac_secret: "bench-hmac-secret-0123456789abcdef"'
    if key == "privacy_off":
        return "\n".join(["privacy:", secret, "  user_id: keep", "  capture: full",
                          "  allow_structured_metadata: true", "  enrich: false"])
    if key == "privacy_mask":
        return "\n".join(["privacy:", secret, "  capture: mask", "  user_id: hash"])
    return ""


class Tools:
    def __init__(self, build_dir: str, otelcol: str):
        self.gateway = os.path.join(build_dir, "gateway", "tracegate")
        self.loadgen = os.path.join(build_dir, "bench", "tracegate-loadgen")
        self.null = os.path.join(build_dir, "bench", "tracegate-null-gateway")
        self.sink = os.path.join(build_dir, "bench", "tracegate-bench-sink")
        self.otelcol = otelcol

    def missing(self):
        return [p for p in (self.gateway, self.loadgen, self.null, self.sink)
                if not os.access(p, os.X_OK)]


class Runner:
    def __init__(self, tools: Tools, tmp: str, duration: float, warmup: float, batch: int,
                 quick: bool):
        self.t, self.tmp, self.duration, self.warmup = tools, tmp, duration, warmup
        self.batch, self.quick = batch, quick
        self.seq = 0
        self.profile = False  # perf-profile the gateway at the 50% load point

    def _log(self, name: str) -> str:
        self.seq += 1
        return os.path.join(self.tmp, "%02d-%s.log" % (self.seq, name))

    # ---- processes -------------------------------------------------------------------
    def start_sink(self):
        p = bl.Proc("sink", [self.t.sink, "--port=0"], self._log("sink"))
        return p, p.wait_for(bl.port_line)

    def start_redis(self):
        port = bl.free_port()
        d = os.path.join(self.tmp, "redis-%d" % port)
        os.makedirs(d, exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                # as docker-compose.yml and deploy/k8s/redis.yaml run it (docs/redis.md)
                "--auto-aof-rewrite-percentage", "400", "--auto-aof-rewrite-min-size", "256mb"]
        p = bl.Proc("redis", argv, self._log("redis"))
        p.wait_for(lambda line: True if "Ready to accept connections" in line else None)
        return p, port

    def start_gateway(self, config: str, preload: str = ""):
        path = os.path.join(self.tmp, "tracegate-%d.yaml" % (self.seq + 1))
        with open(path, "w") as f:
            f.write(config)
        os.chmod(path, 0o600)
        env = dict(os.environ, LD_PRELOAD=preload) if preload else None
        p = bl.Proc("gateway", [self.t.gateway, "--config=" + path], self._log("gateway"), env)
        grpc_port, admin_port = p.wait_for(bl.gateway_ports)
        return p, grpc_port

    # ---- one load point --------------------------------------------------------------
    def load(self, targets, pids, sink_port=None, redis=None, rate=0.0, protocol="stream",
             mix="span", duplicates=0.0, workspaces=1, duration=None, profile_pid=None):
        duration = duration or self.duration
        conns = max(2, len(targets))
        argv = [self.t.loadgen, "--target=" + ",".join(targets), "--api_key=" + bl.API_KEY,
                "--protocol=" + protocol, "--batch=%d" % self.batch, "--mix=" + mix,
                "--duplicates=%g" % duplicates, "--workspaces=%d" % workspaces,
                "--connections=%d" % conns, "--rate=%g" % rate,
                "--concurrency=%d" % (8 if protocol != "stream" else 2 * conns),
                "--window=4", "--warmup=%gs" % self.warmup, "--duration=%gs" % duration]

        def probe():
            v = {"t": time.time(), "cpu": {pid: bl.cpu_seconds(pid) for pid in pids}}
            if sink_port:
                v["sink"] = bl.http_json("http://127.0.0.1:%d/stats" % sink_port)
            if redis:
                v["redis_cpu"] = bl.cpu_seconds(redis[0], children=True)
                v["redis_cmds"] = bl.redis_commandstats(redis[1])
                v["redis_calls"] = sum(v["redis_cmds"].values())
            return v

        start = time.time()
        sampler = bl.Sampler(start + self.warmup, start + self.warmup + duration, probe)
        perf, perf_data, perf_procs = None, None, []
        if profile_pid:
            perf_data = os.path.join(self.tmp, "perf-%d.data" % profile_pid)
            perf = threading.Timer(self.warmup, lambda: perf_procs.append(
                prof.record(profile_pid, duration, perf_data)))
            perf.start()
        out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
        v0, v1 = sampler.join()
        if perf:
            perf.join()
            for p in perf_procs:
                p.wait()
        if out.returncode != 0:
            raise RuntimeError("loadgen failed: %s" % out.stderr.strip()[-500:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        window = v1["t"] - v0["t"]
        answered = r["accepted"] + r["duplicate"] + r["rejected"]
        cpu = sum(v1["cpu"][p] - v0["cpu"][p] for p in pids)
        point = {"loadgen": r, "window_s": window,
                 "acked_per_s": r["accepted_events_per_s"],
                 "cpu_us_per_event": 1e6 * cpu / answered if answered else None,
                 "cpu_cores": cpu / window,
                 "loadgen_us_per_event": r["loadgen_cpu_us_per_event"],
                 "latency_us": r["latency_us"]}
        sustained = r["accepted_events_per_s"]
        if sink_port:
            delivered = (v1["sink"]["events"] - v0["sink"]["events"]) / window
            point["delivered_per_s"] = delivered
            # Duplicates are answered but not forwarded: compare like with like.
            expect = r["accepted_events_per_s"]
            sustained = min(expect, delivered) if expect else delivered
        point["sustained"] = sustained
        if sink_port:
            point["drain_s"] = self._drain(sink_port, pids)
        if perf_data and os.path.exists(perf_data):
            point["profile"] = prof.breakdown(perf_data)
        if redis:
            point["redis_cpu_us_per_event"] = (
                1e6 * (v1["redis_cpu"] - v0["redis_cpu"]) / answered if answered else None)
            point["redis_cmds_per_event"] = (
                (v1["redis_calls"] - v0["redis_calls"]) / answered if answered else None)
            point["redis_cmds_per_batch"] = {
                cmd: (n - v0["redis_cmds"].get(cmd, 0)) * self.batch / answered
                for cmd, n in v1["redis_cmds"].items()
                if answered and n > v0["redis_cmds"].get(cmd, 0)}
        return point

    def _drain(self, sink_port, pids, timeout=120.0) -> float:
        """Waits until the sink stops receiving (the gateway's queue is empty again), so
        that the next load point does not pay for this one's backlog. Returns seconds."""
        start = time.time()
        last, quiet = -1, 0
        while time.time() - start < timeout:
            events = bl.http_json("http://127.0.0.1:%d/stats" % sink_port)["events"]
            quiet = quiet + 1 if events == last else 0
            if quiet >= 3:  # 0.6 s without a delivery (linger is 200 ms)
                break
            last = events
            time.sleep(0.2)
        return time.time() - start

    # ---- scenarios ---------------------------------------------------------------------
    def run(self, s: dict, soak: float = 0) -> dict:
        result = {"name": s["name"], "about": s.get("about", "")}
        if s.get("requires") and not config_has(s["requires"]):
            result["skipped"] = "config.proto has no `%s:` section yet" % s["requires"]
            return result
        if s.get("requires") and not server_uses(s["requires"]):
            result["skipped"] = "gateway/server does not wire `%s` yet" % s["requires"]
            return result
        if s.get("preload") and not self._preload(s["preload"]):
            result["skipped"] = "%s not installed (%s)" % (s["preload"], PRELOADS[s["preload"]][0])
            return result
        if s.get("kind") == "null":
            return self._null(result)
        if s.get("kind") == "otelcol":
            return self._otelcol(result)
        return self._gateway(s, result, soak)

    @staticmethod
    def _preload(name) -> str:
        return next((p for p in PRELOADS.get(name or "", []) if os.path.exists(p)), "")

    def _latency_points(self, result, rate_max, run, profile_pid=None):
        for key, share in (("p50", 0.5), ("p80", 0.8)):
            if key == "p50" and profile_pid:
                point = run(rate=share * rate_max, profile_pid=profile_pid)
            else:
                point = run(rate=share * rate_max)
            point["offered_per_s"] = share * rate_max
            result[key] = point

    def _null(self, result):
        p, port = None, None
        try:
            p = bl.Proc("null", [self.t.null, "--listen=127.0.0.1:0"], self._log("null"))
            port = p.wait_for(bl.port_line)
            target = ["127.0.0.1:%d" % port]
            result["max"] = self.load(target, [p.pid])
            self._latency_points(result, result["max"]["sustained"],
                                 lambda rate: self.load(target, [p.pid], rate=rate))
            result["peak_rss_mb"] = bl.peak_rss_mb(p.pid)
        finally:
            if p:
                p.stop()
        return result

    def _gateway(self, s, result, soak):
        procs = []
        try:
            sink, sink_port = self.start_sink()
            procs.append(sink)
            redis = None
            extra = s.get("extra_key") and extra_yaml(s["extra_key"]) or ""
            if s.get("redis"):
                rp, rport = self.start_redis()
                procs.append(rp)
                redis = (rp.pid, rport)
                extra += "\n" + extra_yaml("redis", rport)
            config = bl.gateway_config(sink_port, s["egress"], extra, s.get("export"))
            gateways = []
            for _ in range(s.get("replicas", 1)):
                gp, gport = self.start_gateway(config, self._preload(s.get("preload")))
                procs.append(gp)
                gateways.append((gp, gport))
            targets = ["127.0.0.1:%d" % port for _, port in gateways]
            pids = [g.pid for g, _ in gateways]
            kw = dict(sink_port=sink_port, redis=redis, protocol=s.get("protocol", "stream"),
                      mix=s.get("mix", "span"), duplicates=s.get("duplicates", 0.0),
                      workspaces=s.get("workspaces", 1))
            result["max"] = self.load(targets, pids, **kw)
            if redis and not result["max"].get("redis_cmds_per_event"):
                raise RuntimeError("Redis is configured but the gateway sent it no commands "
                                   "(is Redis wired into gateway/server in this build?)")
            self._latency_points(result, result["max"]["sustained"],
                                 lambda rate, **more: self.load(targets, pids, rate=rate,
                                                                **kw, **more),
                                 profile_pid=pids[0] if self.profile else None)
            if soak:
                result["soak"] = self._soak(targets, pids, kw, 0.8 * result["max"]["sustained"],
                                            soak)
            result["peak_rss_mb"] = sum(bl.peak_rss_mb(pid) for pid in pids)
            time.sleep(0.5)
            stats = bl.http_json("http://127.0.0.1:%d/stats" % sink_port)
            result["sink"] = stats
            if stats["events"] == 0:
                result["error"] = "the sink received no events"
            if stats["invalid_requests"]:
                result["error"] = "the sink refused %d requests" % stats["invalid_requests"]
            for g, _ in gateways:
                if not g.alive():
                    result["error"] = "gateway exited early:\n" + g.tail()
        finally:
            for p in reversed(procs):
                p.stop()
        return result

    def _soak(self, targets, pids, kw, rate, seconds):
        """Runs at `rate` for `seconds`, sampling RSS every 10 s (memory must stay flat)."""
        samples = []
        argv_point = dict(kw)
        import threading
        done = threading.Event()

        def sample():
            while not done.wait(10.0):
                samples.append((time.time(), sum(bl.rss_mb(p) for p in pids)))

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        point = self.load(targets, pids, rate=rate, duration=seconds, **argv_point)
        done.set()
        t.join()
        half = [s for s in samples if s[0] >= samples[0][0] + (samples[-1][0] - samples[0][0]) / 2] \
            if samples else []
        slope = 0.0
        if len(half) >= 2:
            n = len(half)
            mx = sum(x for x, _ in half) / n
            my = sum(y for _, y in half) / n
            den = sum((x - mx) ** 2 for x, _ in half) or 1.0
            slope = 60.0 * sum((x - mx) * (y - my) for x, y in half) / den
        rss = [y for _, y in samples] or [0.0]
        return {"seconds": seconds, "rate": rate, "point": point, "rss_samples": samples,
                "rss_first": rss[0], "rss_last": rss[-1], "rss_max": max(rss),
                "slope_mb_per_min": slope}

    def _otelcol(self, result):
        if not os.access(self.t.otelcol, os.X_OK):
            result["skipped"] = "no Collector binary at %s (run bench/otelcol/build.sh)" % \
                self.t.otelcol
            return result
        procs = []
        try:
            sink, sink_port = self.start_sink()
            procs.append(sink)
            grpc_port = bl.free_port()
            with open(os.path.join(HERE, "otelcol", "config.yaml")) as f:
                config = f.read().replace("${GRPC_PORT}", str(grpc_port)).replace(
                    "${SINK_PORT}", str(sink_port)).replace("${METRICS_PORT}",
                                                            str(bl.free_port()))
            path = os.path.join(self.tmp, "otelcol.yaml")
            with open(path, "w") as f:
                f.write(config)
            col = bl.Proc("otelcol", [self.t.otelcol, "--config=" + path], self._log("otelcol"))
            procs.append(col)
            col.wait_for(lambda line: True if "Everything is ready" in line else None, 60)
            target = ["127.0.0.1:%d" % grpc_port]
            kw = dict(sink_port=sink_port, protocol="otlp")
            result["max"] = self.load(target, [col.pid], **kw)
            self._latency_points(result, result["max"]["sustained"],
                                 lambda rate: self.load(target, [col.pid], rate=rate, **kw))
            result["peak_rss_mb"] = bl.peak_rss_mb(col.pid)
            if bl.http_json("http://127.0.0.1:%d/stats" % sink_port)["events"] == 0:
                result["error"] = "the sink received no spans from the Collector"
        finally:
            for p in reversed(procs):
                p.stop()
        return result
