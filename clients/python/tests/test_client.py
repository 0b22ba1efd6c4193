"""The batching client against an in-process fake gateway (no real gateway needed)."""

import json
import logging
import os
import threading

import grpc

from fake_gateway import FakeGateway
from tracegate import TracegateClient, events
from tracegate.config import ClientConfig, environment_name, parse_endpoint


def obs(i, prefix="e"):
    return events.observation(trace_id="t1", obs_id="o%d" % i, type="span", name="s",
                              start_ns=events.now_ns(), event_id="%s%d" % (prefix, i))


def free_port():
    gw = FakeGateway()
    port = gw.port
    gw.stop()
    return port


def test_events_from_many_threads_arrive_once_each(fake_gateway, make_client):
    client = make_client(fake_gateway.endpoint, max_queue_size=20_000)
    per_thread, threads = 2_500, 4

    def produce(t):
        for i in range(per_thread):
            assert client.send(obs(t * per_thread + i))

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert client.flush(timeout=30)
    assert len(fake_gateway.received) == per_thread * threads
    assert set(fake_gateway.received.values()) == {1}
    stats = client.stats()
    assert stats["sent"] == 10_000 and stats["dropped"] == 0 and stats["queued"] == 0
    assert fake_gateway.keys == {"Bearer tg_unit"}


def test_rejected_is_counted_logged_once_and_not_retried(fake_gateway, make_client, caplog):
    fake_gateway.reject = {"e1": (3, "observation.name: required"),
                           "e2": (3, "observation.name: required")}
    client = make_client(fake_gateway.endpoint)
    with caplog.at_level(logging.WARNING, logger="tracegate"):
        for i in range(4):
            client.send(obs(i))
        assert client.flush(timeout=10)
    stats = client.stats()
    assert stats["rejected"] == 2 and stats["sent"] == 2
    assert fake_gateway.calls == 1  # nothing resent
    logged = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(logged) == 1 and "observation.name: required" in logged[0].getMessage()


def test_retryable_rejection_is_resent_with_the_same_event_id(fake_gateway, make_client):
    fake_gateway.retryable_once = {"e0"}
    client = make_client(fake_gateway.endpoint)
    ev = obs(0)
    client.send(ev)
    assert client.flush(timeout=10)
    assert fake_gateway.received["e0"] == 1
    assert fake_gateway.events["e0"] == ev
    assert client.stats()["retried"] == 1 and client.stats()["sent"] == 1


def test_failed_call_is_retried_and_duplicates_count_as_sent(fake_gateway, make_client):
    fake_gateway.fail_calls = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED]
    client = make_client(fake_gateway.endpoint)
    client.send(obs(0))
    assert client.flush(timeout=10)
    client.send(obs(0))  # same event id again: the gateway answers DUPLICATE
    assert client.flush(timeout=10)
    assert fake_gateway.calls == 4
    stats = client.stats()
    assert stats["sent"] == 2 and stats["duplicate"] == 1 and stats["retried"] == 2


def test_gateway_down_host_unharmed_then_delivery_resumes(make_client, caplog):
    port = free_port()
    client = make_client("127.0.0.1:%d" % port, max_queue_size=50, batch_size=10)
    with caplog.at_level(logging.WARNING, logger="tracegate"):
        results = [client.send(obs(i)) for i in range(200)]  # never raises, never blocks
        assert not client.flush(timeout=0.5)
    stats = client.stats()
    # At most one batch is in flight; the queue holds 50; the rest is dropped and counted.
    assert results.count(True) + stats["dropped"] == 200
    assert 140 <= stats["dropped"] <= 150
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "unavailable" in w.getMessage()]) == 1
    assert len([w for w in warnings if "queue full" in w.getMessage()]) == 1

    gw = FakeGateway(port)  # the gateway comes back on the same address
    try:
        assert client.flush(timeout=20)
        assert len(gw.received) == results.count(True)
        assert client.stats()["sent"] == results.count(True)
    finally:
        gw.stop()


