"""Tracegate's Python client.

- `TracegateClient`: batching background sender (client.py), config from TRACEGATE_* env.
- `events`: builders for tracegate.v1 TraceEvents (trace, observation, score).
- `tracegate.langchain.TracegateCallbackHandler` (alias `LangfuseTracer`): LangChain
  callbacks → one trace per root run (needs langchain-core).
- `tracegate.testing`: a pytest fixture running a gateway with a recording Langfuse sink.
- `tracegate-verify` / `python -m tracegate verify`: sends the langfuse-sanity-check trace.
"""

from tracegate import events
from tracegate.client import TracegateClient, get_client
from tracegate.config import ClientConfig

__all__ = ["TracegateClient", "ClientConfig", "events", "get_client"]
__version__ = "0.1.0"
