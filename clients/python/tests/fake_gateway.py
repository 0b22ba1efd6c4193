"""An in-process fake IngestService on 127.0.0.1 port 0 for the client's unit tests.

It records every event it accepts and can be told to fail calls or reject events."""

from __future__ import annotations

import collections
import os
import threading
from concurrent import futures

import grpc

from tracegate.v1 import ingest_service_pb2 as ipb
from tracegate.v1 import ingest_service_pb2_grpc


class FakeGateway(ingest_service_pb2_grpc.IngestServiceServicer):
    def __init__(self, port: int = 0, tls_dir: str = "", mtls: bool = False,
                 max_message_bytes: int = 0):
        self.lock = threading.Lock()
        self.received = collections.Counter()  # event_id -> times ACCEPTED/DUPLICATE
        self.events = {}  # event_id -> TraceEvent
        self.calls = 0
        self.keys = set()
        self.fail_calls = []  # grpc.StatusCode to abort the next calls with
        self.reject = {}  # event_id -> (code, reason); applied every time
        self.retryable_once = set()  # event_ids rejected UNAVAILABLE on their first try
        self.refuse_call = None  # request -> (grpc.StatusCode, details) to fail it, or None
        self.request_bytes = []  # serialized size of every request that got through
        self.app_ids = []  # IngestRequest.app_id of every call
        # max_message_bytes: gRPC's own limit (the real gateway's 16 MiB default); a larger
        # request fails RESOURCE_EXHAUSTED "Received message larger than max" in gRPC.
        options = ([("grpc.max_receive_message_length", max_message_bytes)]
                   if max_message_bytes else [])
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
        ingest_service_pb2_grpc.add_IngestServiceServicer_to_server(self, self.server)
        address = "127.0.0.1:%d" % port
        if tls_dir:  # server.pem/server.key, clients verified against ca.pem when mtls
            def read(name):
                with open(os.path.join(tls_dir, name), "rb") as f:
                    return f.read()
            creds = grpc.ssl_server_credentials(
                [(read("server.key"), read("server.pem"))], root_certificates=read("ca.pem"),
                require_client_auth=mtls)
            self.port = self.server.add_secure_port(address, creds)
        else:
            self.port = self.server.add_insecure_port(address)
        assert self.port, "could not bind"
        self.server.start()

    @property
    def endpoint(self) -> str:
        return "127.0.0.1:%d" % self.port

    def stop(self) -> None:
        self.server.stop(grace=None).wait(5)

    def Ingest(self, request, context):
        md = dict(context.invocation_metadata())
        with self.lock:
            self.calls += 1
            self.request_bytes.append(request.ByteSize())
            self.app_ids.append(request.app_id)
            self.keys.add(md.get("authorization", ""))
            if self.fail_calls:
                code = self.fail_calls.pop(0)
                context.abort(code, "injected failure")
            refused = self.refuse_call and self.refuse_call(request)
            if refused:
                context.abort(*refused)
            resp = ipb.IngestResponse(batch_id=request.batch_id)
            for ev in request.events:
                r = resp.results.add(event_id=ev.event_id)
                if ev.event_id in self.reject:
                    r.status = ipb.EVENT_STATUS_REJECTED
                    r.code, r.reason = self.reject[ev.event_id]
                    resp.rejected += 1
                elif ev.event_id in self.retryable_once:
                    self.retryable_once.discard(ev.event_id)
                    r.status = ipb.EVENT_STATUS_REJECTED
                    r.code, r.reason = 14, "queue unavailable"
                    r.retry_after.nanos = 10_000_000
                    resp.rejected += 1
                elif self.received[ev.event_id]:
                    r.status = ipb.EVENT_STATUS_DUPLICATE
                    self.received[ev.event_id] += 1
                    resp.duplicate += 1
                else:
                    r.status = ipb.EVENT_STATUS_ACCEPTED
                    self.received[ev.event_id] += 1
                    self.events[ev.event_id] = ev
                    resp.accepted += 1
            return resp
