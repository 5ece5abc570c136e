"""Who fetches what, when: the per-origin dispatcher and its worker threads.

At most `concurrency` jobs run at once, and at most `per_host` for one origin (scheme, host,
port). A worker takes the oldest waiting job whose origin has a free slot, so a busy origin
never holds up the others (no head-of-line blocking); a redirect's next hop queues anew, in
front, against its own origin's limit. Workers are daemon threads that live only while there
is work. What one hop does is not known here: the worker calls `run(job)`.
"""

from __future__ import annotations

import contextlib
import heapq
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager

from pkm.seek.http.messages import HttpRequest, HttpResponse
from pkm.seek.http.urls import Origin


class Batch:
    """The responses of one `fetch_all` call, handed from the workers to its consumer.

    None on `results` means the client was closed; an exception is a bug in a worker.
    """

    __slots__ = ("cancelled", "results")

    def __init__(self) -> None:
        self.results: queue.SimpleQueue[HttpResponse | BaseException | None] = queue.SimpleQueue()
        self.cancelled = False


class Job:
    """One request on its way through its redirect hops."""

    __slots__ = ("batch", "headers", "origin", "redirects", "request", "seq", "started", "url")

    def __init__(
        self,
        request: HttpRequest,
        batch: Batch,
        url: str,
        origin: Origin,
        headers: dict[str, str],
    ) -> None:
        self.seq = 0  # submission order: the scheduler serves the oldest first
        self.request = request
        self.batch = batch
        self.url = url  # of the hop to make next
        self.origin = origin  # of `url`
        self.headers = headers
        self.redirects: list[tuple[int, str]] = []
        self.started = 0.0  # time.monotonic() when its first hop started


# What a hop comes to: the final response, the job again for its next hop, or None (cancelled).
Run = Callable[[Job], HttpResponse | Job | None]


