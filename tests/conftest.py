"""Shared fixtures: the loopback HTTP server (see ``tests/loopback.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A fresh fault-injecting HTTP/1.1 server on 127.0.0.1 (its own routes and request log)."""
    with LoopbackServer() as running:
        yield running
