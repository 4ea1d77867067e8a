"""The no-network guard of conftest.py really refuses outside connections."""

from __future__ import annotations

import socket

import pytest


def test_connection_to_a_public_address_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="network connection"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: documentation range, never routed


def test_host_name_lookup_is_refused() -> None:
    with pytest.raises(RuntimeError, match="resolve the host name"):
        socket.getaddrinfo("example.org", 80)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
