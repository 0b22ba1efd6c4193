"""Test harness: runs the Langfuse emulator as a subprocess on port 0.

Kept apart from conftest.py so tests can import it by a unique module name.

``spawn(*args)`` starts one, reads its ``PORT <n>`` line (up to the newline,
with a deadline) and returns an ``Emulator`` client; ``stop`` ends it.  The
fixtures ``start_emulator`` (a factory) and ``emu`` (a shared v4 server, reset
per test) stop every process they started and assert that it really exited.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "langfuse_emulator.py")
SPEC = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "langfuse", "openapi.yml"))
PK, SK = "pk-lf-test", "sk-lf-test"


def basic(pk: str = PK, sk: str = SK) -> str:
    return "Basic " + base64.b64encode(("%s:%s" % (pk, sk)).encode()).decode()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Emulator:
    """A running emulator process plus small HTTP helpers (one connection per call)."""

    def __init__(self, proc: subprocess.Popen, port: int):
        self.proc, self.port = proc, port

    def request(self, method, path, body=None, headers=None, timeout=10.0) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Response(resp.status, dict(resp.getheaders()), resp.read())
        finally:
            conn.close()

    def ingest(self, batch, auth=None, **extra) -> Response:
        headers = {"Content-Type": "application/json", "Authorization": auth or basic()}
        headers.update(extra)
        return self.request("POST", "/api/public/ingestion", {"batch": batch}, headers)

    def otel(self, body: bytes, content_type="application/x-protobuf", auth=None, **extra):
        headers = {"Content-Type": content_type, "Authorization": auth or basic()}
        headers.update(extra)
        return self.request("POST", "/api/public/otel/v1/traces", body, headers)

    def state(self) -> dict:
        return self.request("GET", "/_emulator/state").json()

    def reset(self) -> None:
        assert self.request("POST", "/_emulator/reset").status == 200

    def faults(self, spec) -> None:
        resp = self.request("POST", "/_emulator/faults", spec)
        assert resp.status == 200, resp.body


def _read_port(proc: subprocess.Popen, deadline_s: float = 15.0) -> int:
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    line = b""
    deadline = time.monotonic() + deadline_s
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not selector.select(left):
            raise RuntimeError("emulator printed no PORT line in time")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            raise RuntimeError("emulator exited with %s" % proc.wait(timeout=5))
        line += chunk
    word, port = line.decode().split()
    assert word == "PORT"
    return int(port)


def spawn(*args, lifetime: float = 120.0) -> Emulator:
    """Starts an emulator; its stderr goes to a temporary file (never a full pipe)."""
    cmd = [sys.executable, SCRIPT, "--host", "127.0.0.1", "--port", "0",
           "--public-key", PK, "--secret-key", SK,
           "--max-lifetime-seconds", str(lifetime)] + list(args)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log)
    proc.log = log
    try:
        return Emulator(proc, _read_port(proc))
    except Exception:
        stop(proc)
        raise


def stop(proc: subprocess.Popen) -> None:
    """Terminates the process (kill after 5 s) and checks that it is gone."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    proc.stdout.close()
    proc.log.close()
    assert proc.poll() is not None, "emulator process still running"


@pytest.fixture
def start_emulator():
    """Factory fixture: ``start_emulator(*cli_args)``; all are stopped at teardown."""
    started = []

    def start(*args, lifetime: float = 120.0) -> Emulator:
        emu = spawn(*args, lifetime=lifetime)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        stop(emu.proc)


@pytest.fixture(scope="module")
def v4_emulator():
    """One default (v4.16.0) emulator per test module; use the ``emu`` fixture."""
    emu = spawn("--server-version", "4.16.0", lifetime=600.0)
    yield emu
    stop(emu.proc)


@pytest.fixture
def emu(v4_emulator):
    """The module's v4 emulator, reset (records, log, faults) before each test."""
    v4_emulator.reset()
    return v4_emulator
