"""Model name, model parameters and token usage of a LangChain LLM call, read the way
Langfuse's LangChain handler reads them (so the numbers match what users know).

Usage sources, later ones overriding earlier ones: llm_output["token_usage"] or
["usage"]; then per generation: generation_info["usage_metadata"], message
.response_metadata["usage"] or ["amazon-bedrock-invocationMetrics"], message
.usage_metadata. Keys are renamed to Langfuse's (input_tokens/prompt_tokens → input,
output_tokens/completion_tokens → output, total_tokens → total, ...), always (Langfuse's
server does the same rename for OpenAI's shape); *_token_details / prompt_tokens_details become input_<k> /
output_<k> and are subtracted from input / output. Non-integer values are dropped.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

_PARAM_KEYS = ("temperature", "max_tokens", "max_completion_tokens", "top_p",
               "frequency_penalty", "presence_penalty", "request_timeout", "decoding_method",
               "min_new_tokens", "max_new_tokens", "stop_sequences", "top_k", "seed", "stop")
_MODEL_KEYS = ("model", "model_name", "model_id", "deployment_name", "deployment_id",
               "model_path")
_RENAMES = {
    "input_tokens": "input", "output_tokens": "output", "total_tokens": "total",
    "prompt_tokens": "input", "completion_tokens": "output",
    "prompt_token_count": "input", "candidates_token_count": "output",
    "total_token_count": "total", "inputTokenCount": "input", "outputTokenCount": "output",
    "totalTokenCount": "total", "input_token_count": "input",
    "generated_token_count": "output",
}


def model_name(serialized: Optional[Mapping[str, Any]], invocation_params: Mapping[str, Any],
               metadata: Mapping[str, Any]) -> str:
    if metadata.get("ls_model_name"):
        return str(metadata["ls_model_name"])
    for key in _MODEL_KEYS:
        if invocation_params.get(key):
            return str(invocation_params[key])
    kwargs = (serialized or {}).get("kwargs") or {}
    if isinstance(kwargs, Mapping):
        for key in _MODEL_KEYS:
            if isinstance(kwargs.get(key), str) and kwargs[key]:
                return kwargs[key]
    return ""


def model_parameters(invocation_params: Mapping[str, Any],
                     metadata: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The known parameters from invocation_params, else LangChain's ls_<key> metadata."""
    out: Dict[str, Any] = {}
    metadata = metadata or {}
    for key in _PARAM_KEYS:
        value = invocation_params.get(key)
        if value is None:
            value = metadata.get("ls_" + key)
        if value is None:
            continue
        if isinstance(value, (str, bool, int, float)):
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = [str(v) for v in value]
        elif isinstance(value, Mapping):
            out[key] = {str(k): str(v) for k, v in value.items()}
        else:
            out[key] = str(value)
    return out


def _to_int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):  # streamed Bedrock: one number per chunk
        ints = [_to_int(v) for v in value]
        return sum(i for i in ints if i is not None) if ints else None
    return None


def normalize_usage(raw: Any) -> Dict[str, int]:
    """One provider's usage dict → Langfuse usage_details."""
    if hasattr(raw, "model_dump"):
        raw = raw.model_dump()
    if not isinstance(raw, Mapping):
        return {}
    out: Dict[str, int] = {}
    details: Dict[str, int] = {}
    for key, value in raw.items():
        if key in ("input_token_details", "prompt_tokens_details", "output_token_details",
                   "completion_tokens_details"):
            side = "input" if key.startswith(("input", "prompt")) else "output"
            if isinstance(value, Mapping):
                for k, v in value.items():
                    n = _to_int(v)
                    if n is not None:
                        details["%s_%s" % (side, k)] = n
            continue
        n = _to_int(value)
        if n is None:
            continue
        out[_RENAMES.get(key, key)] = n
    for key, n in details.items():
        out[key] = n
        side = "input" if key.startswith("input_") else "output"
        if side in out:
            out[side] = max(0, out[side] - n)
    return {k: v for k, v in out.items() if v >= 0}


def parse_usage(response: Any) -> Dict[str, int]:
    """Usage of an LLMResult (see the module docstring); {} when none is reported."""
    usage: Dict[str, int] = {}
    llm_output = getattr(response, "llm_output", None)
    if isinstance(llm_output, Mapping):
        raw = llm_output.get("token_usage") or llm_output.get("usage")
        if raw:
            usage = normalize_usage(raw)
    for generation_list in getattr(response, "generations", None) or []:
        for generation in generation_list:
            found = _generation_usage(generation)
            if found:
                usage = found
                break
    return usage


def _generation_usage(generation: Any) -> Dict[str, int]:
    info = getattr(generation, "generation_info", None) or {}
    if isinstance(info, Mapping) and info.get("usage_metadata"):
        return normalize_usage(info["usage_metadata"])
    message = getattr(generation, "message", None)
    if message is None:
        return {}
    meta = getattr(message, "response_metadata", None) or {}
    if isinstance(meta, Mapping):
        for key in ("usage", "amazon-bedrock-invocationMetrics"):
            if meta.get(key):
                return normalize_usage(meta[key])
    if getattr(message, "usage_metadata", None):
        return normalize_usage(message.usage_metadata)
    return {}
