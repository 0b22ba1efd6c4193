"""End to end: a LangChain pipeline with the Tracegate handler → real gateway → Langfuse
emulator; the stored trace is checked node by node."""

import json

import pytest

import lc_pipeline
from tracegate.langchain import LangfuseTracer, TracegateCallbackHandler

TAGS = ["team:rag", "env:test", "service:rag-svc", "rag"]

# (name, type, children) in start order. The emulator keeps milliseconds, so siblings
# are compared as sorted lists; their order is checked by start time separately.
EXPECTED_TREE = [
    ("rag-pipeline", "CHAIN", [
        ("rag-query", "CHAIN", [
            ("RunnableParallel<context,question>", "CHAIN", [
                ("RunnablePassthrough", "CHAIN", []),
                ("RunnableSequence", "CHAIN", [
                    ("docs-retriever", "RETRIEVER", []),
                    ("format-docs", "CHAIN", []),
                ]),
            ]),
            ("ChatPromptTemplate", "CHAIN", []),
            ("FakeChat", "GENERATION", []),
            ("StrOutputParser", "CHAIN", []),
        ]),
        ("count-agent", "AGENT", [
            ("FakeChat", "GENERATION", []),
            ("word_count", "TOOL", []),
            ("FakeChat", "GENERATION", []),
        ]),
    ]),
]


def shape(nodes):
    return sorted((n["name"], n["type"], shape(n["children"])) for n in nodes)


def expected_shape(tree):
    return sorted((name, type_, expected_shape(children)) for name, type_, children in tree)


def count(tree):
    return sum(1 + count(children) for _, _, children in tree)


def single_root(rec, trace_id):
    """The trace's only observation without a parent (the gateway's span of a Trace
    event included: a LangChain trace must not have one)."""
    everything = rec.observations(trace_id, include_trace_span=True)
    roots = [o for o in everything if not o.get("parentObservationId")]
    assert len(roots) == 1, [(o["name"], o["type"]) for o in roots]
    assert rec.trace(trace_id).get("rootObservationId") == roots[0]["id"]
    return roots[0]


@pytest.fixture
def handler(tracegate_recorder):
    client = tracegate_recorder.client(flush_interval=0.02, app_env="test")
    h = TracegateCallbackHandler(client=client, tags={"team": "rag"}, service="rag-svc",
                                 metadata={"app": "demo"}, release="rel-1", version="v-2")
    yield h
    client.shutdown(timeout=5)


def run_pipeline(handler, **build_kw):
    pipeline = lc_pipeline.build(**build_kw)
    return pipeline.invoke(lc_pipeline.QUESTION, config={
        "callbacks": [handler], "tags": ["rag"],
        "metadata": {"langfuse_user_id": "user-42", "langfuse_session_id": "sess-7"}})


