"""`tracegate-verify` (also `python -m tracegate verify`): sends the deployment guide's
sanity trace and prints one result per event.

    TRACEGATE_ENDPOINT=127.0.0.1:50051 TRACEGATE_API_KEY=tg_... APP_ENV=prod \\
        tracegate-verify --service onekey-rag

The trace is "langfuse-sanity-check" with tags env:<APP_ENV> (default "dev") and
service:<name> (--service, else TRACEGATE_SERVICE, else "tracegate"): a chain holding a
retriever and a generation, plus a boolean score. The chain is the trace's only root and
carries the trace's input, output and metadata (there is no separate Trace event). Unlike the batching client this waits
for the gateway's answer. Exit 0: all accepted; 1: some event rejected; 2: the call failed.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from tracegate import events
from tracegate.config import ClientConfig, request_value_problem

SANITY_TRACE = "langfuse-sanity-check"
_STATUS = {1: "ACCEPTED", 2: "DUPLICATE", 3: "REJECTED"}


def sanity_events(app_env: str, service: str, environment: str = "") -> tuple[str, list]:
    trace_id = events.new_id()
    tags = ["env:" + app_env, "service:" + service]
    attrs = {"name": SANITY_TRACE, "tags": tags}
    # The chain is the trace's one root: it carries the trace's input, output and metadata
    # (no separate Trace event, which the OTLP egress would turn into a second root span).
    root_attrs = dict(attrs, input="Is the Langfuse pipeline working?", output="yes",
                      metadata={"source": "tracegate-verify (python)"})
    now = events.now_ns()
    ms = 1_000_000
    chain, retriever, gen = events.new_id()[:16], events.new_id()[:16], events.new_id()[:16]
    out = [
        events.observation(trace_id=trace_id, obs_id=chain, type="chain", name="sanity-chain",
                           start_ns=now - 300 * ms, end_ns=now,
                           input="Is the Langfuse pipeline working?", output="yes",
                           trace_attrs=root_attrs, environment=environment,
                           event_id=trace_id + "-chain"),
        events.observation(trace_id=trace_id, obs_id=retriever, parent_id=chain,
                           type="retriever", name="sanity-retriever", start_ns=now - 290 * ms,
                           end_ns=now - 250 * ms, input="pipeline check",
                           output=[{"page_content": "Tracegate delivers traces to Langfuse."}],
                           trace_attrs=attrs, environment=environment,
                           event_id=trace_id + "-retriever"),
        events.observation(trace_id=trace_id, obs_id=gen, parent_id=chain, type="generation",
                           name="sanity-generation", model="sanity-model",
                           start_ns=now - 240 * ms, completion_start_ns=now - 200 * ms,
                           end_ns=now - 10 * ms, input=[{"role": "user", "content": "Say yes."}],
                           output="yes", usage={"input": 3, "output": 1, "total": 4},
                           trace_attrs=attrs, environment=environment,
                           event_id=trace_id + "-generation"),
        events.score(trace_id=trace_id, name="sanity", value=True, score_id=trace_id + "-sanity",
                     environment=environment, event_id=trace_id + "-score"),
    ]
    return trace_id, out


def verify(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="tracegate-verify", description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", help="gateway host:port (TRACEGATE_ENDPOINT)")
    ap.add_argument("--api-key", help="gateway API key (TRACEGATE_API_KEY)")
    ap.add_argument("--workspace", help="workspace (TRACEGATE_WORKSPACE)")
    ap.add_argument("--service", help="service tag (TRACEGATE_SERVICE, default tracegate)")
    ap.add_argument("--app-id", help="app id for the app:<id> tag (TRACEGATE_APP_ID)")
    ap.add_argument("--tls", action="store_true", default=None, help="use TLS (TRACEGATE_TLS)")
    ap.add_argument("--ca-file", help="PEM roots (TRACEGATE_CA_FILE)")
    ap.add_argument("--cert-file", help="client certificate (TRACEGATE_CERT_FILE)")
    ap.add_argument("--key-file", help="client key (TRACEGATE_KEY_FILE)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    args = ap.parse_args(argv)
    cfg = ClientConfig.resolve(endpoint=args.endpoint, api_key=args.api_key,
                               workspace=args.workspace, service=args.service, tls=args.tls,
                               ca_file=args.ca_file, cert_file=args.cert_file,
                               key_file=args.key_file, app_id=args.app_id)
    app_id = cfg.app_id
    if app_id and request_value_problem(app_id):
        print("app_id %s; it is not sent" % request_value_problem(app_id), file=sys.stderr)
        app_id = ""
    if not cfg.api_key:
        print("no API key: set TRACEGATE_API_KEY or --api-key", file=sys.stderr)
        return 2
    import grpc

    from tracegate.channel import open_channel
    from tracegate.v1 import ingest_service_pb2 as ipb
    from tracegate.v1 import ingest_service_pb2_grpc

    trace_id, evs = sanity_events(cfg.app_env or "dev", cfg.service or "tracegate",
                                  cfg.environment)
    print("sanity trace %s (%s)" % (trace_id, SANITY_TRACE))
    try:
        with open_channel(cfg) as channel:
            stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
            resp = stub.Ingest(ipb.IngestRequest(events=evs, default_workspace=cfg.workspace,
                                                 batch_id=1, app_id=app_id),
                               timeout=args.timeout,
                               metadata=(("authorization", "Bearer " + cfg.api_key),))
    except grpc.RpcError as e:
        print("call failed: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 2
    except OSError as e:
        print("cannot connect: %s" % e, file=sys.stderr)
        return 2
    rc = 0
    for r in resp.results:
        if r.status == 3:
            print("%s REJECTED %d %s" % (r.event_id, r.code, r.reason))
            rc = 1
        else:
            print("%s %s" % (r.event_id, _STATUS.get(r.status, "UNKNOWN")))
    return rc


def verify_main() -> None:
    sys.exit(verify())


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "verify":
        print("usage: python -m tracegate verify [--service NAME] [--endpoint host:port] ...",
              file=sys.stderr)
        return 2
    return verify(argv[1:])
