"""What `pkm -v` shows of the network: one INFO line per request, one DEBUG line per redirect."""

import logging
import re

import pytest

from pkm.seek.http import HttpClient, HttpRequest
from tests.httpserver import FeedServer, closed_port

BODY = b"<rss>" + b"x" * 1000 + b"</rss>"


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(read_timeout=5.0, connect_timeout=2.0)


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "pkm.seek.http" and r.levelno == level
    ]


def test_one_info_line_per_request_and_a_debug_line_per_hop(
    client: HttpClient, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pkm.seek.http")
    old, middle = feed_server.redirect("/old", "/middle", status=301), feed_server.url("/middle")
    feed_server.redirect("/middle", "/feed", status=302)
    feed = feed_server.route("/feed", BODY, encodings=("gzip",))
    with client:
        assert client.fetch(HttpRequest(old)).ok

    [info] = lines(caplog, logging.INFO)
    assert re.fullmatch(rf"GET {re.escape(old)} -> 200, 1011 bytes, \d+ ms, 2 redirects", info)
    assert lines(caplog, logging.DEBUG) == [
        f"redirect 301 {old} -> {middle}",
        f"redirect 302 {middle} -> {feed}",
    ]


def test_info_lines_for_304_and_errors(
    client: HttpClient, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pkm.seek.http")
    feed = feed_server.route("/feed", BODY, etag='"v1"')
    refused = f"http://127.0.0.1:{closed_port()}/feed"
    with client:
        list(client.fetch_all([HttpRequest(feed, etag='"v1"'), HttpRequest(refused)]))

    [ok, failed] = sorted(lines(caplog, logging.INFO), key=lambda line: refused in line)
    assert re.fullmatch(rf"GET {re.escape(feed)} -> 304, 0 bytes, \d+ ms, 0 redirects", ok)
    assert re.fullmatch(
        rf"GET {re.escape(refused)} -> error: connection refused, 0 bytes, \d+ ms, 0 redirects",
        failed,
    )


def test_log_lines_carry_no_control_characters(
    client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pkm.seek.http")
    port = closed_port()
    with client:
        client.fetch(HttpRequest(f"http://127.0.0.1:{port}/feed\x1b]0;owned\x07\nFAKE LINE"))
    [info] = lines(caplog, logging.INFO)
    expected = f"GET http://127.0.0.1:{port}/feed]0;owned FAKE LINE -> error: url has control"
    assert info.startswith(expected)  # one line, whatever the URL holds


def test_quiet_unless_asked(
    client: HttpClient, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pkm.seek.http")
    with client:
        client.fetch(HttpRequest(feed_server.route("/feed", BODY)))
    assert [r for r in caplog.records if r.name == "pkm.seek.http"] == []