def test_pipeline_produces_one_trace_matching_node_by_node(tracegate_recorder, handler):
    rec = tracegate_recorder
    assert run_pipeline(handler) == "4 words."
    assert handler.flush(10)
    trace_id = handler.last_trace_id
    assert rec.wait(traces=1, observations=count(EXPECTED_TREE))

    traces = rec.traces()
    assert len(traces) == 1
    assert single_root(rec, trace_id)["name"] == "rag-pipeline"
    assert len(rec.observations(trace_id, include_trace_span=True)) == count(EXPECTED_TREE)
    trace = rec.trace(trace_id)
    assert trace["name"] == "rag-pipeline"
    assert (trace["userId"], trace["sessionId"]) == ("user-42", "sess-7")
    assert sorted(trace["tags"]) == sorted(TAGS)
    assert trace["input"] == lc_pipeline.QUESTION and trace["output"] == "4 words."
    assert trace["metadata"]["app"] == "demo" and trace["environment"] == "test"
    assert (trace["release"], trace["version"]) == ("rel-1", "v-2")

    tree = rec.tree(trace_id)
    assert shape(tree) == expected_shape(EXPECTED_TREE)

    nodes = {}

    def walk(ns):
        for n in ns:
            nodes.setdefault(n["name"], []).append(n)
            walk(n["children"])
    walk(tree)
    for obs in rec.observations(trace_id):  # trace attributes on every observation
        attrs = obs["traceAttributes"]
        assert attrs["name"] == "rag-pipeline" and attrs["userId"] == "user-42"
        assert attrs["sessionId"] == "sess-7" and sorted(attrs["tags"]) == sorted(TAGS)
        assert obs["level"] == "DEFAULT" and obs["endTime"] >= obs["startTime"]
        assert obs["environment"] == "test"
        # Only the root carries the trace's input and output.
        has_io = "input" in attrs or "output" in attrs
        assert has_io == (obs["name"] == "rag-pipeline"), obs["name"]

    root = nodes["rag-pipeline"][0]
    assert root["input"] == lc_pipeline.QUESTION and root["output"] == "4 words."

    retriever = nodes["docs-retriever"][0]
    assert retriever["input"] == lc_pipeline.QUESTION
    assert retriever["output"] == [{"page_content": lc_pipeline.DOC,
                                    "metadata": {"source": "docs"}}]

    prompt = nodes["ChatPromptTemplate"][0]
    assert prompt["input"] == {"context": lc_pipeline.DOC, "question": lc_pipeline.QUESTION}

    gen = nodes["FakeChat"][0]
    assert gen["model"] == "fake-gpt"
    assert gen["modelParameters"] == {"temperature": 0.1, "max_tokens": 64, "top_p": 0.9}
    assert gen["input"] == [{"role": "system", "content": "Answer from: " + lc_pipeline.DOC},
                            {"role": "user", "content": lc_pipeline.QUESTION}]
    assert gen["output"] == [{"role": "assistant", "content": lc_pipeline.DOC}]
    assert gen["usageDetails"] == {"input": 12, "output": 5, "total": 17}
    assert nodes["StrOutputParser"][0]["output"] == lc_pipeline.DOC

    agent = nodes["count-agent"][0]
    assert agent["input"] == lc_pipeline.DOC and agent["output"] == "4 words."
    gens = sorted((c for c in agent["children"] if c["type"] == "GENERATION"),
                  key=lambda c: (c["startTime"], len(c["input"])))
    call_gen, final_gen = gens
    (tool,) = [c for c in agent["children"] if c["type"] == "TOOL"]
    assert call_gen["startTime"] <= tool["startTime"] <= final_gen["startTime"]
    rag_steps = [n["name"] for n in nodes["rag-query"][0]["children"]]
    starts = {n["name"]: n["startTime"] for n in nodes["rag-query"][0]["children"]}
    assert starts["RunnableParallel<context,question>"] <= starts["ChatPromptTemplate"] \
        <= starts["FakeChat"] <= starts["StrOutputParser"], rag_steps
    assert call_gen["input"][0] == {"role": "user",
                                    "content": "How many words: " + lc_pipeline.DOC}
    tool_def = json.loads(call_gen["input"][1]["content"])
    assert call_gen["input"][1]["role"] == "tool"
    assert tool_def["function"]["name"] == "word_count"
    assert call_gen["output"] == [{"role": "assistant", "tool_calls": [
        {"id": "call-1", "type": "function",
         "function": {"name": "word_count", "arguments": json.dumps({"text": lc_pipeline.DOC})}}]}]
    assert call_gen["usageDetails"] == {"input": 20, "output": 7, "total": 27}
    assert tool["input"] == {"text": lc_pipeline.DOC} and tool["output"] == "4"
    assert final_gen["input"][-1] == {"role": "tool", "content": "4", "tool_call_id": "call-1",
                                      "name": "word_count"}
    assert final_gen["output"] == [{"role": "assistant", "content": "4 words."}]
    assert final_gen["usageDetails"] == {"input": 30, "output": 3, "total": 33}


def test_llm_error_is_an_error_observation_with_its_message(tracegate_recorder, handler):
    rec = tracegate_recorder
    with pytest.raises(RuntimeError, match="model overloaded"):
        run_pipeline(handler, model=lc_pipeline.FailingChat(messages=iter([])))
    assert handler.flush(10)
    trace_id = handler.last_trace_id
    assert rec.wait(traces=1, observations=9)
    assert single_root(rec, handler.last_trace_id)["name"] == "rag-pipeline"
    by_name = {o["name"]: o for o in rec.observations(trace_id)}
    gen = by_name["FailingChat"]
    assert gen["type"] == "GENERATION" and gen["level"] == "ERROR"
    assert gen["statusMessage"] == "model overloaded: 529"
    assert gen["model"] == "fake-gpt"
    for chain in ("rag-query", "rag-pipeline"):  # the error propagates up as ERROR too
        assert by_name[chain]["level"] == "ERROR"
        assert "model overloaded: 529" in by_name[chain]["statusMessage"]
    assert by_name["docs-retriever"]["level"] == "DEFAULT"
    assert "count-agent" not in by_name
    trace = rec.trace(trace_id)
    assert trace["name"] == "rag-pipeline" and trace["input"] == lc_pipeline.QUESTION
    assert trace["output"] is None and trace["userId"] == "user-42"


def test_streaming_records_the_first_token_time(tracegate_recorder, handler):
    rec = tracegate_recorder
    model = lc_pipeline.FakeChat(messages=iter([lc_pipeline.answer_message()]))
    chunks = list(model.stream("hi", config={"callbacks": [handler]}))
    assert "".join(c.content for c in chunks) == lc_pipeline.DOC
    assert handler.flush(10)
    assert rec.wait(traces=1, observations=1)
    (gen,) = rec.observations(handler.last_trace_id)
    assert single_root(rec, handler.last_trace_id)["id"] == gen["id"]
    trace = rec.trace(handler.last_trace_id)
    assert trace["name"] == "FakeChat" and trace["output"] == gen["output"]
    assert gen["type"] == "GENERATION" and gen["completionStartTime"]
    assert gen["startTime"] <= gen["completionStartTime"] <= gen["endTime"]
    assert gen["input"] == [{"role": "user", "content": "hi"}]
    assert gen["output"] == [{"role": "assistant", "content": lc_pipeline.DOC}]


def test_seed_constructor_log_event_and_log_metric(tracegate_recorder):
    rec = tracegate_recorder
    # The seed's example, as written (api_key: the gateway key; base_url: the gateway).
    tracer = LangfuseTracer(project_name="onekey-rag", dataset_name="rag-llm",
                            api_key=rec.api_key, tags={"env": "prod", "team": "rag"},
                            base_url="http://%s/api" % rec.endpoint)
    model = lc_pipeline.FakeChat(messages=iter(["pong"]))
    assert model.invoke("ping", config={"callbacks": [tracer]}).content == "pong"
    event_trace = tracer.log_event(name="retriever_search",
                                   payload={"source": "pinecone", "query": "q", "hit_count": 3})
    metric_trace = tracer.log_metric("answer_quality", 0.75)
    assert tracer.flush(10)
    assert rec.wait(traces=3, observations=3, scores=1)

    chat_trace = rec.trace(tracer.last_trace_id)
    assert set(chat_trace["tags"]) == {"env:prod", "team:rag"}
    assert chat_trace["metadata"]["langfuse_project"] == "onekey-rag"
    assert chat_trace["metadata"]["langfuse_dataset"] == "rag-llm"
    (gen,) = rec.observations(tracer.last_trace_id)
    assert gen["type"] == "GENERATION" and gen["output"] == [{"role": "assistant",
                                                               "content": "pong"}]
    (event,) = rec.observations(event_trace)
    assert event["type"] == "EVENT" and event["name"] == "retriever_search"
    assert event["input"] == {"source": "pinecone", "query": "q", "hit_count": 3}
    assert single_root(rec, event_trace)["id"] == event["id"]  # no Trace event for it
    event_tr = rec.trace(event_trace)
    assert event_tr["name"] == "retriever_search"
    assert set(event_tr["tags"]) == {"env:prod", "team:rag"}
    assert event_tr["metadata"]["langfuse_project"] == "onekey-rag"
    assert single_root(rec, tracer.last_trace_id)["id"] == gen["id"]
    # A metric outside any run has no observation: its trace is a Trace event (one root).
    assert rec.observations(metric_trace) == []
    assert len(rec.observations(metric_trace, include_trace_span=True)) == 1
    (score,) = rec.scores()
    assert score["name"] == "answer_quality" and score["value"] == 0.75
    assert score["traceId"] == rec.trace(metric_trace)["id"]


def test_handler_never_breaks_the_chain_when_tracing_fails(tracegate_recorder):
    class Broken:
        config = tracegate_recorder.client().config

        def send(self, event):
            raise RuntimeError("tracing exploded")

    handler = TracegateCallbackHandler(client=Broken())
    assert run_pipeline(handler) == "4 words."