def test_shutdown_flushes_what_is_buffered(fake_gateway):
    client = TracegateClient(endpoint=fake_gateway.endpoint, api_key="k",
                             flush_interval=60, batch_size=1000, register_atexit=False)
    for i in range(25):
        client.send(obs(i))
    client.shutdown(timeout=10)
    assert len(fake_gateway.received) == 25
    assert not client.send(obs(99))  # after shutdown: dropped, counted
    assert client.stats()["dropped"] == 1


def test_shutdown_with_gateway_down_is_bounded_and_counts_drops(make_client):
    client = make_client("127.0.0.1:%d" % free_port())
    for i in range(30):
        client.send(obs(i))
    client.shutdown(timeout=0.3)
    stats = client.stats()
    assert stats["dropped"] == 30 and stats["queued"] == 0


def test_refused_call_drops_the_batch_with_one_warning(fake_gateway, make_client, caplog):
    fake_gateway.fail_calls = [grpc.StatusCode.UNAUTHENTICATED] * 2
    client = make_client(fake_gateway.endpoint, batch_size=1)
    with caplog.at_level(logging.WARNING, logger="tracegate"):
        client.send(obs(0))
        assert client.flush(timeout=5)
        client.send(obs(1))
        assert client.flush(timeout=5)
    assert client.stats()["dropped"] == 2
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1


def test_app_id_is_sent_on_every_request(fake_gateway, make_client, monkeypatch):
    monkeypatch.setenv("TRACEGATE_APP_ID", "from-env")
    client = make_client(fake_gateway.endpoint, batch_size=1)
    for i in range(3):
        client.send(obs(i))
    assert client.flush(timeout=10)
    assert fake_gateway.app_ids and set(fake_gateway.app_ids) == {"from-env"}
    client = make_client(fake_gateway.endpoint, app_id="app-1")  # the argument wins
    client.send(obs(9))
    assert client.flush(timeout=10)
    assert fake_gateway.app_ids[-1] == "app-1"


def test_invalid_app_id_warns_once_and_is_not_sent(fake_gateway, make_client, caplog):
    with caplog.at_level(logging.WARNING, logger="tracegate"):
        for bad in ("a\nb", "x" * 201):
            client = make_client(fake_gateway.endpoint, app_id=bad)
            client.send(obs(len(bad)))
            client.send(obs(len(bad) + 1000))
            assert client.flush(timeout=10)
    assert set(fake_gateway.app_ids) == {""}
    assert len([r for r in caplog.records if "app_id" in r.getMessage()]) == 2
    client = make_client(fake_gateway.endpoint, app_id="é" * 100)  # 200 bytes: fine
    client.send(obs(7))
    assert client.flush(timeout=10)
    assert fake_gateway.app_ids[-1] == "é" * 100


def test_without_api_key_the_client_is_disabled(monkeypatch):
    monkeypatch.delenv("TRACEGATE_API_KEY", raising=False)
    client = TracegateClient(register_atexit=False)
    assert not client.enabled
    assert client.send(obs(0)) is False
    assert client.stats()["dropped"] == 1
    assert client._thread is None


def test_config_from_env_and_arguments():
    env = {"TRACEGATE_ENDPOINT": "https://gw.example:8443/x", "TRACEGATE_API_KEY": "k",
           "TRACEGATE_WORKSPACE": "ws", "APP_ENV": "Prod EU", "TRACEGATE_SERVICE": "svc",
           "TRACEGATE_CA_FILE": "/ca.pem"}
    cfg = ClientConfig.resolve(env=env)
    assert (cfg.endpoint, cfg.tls, cfg.api_key, cfg.workspace) == ("gw.example:8443", True,
                                                                  "k", "ws")
    assert cfg.environment == "prod-eu" and cfg.ca_file == "/ca.pem"
    assert cfg.default_tags() == ["env:Prod EU", "service:svc"]
    cfg = ClientConfig.resolve(endpoint="h:1", workspace="w2", env=env)
    assert (cfg.endpoint, cfg.tls, cfg.workspace) == ("h:1", False, "w2")
    assert ClientConfig.resolve(env={"TRACEGATE_TLS": "1"}).tls
    assert parse_endpoint("grpc://10.0.0.1:50051") == ("10.0.0.1:50051", False)
    assert environment_name("langfuse-x") == ""


