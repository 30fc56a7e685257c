"""The harness refuses network access from tests; loopback stays open."""

from __future__ import annotations

import socket

import pytest


def test_connecting_outside_this_machine_is_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(RuntimeError, match="may not reach the network"):
            sock.connect(("192.0.2.10", 443))


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
