"""Real broken dependencies for tests: a port that refuses, a server that never answers.

A refused connection fails at once; a hung server accepts the connection and
then says nothing, so every read waits for the client's socket timeout. Both
are real sockets on loopback, not mocks.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def hung_server() -> Iterator[int]:
    """A TCP server on loopback that accepts every connection and never answers."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.05)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)  # kept open, never read from or written to

    thread = threading.Thread(target=accept, name="hung-server", daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for connection in held:
            connection.close()


def redis_cache_at(port: int, *, socket_timeout: float, prefix: str) -> dict[str, Any]:
    """CACHES for a Redis at this loopback port, with the given socket timeouts."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": socket_timeout, "socket_timeout": socket_timeout},
            "KEY_PREFIX": prefix,
        }
    }