class Scheduler:
    """The queues, the slots and the workers of one client; see the module docstring."""

    def __init__(
        self,
        *,
        concurrency: int,
        per_host: int,
        run: Run,
        worker_scope: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        """Args:
        run: makes one hop of a job, in a worker thread.
        worker_scope: entered by each worker thread for its whole life.
        """
        self._concurrency = concurrency
        self._per_host = per_host
        self._run = run
        self._worker_scope = worker_scope
        # All guarded by _cond.
        self._cond = threading.Condition(threading.Lock())
        self._pending: dict[Origin, deque[Job]] = {}  # jobs waiting, per origin, oldest first
        self._active: dict[Origin, int] = {}  # jobs in flight, per origin
        # A heap of (seq of its oldest job, origin) for the origins with a job and a free slot;
        # _ready_seq tells an origin's current entry from stale ones.
        self._ready: list[tuple[int, Origin]] = []
        self._ready_seq: dict[Origin, int] = {}
        self._npending = 0
        self._running = 0  # workers in the middle of a hop
        self._workers: set[threading.Thread] = set()
        self._batches: set[Batch] = set()
        self._seq = 0
        self._spawned = 0
        self._closed = False

    def submit(self, batch: Batch, jobs: list[Job]) -> None:
        """Queue the first hops of `batch`'s jobs. Raises RuntimeError once closed."""
        with self._cond:
            if self._closed:
                raise RuntimeError("HttpClient is closed")
            self._batches.add(batch)
            for job in jobs:
                self._seq += 1
                job.seq = self._seq
                self._enqueue(job, front=False)
            self._spawn_workers()

    def cancel(self, batch: Batch) -> None:
        """Forget a batch whose consumer has gone: drop its waiting jobs."""
        batch.cancelled = True
        with self._cond:
            self._batches.discard(batch)
            if not self._npending:
                return
            for origin in list(self._pending):
                kept = deque(job for job in self._pending[origin] if job.batch is not batch)
                self._npending -= len(self._pending[origin]) - len(kept)
                if kept:
                    self._pending[origin] = kept
                else:
                    del self._pending[origin]
            self._ready = []
            self._ready_seq = {}
            for origin in self._pending:
                self._mark_ready(origin)
            self._cond.notify_all()

    def close(self, *, interrupt: Callable[[], None], wait: float) -> None:
        """Drop pending work, end every batch, `interrupt()` the hops in progress, and wait
        up to `wait` seconds for the workers to leave."""
        with self._cond:
            self._closed = True
            batches = list(self._batches)
            self._batches.clear()
            self._pending.clear()
            self._ready.clear()
            self._ready_seq.clear()
            self._npending = 0
            workers = list(self._workers)
            self._cond.notify_all()
        for batch in batches:
            batch.cancelled = True
            batch.results.put(None)
        interrupt()
        deadline = time.monotonic() + wait
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))

    # -- the queues (all of these hold _cond) ----------------------------------------------------

    def _enqueue(self, job: Job, *, front: bool) -> None:
        """Queue a job (a new request, or the next hop of one in progress)."""
        origin = job.origin
        jobs = self._pending.get(origin)
        if jobs is None:
            jobs = self._pending[origin] = deque()
        if front:  # a redirect's next hop goes first: finish what was started
            jobs.appendleft(job)
        else:
            jobs.append(job)
        self._npending += 1
        self._mark_ready(origin)

    def _mark_ready(self, origin: Origin) -> None:
        """(Re)list `origin` in the ready heap if it has a waiting job and a free slot."""
        jobs = self._pending.get(origin)
        if not jobs or self._active.get(origin, 0) >= self._per_host:
            return
        seq = jobs[0].seq
        if self._ready_seq.get(origin) == seq:
            return
        self._ready_seq[origin] = seq  # any older entry for this origin is now stale
        heapq.heappush(self._ready, (seq, origin))
        self._cond.notify()

    def _take(self) -> Job | None:
        """The oldest job whose origin has a free slot, or None."""
        while self._ready:
            seq, origin = heapq.heappop(self._ready)
            if self._ready_seq.get(origin) != seq:
                continue  # stale entry
            del self._ready_seq[origin]
            jobs = self._pending[origin]
            job = jobs.popleft()
            if not jobs:
                del self._pending[origin]
            self._npending -= 1
            self._active[origin] = self._active.get(origin, 0) + 1
            self._mark_ready(origin)
            if self._npending == 0:
                self._cond.notify_all()  # idle workers may leave
            return job
        return None

    def _release(self, origin: Origin) -> None:
        n = self._active[origin] - 1
        if n:
            self._active[origin] = n
        else:
            del self._active[origin]
        self._mark_ready(origin)

    def _spawn_workers(self) -> None:
        want = min(self._concurrency, self._npending + self._running)
        while len(self._workers) < want:
            self._spawned += 1
            worker = threading.Thread(
                target=self._work, name=f"pkm-http-{self._spawned}", daemon=True
            )
            self._workers.add(worker)
            worker.start()

    # -- the workers -----------------------------------------------------------------------------

    def _work(self) -> None:
        me = threading.current_thread()
        try:
            with self._worker_scope():
                self._serve(me)
        except BaseException as e:  # a bug in the scheduler: fail every consumer, hang none
            with self._cond:
                batches = list(self._batches)
            for batch in batches:
                batch.results.put(e)
            raise
        finally:
            with self._cond:
                self._workers.discard(me)

    def _serve(self, me: threading.Thread) -> None:
        while True:
            with self._cond:
                job = self._take()
                while job is None:
                    if self._closed or not self._npending:
                        # Leave in the same critical section that decided it, so submit()
                        # never counts a worker that is on its way out.
                        self._workers.discard(me)
                        return
                    self._cond.wait()
                    job = self._take()
                self._running += 1
            origin = job.origin  # the hop may move the job on to a redirect's origin
            outcome: HttpResponse | Job | BaseException | None
            try:
                outcome = self._run(job)
            except Exception as e:  # a bug: hand it to the consumer rather than hang it
                outcome = e
            with self._cond:
                self._running -= 1
                self._release(origin)
                if isinstance(outcome, Job):
                    if not (job.batch.cancelled or self._closed):
                        self._enqueue(outcome, front=True)
                    outcome = None
            if outcome is not None and not job.batch.cancelled:
                job.batch.results.put(outcome)
