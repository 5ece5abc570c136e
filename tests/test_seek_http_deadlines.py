"""total_timeout is a hard bound on one request, whatever the server does (tests/httpserver.py).

A server that trickles one byte at a time never lets the read timeout fire (it restarts with
every byte), and header reading has no timeout of its own: only the client's deadline ends
such a request. The margins are generous (half a second over the deadline) and the trickles
would take ten times the deadline, so these cannot pass by luck nor fail on a busy machine.
"""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pkm.seek.http import HttpClient, HttpRequest, HttpResponse
from tests.httpserver import FeedServer, Reply, SilentServer

BODY = b"<rss>" + b"x" * 95 + b"</rss>"
DEADLINE = 1.0
MARGIN = 0.5


def timed_fetch_all(client: HttpClient, urls: list[str]) -> dict[str, tuple[HttpResponse, float]]:
    """Each URL's response and the seconds it took to come back."""
    start = time.monotonic()
    return {
        r.request.url: (r, time.monotonic() - start)
        for r in client.fetch_all(HttpRequest(u) for u in urls)
    }


@pytest.fixture
def client() -> HttpClient:
    # Timeouts far longer than the deadline: only total_timeout can end these requests in time.
    return HttpClient(total_timeout=DEADLINE, connect_timeout=10.0, read_timeout=10.0)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(body=BODY, trickle=0.2), id="headers-trickled"),
        pytest.param(Reply(body=BODY, trickle=0.2, trickle_body_only=True), id="body-trickled"),
        pytest.param(Reply(body=BODY, delay=60), id="never-answers"),
    ],
)
def test_deadline_ends_a_request_the_server_drags_out(
    client: HttpClient, feed_server: FeedServer, reply: Reply
) -> None:
    slow = feed_server.add("/slow", reply)
    quick = feed_server.route("/quick", BODY)
    with client:
        results = timed_fetch_all(client, [slow, quick])
    response, took = results[slow]
    assert (response.status, response.body, response.error) == (None, None, "timed out after 1 s")
    assert DEADLINE - 0.05 <= took < DEADLINE + MARGIN
    assert DEADLINE - 0.05 <= response.elapsed < DEADLINE + MARGIN
    quick_response, quick_took = results[quick]
    assert quick_response.body == BODY
    assert quick_took < MARGIN  # the same fetch_all did not hold it up


def test_deadline_ends_a_connect_that_hangs(client: HttpClient) -> None:
    with SilentServer(accept=False) as server, client:
        [(response, took)] = timed_fetch_all(client, [server.url()]).values()
    assert response.error == "timed out after 1 s"
    assert took < DEADLINE + MARGIN


def test_deadline_ends_a_tls_handshake_that_hangs(client: HttpClient) -> None:
    with SilentServer() as server, client:
        [(response, took)] = timed_fetch_all(client, [server.url(scheme="https")]).values()
    assert response.error == "timed out after 1 s"
    assert took < DEADLINE + MARGIN


@contextmanager
def trickled_tls_handshake() -> Iterator[str]:
    """An https URL whose server answers a TLS handshake with the start of a 16 KiB record,
    then one byte every 0.2 s: the client waits for the whole record, each read in time.

    No socket is there to shut down during a handshake: the connect timeout, cut to the time
    left, is what ends it."""
    stop = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"\x16\x03\x03\x40\x00")  # handshake record, 16384 bytes long
                while not stop.wait(0.2):
                    conn.sendall(b"\x00")

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        try:
            yield f"https://127.0.0.1:{listener.getsockname()[1]}/feed"
        finally:
            stop.set()
            server.join(5)


def test_deadline_ends_a_trickled_tls_handshake(client: HttpClient) -> None:
    with trickled_tls_handshake() as url, client:
        [(response, took)] = timed_fetch_all(client, [url]).values()
    assert response.error == "timed out after 1 s"
    assert took < DEADLINE + MARGIN


def test_deadline_covers_every_redirect_hop(feed_server: FeedServer) -> None:
    # Each hop is quick enough on its own; together they are not.
    for i in range(4):
        feed_server.add(f"/r{i}", Reply(302, headers={"Location": f"/r{i + 1}"}, delay=0.3))
    feed_server.route("/r4", BODY)
    with HttpClient(total_timeout=DEADLINE) as c:
        [(response, took)] = timed_fetch_all(c, [feed_server.url("/r0")]).values()
    assert response.error == "timed out after 1 s"
    assert took < DEADLINE + MARGIN
    assert 2 <= len(response.redirects) <= 4


def test_trickled_request_within_the_deadline_succeeds(feed_server: FeedServer) -> None:
    url = feed_server.add("/t", Reply(body=b"<rss/>", trickle=0.02, trickle_body_only=True))
    with HttpClient(total_timeout=5.0) as c:
        assert c.fetch(HttpRequest(url)).body == b"<rss/>"


def test_no_total_timeout_waits_for_a_slow_server(feed_server: FeedServer) -> None:
    url = feed_server.add("/t", Reply(body=b"<rss/>", trickle=0.2, trickle_body_only=True))
    with HttpClient(total_timeout=None) as c:
        r = c.fetch(HttpRequest(url))
    assert r.body == b"<rss/>"
    assert r.elapsed >= 1.0  # six bytes, 0.2 s apart: nothing cut it short


def test_the_connection_after_a_deadline_is_a_fresh_one(feed_server: FeedServer) -> None:
    slow = feed_server.add("/slow", Reply(body=BODY, trickle=0.1, trickle_body_only=True))
    quick = feed_server.route("/quick", BODY)
    with HttpClient(total_timeout=0.3, per_host=1) as c:
        assert c.fetch(HttpRequest(slow)).error == "timed out after 0.3 s"
        assert c.fetch(HttpRequest(quick)).body == BODY
    [first, second] = feed_server.requests
    assert first.client_port != second.client_port
