#!/usr/bin/env python3
"""A Langfuse server emulator for Tracegate's integration tests and quick start.

It speaks the ingestion contract of a self-hosted Langfuse as described in
shared/langfuse/INGESTION.md (server v4.16 snapshot, v3 defaults where noted):

  GET  /api/public/health, /api/public/ready   no auth, {"status":"OK","version":...}
  POST /api/public/ingestion                   legacy JSON batches, answered 207 with
                                               per-event successes/errors (§2)
  POST /api/public/otel/v1/traces              OTLP/HTTP protobuf or JSON, gzip (§4)
  /_emulator/...                               control API for tests (no auth): state,
                                               reset, wait, fault injection

Enforced: Basic auth with the configured key pairs (Bearer = scores-only scope on
/ingestion, 403 on OTel), content types, the 4.5 MB ingestion limit (413), the
zod-equivalent per-event rules (emu_validate), the v4 ``events_only`` refusal of
trace/observation events, OTLP id validity (one bad span rejects the whole export),
``x-langfuse-ingestion-version`` <= 4, and, when the official OpenAPI spec is found,
each legacy event against the spec's IngestionEvent schemas (emu_openapi).
Accepted data is turned into Langfuse records (emu_store, emu_mapping) that tests
read from ``GET /_emulator/state``.

Limits: no persistence, no read API (``/api/public/traces`` etc.), no rate limiting
unless injected as a fault, no score-config checks, and only the common OTel
attribute conventions (see emu_mapping).  It binds 127.0.0.1 by default, prints
``PORT <n>`` on stdout once listening, and exits after --max-lifetime-seconds.
Each connection gets its own thread (HTTP/1.1 keep-alive); all state sits in one
``emu_store.Store`` behind a lock, so concurrent requests are safe.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as _dt
import gzip
import json
import os
import signal
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emu_mapping  # noqa: E402
import emu_otel  # noqa: E402
import emu_store  # noqa: E402
import emu_validate as v  # noqa: E402

INGESTION_LIMIT = int(4.5 * 1024 * 1024)  # Next.js bodyParser sizeLimit "4.5mb"
READ_LIMIT = 64 * 1024 * 1024  # larger bodies are refused without reading them
DEFAULT_SPEC = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "langfuse",
    "openapi.yml"))


class BodyTooLarge(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    """One request; the emulator's state lives on ``self.server``."""

    protocol_version = "HTTP/1.1"
    server_version = "LangfuseEmulator/1.0"
    timeout = 120  # idle keep-alive connections are closed after this

    # -- plumbing ----------------------------------------------------------
    def log_message(self, fmt, *args):  # noqa: D401 (http.server API)
        if self.server.config.verbose:
            sys.stderr.write("emulator: %s\n" % (fmt % args))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > READ_LIMIT:
                    raise BodyTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > READ_LIMIT:
            raise BodyTooLarge()
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload, headers=None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        try:
            raw = self._read_body()
        except (BodyTooLarge, ValueError):
            self.close_connection = True
            self._send(413, {"message": "Body exceeded the emulator's read limit"})
            return
        routes = {
            "/api/public/health": self._health, "/api/public/ready": self._health,
            "/api/public/ingestion": self._ingestion,
            "/api/public/otel/v1/traces": self._otel,
            "/_emulator/state": self._ctl_state, "/_emulator/reset": self._ctl_reset,
            "/_emulator/faults": self._ctl_faults, "/_emulator/wait": self._ctl_wait,
        }
        route = routes.get(url.path.rstrip("/") or "/")
        if route is None:
            self._send(404, {"message": "Not found: %s" % url.path})
            return
        route(method, raw, parse_qs(url.query))

    # -- request log, auth, faults ------------------------------------------
    def _new_record(self, endpoint: str, raw: bytes) -> dict:
        headers = {}
        for key, value in self.headers.items():
            headers[key.lower()] = "REDACTED" if key.lower() == "authorization" else value
        return {"path": self.path, "endpoint": endpoint, "method": self.command,
                "time": v.format_ms(_dt.datetime.now(_dt.timezone.utc)),
                "status": None, "headers": headers,
                "content_type": self.headers.get("Content-Type"),
                "content_encoding": self.headers.get("Content-Encoding"),
                "body_bytes": len(raw), "errors": [], "warnings": [], "fault": None,
                "public_key": None}

    def _finish(self, rec: dict, status: int, payload, headers=None, decoded=None) -> None:
        rec["status"] = status
        self.server.store.record_request(rec)
        self.server.write_record(rec, decoded)
        self._send(status, payload, headers)

    def _authenticate(self, rec: dict):
        """Returns ("basic"|"bearer", None) or (None, error message)."""
        scheme, _, value = (self.headers.get("Authorization") or "").strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None, "Invalid authorization header"
            public, sep, secret = decoded.partition(":")
            if not sep:
                return None, "Invalid authorization header"
            expected_public = self.server.keys_by_secret.get(secret)
            if expected_public is None:
                return None, "Invalid credentials"
            rec["public_key"] = expected_public
            if public != expected_public:  # the server only logs this (apiAuth.ts)
                rec["warnings"].append("public key does not match the secret key's project")
            return "basic", None
        if scheme == "bearer":
            if value in self.server.keys_by_secret.values():
                rec["public_key"] = value
                return "bearer", None
            return None, "Invalid public key"
        return None, "Missing or unsupported authorization header"

    def _apply_fault(self, endpoint: str, rec: dict):
        """Applies a pending fault; returns "done", an event_error fault, or None."""
        fault = self.server.store.take_fault(endpoint)
        if fault is None:
            return None
        rec["fault"] = fault["kind"]
        if fault["kind"] == "delay":
            time.sleep(fault["ms"] / 1000.0)
            return None
        if fault["kind"] == "drop":
            self.close_connection = True
            self.server.store.record_request(rec)
            self.server.write_record(rec, None)
            return "done"
        if fault["kind"] == "status":
            headers = dict(fault.get("headers") or {})
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = fault["retry_after"]
            body = fault.get("body", {"message": "Injected fault: status %d" % fault["status"]})
            rec["errors"].append("injected status %d" % fault["status"])
            self._finish(rec, fault["status"], body if isinstance(body, (dict, list)) else
                         str(body).encode(), headers)
            return "done"
        return fault  # event_error: handled per event by the ingestion endpoint

    # -- public API ----------------------------------------------------------
    def _health(self, method, raw, query):
        if method != "GET":
            self._send(405, {"error": "Method Not Allowed", "message": "Use GET"})
            return
        self._send(200, {"status": "OK", "version": self.server.config.server_version})

    def _ingestion(self, method, raw, query):
        rec = self._new_record("ingestion", raw)
        fault = self._apply_fault("ingestion", rec)
        if fault == "done":
            return
        if method != "POST":
            self._finish(rec, 405, {"error": "Method Not Allowed", "message": "Use POST"})
            return
        if len(raw) > INGESTION_LIMIT:  # Next's body parser runs before the handler
            rec["errors"].append("body larger than 4.5 MB")
            self._finish(rec, 413, {"error": "PayloadTooLarge", "message": "Body exceeded 4.5mb limit"})
            return
        scope, problem = self._authenticate(rec)
        if problem:
            rec["errors"].append(problem)
            self._finish(rec, 401, {"error": "UnauthorizedError", "message": problem})
            return
        problem = None
        if "application/json" not in (self.headers.get("Content-Type") or "").lower():
            problem = "Content-Type must be application/json"
        elif (self.headers.get("Content-Encoding") or "identity").lower() != "identity":
            problem = "Content-Encoding is not supported on this endpoint (send plain JSON)"
        doc = None
        if problem is None:
            try:
                doc = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                problem = "Invalid JSON: %s" % exc
        if problem is None and not (isinstance(doc, dict) and isinstance(doc.get("batch"), list)):
            problem = "batch: Expected array"
        if problem:
            rec["errors"].append(problem)
            self._finish(rec, 400, {"message": "Invalid request data", "errors": [problem]})
            return
        result = self._process_batch(doc["batch"], scope, fault, rec)
        rec["errors"] = result["errors"]
        self._finish(rec, 207, result, decoded=doc)

    def _process_batch(self, batch, scope, fault, rec) -> dict:
        successes, errors, accepted = [], [], []
        rec["n_events"] = len(batch)
        for index, event in enumerate(batch):
            eid = v.envelope_id(event)
            injected = fault if fault and index == fault["event_index"] else None
            verdict = self._judge_event(event, eid, scope, injected, rec)
            if verdict == "sdk-log":
                continue  # neither a success nor an error (processEventBatch)
            if verdict is not None:
                status, message, detail = verdict
                errors.append({"id": eid, "status": status, "message": message, "error": detail})
                continue
            successes.append({"id": eid, "status": 201})
            if event["body"].get("id") is None:
                rec["warnings"].append("event %s has no body.id: 201 but dropped" % eid)
            else:
                accepted.append(event)
        self.server.store.apply_legacy(accepted)
        return {"successes": successes, "errors": errors}

    def _judge_event(self, event, eid, scope, injected, rec):
        """None to accept, "sdk-log" to skip silently, else (status, message, error)."""
        server = self.server
        etype = event.get("type") if isinstance(event, dict) else None
        violations = server.spec.validate(event) if server.spec else []
        if violations:
            server.store.record_spec_violation({"time": rec["time"], "event_id": eid,
                                                "type": etype, "errors": violations})
        problem = v.validate_event(event)
        if injected:
            return (injected["status"], injected.get("message")
                    or _status_message(injected["status"]), "Injected fault")
        if server.v4_events_only and etype in v.V4_REFUSED_TYPES:
            return (400, "Event type not accepted",
                    "%s is not accepted in Langfuse v4 events_only mode" % etype)
        if scope == "bearer" and etype not in v.SCORE_SCOPE_TYPES:
            return 401, "Access Scope Denied", "Bearer (scores) keys may send scores only"
        if problem is not None:
            return 400, "Invalid request data", problem
        if etype in v.EXTRA_CREATE_TYPES and not server.has_extra_types:
            return 400, "Invalid request data", "type: %s needs Langfuse >= 3.98.2" % etype
        if violations and server.config.strict_openapi:
            return 400, "Invalid request data", "OpenAPI spec violation: " + "; ".join(violations)
        return "sdk-log" if etype == "sdk-log" else None

    def _otel(self, method, raw, query):
        rec = self._new_record("otel", raw)
        if not self.server.has_otel:
            self._send(404, {"message": "Not found (OTel ingestion needs Langfuse >= 3.22.0)"})
            return
        if self._apply_fault("otel", rec) == "done":
            return
        if method != "POST":
            self._finish(rec, 405, {"error": "Method Not Allowed", "message": "Use POST"})
            return
        scope, problem = self._authenticate(rec)
        if scope == "bearer":
            problem = "Access denied: OTel ingestion needs a Basic auth project key"
            rec["errors"].append(problem)
            self._finish(rec, 403, {"message": problem})
            return
        if problem:
            rec["errors"].append(problem)
            self._finish(rec, 401, {"message": problem})
            return
        content_type = (self.headers.get("Content-Type") or "").lower()
        if "application/x-protobuf" not in content_type and "application/json" not in content_type:
            return self._otel_error(rec, "Invalid content type")
        encoding = (self.headers.get("Content-Encoding") or "identity").lower()
        body = raw
        if encoding == "gzip":
            try:
                body = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as exc:
                return self._otel_error(rec, "Failed to decompress gzip body: %s" % exc)
        elif encoding != "identity":
            return self._otel_error(rec, "Unsupported Content-Encoding %r" % encoding)
        version = self.headers.get("x-langfuse-ingestion-version")
        if version is not None:
            rec["ingestion_version"] = version
            try:
                too_high = float(version) > 4
            except ValueError:
                too_high = True
            if too_high:
                return self._otel_error(rec, "Invalid x-langfuse-ingestion-version %r" % version)
        try:
            spans = emu_otel.parse_export(body, content_type)
        except emu_otel.OtlpError as exc:
            return self._otel_error(rec, str(exc))
        rec["n_spans"] = len(spans)
        self.server.store.apply_otel([emu_mapping.span_to_records(s) for s in spans])
        decoded = emu_otel.export_to_jsonable(body, content_type) if self.server.record_file else None
        self._finish(rec, 200, {}, decoded=decoded)

    def _otel_error(self, rec, message):
        rec["errors"].append(message)
        self._finish(rec, 400, {"error": message})

    # -- control API -----------------------------------------------------------
    def _ctl_state(self, method, raw, query):
        state = self.server.store.snapshot()
        state["server"] = self.server.describe()
        self._send(200, state)

    def _ctl_reset(self, method, raw, query):
        if method != "POST":
            return self._send(405, {"error": "Use POST"})
        self.server.store.reset()
        self._send(200, {"reset": True})

    def _ctl_faults(self, method, raw, query):
        store = self.server.store
        if method == "GET":
            return self._send(200, {"faults": store.snapshot()["faults_pending"]})
        if method == "DELETE":
            store.clear_faults()
            return self._send(200, {"pending": 0})
        try:
            faults = emu_store.validate_faults(json.loads(raw.decode("utf-8") or "null"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._send(400, {"error": str(exc)})
        self._send(200, {"pending": store.add_faults(faults)})

    def _ctl_wait(self, method, raw, query):
        try:
            wanted = {k: int(query[k][0]) for k in ("traces", "observations", "scores", "requests")
                      if k in query}
            timeout = min(float(query.get("timeout", ["5"])[0]), 300.0)
        except ValueError:
            return self._send(400, {"error": "counts must be integers, timeout a number"})
        ok, counts = self.server.store.wait(wanted, timeout)
        self._send(200 if ok else 408, {"reached": ok, "counts": counts, "wanted": wanted})


def parse_version(text: str) -> tuple:
    """"v4.16.0" -> (4, 16, 0); missing or non-numeric parts count as 0."""
    parts = []
    for piece in (text.strip().lstrip("vV").split("-")[0].split(".") + ["0", "0"])[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _status_message(status: int) -> str:
    return {400: "Invalid request data", 401: "Authentication error",
            404: "Resource not found", 500: "Internal Server Error"}.get(status, "Error")


class EmulatorServer(ThreadingHTTPServer):
    """HTTP server holding the configuration, the store and the spec validator."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config, keys, spec):
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), Handler)
        self.config = config
        self.keys_by_secret = {secret: public for public, secret in keys}
        self.spec = spec
        self.store = emu_store.Store()
        self.version = parse_version(config.server_version)
        self.major = self.version[0]
        self.v4_events_only = self.major >= 4 and config.write_mode == "events_only"
        # Version gates from INGESTION.md: the OTel route exists since v3.22.0, the
        # seven extra *-create types are accepted since v3.98.2.
        self.has_otel = self.version >= (3, 22, 0)
        self.has_extra_types = self.version >= (3, 98, 2)
        self.record_file = open(config.record_file, "a", encoding="utf-8") if config.record_file else None
        self._record_lock = threading.Lock()

    def describe(self) -> dict:
        return {"version": self.config.server_version, "major": self.major,
                "v4_events_only": self.v4_events_only, "otel_route": self.has_otel,
                "extra_observation_types": self.has_extra_types,
                "openapi": self.spec.path if self.spec else None,
                "strict_openapi": bool(self.config.strict_openapi)}

    def write_record(self, rec: dict, decoded) -> None:
        if self.record_file is None:
            return
        line = json.dumps({"request": rec, "payload": decoded}, default=str)
        with self._record_lock:
            self.record_file.write(line + "\n")
            self.record_file.flush()


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--public-key", default="pk-lf-test")
    p.add_argument("--secret-key", default="sk-lf-test")
    p.add_argument("--key", action="append", default=[], metavar="PK:SK",
                   help="an extra key pair; repeatable")
    p.add_argument("--server-version", default="4.16.0")
    p.add_argument("--write-mode", choices=("events_only", "dual"), default="events_only",
                   help="v4 LANGFUSE_MIGRATION_V4_WRITE_MODE (dual accepts trace events)")
    p.add_argument("--openapi", default=None,
                   help="OpenAPI spec to validate legacy events (default: %s if present)"
                   % DEFAULT_SPEC)
    p.add_argument("--no-openapi", action="store_true", help="built-in checks only")
    p.add_argument("--strict-openapi", action=argparse.BooleanOptionalAction, default=None,
                   help="spec violations fail the event with 400 (default: on with a spec)")
    p.add_argument("--max-lifetime-seconds", type=float, default=3600.0)
    p.add_argument("--record-file", default=None, help="append each request as a JSON line")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    config = parse_args(argv)
    keys = [(config.public_key, config.secret_key)]
    for pair in config.key:
        public, sep, secret = pair.partition(":")
        if not sep or not public or not secret:
            sys.stderr.write("emulator: --key must be PK:SK, got %r\n" % pair)
            return 2
        keys.append((public, secret))
    spec = None
    spec_path = None if config.no_openapi else (config.openapi or
                                                (DEFAULT_SPEC if os.path.exists(DEFAULT_SPEC) else None))
    if spec_path:
        try:
            import emu_openapi  # needs PyYAML and jsonschema; only loaded with a spec
            spec = emu_openapi.SpecValidator(spec_path)
        except (OSError, ValueError, ImportError) as exc:
            sys.stderr.write("emulator: cannot load OpenAPI spec %s: %s\n" % (spec_path, exc))
            return 2
    config.strict_openapi = spec is not None and config.strict_openapi is not False
    server = EmulatorServer(config, keys, spec)

    def stop(*_):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, stop)
    timer = threading.Timer(config.max_lifetime_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    sys.stderr.write("emulator: Langfuse %s on %s:%d, spec %s, strict %s\n" % (
        config.server_version, config.host, server.server_address[1],
        spec.path if spec else "none", config.strict_openapi))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        timer.cancel()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
