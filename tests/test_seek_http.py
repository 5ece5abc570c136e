"""pkm.seek.http against a real local server (tests/httpserver.py): no mocks of the client."""

import gzip
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import brotli
import pytest

from pkm import __version__
from pkm.seek.http import HttpClient, HttpRequest, HttpResponse, default_user_agent
from tests.httpserver import FeedServer, ReceivedRequest, Reply, closed_port

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>%s</channel></rss>" % (
    b"x" * 3000
)


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(read_timeout=5.0, connect_timeout=2.0) as c:
        yield c


def http_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pkm-http")]


def get(client: HttpClient, url: str, **kw: Any) -> HttpResponse:
    return client.fetch(HttpRequest(url, **kw))


# -- bodies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_200_body_is_decoded(client: HttpClient, feed_server: FeedServer, coding: str) -> None:
    url = feed_server.route("/f", FEED, encodings=(coding,), content_type="application/rss+xml")
    r = get(client, url, key="k")
    assert (r.status, r.error, r.body) == (200, None, FEED)
    assert r.ok and not r.not_modified
    assert r.headers["content-encoding"] == coding
    assert r.headers["content-type"] == "application/rss+xml"
    assert (r.url, r.redirects, r.permanent_url, r.request.key) == (url, (), None, "k")
    assert r.elapsed > 0


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(zlib.compress(FEED)[2:-4], id="raw-deflate"),  # what some servers send
        pytest.param(gzip.compress(FEED[:100]) + gzip.compress(FEED[100:]), id="gzip-members"),
    ],
)
def test_unusual_but_valid_encodings(
    client: HttpClient, feed_server: FeedServer, encoded: bytes
) -> None:
    coding = "gzip" if encoded[:2] == b"\x1f\x8b" else "deflate"
    url = feed_server.route("/f", encoded, headers={"Content-Encoding": coding})
    assert get(client, url).body == FEED


def test_identity_body_and_empty_body(client: HttpClient, feed_server: FeedServer) -> None:
    assert get(client, feed_server.route("/plain", FEED)).body == FEED
    r = get(client, feed_server.route("/empty", b"", status=204))
    assert (r.status, r.body, r.error) == (204, b"", None)


def test_corrupt_gzip_is_an_error(client: HttpClient, feed_server: FeedServer) -> None:
    url = feed_server.route("/f", b"\x1f\x8bnot gzip at all", headers={"Content-Encoding": "gzip"})
    r = get(client, url)
    assert (r.status, r.body, r.error) == (None, None, "invalid gzip body")


def test_unknown_content_encoding_is_an_error(client: HttpClient, feed_server: FeedServer) -> None:
    r = get(client, feed_server.route("/f", b"?", headers={"Content-Encoding": "zstd"}))
    assert r.error == "unsupported content-encoding: zstd"


# -- request headers and conditional GET ---------------------------------------------------------


def test_sends_user_agent_accept_and_accept_encoding(
    client: HttpClient, feed_server: FeedServer
) -> None:
    get(client, feed_server.route("/f", FEED))
    [seen] = feed_server.requests_to("/f")
    assert seen.headers["user-agent"] == default_user_agent()
    assert default_user_agent().startswith(f"pkm/{__version__} (+http")
    assert seen.headers["accept-encoding"] == "gzip, deflate, br"
    accept = seen.headers["accept"]
    assert accept.startswith("application/atom+xml, application/rss+xml, application/feed+json")
    assert accept.endswith("*/*;q=0.1")
    assert "if-none-match" not in seen.headers and "if-modified-since" not in seen.headers


def test_custom_user_agent(feed_server: FeedServer) -> None:
    with HttpClient(user_agent="robot/1") as c:
        get(c, feed_server.route("/f", FEED))
    assert feed_server.requests_to("/f")[0].headers["user-agent"] == "robot/1"


