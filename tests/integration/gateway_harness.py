"""Runs the real `tracegate` binary and `tracegate-cli` for integration tests.

The gateway is started on 127.0.0.1 port 0 (gRPC and admin) with a config written to a
temp dir; its ports are read from the "tracegate listening" JSON log line. Every process
started here is bounded in time and stopped by the fixture that started it.

Binaries come from $TRACEGATE_BUILD_DIR (set by ctest), else <repo>/build.
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("TRACEGATE_BUILD_DIR", os.path.join(REPO, "build"))
GATEWAY_BIN = os.path.join(BUILD, "gateway", "tracegate")
CLI_BIN = os.path.join(BUILD, "clients", "cpp", "tracegate-cli")

API_KEY = "tg_test_key_alpha"
OTHER_KEY = "tg_test_key_beta"
STAR_KEY = "tg_test_key_star"
PK, SK = "pk-lf-test", "sk-lf-test"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_config(emulator_port: int, routes=None, export=None, extra: str = "") -> str:
    """A YAML config with two keys: API_KEY writes workspaces alpha and beta (legacy route),
    OTHER_KEY writes only gamma. Langfuse keys come from the environment (expansion)."""
    base = "http://127.0.0.1:%d" % emulator_port
    routes = routes or [
        {"name": "otlp-route", "workspaces": ["alpha", "gamma"], "egress": "otlp"},
        {"name": "legacy-route", "workspaces": ["beta"], "egress": "legacy"},
    ]
    export = export or {}
    lines = [
        "server:",
        '  grpc_listen: "127.0.0.1:0"',
        '  admin_listen: "127.0.0.1:0"',
        "  drain_timeout: 10s",
        "api_keys:",
        "  - name: alpha-key",
        "    sha256: %s" % sha256(API_KEY),
        "    workspaces: [alpha, beta]",
        "  - name: other-key",
        "    sha256: %s" % sha256(OTHER_KEY),
        "    workspaces: [gamma]",
        "  - name: star-key",
        "    sha256: %s" % sha256(STAR_KEY),
        '    workspaces: ["*"]',
        "routes:",
    ]
    for r in routes:
        lines += [
            "  - name: %s" % r["name"],
            "    workspaces: %s" % json.dumps(r["workspaces"]),
            "    egress: %s" % r.get("egress", "otlp"),
            "    langfuse:",
            "      base_url: %s" % ("http://127.0.0.1:%d" % r["port"] if "port" in r else base),
            "      public_key: ${TEST_LANGFUSE_PK}",
            "      secret_key: ${TEST_LANGFUSE_SK}",
            "      timeout: 5s",
        ]
    lines += ["export:"]
    ex = {"linger": "50ms", "initial_backoff": "100ms", "max_backoff": "2s"}
    ex.update(export)
    for k, v in ex.items():
        lines.append("  %s: %s" % (k, v))
    return "\n".join(lines) + "\n" + extra


class Gateway:
    """A running tracegate process."""

    def __init__(self, proc, grpc_port, admin_port, log_lines):
        self.proc = proc
        self.grpc_port = grpc_port
        self.admin_port = admin_port
        self.log_lines = log_lines  # filled by a reader thread

    @property
    def endpoint(self) -> str:
        return "127.0.0.1:%d" % self.grpc_port

    def http(self, path: str):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.admin_port, path),
                                        timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def grpc_health(self) -> str:
        """The standard gRPC health service's answer for the server ("SERVING", ...)."""
        import grpc  # the integration venv has grpcio (clients/python)
        with grpc.insecure_channel(self.endpoint) as channel:
            # grpc.health.v1.Health/Check with an empty HealthCheckRequest (service "");
            # the reply is HealthCheckResponse{status = 1}: tag 0x08, then the enum value.
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=lambda b: b,
                                        response_deserializer=lambda b: b)
            reply = check(b"", timeout=5)
        status = reply[1] if len(reply) == 2 and reply[0] == 0x08 else 0
        return {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING"}.get(status, "UNKNOWN")

    def metric(self, name: str, **labels) -> float:
        """Sum of a metric's samples whose labels include `labels`."""
        _, text = self.http("/metrics")
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all('%s="%s"' % (k, v) in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def logs(self) -> str:
        return "\n".join(self.log_lines)

    def stop(self, sig=signal.SIGTERM, timeout=30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


def keep_log_file(pid: int):
    """A file for a copy of a gateway's log when TRACEGATE_GATEWAY_LOG_DIR is set (ctest sets
    it so that log_scan_suite scans every gateway log line of the run for secrets)."""
    folder = os.environ.get("TRACEGATE_GATEWAY_LOG_DIR")
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    return open(os.path.join(folder, "pytest-%d-%d.log" % (os.getpid(), pid)), "a",
                encoding="utf-8")


def start_gateway(config_text: str, env_extra=None, deadline_s: float = 20.0) -> Gateway:
    tmp = tempfile.mkdtemp(prefix="tracegate-it-")
    path = os.path.join(tmp, "tracegate.yaml")
    with open(path, "w") as f:
        f.write(config_text)
    os.chmod(path, 0o600)
    env = dict(os.environ, TEST_LANGFUSE_PK=PK, TEST_LANGFUSE_SK=SK)
    env.update(env_extra or {})
    proc = subprocess.Popen([GATEWAY_BIN, "--config=" + path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    lines: list[str] = []
    ports = {}
    ready = threading.Event()
    keep = keep_log_file(proc.pid)

    def reader():
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            if keep:
                keep.write(line + "\n")
                keep.flush()
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("msg") == "tracegate listening":
                ports["grpc"] = int(obj["grpc_port"])
                ports["admin"] = int(obj["admin_port"])
                ready.set()

    threading.Thread(target=reader, daemon=True).start()
    end = time.time() + deadline_s
    while not ready.wait(0.1) and time.time() < end:
        if proc.poll() is not None:  # exited (a start error): no need to wait any longer
            time.sleep(0.2)  # let the reader take the last lines
            break
    if not ready.is_set():
        proc.kill()
        proc.wait(timeout=5)
        raise RuntimeError("gateway did not start:\n" + "\n".join(lines))
    return Gateway(proc, ports["grpc"], ports["admin"], lines)


def cli(gateway: Gateway, *args, key=API_KEY, stdin: str | None = None, timeout=30.0):
    """Runs tracegate-cli against the gateway; returns (exit code, stdout, stderr)."""
    env = dict(os.environ, TRACEGATE_ENDPOINT=gateway.endpoint, TRACEGATE_API_KEY=key)
    proc = subprocess.run([CLI_BIN, *args], input=(stdin or "").encode(), env=env,
                          capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def send_events(gateway: Gateway, events: list[dict], key=API_KEY, workspace="alpha",
                stream=False):
    """Sends TraceEvents (proto JSON mapping dicts) via `tracegate-cli send --file -`."""
    text = "\n".join(json.dumps(e) for e in events) + "\n"
    args = ["send", "--file=-", "--workspace=" + workspace]
    if stream:
        args.append("--stream")
    return cli(gateway, *args, key=key, stdin=text)


def results(stdout: str) -> dict:
    """Parses CLI output into {event_id: (status, code, reason)}."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) >= 2 and parts[1] in ("ACCEPTED", "DUPLICATE", "REJECTED"):
            out[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "",
                             parts[3] if len(parts) > 3 else "")
    return out


def wait_for(predicate, timeout=15.0, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
