"""HTTP retrieval for seek. The only module that touches the network. Contains no parsing.

`HttpClient.fetch_all` retrieves many URLs at once and yields an `HttpResponse` for each as it
completes. It owns everything about being a polite, safe HTTP client:

- at most `concurrency` requests in flight, and at most `per_host` to any one origin (scheme,
  host, port), redirect hops included; a busy origin never holds up requests to other origins;
- conditional GET (the stored validators are sent back verbatim), content decoding (gzip,
  deflate, br) under a cap on the decoded size, so a decompression bomb costs no memory;
- redirects followed here, hop by hop, to http(s) targets only: content from the network can
  never make pkm read a local file;
- errors as values: one URL's failure (DNS, refused, timeout, TLS, garbage, oversized body) is a
  response with `error` set, never an exception. An exception from here is a bug.

It knows nothing about feeds, the database or the CLI: bytes in, bytes out.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import logging
import queue
import socket
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Final, Protocol
from urllib.parse import urljoin

import brotli
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util import Timeout, parse_url

from pkm import __url__, __version__

log = logging.getLogger("pkm.seek.http")

# Feeds first; generic XML next (many feeds are served as it); anything else, e.g. an HTML page
# that links its feed, last.
ACCEPT: Final = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
ACCEPT_ENCODING: Final = "gzip, deflate, br"

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT_STATUSES: Final = frozenset({301, 308})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_CHUNK: Final = 64 * 1024  # raw bytes per read: a typical feed arrives in one or two reads
_DRAIN_MAX: Final = (
    64 * 1024
)  # a non-2xx body this small is read and dropped to keep the connection
_NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})

_Origin = tuple[str, str, int]  # scheme, host, port: the unit of the per-host limit


def default_user_agent() -> str:
    """`pkm/<version> (+<project url>)`: says who we are and where to complain."""
    return f"pkm/{__version__} (+{__url__})"


@dataclass(frozen=True)
class HttpRequest:
    """One URL to retrieve, with the validators stored from its last retrieval."""

    url: str
    etag: str | None = None  # sent back verbatim as If-None-Match
    last_modified: str | None = None  # sent back verbatim as If-Modified-Since
    key: object = None  # opaque, handed back on the response


@dataclass(frozen=True)
class HttpResponse:
    """What became of one `HttpRequest`.

    `error` is set (and `status` is None) when there is no usable response: the network failed,
    the URL or a redirect was unacceptable, or the body was too big or broken. Otherwise `status`
    is the final status; `body` is the decoded body for 2xx and None for anything else (304, 404,
    410, 429, 5xx, whose headers, such as Retry-After, are still there).
    """

    request: HttpRequest
    url: str  # final URL after redirects (where the failure happened, on error)
    status: int | None
    headers: Mapping[str, str]  # the final response's headers, lower-case names
    body: bytes | None
    redirects: tuple[tuple[int, str], ...]  # every hop: (status, absolute target URL)
    permanent_url: str | None  # final URL if there were hops and EVERY hop was 301/308
    error: str | None
    elapsed: float  # seconds from the first byte sent to the last byte read, all hops

    @property
    def ok(self) -> bool:
        """A 2xx response with its body."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        """The stored validators still hold (304)."""
        return self.error is None and self.status == 304


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
        total_timeout: float | None = 300.0,
    ) -> None:
        """Args:
        concurrency: requests in flight at once, over all origins.
        per_host: requests in flight at once to one origin (scheme, host, port).
        connect_timeout: seconds to establish a connection (TCP and TLS).
        read_timeout: seconds of silence allowed while waiting for any bytes.
        max_bytes: cap on a decoded body; a bigger one is abandoned with an error.
        max_redirects: hops allowed before giving up.
        user_agent: defaults to `default_user_agent()`.
        total_timeout: cap on one request's whole time, redirects included (checked between
            reads, so it bounds a server that trickles bytes; None for no cap).
        """
        if concurrency < 1 or per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if max_bytes < 0 or max_redirects < 0:
            raise ValueError("max_bytes and max_redirects must not be negative")
        self._concurrency = concurrency
        self._per_host = per_host
        self._connect_timeout = connect_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._total_timeout = total_timeout
        self._base_headers: dict[str, str] = {
            "User-Agent": user_agent or default_user_agent(),
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        self._pool = PoolManager(
            num_pools=64,  # origins whose idle connections are kept (LRU)
            maxsize=per_host,  # the scheduler never lets more than this be in use
            block=False,
            timeout=Timeout(connect=connect_timeout, read=read_timeout),
            retries=False,
        )
        self._pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

        # Scheduler state, all guarded by _cond.
        self._cond = threading.Condition(threading.Lock())
        self._pending: dict[_Origin, deque[_Job]] = {}  # jobs waiting, per origin, oldest first
        self._active: dict[_Origin, int] = {}  # jobs in flight, per origin
        # A heap of (seq of its oldest job, origin) for the origins with a job and a free slot;
        # _ready_seq tells an origin's current entry from stale ones.
        self._ready: list[tuple[int, _Origin]] = []
        self._ready_seq: dict[_Origin, int] = {}
        self._npending = 0
        self._running = 0  # workers in the middle of a hop
        self._workers: set[threading.Thread] = set()
        self._batches: set[_Batch] = set()
        self._connections: set[HTTPConnection] = set()  # so close() can interrupt blocked reads
        self._seq = 0
        self._spawned = 0
        self._closed = False

    # -- public API ---------------------------------------------------------------------------

    def fetch(self, request: HttpRequest) -> HttpResponse:
        """Retrieve one URL (sharing this client's limits with any other fetches)."""
        responses = self.fetch_all([request])
        try:
            return next(responses)
        except StopIteration:
            raise RuntimeError("HttpClient closed while fetching") from None
        finally:
            responses.close()

    def fetch_all(self, requests: Iterable[HttpRequest]) -> Generator[HttpResponse, None, None]:
        """Retrieve all `requests` concurrently; yield each response as it completes.

        Fetching starts at the first `next()` and goes on in the background while the caller
        works on what was yielded. If the caller stops early (break, an exception, Ctrl-C,
        `close()`), requests not yet started are dropped and the workers wind down.
        """
        batch = _Batch()
        total = self._submit(batch, list(requests))
        try:
            for _ in range(total):
                item = batch.results.get()
                if item is None:  # the client was closed under us
                    return
                if isinstance(item, BaseException):  # a bug in a worker: surface it here
                    raise item
                yield item
        finally:
            self._cancel(batch)

    def close(self) -> None:
        """Drop pending work, interrupt reads in progress, wait for workers, close connections."""
        with self._cond:
            self._closed = True
            batches = list(self._batches)
            self._batches.clear()
            self._pending.clear()
            self._ready.clear()
            self._ready_seq.clear()
            self._npending = 0
            connections = list(self._connections)
            workers = list(self._workers)
            self._cond.notify_all()
        for batch in batches:
            batch.cancelled = True
            batch.results.put(None)
        for conn in connections:
            _interrupt(conn)
        # Reads in progress fail at once on their shut-down sockets; only a connect in progress
        # can keep a worker, and never longer than the connect timeout (they are daemons anyway).
        deadline = time.monotonic() + self._connect_timeout + 1.0
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))
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

    # -- scheduling ---------------------------------------------------------------------------

    def _submit(self, batch: _Batch, requests: list[HttpRequest]) -> int:
        immediate: list[HttpResponse] = []  # unusable URLs: answered without a worker
        jobs: list[_Job] = []
        for request in requests:
            origin = _origin(request.url)
            if isinstance(origin, str):
                immediate.append(_failed(request, request.url, [], origin, 0.0))
                continue
            headers = self._base_headers
            if request.etag is not None or request.last_modified is not None:
                headers = dict(headers)
                if request.etag is not None:
                    headers["If-None-Match"] = request.etag
                if request.last_modified is not None:
                    headers["If-Modified-Since"] = request.last_modified
            jobs.append(_Job(0, request, batch, request.url, origin, headers))
        with self._cond:
            if self._closed:
                raise RuntimeError("HttpClient is closed")
            self._batches.add(batch)
            for job in jobs:
                self._seq += 1
                job.seq = self._seq
                self._enqueue(job, front=False)
            self._spawn_workers()
        for response in immediate:
            batch.results.put(response)
        return len(requests)

    def _enqueue(self, job: _Job, *, front: bool) -> None:
        """Queue a job (a new request, or the next hop of one in progress). Holds _cond."""
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

    def _mark_ready(self, origin: _Origin) -> None:
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

    def _take(self) -> _Job | None:
        """The oldest job whose origin has a free slot, or None. Holds _cond."""
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

    def _release(self, origin: _Origin) -> None:
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

    def _cancel(self, batch: _Batch) -> None:
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

    def _work(self) -> None:
        _local.client = self
        me = threading.current_thread()
        try:
            while True:
                with self._cond:
                    job = self._take()
                    while job is None:
                        if self._closed or not self._npending:
                            # Leave in the same critical section that decided it, so _submit
                            # never counts a worker that is on its way out.
                            self._workers.discard(me)
                            return
                        self._cond.wait()
                        job = self._take()
                    self._running += 1
                origin = job.origin  # the hop may move the job on to a redirect's origin
                outcome: HttpResponse | _Job | BaseException | None
                try:
                    outcome = self._hop(job)
                except Exception as e:  # a bug: hand it to the consumer rather than hang it
                    outcome = e
                with self._cond:
                    self._running -= 1
                    self._release(origin)
                    if isinstance(outcome, _Job):
                        if not (job.batch.cancelled or self._closed):
                            self._enqueue(outcome, front=True)
                        outcome = None
                if outcome is not None and not job.batch.cancelled:
                    job.batch.results.put(outcome)
        except BaseException as e:  # a bug in the scheduler: fail every consumer, hang none
            with self._cond:
                batches = list(self._batches)
            for batch in batches:
                batch.results.put(e)
            raise
        finally:
            with self._cond:
                self._workers.discard(me)

    # -- one hop ------------------------------------------------------------------------------

    def _hop(self, job: _Job) -> HttpResponse | _Job | None:
        """One request/response. Returns the final response, the next hop, or None if cancelled."""
        if job.batch.cancelled or self._closed:
            return None
        now = time.monotonic()
        if not job.started:
            job.started = now
        elif self._total_timeout is not None and now - job.started > self._total_timeout:
            return self._fail(job, "timed out")
        for attempt in (1, 2):
            try:
                resp = self._pool.urlopen(
                    "GET",
                    job.url,
                    headers=job.headers,
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    decode_content=False,
                )
                break
            except (HTTPError, OSError, http.client.HTTPException, ValueError) as e:
                # A kept-alive connection the server closed just as we reused it fails this
                # way, before any response: try once more on a fresh one, as browsers do.
                if attempt == 1 and _closed_before_response(e):
                    continue
                return self._fail(job, _describe(e))
        try:
            return self._handle(job, resp)
        except (HTTPError, OSError, http.client.HTTPException) as e:
            resp.close()
            return self._fail(job, _describe(e))
        finally:
            resp.release_conn()

    def _handle(self, job: _Job, resp: BaseHTTPResponse) -> HttpResponse | _Job | None:
        status = resp.status
        headers = MappingProxyType({k.lower(): v for k, v in resp.headers.itermerged()})
        location = headers.get("location")
        if status in _REDIRECT_STATUSES and location:
            _discard(resp)
            try:
                target = urljoin(job.url, location.strip())
            except ValueError:  # e.g. a broken IPv6 literal
                target = location
            job.redirects.append((status, target))
            if len(job.redirects) > self._max_redirects:
                return self._fail(job, "too many redirects")
            origin = _origin(target)
            if isinstance(origin, str):
                return self._fail(job, f"redirect to {origin}")
            job.url, job.origin = target, origin
            log.debug("redirect %s %s -> %s", status, job.request.url, target)
            return job
        if not 200 <= status < 300:
            _discard(resp)
            return self._done(job, status, headers, None)
        body = self._read_body(job, resp, headers)
        if body is None:
            return None
        if isinstance(body, str):
            return self._fail(job, body)
        return self._done(job, status, headers, body)

    def _read_body(
        self, job: _Job, resp: BaseHTTPResponse, headers: Mapping[str, str]
    ) -> bytes | str | None:
        """The decoded body; an error message; or None if the work was cancelled."""
        cap = self._max_bytes
        coding = headers.get("content-encoding", "identity").strip().lower()
        decoder = _decoder(coding)
        if decoder is None:
            resp.close()
            return f"unsupported content-encoding: {coding}"
        if isinstance(decoder, _Identity):
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > cap:
                resp.close()
                return f"body exceeds {cap} bytes"
        deadline = None if self._total_timeout is None else job.started + self._total_timeout
        parts: list[bytes] = []
        size = 0
        while True:
            if job.batch.cancelled or self._closed:
                resp.close()
                return None
            if deadline is not None and time.monotonic() > deadline:
                resp.close()
                return "timed out"
            raw = resp.read(_CHUNK, decode_content=False)
            try:
                # Ask for at most one byte more than the cap allows: enough to know it is
                # exceeded, never the whole of a bomb.
                data = decoder.feed(raw, cap - size + 1) if raw else decoder.finish()
            except (zlib.error, brotli.error):
                resp.close()
                return f"invalid {coding} body"
            size += len(data)
            if size > cap:
                resp.close()
                return f"body exceeds {cap} bytes"
            if data:
                parts.append(data)
            if not raw:
                return b"".join(parts)

    def _done(
        self, job: _Job, status: int, headers: Mapping[str, str], body: bytes | None
    ) -> HttpResponse:
        elapsed = time.monotonic() - job.started
        log.debug("GET %s -> %s in %.3fs", job.url, status, elapsed)
        permanent = bool(job.redirects) and all(s in _PERMANENT_STATUSES for s, _ in job.redirects)
        return HttpResponse(
            request=job.request,
            url=job.url,
            status=status,
            headers=headers,
            body=body,
            redirects=tuple(job.redirects),
            permanent_url=job.url if permanent else None,
            error=None,
            elapsed=elapsed,
        )

    def _fail(self, job: _Job, error: str) -> HttpResponse:
        elapsed = time.monotonic() - job.started
        log.debug("GET %s failed in %.3fs: %s", job.url, elapsed, error)
        return _failed(job.request, job.url, job.redirects, error, elapsed)

    def _track(self, conn: HTTPConnection) -> None:
        with self._cond:
            self._connections.add(conn)
            closed = self._closed
        if closed:
            _interrupt(conn)

    def _untrack(self, conn: HTTPConnection) -> None:
        with self._cond:
            self._connections.discard(conn)


