"""close() is quick whatever the workers are doing, and nothing is delivered after it.

Ctrl-C in `pkm seek` ends in `HttpClient.close()`: it must return within about half a second,
whether a worker is blocked in a read (interrupted) or in a connect (abandoned: workers are
daemon threads). The servers here never answer (tests/httpserver.py SilentServer).
"""

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pkm.seek.http import HttpClient, HttpRequest, HttpResponse
from tests.httpserver import FeedServer, Reply, SilentServer

CLOSE_WITHIN = 1.0  # the goal is 0.5 s: the margin is for a busy machine


def http_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pkm-http")]


def consume_in_background(
    responses: Iterator[HttpResponse],
) -> tuple[threading.Thread, list[HttpResponse]]:
    got: list[HttpResponse] = []
    consumer = threading.Thread(target=lambda: got.extend(responses), daemon=True)
    consumer.start()
    return consumer, got


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.slow
def test_close_is_quick_with_workers_blocked_in_reads_and_connects(
    feed_server: FeedServer,
) -> None:
    trickled = feed_server.add("/t", Reply(body=b"x" * 100, trickle=0.2, trickle_body_only=True))
    with SilentServer() as silent, SilentServer(accept=False) as full:
        c = HttpClient(connect_timeout=2.0, read_timeout=10.0, total_timeout=None)
        urls = [silent.url(), silent.url(scheme="https"), full.url(), trickled]
        consumer, got = consume_in_background(c.fetch_all(HttpRequest(u) for u in urls))
        wait_until(lambda: len(http_threads()) >= 4 and feed_server.requests)
        time.sleep(0.2)  # every worker is now blocked: status line, handshake, connect, body
        started = time.monotonic()
        c.close()
        took = time.monotonic() - started
        consumer.join(1.0)
        assert took < CLOSE_WITHIN
        assert not consumer.is_alive() and got == []
        # The worker abandoned in its connect leaves when the connect times out, quietly.
        wait_until(lambda: not http_threads())
    assert http_threads() == []
    assert got == []


def test_close_interrupts_blocked_reads_so_the_workers_end() -> None:
    with SilentServer() as silent:
        c = HttpClient(connect_timeout=10.0, read_timeout=10.0, total_timeout=None)
        consumer, got = consume_in_background(c.fetch_all([HttpRequest(silent.url())] * 2))
        wait_until(lambda: len(http_threads()) >= 2)
        time.sleep(0.2)
        c.close()
        consumer.join(1.0)
    assert http_threads() == []  # interrupted and gone, not abandoned
    assert got == []


def test_no_response_is_delivered_after_close(feed_server: FeedServer) -> None:
    url = feed_server.route("/f", b"ok")
    c = HttpClient(concurrency=4, per_host=4)
    responses = c.fetch_all([HttpRequest(url)] * 6)
    assert next(responses).ok
    wait_until(lambda: len(feed_server.requests) == 6 and feed_server.in_flight == 0)
    time.sleep(0.1)  # the other five responses are read and waiting for the consumer
    c.close()
    assert list(responses) == []
