"""A real HTTP/1.1 server on 127.0.0.1 for the tests of the network edge.

Stdlib `ThreadingHTTPServer` on an OS-chosen port, so tests never depend on the HTTP client
library they test. Each path gets a `Reply` (or a function of the request that returns one):

    with FeedServer() as server:
        server.route("/feed.xml", FEED, etag='"v1"', encodings=("gzip",), content_type="application/rss+xml")
        server.redirect("/old", "/feed.xml", status=301)
        server.route("/slow", b"ok", delay=0.2)
        url = server.url("/feed.xml")
        ...
        assert server.max_in_flight <= 2
        assert server.requests_to("/feed.xml")[0].headers["if-none-match"] == '"v1"'

What it does for a test:
- conditional GET: a reply with `etag` / `last_modified` gets 304 for a matching
  If-None-Match (or, without one, a not-older If-Modified-Since);
- content coding: a reply listing `encodings` is compressed with the first one the client
  accepts (gzip, deflate, br); `headers` and `body` are otherwise sent exactly as given, so a
  test can hand-craft any body (a gzip bomb: a gzip body plus `Content-Encoding: gzip`);
- `delay` before answering (cut short by `stop()`), `raw` bytes instead of a response (bad
  status lines, truncated bodies), 404 for unknown paths;
- `trickle`: the response sent one byte at a time, `trickle` seconds apart (from the status
  line, or with `trickle_body_only` from the first byte of the body), the way a slow or
  hostile server keeps a client's read timeout from ever firing;
- a log of received requests, and the maximum number of requests in flight at once, overall
  and per path, which is how a test proves a client's concurrency limits.

Like the benchmark server (shared/bench/RESULTS.md notes 5 and 6), it sets TCP_NODELAY, writes
headers and body in one send, and has a large listen backlog: otherwise every response stalls
~40 ms on Nagle/delayed ACK and bursts of connections get refused.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import brotli

CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".xml": "application/xml",
    ".opml": "text/x-opml",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
FIXED_LAST_MODIFIED = "Mon, 02 Feb 2026 09:00:00 GMT"


@dataclass(frozen=True)
class Reply:
    """What the server answers on one path."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    etag: str | None = None  # sent as ETag; a matching If-None-Match gets 304
    last_modified: str | None = None  # sent as Last-Modified; If-Modified-Since >= it gets 304
    encodings: tuple[str, ...] = ()  # content codings offered, best first, used if accepted
    raw: bytes | None = None  # sent verbatim instead of a response; the connection is then closed
    trickle: float = 0.0  # seconds between single bytes of the response (0: all in one send)
    trickle_body_only: bool = False  # with trickle: the status line and headers in one send


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    target: str  # as sent: path and query
    path: str  # without the query
    headers: Mapping[str, str]  # lower-case names
    at: float  # time.monotonic() when it arrived
    client_port: int  # the same port twice means the same (kept-alive) connection


Responder = Callable[[ReceivedRequest], Reply]