def test_conditional_get_sends_validators_verbatim_and_gets_304(
    client: HttpClient, feed_server: FeedServer
) -> None:
    lm = "Mon, 02 Feb 2026 09:00:00 GMT"
    url = feed_server.route("/f", FEED, etag='W/"v1"', last_modified=lm, encodings=("gzip",))
    first = get(client, url)
    assert first.headers["etag"] == 'W/"v1"' and first.headers["last-modified"] == lm

    r = get(client, url, etag=first.headers["etag"], last_modified=first.headers["last-modified"])
    assert (r.status, r.body, r.error) == (304, None, None)
    assert r.not_modified and not r.ok
    assert r.headers["etag"] == 'W/"v1"'
    seen = feed_server.requests_to("/f")[1].headers
    assert (seen["if-none-match"], seen["if-modified-since"]) == ('W/"v1"', lm)

    changed = get(client, url, etag='"v0"')  # a stale validator gets the full body
    assert (changed.status, changed.body) == (200, FEED)
    only_date = get(client, url, last_modified=lm)
    assert only_date.status == 304
    assert "if-none-match" not in feed_server.requests_to("/f")[3].headers


# -- redirects ------------------------------------------------------------------------------------


def test_permanent_redirect_chain_sets_permanent_url(
    client: HttpClient, feed_server: FeedServer
) -> None:
    feed_server.redirect("/a", "/b", status=301)
    feed_server.redirect("/b", feed_server.url("/c"), status=308)
    final = feed_server.route("/c", FEED)
    r = get(client, feed_server.url("/a"))
    assert (r.status, r.body, r.url, r.permanent_url) == (200, FEED, final, final)
    assert r.redirects == ((301, feed_server.url("/b")), (308, final))


def test_temporary_hop_means_no_permanent_url(client: HttpClient, feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b", status=302)
    feed_server.redirect("/b", "/c", status=301)
    final = feed_server.route("/c", FEED)
    r = get(client, feed_server.url("/a"))
    assert (r.status, r.url, r.permanent_url) == (200, final, None)
    assert [status for status, _ in r.redirects] == [302, 301]


def test_single_308(client: HttpClient, feed_server: FeedServer) -> None:
    feed_server.redirect("/old", "new/feed?x=1", status=308)  # relative to /old
    final = feed_server.route("/new/feed", FEED)
    r = get(client, feed_server.url("/old"))
    assert (r.status, r.url, r.permanent_url) == (200, final + "?x=1", final + "?x=1")


def test_redirect_then_304_keeps_validators_on_every_hop(
    client: HttpClient, feed_server: FeedServer
) -> None:
    feed_server.redirect("/a", "/b", status=301)
    feed_server.route("/b", FEED, etag='"e"')
    r = get(client, feed_server.url("/a"), etag='"e"')
    assert (r.status, r.permanent_url) == (304, feed_server.url("/b"))
    assert all(x.headers["if-none-match"] == '"e"' for x in feed_server.requests)


@pytest.mark.parametrize(("hops", "ok"), [(10, True), (11, False)])
def test_redirect_limit(client: HttpClient, feed_server: FeedServer, hops: int, ok: bool) -> None:
    for i in range(hops):
        feed_server.redirect(f"/r{i}", f"/r{i + 1}", status=302)
    feed_server.route(f"/r{hops}", FEED)
    r = get(client, feed_server.url("/r0"))
    if ok:
        assert (r.status, len(r.redirects)) == (200, 10)
    else:
        assert (r.status, r.error, r.body) == (None, "too many redirects", None)
        assert len(r.redirects) == 11
        assert len(feed_server.requests) == 11  # the 11th target is never requested


def test_redirect_loop_ends(feed_server: FeedServer) -> None:
    feed_server.redirect("/loop", "/loop", status=301)
    with HttpClient(max_redirects=3) as c:
        assert get(c, feed_server.url("/loop")).error == "too many redirects"


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("file:///etc/passwd", "redirect to unsupported scheme: file"),
        ("ftp://example.com/feed", "redirect to unsupported scheme: ftp"),
        ("http://[::1", "redirect to invalid url"),
    ],
)
def test_redirect_to_other_schemes_is_refused(
    client: HttpClient, feed_server: FeedServer, location: str, error: str
) -> None:
    feed_server.redirect("/evil", location, status=301)
    with files_opened() as opened:
        r = get(client, feed_server.url("/evil"))
    assert (r.status, r.body, r.error, r.permanent_url) == (None, None, error, None)
    assert r.redirects == ((301, location),)
    assert "/etc/passwd" not in opened


_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open":
        _opened.append(str(args[0]))


