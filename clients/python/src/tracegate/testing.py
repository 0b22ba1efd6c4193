"""Run a real Tracegate gateway with a recording Langfuse sink in your own tests.

In a service's tests (conftest.py):

    pytest_plugins = ["tracegate.testing"]

    def test_my_chain_is_traced(tracegate_recorder):
        my_service.handle_request("hi")        # uses TRACEGATE_* env, set by the fixture
        tracegate_recorder.flush()              # flush the process-wide clients
        trace = tracegate_recorder.wait_trace(name="rag-query")
        assert [n["name"] for n in tracegate_recorder.tree(trace["id"])] == ["qa-chain"]

`tracegate_recorder` (one gateway + sink per test session, emptied before each test)
sets TRACEGATE_ENDPOINT, TRACEGATE_API_KEY and TRACEGATE_WORKSPACE for the test, so code
that builds its clients from the environment reports to it. What the sink stored is read
back in Langfuse's shape (traces, observations, scores: see tests/emulator/README.md).

Needs two programs, found in this order:
- the gateway binary: $TRACEGATE_GATEWAY_BIN, $TRACEGATE_BUILD_DIR/gateway/tracegate,
  <repo>/build/gateway/tracegate (editable installs), `tracegate` on PATH;
- the sink, Tracegate's Langfuse emulator: $TRACEGATE_EMULATOR, else
  <repo>/tests/emulator/langfuse_emulator.py, run with this Python (it needs the packages
  in tests/emulator/requirements.txt).
Both listen on 127.0.0.1, ports chosen by the OS; both are stopped at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Sequence

_PK, _SK = "pk-lf-tracegate-test", "sk-lf-tracegate-test"
_REPO_GUESS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "..", "..", ".."))


def find_gateway() -> str:
    candidates = [os.environ.get("TRACEGATE_GATEWAY_BIN", "")]
    if os.environ.get("TRACEGATE_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["TRACEGATE_BUILD_DIR"], "gateway",
                                       "tracegate"))
    candidates.append(os.path.join(_REPO_GUESS, "build", "gateway", "tracegate"))
    candidates.append(shutil.which("tracegate") or "")
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError("tracegate gateway binary not found: set TRACEGATE_GATEWAY_BIN")


def find_emulator() -> str:
    for path in (os.environ.get("TRACEGATE_EMULATOR", ""),
                 os.path.join(_REPO_GUESS, "tests", "emulator", "langfuse_emulator.py")):
        if path and os.path.isfile(path):
            return path
    raise FileNotFoundError("Langfuse emulator not found: set TRACEGATE_EMULATOR")


def _read_line(stream, prefix: bytes, deadline_s: float, seen: Optional[list] = None) -> bytes:
    """Reads `stream` (a pipe) line by line until one starts with prefix. With `seen`, every
    byte read is appended to it (lines before, the line, and what followed in the chunk)."""
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    buf = b""
    end = time.monotonic() + deadline_s
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if seen is not None:
                seen.append(line + b"\n")
            if line.startswith(prefix):
                if seen is not None and buf:
                    seen.append(buf)
                return line
        left = end - time.monotonic()
        if left <= 0 or not sel.select(left):
            raise RuntimeError("no %r line in time" % prefix)
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            raise RuntimeError("process exited before printing %r" % prefix)
        buf += chunk


# The gateway hashes user ids, masks PII and adds default tags unless told otherwise
# (docs/privacy.md); the recorder shows what a client sends, so it turns that off unless
# extra_config has its own `privacy:` section.
_PASS_THROUGH_PRIVACY = ["privacy:", "  user_id: keep", "  capture: full", "  enrich: false"]


class Recorder:
    """A gateway on 127.0.0.1 that delivers to a recording Langfuse emulator."""

    api_key = "tg_recorder_test_key"
    workspace = "test"

    def __init__(self, gateway_bin: Optional[str] = None, emulator: Optional[str] = None,
                 extra_config: str = "", egress: str = "otlp",
                 emulator_args: Sequence[str] = ()):
        self.gateway_bin = gateway_bin or find_gateway()
        self.emulator_script = emulator or find_emulator()
        self.extra_config = extra_config
        # The route's egress: otlp (Langfuse v4) or legacy (/ingestion, which the emulator
        # takes as a v3 server: emulator_args=["--server-version", "3.225.4"]).
        self.egress = egress
        self.emulator_args = list(emulator_args)
        self.tmp = tempfile.mkdtemp(prefix="tracegate-recorder-")
        self.emu_proc: Optional[subprocess.Popen] = None
        self.gw_proc: Optional[subprocess.Popen] = None
        self.emu_port = 0
        self.grpc_port = 0
        self.admin_port = 0

    # --- processes -----------------------------------------------------------------------

    def start(self) -> "Recorder":
        self.emu_proc = subprocess.Popen(
            [sys.executable, self.emulator_script, "--host", "127.0.0.1", "--port", "0",
             "--public-key", _PK, "--secret-key", _SK, "--max-lifetime-seconds", "3600"]
            + self.emulator_args,
            stdout=subprocess.PIPE, stderr=open(os.path.join(self.tmp, "emulator.log"), "wb"))
        try:
            self.emu_port = int(_read_line(self.emu_proc.stdout, b"PORT", 20).split()[1])
            self.start_gateway()
        except Exception:
            self.stop()
            raise
        return self

    def _config(self) -> str:
        digest = hashlib.sha256(self.api_key.encode()).hexdigest()
        return "\n".join([
            "server:",
            '  grpc_listen: "127.0.0.1:%d"' % self.grpc_port,
            '  admin_listen: "127.0.0.1:0"',
            "  drain_timeout: 5s",
            "api_keys:",
            "  - name: recorder",
            "    sha256: " + digest,
            '    workspaces: ["*"]',
            "routes:",
            "  - name: recorder",
            '    workspaces: ["*"]',
            "    egress: " + self.egress,
            "    langfuse:",
            "      base_url: http://127.0.0.1:%d" % self.emu_port,
            "      public_key: " + _PK,
            "      secret_key: " + _SK,
            "      timeout: 5s",
            "export:",
            "  linger: 20ms",
            "  initial_backoff: 50ms",
            "  max_backoff: 1s",
        ] + ([] if "privacy:" in self.extra_config else _PASS_THROUGH_PRIVACY)) + "\n" + \
            self.extra_config

    def start_gateway(self) -> None:
        """Starts the gateway (again on the same port after stop_gateway())."""
        path = os.path.join(self.tmp, "tracegate.yaml")
        with open(path, "w") as f:
            f.write(self._config())
        os.chmod(path, 0o600)  # it holds the emulator's Langfuse secret key
        self.gw_proc = subprocess.Popen([self.gateway_bin, "--config=" + path],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        seen: List[bytes] = []
        while True:
            line = _read_line(self.gw_proc.stderr, b"{", max(0.1, deadline - time.monotonic()),
                              seen)
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("msg") == "tracegate listening":
                self.grpc_port, self.admin_port = int(obj["grpc_port"]), int(obj["admin_port"])
                break
        # Keep draining stderr so the gateway never blocks on a full pipe. With
        # TRACEGATE_GATEWAY_LOG_DIR set (Tracegate's ctest), a copy goes there for its log scan.
        paths = [os.path.join(self.tmp, "gateway.log")]
        keep = os.environ.get("TRACEGATE_GATEWAY_LOG_DIR")
        if keep:
            os.makedirs(keep, exist_ok=True)
            paths.append(os.path.join(keep, "python-%d-%d.log" % (os.getpid(), self.gw_proc.pid)))
        threading.Thread(target=_copy, args=(self.gw_proc.stderr, paths, b"".join(seen)),
                         daemon=True).start()

    def stop_gateway(self) -> None:
        _stop(self.gw_proc)
        self.gw_proc = None

    def stop(self) -> None:
        self.stop_gateway()
        _stop(self.emu_proc)
        self.emu_proc = None

    def __enter__(self) -> "Recorder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- connection ----------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return "127.0.0.1:%d" % self.grpc_port

    def env(self) -> Dict[str, str]:
        return {"TRACEGATE_ENDPOINT": self.endpoint, "TRACEGATE_API_KEY": self.api_key,
                "TRACEGATE_WORKSPACE": self.workspace}

    def client(self, **kw: Any):
        """A TracegateClient for this gateway (no atexit hook; shut it down yourself)."""
        from tracegate.client import TracegateClient
        kw.setdefault("register_atexit", False)
        return TracegateClient(endpoint=self.endpoint, api_key=self.api_key,
                               workspace=self.workspace, **kw)

    def flush(self, timeout: float = 10.0) -> bool:
        """Flushes every process-wide client (tracegate.get_client) in this process."""
        from tracegate import client as client_mod
        ok = True
        for c in list(client_mod._shared.values()):
            ok = c.flush(timeout) and ok
        return ok

    # --- what the sink received -----------------------------------------------------------

    def _http(self, method: str, path: str, timeout: float = 30.0):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.emu_port, path),
                                     method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def state(self) -> Dict[str, Any]:
        return self._http("GET", "/_emulator/state")[1]

    def reset(self) -> None:
        self._http("POST", "/_emulator/reset")

    def traces(self) -> Dict[str, Any]:
        return self.state()["traces"]

    def trace(self, trace_id: str) -> Optional[Dict[str, Any]]:
        """The stored trace for a client-side trace id (see stored_trace_id)."""
        return self.traces().get(stored_trace_id(trace_id))

    def observations(self, trace_id: Optional[str] = None,
                     include_trace_span: bool = False) -> List[Dict[str, Any]]:
        """Stored observations (of one trace), in start-time order. The span that the
        gateway makes of the Trace event itself is left out unless asked for."""
        obs = list(self.state()["observations"].values())
        if trace_id is not None:
            tid = stored_trace_id(trace_id)
            obs = [o for o in obs if o.get("traceId") == tid]
        if not include_trace_span:
            skip = _trace_span_ids(obs) | ({trace_span_id(trace_id)} if trace_id else set())
            obs = [o for o in obs if o["id"] not in skip]
        return sorted(obs, key=lambda o: (o.get("startTime") or "", o.get("name") or ""))

    def scores(self) -> List[Dict[str, Any]]:
        return list(self.state()["scores"].values())

    def wait(self, traces: int = 0, observations: int = 0, scores: int = 0,
             timeout: float = 15.0) -> bool:
        """Waits until the sink holds at least these many records."""
        q = "traces=%d&observations=%d&scores=%d&timeout=%g" % (traces, observations, scores,
                                                              timeout)
        return self._http("GET", "/_emulator/wait?" + q, timeout=timeout + 5)[0] == 200

    def wait_trace(self, name: Optional[str] = None, timeout: float = 15.0,
                   observations: int = 0) -> Dict[str, Any]:
        """The first stored trace with this name (any trace if None), once it has at
        least `observations` observations. Raises AssertionError after the timeout."""
        end = time.monotonic() + timeout
        while True:
            state = self.state()
            all_obs = list(state["observations"].values())
            skip = _trace_span_ids(all_obs)
            for t in state["traces"].values():
                if name is None or t.get("name") == name:
                    n = sum(1 for o in all_obs if o.get("traceId") == t["id"]
                            and o["id"] not in skip)
                    if n >= observations:
                        return t
            if time.monotonic() > end:
                raise AssertionError("no trace %r with %d observations; have %s" % (
                    name, observations, [t.get("name") for t in state["traces"].values()]))
            time.sleep(0.05)

    def tree(self, trace_id: str) -> List[Dict[str, Any]]:
        """The trace's observations as a forest: each node gets a "children" list, in
        start-time order."""
        obs = self.observations(trace_id)
        nodes = {o["id"]: dict(o, children=[]) for o in obs}
        roots = []
        for o in obs:
            node = nodes[o["id"]]
            parent = nodes.get(o.get("parentObservationId") or "")
            (parent["children"] if parent else roots).append(node)
        return roots


def stored_trace_id(trace_id: str) -> str:
    """The trace id Langfuse stores for a client's trace id on the OTLP egress (the rule
    in proto/tracegate/v1/trace_event.proto): 32 hex → as is; a UUID → its hex digits;
    anything else → the first 16 bytes of SHA-256, in hex."""
    low = trace_id.lower()
    if re.fullmatch(r"[0-9a-f]{32}", low):
        return low
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", low):
        return low.replace("-", "")
    return hashlib.sha256(trace_id.encode()).hexdigest()[:32]


def stored_observation_id(obs_id: str) -> str:
    """The observation id Langfuse stores (16 hex → as is; else SHA-256's first 8 bytes)."""
    if re.fullmatch(r"[0-9a-f]{16}", obs_id.lower()):
        return obs_id.lower()
    return hashlib.sha256(obs_id.encode()).hexdigest()[:16]


def trace_span_id(trace_id: str) -> str:
    """The id of the span the gateway makes of a Trace event: SHA-256("trace:" + id)."""
    return hashlib.sha256(("trace:" + trace_id).encode()).hexdigest()[:16]


def _trace_span_ids(observations: List[Dict[str, Any]]) -> set:
    """Ids of the spans made of Trace events, for the traces these observations are in
    (the original trace id comes back in metadata.tracegate_trace_id when it was hashed)."""
    ids = set()
    for o in observations:
        ids.add(trace_span_id(o.get("traceId") or ""))
        original = (o.get("metadata") or {}).get("tracegate_trace_id")
        if original:
            ids.add(trace_span_id(str(original)))
    return ids


def _copy(stream, paths: List[str], first: bytes = b"") -> None:
    outs = [open(p, "ab") for p in paths]
    try:
        chunk = first
        while True:
            for out in outs:
                out.write(chunk)
                out.flush()
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return
    finally:
        for out in outs:
            out.close()
        stream.close()


def _stop(proc: Optional[subprocess.Popen]) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


try:
    import pytest
except ImportError:  # the module stays usable without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def tracegate_recorder_session():
        """One gateway + recording sink for the whole test session."""
        with Recorder() as recorder:
            yield recorder

    @pytest.fixture
    def tracegate_recorder(tracegate_recorder_session, monkeypatch):
        """The session's recorder, emptied, with TRACEGATE_* env pointing at it."""
        rec = tracegate_recorder_session
        if rec.gw_proc is None:  # a test stopped it
            rec.start_gateway()
        rec.reset()
        for k, v in rec.env().items():
            monkeypatch.setenv(k, v)
        yield rec
