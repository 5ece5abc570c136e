"""Pooled keep-alive connections whose blocked reads another thread can interrupt.

A read blocked on a socket cannot be cancelled in Python, but it fails at once when another
thread shuts the socket down. So each worker thread has a `Watch`, and the connections of the
pools built here report to the current thread's Watch the socket they connect or reuse,
before the request is sent. Interrupting the Watch shuts down whatever socket the worker's
hop is using, and any it connects afterwards until the hop ends: that is how deadlines and
`close()` end a hop whatever the server does.

A connect in progress (TCP, then the TLS handshake) has no socket to shut down yet: the
connect timeout bounds it, as a whole (CPython's handshake applies the socket timeout to the
whole handshake, not to each read).

Knows nothing about requests, redirects, bodies or time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from enum import Enum
from typing import Any

from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import Timeout


class Interruption(Enum):
    """Why a hop was interrupted."""

    DEADLINE = "deadline"  # its request ran past total_timeout
    CLOSED = "closed"  # the client was closed


class Watch:
    """The socket one worker's hop is using, so that another thread can make its reads fail.

    One per worker thread, for its whole life; `begin` and `end` bracket each hop. Closing
    outlives the hop: a worker that was abandoned in a connect gets the socket it finally
    opens shut down at once.
    """

    __slots__ = ("_closed", "_deadline", "_lock", "_reason", "_sock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._deadline: float | None = None  # time.monotonic() the hop must end by
        self._reason: Interruption | None = None
        self._closed = False

    @property
    def interrupted(self) -> bool:
        """Whether the hop in progress was interrupted (its reads fail, its result is moot)."""
        return self._reason is not None

    def begin(self, deadline: float | None) -> None:
        """A hop starts; it must end by `deadline` (None: no deadline)."""
        with self._lock:
            self._deadline = deadline
            self._sock = None
            self._reason = Interruption.CLOSED if self._closed else None

    def end(self) -> Interruption | None:
        """The hop is over; return why it was interrupted, if it was."""
        with self._lock:
            reason, self._reason = self._reason, None
            self._deadline = None
            self._sock = None
            return reason

    def bind(self, sock: socket.socket) -> None:
        """The hop now uses `sock` (called by the connections, in the worker's thread)."""
        with self._lock:
            self._sock = sock
            if self._reason is not None:
                shutdown(sock)

    def expire(self, now: float) -> float | None:
        """Interrupt the hop if its deadline is past; else return the deadline still ahead."""
        with self._lock:
            deadline = self._deadline
            if deadline is None or now < deadline:
                return deadline
            self._deadline = None  # dealt with
            self._interrupt(Interruption.DEADLINE)
            return None

    def close(self) -> None:
        """Interrupt the hop in progress, if any, and every hop after it."""
        with self._lock:
            self._closed = True
            self._interrupt(Interruption.CLOSED)

    def _interrupt(self, reason: Interruption) -> None:
        if self._reason is None:
            self._reason = reason
        if self._sock is not None:
            shutdown(self._sock)


_local = threading.local()  # .watch: the Watch of the worker this thread is


def watch_this_thread(watch: Watch | None) -> None:
    """Report the sockets this thread's connections use to `watch` (None: to nobody)."""
    _local.watch = watch


def current_watch() -> Watch:
    """This worker thread's Watch (set with `watch_this_thread`)."""
    watch: Watch = _local.watch
    return watch


def shutdown(sock: socket.socket) -> None:
    """Make a read blocked on `sock`, in any thread, fail now."""
    # The plain socket's shutdown, even for TLS: it wakes the reader without tearing down
    # the SSL object under its feet. A socket already closed has no descriptor: nothing to do.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def pool_manager(*, per_host: int, connect_timeout: float, read_timeout: float) -> PoolManager:
    """Pools of watched connections, at most `per_host` kept per origin."""
    pool = PoolManager(
        num_pools=64,  # origins whose idle connections are kept (LRU)
        maxsize=per_host,  # the scheduler never lets more than this be in use
        block=False,
        timeout=Timeout(connect=connect_timeout, read=read_timeout),
        retries=False,
    )
    pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pool


def _report(sock: socket.socket | None) -> None:
    watch: Watch | None = getattr(_local, "watch", None)
    if watch is not None and sock is not None:
        watch.bind(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _report(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _report(self.sock)  # a kept-alive connection, reused (a new one reports on connect)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _report(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _report(self.sock)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection
