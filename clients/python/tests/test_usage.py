"""Model name, parameters and usage parsing (tracegate.usage), like Langfuse's handler."""

from types import SimpleNamespace as NS

from tracegate.usage import model_name, model_parameters, normalize_usage, parse_usage


def test_usage_renames_and_subtracts_details():
    assert normalize_usage({"prompt_tokens": 10, "completion_tokens": 5,
                            "total_tokens": 15}) == {"input": 10, "output": 5, "total": 15}
    assert normalize_usage({"input_tokens": 100, "output_tokens": 20, "total_tokens": 120,
                            "input_token_details": {"cache_read": 60},
                            "output_token_details": {"reasoning": 5}}) == {
        "input": 40, "output": 15, "total": 120, "input_cache_read": 60,
        "output_reasoning": 5}
    assert normalize_usage({"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12,
                            "prompt_tokens_details": {"cached_tokens": 4}})["input"] == 6
    # Streamed Bedrock metrics come as lists; strings and None are dropped.
    assert normalize_usage({"inputTokenCount": [3, 4], "outputTokenCount": [1],
                            "model": "x", "cost": None}) == {"input": 7, "output": 1}


def test_parse_usage_prefers_generation_usage_over_llm_output():
    msg = NS(response_metadata={}, usage_metadata={"input_tokens": 7, "output_tokens": 3,
                                                   "total_tokens": 10})
    result = NS(llm_output={"token_usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                            "total_tokens": 2}},
                generations=[[NS(generation_info=None, message=msg)]])
    assert parse_usage(result) == {"input": 7, "output": 3, "total": 10}
    result = NS(llm_output={"token_usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                            "total_tokens": 2}}, generations=[[NS()]])
    assert parse_usage(result) == {"input": 1, "output": 1, "total": 2}
    assert parse_usage(NS(llm_output=None, generations=[])) == {}


def test_model_name_and_parameters_sources():
    assert model_name({}, {"model": "gpt-4o"}, {"ls_model_name": "gpt-4o-mini"}) == "gpt-4o-mini"
    assert model_name({}, {"model_name": "claude"}, {}) == "claude"
    assert model_name({"kwargs": {"model_id": "titan"}}, {}, {}) == "titan"
    assert model_name(None, {}, {}) == ""
    assert model_parameters({"temperature": 0, "max_tokens": None, "stop": ["\n"],
                             "api_key": "secret"}, {"ls_max_tokens": 64}) == {
        "temperature": 0, "max_tokens": 64, "stop": ["\n"]}
