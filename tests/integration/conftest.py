"""Fixtures for the end-to-end tests: a Langfuse emulator (tests/emulator) per module, a
gateway factory whose processes are stopped after each test, and a redis-server with AOF per
test for the Redis tests."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))

import emu_harness  # noqa: E402
import gateway_harness  # noqa: E402
import redis_harness  # noqa: E402


@pytest.fixture(scope="module")
def emulator():
    emu = emu_harness.spawn("--public-key", gateway_harness.PK, "--secret-key",
                            gateway_harness.SK, "--server-version", "4.16.0", lifetime=600)
    yield emu
    emu_harness.stop(emu.proc)


@pytest.fixture
def emu(emulator):
    emulator.reset()
    yield emulator
    emulator.reset()


@pytest.fixture
def start_gateway():
    started = []

    def start(config_text, **kw):
        gw = gateway_harness.start_gateway(config_text, **kw)
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop(timeout=20)


@pytest.fixture
def redis():
    server = redis_harness.RedisServer(aof=True)
    yield server
    server.close()