def test_payload_conversion():
    from langchain_core.documents import Document
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    from tracegate.v1 import trace_event_pb2 as pb
    p = pb.Payload()
    events.fill_payload(p, [SystemMessage("be brief"), HumanMessage("hi"),
                            AIMessage("", tool_calls=[{"name": "calc", "args": {"x": 1},
                                                       "id": "c1"}])])
    roles = [m.role for m in p.messages.messages]
    assert roles == ["system", "user", "assistant"]
    assert p.messages.messages[2].tool_calls[0].arguments_json == '{"x": 1}'
    p = pb.Payload()
    events.fill_payload(p, [Document(page_content="doc", metadata={"source": "a"})])
    assert p.documents.documents[0].metadata["source"] == "a"
    p = pb.Payload()
    events.fill_payload(p, {"question": "q", "obj": object()})
    assert p.json.startswith('{"question": "q", "obj": "<object object')


def test_events_built_lazily_on_the_sender_thread(fake_gateway, make_client):
    client = make_client(fake_gateway.endpoint)
    built_on = []

    def build():
        built_on.append(threading.current_thread().name)
        return obs(1)

    assert client.send(build)
    assert client.send(lambda: 1 / 0)  # fails when built: dropped and counted, not raised
    assert client.flush(timeout=10)
    assert built_on == ["tracegate-sender"]
    assert set(fake_gateway.received) == {"e1"}
    assert client.stats()["dropped"] == 1 and client.stats()["sent"] == 1


def test_client_created_before_fork_works_in_the_child(fake_gateway):
    # Prefork servers build the app (and its client) in the parent, then fork workers.
    import subprocess
    import sys
    import textwrap
    script = textwrap.dedent("""
        import os, sys
        from tracegate import TracegateClient, events
        client = TracegateClient(endpoint=sys.argv[1], api_key="k", flush_interval=0.01,
                                 register_atexit=False)
        client.send(events.score(trace_id="t", name="s", value=1, event_id="parent"))
        assert client.flush(10)  # the parent's sender thread and channel exist now
        pid = os.fork()
        if pid == 0:
            for i in range(3):
                client.send(events.score(trace_id="t", name="s", value=i,
                                         event_id="child-%d" % i))
            ok = client.flush(10) and client.stats()["sent"] == 3
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    """)
    out = subprocess.run([sys.executable, "-c", script, fake_gateway.endpoint],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert set(fake_gateway.received) == {"parent", "child-0", "child-1", "child-2"}


TESTDATA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                         "..", "tests", "clients", "testdata"))


def test_mtls_from_environment():
    gw = FakeGateway(tls_dir=TESTDATA, mtls=True)
    env = {"TRACEGATE_ENDPOINT": gw.endpoint, "TRACEGATE_API_KEY": "k", "TRACEGATE_TLS": "1",
           "TRACEGATE_CA_FILE": os.path.join(TESTDATA, "ca.pem"),
           "TRACEGATE_CERT_FILE": os.path.join(TESTDATA, "client.pem"),
           "TRACEGATE_KEY_FILE": os.path.join(TESTDATA, "client.key")}
    good = TracegateClient(config=ClientConfig.resolve(env=env), register_atexit=False,
                           flush_interval=0.01)
    no_cert = TracegateClient(config=ClientConfig.resolve(env=dict(
        env, TRACEGATE_CERT_FILE="", TRACEGATE_KEY_FILE="")), register_atexit=False,
        flush_interval=0.01, initial_backoff=0.05)
    plaintext = TracegateClient(config=ClientConfig.resolve(env=dict(env, TRACEGATE_TLS="0")),
                                register_atexit=False, flush_interval=0.01,
                                initial_backoff=0.05)
    try:
        assert good.send(obs(1)) and good.flush(timeout=10)
        assert no_cert.send(obs(2)) and not no_cert.flush(timeout=1)
        assert plaintext.send(obs(3)) and not plaintext.flush(timeout=1)
        assert set(gw.received) == {"e1"}
        assert no_cert.stats()["sent"] == 0 and no_cert.stats()["retried"] >= 1
    finally:
        for c in (good, no_cert, plaintext):
            c.shutdown(timeout=0.5)
        gw.stop()


