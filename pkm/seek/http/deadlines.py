"""The watchdog: a hard deadline on every request, whatever the server does.

Socket timeouts cannot bound a request: the read timeout starts again with every byte, so a
server that sends its headers or its body one byte a second keeps a client forever, and
urllib3 puts no deadline on reading headers at all. So one thread per client wakes at the
earliest deadline of the hops in progress and interrupts the hops past theirs (their reads
fail at once, see `connections.Watch`). It is idle between deadlines: arming a hop costs a
lock, and a wake-up only when that hop's deadline is the earliest.

It also keeps every worker's Watch, so that `close()` can interrupt them all.
"""

from __future__ import annotations

import math
import threading
import time

from pkm.seek.http.connections import Watch


class Watchdog:
    """The Watches of one client's workers, and the thread that enforces their deadlines."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._watches: set[Watch] = set()  # guarded by _cond, as are the fields below
        self._wake_at = math.inf  # when the thread next looks (inf: when told)
        self._thread: threading.Thread | None = None
        self._closed = False

    def register(self, watch: Watch) -> None:
        """A worker starts: keep its Watch (and interrupt it at once if closed)."""
        with self._cond:
            self._watches.add(watch)
            closed = self._closed
        if closed:
            watch.close()

    def unregister(self, watch: Watch) -> None:
        """A worker leaves. The thread leaves with the last one."""
        with self._cond:
            self._watches.discard(watch)
            if not self._watches:
                self._cond.notify()

    def arm(self, watch: Watch, deadline: float | None) -> None:
        """A hop of `watch`'s worker starts and must end by `deadline` (None: no deadline)."""
        watch.begin(deadline)
        if deadline is None:
            return
        with self._cond:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pkm-http-watchdog", daemon=True
                )
                self._thread.start()
            elif deadline < self._wake_at:
                self._wake_at = deadline
                self._cond.notify()

    def close(self) -> None:
        """Interrupt every hop in progress and every later one; stop the thread."""
        with self._cond:
            self._closed = True
            watches = list(self._watches)
            thread = self._thread
            self._cond.notify()
        for watch in watches:
            watch.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(0.1)  # it only has to wake up and see it is closed

    def _run(self) -> None:
        with self._cond:
            try:
                while self._watches and not self._closed:
                    now = time.monotonic()
                    ahead = (watch.expire(now) for watch in self._watches)
                    self._wake_at = min((d for d in ahead if d is not None), default=math.inf)
                    timeout = None if self._wake_at == math.inf else self._wake_at - now
                    self._cond.wait(timeout)
            finally:
                self._thread = None
                self._wake_at = math.inf
