"""Pooled keep-alive connections whose blocked reads another thread can interrupt.

urllib3's pools with connection classes that report to a `ConnectionTracker`, so that
`HttpClient.close()` can make a worker blocked in a read fail at once. Knows nothing about
requests, redirects or bodies.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import Timeout


class ConnectionTracker:
    """The open connections of one client's workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: set[HTTPConnection] = set()
        self._closed = False

    def add(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._connections.add(conn)
            closed = self._closed
        if closed:
            interrupt(conn)

    def discard(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._connections.discard(conn)

    def interrupt_all(self) -> None:
        """Make every read in progress fail now, and any connection made from now on."""
        with self._lock:
            self._closed = True
            connections = list(self._connections)
        for conn in connections:
            interrupt(conn)


def pool_manager(*, per_host: int, connect_timeout: float, read_timeout: float) -> PoolManager:
    """Pools of tracked connections, at most `per_host` kept per origin."""
    pool = PoolManager(
        num_pools=64,  # origins whose idle connections are kept (LRU)
        maxsize=per_host,  # the scheduler never lets more than this be in use
        block=False,
        timeout=Timeout(connect=connect_timeout, read=read_timeout),
        retries=False,
    )
    pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pool


_local = threading.local()  # .tracker: the ConnectionTracker of the client this thread works for


def track_this_thread(tracker: ConnectionTracker) -> None:
    """Report the connections this thread makes to `tracker`."""
    _local.tracker = tracker


def interrupt(conn: HTTPConnection) -> None:
    """Make a read blocked on `conn` (in another thread) fail now."""
    sock = conn.sock
    if isinstance(sock, socket.socket):
        # The plain socket's shutdown, even for TLS: it wakes the reader without tearing down
        # the SSL object under its feet.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _on_connect(conn: HTTPConnection) -> None:
    tracker: ConnectionTracker | None = getattr(_local, "tracker", None)
    if tracker is not None:
        conn._pkm_tracker = tracker  # type: ignore[attr-defined]
        tracker.add(conn)


def _on_close(conn: HTTPConnection) -> None:
    tracker: ConnectionTracker | None = getattr(conn, "_pkm_tracker", None)
    if tracker is not None:
        tracker.discard(conn)


class _TrackedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _on_connect(self)

    def close(self) -> None:
        _on_close(self)
        super().close()


class _TrackedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _on_connect(self)

    def close(self) -> None:
        _on_close(self)
        super().close()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection
