"""Process helpers for bench/run: start the gateway, null gateway, sink, Redis and the
OpenTelemetry Collector on 127.0.0.1, read their ports, and sample their CPU time, peak RSS
and Redis command counts from /proc and INFO. Standard library only (any Python >= 3.8).
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

API_KEY = "tg_bench_key"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port that was free a moment ago (for servers that cannot report port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat; with
    `children`, plus cutime + cstime of its reaped children (Redis's AOF rewrite forks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    if children:
        ticks += int(fields[13]) + int(fields[14])  # fields 16 and 17
    return ticks / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) in MiB."""
    return _status_kb(pid, "VmHWM") / 1024.0


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS") / 1024.0


def _status_kb(pid: int, key: str) -> float:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Proc:
    """A child process whose stdout/stderr go to a log file; stopped with SIGTERM."""

    def __init__(self, name: str, argv: list, log_path: str, env=None):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.pid = self.proc.pid

    def wait_for(self, parse, timeout: float = 20.0):
        """Polls the log until parse(line) returns a value; raises with the log if not."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                for raw in f:
                    value = parse(raw.decode("utf-8", "replace").strip())
                    if value is not None:
                        return value
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s did not start:\n%s" % (self.name, self.tail()))

    def tail(self, lines: int = 30) -> str:
        with open(self.log_path, "rb") as f:
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()
        return self.proc.returncode


def port_line(line: str):
    """Parses the "port N" line of the null gateway and the sink."""
    if line.startswith("port "):
        return int(line.split()[1])
    return None


def gateway_ports(line: str):
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if isinstance(obj, dict) and obj.get("msg") == "tracegate listening":
        return int(obj["grpc_port"]), int(obj["admin_port"])
    return None


def http_json(url: str, data: bytes = None, timeout: float = 5.0):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode() or "{}")


def gateway_config(sink_port: int, egress: str, extra_yaml: str = "", export=None) -> str:
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    ex = {"max_batch_events": 500, "linger": "200ms"}
    ex.update(export or {})
    return "\n".join([
        "server:",
        '  grpc_listen: "127.0.0.1:0"',
        '  admin_listen: "127.0.0.1:0"',
        "  drain_timeout: 5s",
        "api_keys:",
        "  - name: bench",
        "    sha256: %s" % digest,
        '    workspaces: ["*"]',
        "routes:",
        "  - name: bench",
        '    workspaces: ["*"]',
        "    langfuse:",
        '      base_url: "http://127.0.0.1:%d"' % sink_port,
        "      public_key: pk-lf-bench",
        "      secret_key: sk-lf-bench",
        "    egress: %s" % egress,
        "export:",
    ] + ["  %s: %s" % kv for kv in ex.items()] + [
        "logging:",
        "  level: info",  # the port comes from the "tracegate listening" info line
        extra_yaml,
        "",
    ])


def redis_commandstats(port: int) -> dict:
    """{command: calls} from INFO commandstats, over a raw RESP connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n")
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        header, rest = data.split(b"\r\n", 1)
        size = int(header[1:])
        while len(rest) < size:
            rest += s.recv(65536)
    calls = {}
    for line in rest[:size].decode().splitlines():
        if line.startswith("cmdstat_"):
            name, stats = line[len("cmdstat_"):].split(":", 1)
            fields = dict(kv.split("=") for kv in stats.split(","))
            calls[name] = int(fields["calls"])
    return calls


class Sampler:
    """Samples CPU (and a callback) at two moments: the start and end of a load window."""

    def __init__(self, at_start: float, at_end: float, probe):
        self.values = [None, None]
        self._thread = threading.Thread(target=self._run, args=(at_start, at_end, probe),
                                        daemon=True)
        self._thread.start()

    def _run(self, at_start, at_end, probe):
        for i, at in enumerate((at_start, at_end)):
            delay = at - time.time()
            if delay > 0:
                time.sleep(delay)
            self.values[i] = probe()

    def join(self):
        self._thread.join()
        return self.values