class _Batch:
    """The responses of one `fetch_all` call, handed from the workers to its consumer."""

    __slots__ = ("cancelled", "results")

    def __init__(self) -> None:
        self.results: queue.SimpleQueue[HttpResponse | BaseException | None] = queue.SimpleQueue()
        self.cancelled = False


class _Job:
    """One request on its way through its redirect hops."""

    __slots__ = ("batch", "headers", "origin", "redirects", "request", "seq", "started", "url")

    def __init__(
        self,
        seq: int,
        request: HttpRequest,
        batch: _Batch,
        url: str,
        origin: _Origin,
        headers: dict[str, str],
    ) -> None:
        self.seq = seq  # submission order: the scheduler serves the oldest first
        self.request = request
        self.batch = batch
        self.url = url
        self.origin = origin
        self.headers = headers
        self.redirects: list[tuple[int, str]] = []
        self.started = 0.0


def _failed(
    request: HttpRequest, url: str, redirects: list[tuple[int, str]], error: str, elapsed: float
) -> HttpResponse:
    return HttpResponse(
        request=request,
        url=url,
        status=None,
        headers=_NO_HEADERS,
        body=None,
        redirects=tuple(redirects),
        permanent_url=None,
        error=error,
        elapsed=elapsed,
    )


def _origin(url: str) -> _Origin | str:
    """(scheme, host, port) of an absolute http(s) URL, or why it is not one."""
    try:
        u = parse_url(url)
    except (LocationParseError, ValueError):
        return "invalid url"
    scheme = (u.scheme or "").lower()
    if not scheme:
        return "invalid url"
    if scheme not in _DEFAULT_PORTS:
        return f"unsupported scheme: {scheme}"
    if not u.host:
        return "invalid url"
    return (scheme, u.host.lower(), u.port or _DEFAULT_PORTS[scheme])


