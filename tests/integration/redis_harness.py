"""A real redis-server for the Redis end-to-end tests, plus the load helpers they share.

``RedisServer()`` starts redis-server on 127.0.0.1 and a free port, in its own temp dir,
with AOF on by default (appendfsync everysec); ``stop()`` (SIGTERM: Redis fsyncs the AOF),
``kill()`` and ``restart()`` (same port and dir) control it, ``command()`` talks RESP over a
socket (no redis-py needed). Every process started here is stopped by the fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from gateway_harness import make_config, results, send_events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _encode(args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode("utf-8", "replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise RuntimeError("bad RESP reply %r" % line)


class RedisServer:
    def __init__(self, aof: bool = True):
        self.dir = tempfile.mkdtemp(prefix="tracegate-redis-")
        self.aof = aof
        self.port = free_port()
        self.proc = None
        self.start()

    @property
    def url(self) -> str:
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self, deadline_s: float = 15.0) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir,
             "--save", "", "--appendonly", "yes" if self.aof else "no",
             "--appendfsync", "everysec", "--daemonize", "no", "--loglevel", "warning",
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + deadline_s
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: " + self.log())
            try:
                self.command("EXISTS", "tracegate:probe")  # LOADING until the AOF is read
                return
            except (OSError, RuntimeError, ConnectionError):
                time.sleep(0.02)
        raise RuntimeError("redis-server did not come up: " + self.log())

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir, "redis.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def command(self, *args, timeout: float = 5.0):
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(_encode(args))
            with s.makefile("rb") as f:
                return _read_reply(f)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_config(emulator_port: int, redis: RedisServer, routes=None, export=None,
                 redis_extra=None, extra: str = "") -> str:
    """make_config() plus a redis section (short claim timeout for tests)."""
    section = {"url": redis.url, "claim_idle_timeout": "3s", "command_timeout": "1s",
               "max_reconnect_backoff": "500ms"}
    section.update(redis_extra or {})
    lines = ["redis:"] + ["  %s: %s" % (k, v) for k, v in section.items()]
    return make_config(emulator_port, routes=routes, export=export,
                       extra="\n".join(lines) + "\n" + extra)


# 16/32 lower-hex ids pass through the OTLP mapping unchanged, so the emulator's observation
# ids are the ones sent here.
def obs_id(n: int) -> str:
    return "%016x" % (0x1000000000000000 + n)


def trace_id(n: int) -> str:
    return "%032x" % (0x10000000000000000000000000000000 + n)


def span_events(first: int, count: int, traces: int = 10, prefix: str = "ev",
                input_bytes: int = 0) -> list[dict]:
    """`count` observation events numbered from `first`; event i belongs to trace i % traces
    and carries its number in its name (so arrival order per trace can be checked), plus an
    input text of `input_bytes` when given."""
    now = time.time()
    out = []
    for i in range(first, first + count):
        t = now + i * 1e-6
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(
            (t % 1) * 1000)
        body = {"id": obs_id(i), "traceId": trace_id(i % traces),
                "type": "OBSERVATION_TYPE_SPAN", "name": "seq-%08d" % i,
                "startTime": stamp, "endTime": stamp}
        if input_bytes:
            body["input"] = {"text": "x" * input_bytes}
        out.append({"eventId": "%s-%d" % (prefix, i), "timestamp": stamp, "observation": body})
    return out


def send_ok(gateway, events, workspace="alpha", expect="ACCEPTED") -> dict:
    """Sends events; asserts every result is `expect`; returns the results."""
    code, out, err = send_events(gateway, events, workspace=workspace)
    res = results(out)
    bad = {k: v for k, v in res.items() if v[0] != expect}
    assert len(res) == len(events) and not bad, (code, out[-2000:], err[-2000:])
    return res


def delivered_spans(emu) -> tuple[dict, int]:
    """({observation id: observation}, spans received in 2xx OTLP requests)."""
    state = emu.state()
    spans = sum(r.get("n_spans") or 0 for r in state["requests"]
                if r["endpoint"] == "otel" and r["status"] == 200)
    return state["observations"], spans


def read_records(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def consumer_of(gateway) -> str:
    """The Redis consumer name a gateway logged at start."""
    for line in gateway.log_lines:
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if "consumer" in obj and obj.get("msg", "").startswith("redis stores"):
            return obj["consumer"]
    raise AssertionError("no redis consumer in the gateway log")


def pending_entries(redis: RedisServer, route: str, consumer: str | None = None,
                    prefix: str = "tg:") -> int:
    """Entries of `route`'s stream pending (read, not acked), optionally for one consumer."""
    args = ["XPENDING", "{%s%s}:q" % (prefix, route), "tracegate", "-", "+", "10000"]
    if consumer:
        args.append(consumer)
    try:
        return len(redis.command(*args) or [])
    except RuntimeError:  # NOGROUP: nothing read yet
        return 0