def big(i, size, prefix="big"):
    return events.observation(trace_id="t1", obs_id="o%d" % i, type="span", name="s",
                              start_ns=events.now_ns(), input="x" * size,
                              event_id="%s%d" % (prefix, i))


def test_batches_are_cut_by_serialized_size():
    # 20 events of 900 KB (each under the gateway's 1 MB event limit) used to make one
    # 18 MB request that gRPC refuses (16 MiB), retried forever. Now: requests <= 4 MiB.
    gw = FakeGateway(max_message_bytes=16 << 20)
    client = TracegateClient(endpoint=gw.endpoint, api_key="k", register_atexit=False,
                             flush_interval=0.01, initial_backoff=0.02, max_backoff=0.2)
    try:
        for i in range(20):
            assert client.send(big(i, 900_000))
        assert client.flush(timeout=30)
        assert len(gw.received) == 20
        assert max(gw.request_bytes) <= 4 << 20 and len(gw.request_bytes) >= 5
        stats = client.stats()
        assert (stats["sent"], stats["dropped"], stats["retried"]) == (20, 0, 0)
    finally:
        client.shutdown(timeout=1)
        gw.stop()


def test_max_batch_bytes_option(fake_gateway, make_client):
    client = make_client(fake_gateway.endpoint, max_batch_bytes=100_000)
    for i in range(10):
        client.send(big(i, 30_000))
    assert client.flush(timeout=10)
    assert len(fake_gateway.received) == 10
    assert max(fake_gateway.request_bytes) <= 100_000
    assert len(fake_gateway.request_bytes) >= 4  # 3 events (90 KB) per request at most


def test_request_refused_as_too_large_is_split_and_an_oversized_event_dropped(make_client,
                                                                               caplog):
    # The gateway's message limit (1 MiB here) is below the client's max_batch_bytes.
    gw = FakeGateway(max_message_bytes=1 << 20)
    client = make_client(gw.endpoint, max_batch_bytes=64 << 20)
    try:
        with caplog.at_level(logging.WARNING, logger="tracegate"):
            for i in range(10):
                client.send(big(i, 200_000))
                if i == 4:
                    client.send(big(99, 1_500_000, prefix="huge"))
            assert client.flush(timeout=30)
            client.send(obs(1))  # later events still go out
            assert client.flush(timeout=10)
        assert set(gw.received) == {"big%d" % i for i in range(10)} | {"e1"}
        assert set(gw.received.values()) == {1}
        stats = client.stats()
        assert (stats["sent"], stats["dropped"], stats["queued"]) == (11, 1, 0)
        messages = [r.getMessage() for r in caplog.records]
        refused = [m for m in messages if "refused an event" in m]
        assert len(refused) == 1 and "larger than max" in refused[0], messages
        assert not [m for m in messages if "unavailable" in m], messages
    finally:
        gw.stop()