def _discard(resp: BaseHTTPResponse) -> None:
    """Finish with a body we do not want: read a small one (keeps the connection), else close."""
    remaining = getattr(resp, "length_remaining", None)
    if remaining is not None and remaining <= _DRAIN_MAX:
        try:
            resp.read(decode_content=False)
            return
        except (HTTPError, OSError, http.client.HTTPException):
            pass
    resp.close()


def _causes(e: BaseException) -> list[BaseException]:
    """`e` and what it wraps, outermost first (urllib3 wraps in args as well as __cause__)."""
    chain: list[BaseException] = []
    seen: BaseException | None = e
    while seen is not None and seen not in chain:
        chain.append(seen)
        nested = next((a for a in seen.args if isinstance(a, BaseException)), None)
        seen = seen.__cause__ or nested or seen.__context__
    return chain


def _closed_before_response(e: BaseException) -> bool:
    return isinstance(e, ProtocolError) and any(
        isinstance(c, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError)
        for c in _causes(e)
    )


def _describe(e: BaseException) -> str:
    """A short, lower-case reason for a network failure."""
    chain = _causes(e)
    for err in reversed(chain):  # innermost first: the OS's or the parser's own words
        if isinstance(err, NameResolutionError | socket.gaierror):
            return "name not resolved"
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, http.client.RemoteDisconnected):  # before its base class below
            return "connection closed without a response"
        if isinstance(err, ConnectionResetError):
            return "connection reset"
        if isinstance(err, ssl.SSLCertVerificationError):
            return f"tls error: certificate verify failed: {err.verify_message}".lower()
        if isinstance(err, ssl.SSLError):
            return f"tls error: {err.reason or 'handshake failed'}".lower().replace("_", " ")
        # NewConnectionError subclasses ConnectTimeoutError, for history's sake.
        if isinstance(err, TimeoutError | ReadTimeoutError) or (
            isinstance(err, ConnectTimeoutError) and not isinstance(err, NewConnectionError)
        ):
            return "timed out"
        if isinstance(err, http.client.IncompleteRead):
            return "connection closed before the end of the body"
        if isinstance(err, http.client.LineTooLong):
            return "bad response: line too long"
        if isinstance(err, http.client.BadStatusLine):
            return "bad response: invalid status line"
        if isinstance(err, LocationValueError | LocationParseError):
            return "invalid url"
    for err in reversed(chain):
        if isinstance(err, SSLError):
            return "tls error"
        if isinstance(err, http.client.HTTPException):
            return f"bad response: {type(err).__name__.lower()}"
        if isinstance(err, OSError) and err.strerror:
            return f"connection failed: {err.strerror.lower()}"
        if isinstance(err, ValueError):  # http.client refuses e.g. a header with a newline
            return f"invalid request: {err}".lower().splitlines()[0]
    return f"connection failed: {type(e).__name__.lower()}"