@contextmanager
def files_opened() -> Iterator[list[str]]:
    """Every path the process opens meanwhile, from any thread (PEP 578 audit events)."""
    global _opened
    if not getattr(sys, "_pkm_test_audit", False):
        sys.addaudithook(_audit)  # cannot be removed: it records only inside this block
        sys._pkm_test_audit = True  # type: ignore[attr-defined]
    opened: list[str] = []
    _opened = opened
    try:
        yield opened
    finally:
        _opened = None


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("/next\x1b]0;owned\x07", id="esc"),
        pytest.param("/next\x00", id="nul"),
        pytest.param("/ne\txt", id="tab"),
        pytest.param("/next\t", id="trailing-tab"),
        # (A CR or LF cannot get this far: the header parser ends the line, or unfolds it.)
        pytest.param("/next\x0bx\x0c", id="vt-ff"),
        pytest.param("/next\x7f", id="del"),
        pytest.param("/next\x85", id="c1-nel"),
        pytest.param("/next\x9b2J", id="c1-csi"),
    ],
)
def test_redirect_location_with_control_characters_is_refused(
    client: HttpClient, feed_server: FeedServer, location: str
) -> None:
    feed_server.redirect("/evil", location, status=301)
    r = get(client, feed_server.url("/evil"))
    assert (r.status, r.body, r.error) == (None, None, "redirect location has control characters")
    assert (r.url, r.redirects, r.permanent_url) == (feed_server.url("/evil"), (), None)
    assert [x.path for x in feed_server.requests] == ["/evil"]  # never followed


def test_url_with_control_characters_is_refused(client: HttpClient) -> None:
    r = get(client, f"http://127.0.0.1:{closed_port()}/feed\x1b[2J")
    assert r.error == "url has control characters"


def test_error_messages_carry_no_control_characters_from_the_network(
    client: HttpClient, feed_server: FeedServer
) -> None:
    url = feed_server.route("/f", b"?", headers={"Content-Encoding": "x\x1b]0;owned\x07\x9b"})
    r = get(client, url)
    assert r.error == "unsupported content-encoding: x]0;owned"


def test_redirect_without_location_is_a_plain_response(
    client: HttpClient, feed_server: FeedServer
) -> None:
    r = get(client, feed_server.route("/f", b"moved", status=302))
    assert (r.status, r.body, r.error, r.redirects) == (302, None, None, ())


# -- statuses and failures -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 429, 500, 503])
def test_error_statuses_are_responses_with_headers(
    client: HttpClient, feed_server: FeedServer, status: int
) -> None:
    url = feed_server.route("/f", b"go away", status=status, headers={"Retry-After": "120"})
    r = get(client, url)
    assert (r.status, r.body, r.error) == (status, None, None)
    assert r.headers["retry-after"] == "120"
    assert not r.ok


def test_read_timeout(feed_server: FeedServer) -> None:
    url = feed_server.route("/slow", FEED, delay=2.0)
    with HttpClient(read_timeout=0.2) as c:
        r = get(c, url)
    assert (r.status, r.error, r.body) == (None, "timed out", None)
    assert r.elapsed < 1.5


def test_connection_refused(client: HttpClient) -> None:
    r = get(client, f"http://127.0.0.1:{closed_port()}/feed")
    assert (r.status, r.error, r.headers) == (None, "connection refused", {})


def test_name_not_resolved(client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert get(client, "http://feeds.invalid/rss").error == "name not resolved"


def test_tls_error(client: HttpClient) -> None:
    # A server that answers a TLS handshake in plain text, at once.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.recv(1)

        server = threading.Thread(target=answer, daemon=True)
        server.start()
        r = get(client, f"https://127.0.0.1:{listener.getsockname()[1]}/feed")
        server.join(2)
    assert r.status is None
    assert r.error is not None and r.error.startswith("tls error: "), r.error


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"SPDY/9 200 whatever\r\n\r\n", "bad response: invalid status line"),
        (b"", "connection closed without a response"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10,
            "connection closed before the end of the body",
        ),
    ],
)
def test_broken_responses(
    client: HttpClient, feed_server: FeedServer, raw: bytes, error: str
) -> None:
    r = get(client, feed_server.add("/f", Reply(raw=raw)))
    assert (r.status, r.body, r.error) == (None, None, error)
    # Only a connection closed before any response is retried (it may be a stale keep-alive).
    assert len(feed_server.requests) == (2 if not raw else 1)