def test_lone_surrogates_are_replaced_not_raised(fake_gateway, make_client):
    # Half of a surrogate pair, as JSON text cut by a JavaScript service decodes.
    half = json.loads('"hi \\ud83d"')
    assert half == "hi \ud83d"
    ev = events.observation(
        trace_id="t" + half, obs_id="o1", type="generation", name=half, start_ns=1,
        input=[{"role": "user", "content": half}, {"role": "assistant", "content": [half]}],
        output={"k" + half: [half]}, metadata={"m" + half: half, "n": "\udc00x"},
        model=half, usage={half: 1}, trace_attrs={"tags": [half], "name": half},
        event_id="e-s")
    assert ev.observation.name == "hi \ufffd"
    assert ev.observation.input.messages.messages[0].content == "hi \ufffd"
    assert ev.observation.input.messages.messages[1].parts[0].text == "hi \ufffd"
    assert ev.observation.output.json == '{"khi \ufffd": ["hi \ufffd"]}'
    assert dict(ev.observation.metadata) == {"mhi \ufffd": "hi \ufffd", "n": "\ufffdx"}
    assert list(ev.observation.trace.tags) == ["hi \ufffd"]
    joined = "a\ud83d\ude00b"  # a pair held as two surrogates is rejoined
    tr = events.trace(trace_id="t", name=joined, tags=[half], input=half)
    assert tr.trace.name == "a\U0001F600b" and tr.trace.input.text == "hi \ufffd"
    sc = events.score(trace_id="t", name=half, value=half, comment=half)
    assert sc.score.categorical_value == "hi \ufffd"
    client = make_client(fake_gateway.endpoint)
    assert client.send(ev) and client.send(tr) and client.send(sc)
    assert client.flush(timeout=10) and client.stats()["sent"] == 3


def test_missing_event_id_is_filled_once(fake_gateway, make_client):
    from tracegate.v1 import trace_event_pb2 as pb
    fake_gateway.fail_calls = [grpc.StatusCode.UNAVAILABLE]  # the resend keeps the id
    ev = pb.TraceEvent(trace=pb.Trace(id="t-noid", name="n"))
    client = make_client(fake_gateway.endpoint)
    assert client.send(ev) and client.send(lambda: pb.TraceEvent(trace=pb.Trace(id="t2")))
    assert client.flush(timeout=10)
    ids = list(fake_gateway.received)
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
    assert ev.event_id in ids
    assert fake_gateway.calls == 2 and set(fake_gateway.received.values()) == {1}
    assert client.stats()["sent"] == 2


def test_call_refused_for_one_event_loses_only_that_event(fake_gateway, make_client, caplog):
    # The gateway refuses the whole call when the key may not write one event's workspace.
    def refuse(request):
        if any(ev.workspace == "forbidden" for ev in request.events):
            return grpc.StatusCode.PERMISSION_DENIED, 'may not write workspace(s) "forbidden"'
    fake_gateway.refuse_call = refuse
    client = make_client(fake_gateway.endpoint, batch_size=16, flush_interval=60)
    with caplog.at_level(logging.WARNING, logger="tracegate"):
        for i in range(16):
            ev = obs(i)
            if i == 11:
                ev.workspace = "forbidden"
            client.send(ev)
        assert client.flush(timeout=10)
        client.send(obs(20))
        assert client.flush(timeout=10)
    assert set(fake_gateway.received) == {"e%d" % i for i in range(21) if i < 16 and i != 11
                                          } | {"e20"}
    stats = client.stats()
    assert (stats["sent"], stats["dropped"], stats["queued"]) == (16, 1, 0)
    assert fake_gateway.calls <= 2 * 4 + 2  # bisected: about two calls per halving
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "PERMISSION_DENIED" in refused[0], refused


def test_langchain_handlers_pass_app_id_to_the_client_they_create():
    from tracegate.langchain import LangfuseTracer, TracegateCallbackHandler
    handler = TracegateCallbackHandler(endpoint="127.0.0.1:1", api_key="k", app_id="lc-app")
    tracer = LangfuseTracer(base_url="127.0.0.1:1", api_key="k", app_id="lc-tracer")
    try:
        assert handler.client.config.app_id == "lc-app"
        assert tracer.client.config.app_id == "lc-tracer"
    finally:
        handler.client.shutdown(timeout=1)
        tracer.client.shutdown(timeout=1)
