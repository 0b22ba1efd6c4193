"""Fixtures of the Python client's tests: an in-process fake gateway (unit tests) and the
package's own recorder fixture (a real gateway + Langfuse emulator, e2e tests)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_gateway import FakeGateway  # noqa: E402

pytest_plugins = ["tracegate.testing"]


@pytest.fixture
def fake_gateway():
    gw = FakeGateway()
    yield gw
    gw.stop()


@pytest.fixture
def make_client():
    """Factory for TracegateClients that are shut down after the test."""
    from tracegate import TracegateClient
    made = []

    def make(endpoint, **kw):
        kw.setdefault("api_key", "tg_unit")
        kw.setdefault("register_atexit", False)
        kw.setdefault("flush_interval", 0.01)
        kw.setdefault("initial_backoff", 0.02)
        kw.setdefault("max_backoff", 0.2)
        c = TracegateClient(endpoint=endpoint, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown(timeout=1)