class FeedServer:
    """A started-on-demand local HTTP server; see the module docstring."""

    def __init__(self) -> None:
        self._routes: dict[str, Reply | Responder] = {}
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._in_flight = 0
        self._in_flight_by_path: dict[str, int] = {}
        self.max_in_flight = 0
        self.max_in_flight_by_path: dict[str, int] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FeedServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.feed_server = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wake delayed handlers
        stopper = threading.Thread(target=self._server.shutdown)
        stopper.start()
        with contextlib.suppress(OSError):  # wake the accept loop now, not at its next poll
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        stopper.join()
        self._server.server_close()
        self._server.close_connections()  # wake handlers waiting on keep-alive connections
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- routes --------------------------------------------------------------------------------

    def add(self, path: str, reply: Reply | Responder) -> str:
        """Answer `path` with `reply` (or with what `reply(request)` returns). Returns its URL."""
        with self._lock:
            self._routes[path] = reply
        return self.url(path) if self._server is not None else path

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        etag: str | None = None,
        last_modified: str | None = None,
        encodings: tuple[str, ...] = (),
    ) -> str:
        """Answer `path` with a fixed response. Returns its URL."""
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        data = body.encode() if isinstance(body, str) else body
        reply = Reply(status, data, all_headers, delay, etag, last_modified, encodings)
        return self.add(path, reply)

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        """Answer `path` with a redirect to `location` (sent as given: relative stays relative)."""
        return self.add(path, Reply(status, headers={"Location": location}))

    def serve_file(self, path: str, file: Path, *, content_type: str | None = None) -> str:
        """Serve a file as a well-behaved feed host would: validators, gzip/br, a content type."""
        data = file.read_bytes()
        return self.route(
            path,
            data,
            content_type=content_type or CONTENT_TYPES.get(file.suffix, "application/octet-stream"),
            etag='"' + hashlib.sha256(data).hexdigest()[:16] + '"',
            last_modified=FIXED_LAST_MODIFIED,
            encodings=("br", "gzip"),
        )

    # -- what was seen -------------------------------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path == path]

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def reset_stats(self) -> None:
        with self._lock:
            self._requests.clear()
            self.max_in_flight = 0
            self.max_in_flight_by_path = {}

    # -- used by the handler -------------------------------------------------------------------

    def _begin(self, request: ReceivedRequest) -> Reply | Responder | None:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            n = self._in_flight_by_path.get(request.path, 0) + 1
            self._in_flight_by_path[request.path] = n
            self.max_in_flight_by_path[request.path] = max(
                self.max_in_flight_by_path.get(request.path, 0), n
            )
            return self._routes.get(request.path)

    def _end(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._in_flight -= 1
            self._in_flight_by_path[request.path] -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    feed_server: FeedServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the FQDN of 127.0.0.1: a DNS query we do not need.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up early is not news in these tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pkm-test/1"
    disable_nagle_algorithm = True  # TCP_NODELAY
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.feed_server
        request = ReceivedRequest(
            method=self.command,
            target=self.path,
            path=self.path.split("?", 1)[0],
            headers={k.lower(): v for k, v in self.headers.items()},
            at=time.monotonic(),
            client_port=int(self.client_address[1]),
        )
        route = owner._begin(request)
        try:
            if route is None:
                reply = Reply(404, b"not found\n", {"Content-Type": "text/plain"})
            elif isinstance(route, Reply):
                reply = route
            else:
                reply = route(request)
            if reply.delay and owner._stopping.wait(reply.delay):
                self.close_connection = True
                return
            if reply.raw is not None:
                self.wfile.write(reply.raw)
                self.close_connection = True
                return
            status, headers, body = _respond(reply, request)
            self._send(status, headers, b"" if head else body, len(body), reply)
        finally:
            owner._end(request)

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, length: int, reply: Reply
    ) -> None:
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if status >= 200 and status not in (204, 304):
            lines.append(f"Content-Length: {length}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not reply.trickle:
            self.wfile.write(head + body)  # one send: no Nagle stall between headers and body
            return
        slow = body if reply.trickle_body_only else head + body
        if reply.trickle_body_only:
            self.wfile.write(head)
        for i in range(len(slow)):
            if i and self.server.feed_server._stopping.wait(reply.trickle):
                self.close_connection = True
                return
            self.wfile.write(slow[i : i + 1])


class SilentServer:
    """A TCP listener on 127.0.0.1 that never answers: the server a client must not wait on.

    With `accept=True` it accepts every connection and holds it, reading and sending nothing
    (a request waits for a status line, a TLS handshake for the server's hello). With
    `accept=False` its backlog is full, so a connect itself hangs until it times out.
    """

    def __init__(self, *, accept: bool = True) -> None:
        self._accept = accept
        self._listener = socket.socket()
        self._held: list[socket.socket] = []
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SilentServer:
        self._listener.bind(("127.0.0.1", 0))
        if self._accept:
            self._listener.listen(128)
            self._thread = threading.Thread(target=self._hold, daemon=True)
            self._thread.start()
        else:
            self._listener.listen(0)  # room for one connection, which we take ourselves
            self._held.append(socket.create_connection(self._listener.getsockname(), timeout=1))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        self._listener.close()
        if self._thread is not None:
            self._thread.join(5)
        for conn in self._held:
            conn.close()

    def url(self, path: str = "/", *, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}{path}"

    def _hold(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(conn)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _respond(reply: Reply, request: ReceivedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for `reply`, after conditional GET and content coding."""
    headers = list(reply.headers.items())
    validators = []
    if reply.etag is not None:
        validators.append(("ETag", reply.etag))
    if reply.last_modified is not None:
        validators.append(("Last-Modified", reply.last_modified))
    if _not_modified(reply, request.headers):
        return 304, validators, b""
    body = reply.body
    if reply.encodings:
        headers.append(("Vary", "Accept-Encoding"))
        coding = _pick_coding(reply.encodings, request.headers.get("accept-encoding", ""))
        if coding is not None:
            body = _encode(body, coding)
            headers.append(("Content-Encoding", coding))
    return reply.status, headers + validators, body


def _not_modified(reply: Reply, headers: Mapping[str, str]) -> bool:
    if reply.status != 200:
        return False
    inm = headers.get("if-none-match")
    if inm is not None:  # RFC 9110 13.1.2: If-None-Match wins over If-Modified-Since
        if reply.etag is None:
            return False
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or reply.etag.removeprefix("W/") in [t.removeprefix("W/") for t in tags]
    ims = headers.get("if-modified-since")
    if ims is not None and reply.last_modified is not None:
        try:
            return parsedate_to_datetime(ims) >= parsedate_to_datetime(reply.last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _pick_coding(offered: tuple[str, ...], accept_encoding: str) -> str | None:
    accepted = set()
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = params.strip().removeprefix("q=")
        try:
            if params and float(q) <= 0:
                continue
        except ValueError:
            continue
        accepted.add(name.strip().lower())
    return next((c for c in offered if c in accepted), None)


def _encode(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(body, mtime=0)
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "br":
        return bytes(brotli.compress(body))
    raise ValueError(f"unknown content coding: {coding}")