def test_async_pipeline_gives_the_same_tree(tracegate_recorder, handler):
    import asyncio
    rec = tracegate_recorder
    pipeline = lc_pipeline.build()
    result = asyncio.run(pipeline.ainvoke(lc_pipeline.QUESTION, config={
        "callbacks": [handler], "tags": ["rag"],
        "metadata": {"langfuse_user_id": "user-42", "langfuse_session_id": "sess-7"}}))
    assert result == "4 words."
    assert handler.flush(10)
    assert rec.wait(traces=1, observations=count(EXPECTED_TREE))
    assert single_root(rec, handler.last_trace_id)["name"] == "rag-pipeline"
    assert shape(rec.tree(handler.last_trace_id)) == expected_shape(EXPECTED_TREE)


def test_log_event_inside_a_chain_lands_under_the_open_run(tracegate_recorder, handler):
    from langchain_core.runnables import RunnableLambda
    rec = tracegate_recorder

    def search(query):
        handler.log_event("retriever_search", {"source": "pinecone", "query": query,
                                               "hit_count": 2})
        handler.log_metric("hit_count", 2)
        return "ok"

    chain = RunnableLambda(search).with_config(run_name="search-step")
    assert chain.invoke("q", config={"callbacks": [handler]}) == "ok"
    assert handler.flush(10)
    assert rec.wait(traces=1, observations=2, scores=1)
    trace_id = handler.last_trace_id
    assert single_root(rec, trace_id)["name"] == "search-step"
    (step,) = rec.tree(trace_id)
    assert (step["name"], step["type"]) == ("search-step", "CHAIN")
    (event,) = step["children"]
    assert (event["name"], event["type"]) == ("retriever_search", "EVENT")
    assert event["input"] == {"source": "pinecone", "query": "q", "hit_count": 2}
    assert event["traceAttributes"]["name"] == "search-step"
    (score,) = rec.scores()
    assert score["traceId"] == rec.trace(trace_id)["id"] and score["value"] == 2
    assert len(rec.traces()) == 1


def test_langfuse_prompt_in_metadata_links_the_generations(tracegate_recorder, handler):
    from types import SimpleNamespace
    rec = tracegate_recorder
    prompt = SimpleNamespace(name="rag-answer", version=3)  # like a Langfuse prompt client
    assert run_pipeline_with(handler, {"langfuse_prompt": prompt}) == "4 words."
    assert handler.flush(10)
    assert rec.wait(traces=1, observations=count(EXPECTED_TREE))
    obs = rec.observations(handler.last_trace_id)
    gens = [o for o in obs if o["type"] == "GENERATION"]
    assert len(gens) == 3
    assert all((g["promptName"], g["promptVersion"]) == ("rag-answer", 3) for g in gens)
    assert all(o["promptName"] is None for o in obs if o["type"] != "GENERATION")
    assert "langfuse_prompt" not in (rec.trace(handler.last_trace_id)["metadata"] or {})


def run_pipeline_with(handler, metadata):
    return lc_pipeline.build().invoke(lc_pipeline.QUESTION, config={
        "callbacks": [handler], "metadata": metadata})


@pytest.fixture(scope="module")
def legacy_recorder():
    from tracegate.testing import Recorder
    with Recorder(egress="legacy", emulator_args=["--server-version", "3.225.4"]) as rec:
        yield rec


def test_legacy_route_keeps_the_trace_name_input_and_output(legacy_recorder):
    """Without a Trace event, the legacy egress builds the trace from the root observation's
    trace attributes (a trace-create per observation that carries them)."""
    rec = legacy_recorder
    rec.reset()
    client = rec.client(flush_interval=0.02, app_env="test")
    try:
        h = TracegateCallbackHandler(client=client, tags={"team": "rag"}, service="rag-svc",
                                     metadata={"app": "demo"}, release="rel-1")
        assert run_pipeline(h) == "4 words."
        assert h.flush(10)
        assert rec.wait(traces=1, observations=count(EXPECTED_TREE))
    finally:
        client.shutdown(timeout=5)
    (trace,) = rec.traces().values()
    assert trace["name"] == "rag-pipeline"
    assert trace["input"] == lc_pipeline.QUESTION and trace["output"] == "4 words."
    assert (trace["userId"], trace["sessionId"]) == ("user-42", "sess-7")
    assert sorted(trace["tags"]) == sorted(TAGS)
    assert trace["metadata"]["app"] == "demo" and trace["release"] == "rel-1"
    obs = list(rec.state()["observations"].values())
    assert len(obs) == count(EXPECTED_TREE)
    assert [o["name"] for o in obs if not o.get("parentObservationId")] == ["rag-pipeline"]