def test_stale_kept_alive_connection_is_retried_once(
    client: HttpClient, feed_server: FeedServer
) -> None:
    calls = []

    def respond(request: ReceivedRequest) -> Reply:
        calls.append(request.client_port)
        # The first answer on the second connection is a hang-up, as from a server that
        # closed an idle keep-alive connection just as it was reused.
        return Reply(raw=b"") if len(calls) == 2 else Reply(body=FEED)

    url = feed_server.add("/f", respond)
    assert get(client, url).body == FEED
    assert get(client, url).body == FEED
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("file:///etc/passwd", "unsupported scheme: file"),
        ("ftp://example.com/", "unsupported scheme: ftp"),
        ("example.com/feed", "invalid url"),
        ("http://", "invalid url"),
        ("http://exa mple.com:99999/", "invalid url"),
    ],
)
def test_unusable_urls_are_errors_not_exceptions(client: HttpClient, url: str, error: str) -> None:
    r = get(client, url, key=1)
    assert (r.status, r.error, r.url, r.request.key) == (None, error, url, 1)


def test_validator_that_cannot_be_sent_is_an_error(client: HttpClient) -> None:
    r = get(client, f"http://127.0.0.1:{closed_port()}/", etag='"a"\r\nX-Injected: 1')
    assert r.error is not None and r.error.startswith("invalid request: invalid header value")


# -- the size cap ---------------------------------------------------------------------------------