# -- content decoding ---------------------------------------------------------------------------


class _Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode `data`; return at least everything decodable, or more than `limit` bytes."""

    def finish(self) -> bytes:
        """The rest of the output once the input has ended."""


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


class _ZlibDecoder:
    """gzip (every member), or deflate: zlib-wrapped as the RFC says, or raw as some servers send."""

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        self._obj: zlib._Decompress | None = zlib.decompressobj(31) if gzip else None
        self._head = b""
        self._later_member = False
        self._done = False

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._obj is None:  # deflate: the first two bytes tell zlib from raw
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            zlib_header = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        out = b""
        while data and not self._done:
            if self._obj.eof:  # the stream ended: another gzip member follows, or junk
                if not self._gzip:
                    self._done = True
                    break
                self._obj = zlib.decompressobj(31)
                self._later_member = True
            try:
                # Never more output than asked for: limit - len(out) >= 1 here (0 = no limit).
                out += self._obj.decompress(data, limit - len(out))
            except zlib.error:
                if not self._later_member:
                    raise
                self._done = True  # junk after a complete member is ignored, as browsers do
                break
            if len(out) >= limit:
                break
            # Short of the limit, zlib consumed all input up to the end of a member, if any.
            data = self._obj.unused_data if self._obj.eof else b""
        return out

    def finish(self) -> bytes:
        return b"" if self._obj is None or self._done else self._obj.flush()


class _BrotliDecoder:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._obj.is_finished():
            return b""
        out: bytes = self._obj.process(data, output_buffer_limit=limit)
        while len(out) < limit and not self._obj.can_accept_more_data():
            out += self._obj.process(b"", output_buffer_limit=limit - len(out))
        return out

    def finish(self) -> bytes:
        return b""


def _decoder(coding: str) -> _Decoder | None:
    if coding in ("identity", ""):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return _ZlibDecoder(gzip=True)
    if coding == "deflate":
        return _ZlibDecoder(gzip=False)
    if coding == "br":
        return _BrotliDecoder()
    return None


# -- connections that close() can interrupt ---------------------------------------------------

_local = threading.local()  # .client: the HttpClient whose worker this thread is


def _on_connect(conn: HTTPConnection) -> None:
    client: HttpClient | None = getattr(_local, "client", None)
    if client is not None:
        conn._pkm_client = client  # type: ignore[attr-defined]
        client._track(conn)


def _on_close(conn: HTTPConnection) -> None:
    client: HttpClient | None = getattr(conn, "_pkm_client", None)
    if client is not None:
        client._untrack(conn)


def _interrupt(conn: HTTPConnection) -> None:
    """Make a read blocked on `conn` (in another thread) fail now."""
    sock = conn.sock
    if isinstance(sock, socket.socket):
        # The plain socket's shutdown, even for TLS: it wakes the reader without tearing down
        # the SSL object under its feet.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


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
