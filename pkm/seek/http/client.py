"""`HttpClient`: the public face of the package, wiring the scheduler, the hops and the pools.

It owns the client's settings, the request headers every GET sends, and the lifecycle
(`fetch_all`, `fetch`, `close`, the context manager); the work itself is done by
`scheduler` (who runs what, when) and `exchange` (what one hop does).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import Final

from pkm import __url__, __version__
from pkm.seek.http.connections import pool_manager
from pkm.seek.http.deadlines import Watchdog
from pkm.seek.http.exchange import Exchange, log_outcome
from pkm.seek.http.messages import HttpRequest, HttpResponse, failed
from pkm.seek.http.scheduler import Batch, Job, Scheduler
from pkm.seek.http.urls import origin_of

# Feeds first; generic XML next (many feeds are served as it); anything else, e.g. an HTML page
# that links its feed, last.
ACCEPT: Final = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
ACCEPT_ENCODING: Final = "gzip, deflate, br"
# How long close() waits for workers to leave. A worker blocked in a read is interrupted and
# leaves at once; one in a connect is abandoned (a daemon thread, and anything it connects
# afterwards is shut down at once), so Ctrl-C ends a run within a second.
CLOSE_WAIT: Final = 0.4


def default_user_agent() -> str:
    """`pkm/<version> (+<project url>)`: says who we are and where to complain."""
    return f"pkm/{__version__} (+{__url__})"


class HttpClient:
    """Concurrent, polite HTTP GETs over pooled, reused connections.

    Workers are threads (at most `concurrency`) that live only while there is work; a scheduler
    hands each one the oldest request whose origin still has a free slot. Each redirect hop is
    scheduled anew against its own origin's limit. Use it as a context manager, or call `close()`.
    """

    def __init__(
        self,
        *,
        concurrency: int = 16,
        per_host: int = 2,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_bytes: int = 20 * 1024 * 1024,
        max_redirects: int = 10,
        user_agent: str | None = None,
        total_timeout: float | None = 120.0,
    ) -> None:
        """Args:
        concurrency: requests in flight at once, over all origins.
        per_host: requests in flight at once to one origin (scheme, host, port).
        connect_timeout: seconds to establish a connection (TCP and TLS).
        read_timeout: seconds of silence allowed while waiting for any bytes.
        max_bytes: cap on a decoded body; a bigger one is abandoned with an error.
        max_redirects: hops allowed before giving up.
        user_agent: defaults to `default_user_agent()`.
        total_timeout: seconds one request may take in all, from its first connect to the
            last byte of its last redirect hop, however slowly the server sends (None: no
            cap). Name resolution is the one step it cannot cut short.
        """
        if concurrency < 1 or per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if max_bytes < 0 or max_redirects < 0:
            raise ValueError("max_bytes and max_redirects must not be negative")
        if total_timeout is not None and not total_timeout > 0:
            raise ValueError("total_timeout must be positive (or None)")
        self._base_headers: dict[str, str] = {
            "User-Agent": user_agent or default_user_agent(),
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        self._pool = pool_manager(
            per_host=per_host, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        self._watchdog = Watchdog()  # deadlines, and close() interrupting reads in progress
        exchange = Exchange(
            self._pool,
            self._watchdog,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            total_timeout=total_timeout,
        )
        self._scheduler = Scheduler(
            concurrency=concurrency,
            per_host=per_host,
            run=exchange.run,
            worker_scope=exchange.worker_scope,
        )

    def fetch(self, request: HttpRequest) -> HttpResponse:
        """Retrieve one URL (sharing this client's limits with any other fetches)."""
        responses = self.fetch_all([request])
        try:
            return next(responses)
        except StopIteration:
            raise RuntimeError("HttpClient closed while fetching") from None
        finally:
            responses.close()

    def fetch_all(
        self,
        requests: Iterable[HttpRequest],
        *,
        before_waiting: Callable[[], None] | None = None,
    ) -> Generator[HttpResponse, None, None]:
        """Retrieve all `requests` concurrently; yield each response as it completes.

        Fetching starts at the first `next()` and goes on in the background while the caller
        works on what was yielded. If the caller stops early (break, an exception, Ctrl-C,
        `close()`), requests not yet started are dropped and the workers wind down. Nothing
        is yielded once `close()` has returned, not even responses that were already read.
        `before_waiting` is called whenever no response is ready yet and the generator is
        about to wait for one (the caller's chance to finish work it has been batching).
        """
        batch = Batch()
        total = self._submit(batch, list(requests))
        try:
            for _ in range(total):
                if before_waiting is not None and batch.results.empty():
                    before_waiting()
                item = batch.results.get()
                if item is None or batch.cancelled:  # the client was closed under us
                    return
                if isinstance(item, BaseException):  # a bug in a worker: surface it here
                    raise item
                yield item
        finally:
            self._scheduler.cancel(batch)

    def close(self) -> None:
        """Drop pending work, interrupt hops in progress, close connections: within ~0.5 s.

        Safe from any thread, and more than once.
        """
        self._scheduler.close(interrupt=self._watchdog.close, wait=CLOSE_WAIT)
        self._pool.clear()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _submit(self, batch: Batch, requests: list[HttpRequest]) -> int:
        immediate: list[HttpResponse] = []  # unusable URLs: answered without a worker
        jobs: list[Job] = []
        for request in requests:
            origin = origin_of(request.url)
            if isinstance(origin, str):
                immediate.append(failed(request, request.url, [], origin, 0.0))
                continue
            headers = self._base_headers
            if request.etag is not None or request.last_modified is not None:
                headers = dict(headers)
                if request.etag is not None:
                    headers["If-None-Match"] = request.etag
                if request.last_modified is not None:
                    headers["If-Modified-Since"] = request.last_modified
            jobs.append(Job(request, batch, request.url, origin, headers))
        self._scheduler.submit(batch, jobs)
        for response in immediate:
            log_outcome(response)
            batch.results.put(response)
        return len(requests)