def test_body_at_the_cap_passes_and_over_it_fails(feed_server: FeedServer) -> None:
    with HttpClient(max_bytes=len(FEED)) as c:
        assert get(c, feed_server.route("/exact", FEED, encodings=("gzip",))).body == FEED
        r = get(c, feed_server.route("/big", FEED + b"!"))  # Content-Length says so: no read
        assert (r.status, r.body, r.error) == (None, None, f"body exceeds {len(FEED)} bytes")
        no_length = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + FEED * 3
        r = get(c, feed_server.add("/stream", Reply(raw=no_length)))
        assert r.error == f"body exceeds {len(FEED)} bytes"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decompression_bomb_hits_the_cap_not_memory(feed_server: FeedServer, coding: str) -> None:
    size = 32 * 1024 * 1024
    bomb = compress(bytes(size), coding)
    assert len(bomb) < size // 500
    url = feed_server.route("/bomb", bomb, headers={"Content-Encoding": coding})
    cap = 1024 * 1024
    with HttpClient(max_bytes=cap) as c:
        tracemalloc.start()
        try:
            r = get(c, url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert (r.status, r.body, r.error) == (None, None, f"body exceeds {cap} bytes")
    assert peak < 8 * cap  # nowhere near the 64 MiB the bomb expands to


def compress(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    if coding == "deflate":
        return zlib.compress(data, 9)
    return bytes(brotli.compress(data, quality=5))


# -- concurrency ----------------------------------------------------------------------------------


def test_per_host_limit_without_head_of_line_blocking(feed_server: FeedServer) -> None:
    busy = feed_server.route("/slow", FEED, delay=0.1)
    with FeedServer() as other, HttpClient(concurrency=8, per_host=2) as c:
        quick = other.route("/quick", FEED, delay=0.02)
        requests = [HttpRequest(busy, key="busy")] * 20 + [HttpRequest(quick, key="quick")] * 6
        start = time.monotonic()
        done: dict[str, list[float]] = {"busy": [], "quick": []}
        for r in c.fetch_all(requests):
            assert r.status == 200
            done[str(r.request.key)].append(time.monotonic() - start)
        assert other.max_in_flight == 2
    assert feed_server.max_in_flight == 2
    assert len(done["busy"]) == 20 and len(done["quick"]) == 6
    assert max(done["busy"]) >= 0.9  # ten rounds of two: the limit really held
    assert max(done["quick"]) < 0.5  # the other host did not wait behind the busy one


def test_per_host_limit_applies_to_redirect_targets(feed_server: FeedServer) -> None:
    target = feed_server.route("/slow", FEED, delay=0.05)
    with FeedServer() as other, HttpClient(concurrency=6, per_host=1) as c:
        other.redirect("/go", target, status=302)
        responses = list(c.fetch_all([HttpRequest(other.url("/go"))] * 6))
    assert all(r.status == 200 and r.url == target for r in responses)
    assert feed_server.max_in_flight == 1


def test_global_concurrency_limit(feed_server: FeedServer) -> None:
    urls = [feed_server.route(f"/f{i}", FEED, delay=0.05) for i in range(9)]
    with HttpClient(concurrency=3, per_host=10) as c:
        assert all(r.ok for r in c.fetch_all(HttpRequest(u) for u in urls))
    assert feed_server.max_in_flight == 3


def test_yields_in_completion_order(feed_server: FeedServer) -> None:
    delays = {"slow": 0.3, "fast": 0.0, "medium": 0.15}
    requests = [
        HttpRequest(feed_server.route(f"/{k}", k, delay=d), key=k) for k, d in delays.items()
    ]
    with HttpClient(concurrency=3, per_host=3) as c:
        assert [r.request.key for r in c.fetch_all(requests)] == ["fast", "medium", "slow"]


def test_keeps_fetching_while_the_consumer_works(feed_server: FeedServer) -> None:
    url = feed_server.route("/f", FEED, delay=0.03)
    with HttpClient(concurrency=2, per_host=2) as c:
        responses = c.fetch_all([HttpRequest(url)] * 6)
        next(responses)
        time.sleep(0.4)  # the consumer parses and stores the first one meanwhile
        assert len(feed_server.requests) == 6
        assert len(list(responses)) == 5


def test_connections_are_reused(client: HttpClient, feed_server: FeedServer) -> None:
    url = feed_server.route("/f", FEED, encodings=("gzip",))
    feed_server.route("/404", b"nope", status=404)
    for path in ("/f", "/404", "/f"):
        assert get(client, feed_server.url(path)).error is None
    assert get(client, url).ok
    assert len({r.client_port for r in feed_server.requests}) == 1


def test_one_failure_does_not_disturb_the_others(feed_server: FeedServer) -> None:
    good = [feed_server.route(f"/f{i}", FEED, encodings=("br",)) for i in range(5)]
    bad = [f"http://127.0.0.1:{closed_port()}/", "gopher://x/", feed_server.url("/missing")]
    with HttpClient() as c:
        responses = {r.request.url: r for r in c.fetch_all(HttpRequest(u) for u in good + bad)}
    assert all(responses[u].body == FEED for u in good)
    assert [responses[u].error or responses[u].status for u in bad] == [
        "connection refused",
        "unsupported scheme: gopher",
        404,
    ]


@pytest.mark.parametrize("how", ["break", "exception", "close"])
def test_stopping_early_cancels_pending_work_and_leaves_no_threads(
    feed_server: FeedServer, how: str
) -> None:
    url = feed_server.route("/slow", FEED, delay=0.2)
    c = HttpClient(concurrency=2, per_host=2)
    responses = c.fetch_all([HttpRequest(url)] * 12)
    first = next(responses)
    assert first.ok
    started = time.monotonic()
    if how == "break":
        responses.close()  # what `break` out of a for loop does, once the generator is dropped
    elif how == "exception":
        with pytest.raises(KeyboardInterrupt):
            responses.throw(KeyboardInterrupt())
    c.close()
    assert time.monotonic() - started < 0.5
    assert http_threads() == []
    assert list(responses) == []  # nothing after close(), even if it had finished before
    assert len(feed_server.requests) <= 4  # the other eight were never sent
    with pytest.raises(RuntimeError, match="closed"):
        c.fetch(HttpRequest(url))


def test_close_from_another_thread_ends_the_iteration(feed_server: FeedServer) -> None:
    url = feed_server.route("/slow", FEED, delay=1.0)
    c = HttpClient(concurrency=2)
    closer = threading.Timer(0.2, c.close)
    closer.start()
    start = time.monotonic()
    assert list(c.fetch_all([HttpRequest(url)] * 4)) == []
    closer.join()
    assert time.monotonic() - start < 0.8  # close() interrupted the reads in progress
    assert http_threads() == []


def test_workers_exit_when_idle(client: HttpClient, feed_server: FeedServer) -> None:
    url = feed_server.route("/f", FEED)
    assert all(r.ok for r in client.fetch_all([HttpRequest(url)] * 8))
    deadline = time.monotonic() + 2
    while http_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert http_threads() == []
    assert get(client, url).ok  # and come back when needed


def test_dynamic_responder_sees_the_request(client: HttpClient, feed_server: FeedServer) -> None:
    def respond(request: ReceivedRequest) -> Reply:
        return Reply(200, request.headers["user-agent"].encode())

    assert get(client, feed_server.add("/echo", respond)).body == default_user_agent().encode()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        HttpClient(per_host=0)
    with pytest.raises(ValueError, match="total_timeout"):
        HttpClient(total_timeout=0)
