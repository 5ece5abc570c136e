"""The seek run against a real HTTP server on 127.0.0.1 and a real SQLite file."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pkm.config import IndexSettings, SeekSettings, Settings
from pkm.core import Pkm
from pkm.models import FetchOutcome, ItemStatus, SourceKind, SourceResult
from pkm.seek import add_sources, fetch_due, parse
from tests.feeds import rss
from tests.httpserver import FeedServer, Reply

START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pkm(home: Path, clock: Clock) -> Iterator[Pkm]:
    settings = Settings(seek=SeekSettings(jitter_minutes=0, read_timeout=1.0, connect_timeout=1.0))
    home.mkdir(parents=True, exist_ok=True)
    pkm = Pkm(home, settings, clock=clock)
    yield pkm
    pkm.close()


def seek(pkm: Pkm, force: bool = False, only: tuple[str, ...] = ()) -> dict[str, SourceResult]:
    return {r.url: r for r in fetch_due(pkm, only=only, force=force).results}


def subscribe(pkm: Pkm, url: str) -> None:
    [result] = add_sources(pkm, [url])
    assert result.error is None, result.error


def titles(pkm: Pkm) -> list[str]:
    return sorted(i.title or "" for i in pkm.store.get_items())


def test_conditional_get_sends_validators_verbatim_and_304_costs_no_parsing(
    pkm: Pkm, feed_server: FeedServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = feed_server.route(
        "/f", rss(("1", "One")), etag='W/"v1"', last_modified="Mon, 02 Feb 2026 08:00:00 GMT"
    )
    subscribe(pkm, url)
    monkeypatch.setattr(parse, "parse_body", lambda *a: pytest.fail("a 304 was parsed"))
    result = seek(pkm, force=True)[url]
    assert (result.outcome, result.http_status) == (FetchOutcome.UNCHANGED, 304)
    sent = feed_server.requests_to("/f")[-1].headers
    assert sent["if-none-match"] == 'W/"v1"'
    assert sent["if-modified-since"] == "Mon, 02 Feb 2026 08:00:00 GMT"


def test_validators_are_refreshed_on_304(pkm: Pkm, feed_server: FeedServer) -> None:
    url = feed_server.route("/f", rss(("1", "One")), etag='"v1"')
    subscribe(pkm, url)
    feed_server.add("/f", Reply(304, headers={"ETag": '"v2"'}))
    seek(pkm, force=True)
    seek(pkm, force=True)
    assert feed_server.requests_to("/f")[-1].headers["if-none-match"] == '"v2"'


def test_identical_body_without_validators_is_unchanged(
    pkm: Pkm, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    monkeypatch.setattr(parse, "parse_body", lambda *a: pytest.fail("same bytes were parsed"))
    assert seek(pkm, force=True)[url].outcome is FetchOutcome.UNCHANGED


def test_only_due_sources_are_fetched(pkm: Pkm, feed_server: FeedServer, clock: Clock) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    assert seek(pkm)[url].outcome is FetchOutcome.NOT_DUE
    assert len(feed_server.requests_to("/f")) == 1
    clock.advance(minutes=61)
    assert seek(pkm)[url].outcome is FetchOutcome.UNCHANGED
    assert len(feed_server.requests_to("/f")) == 2


def test_server_hints_lengthen_the_interval(pkm: Pkm, feed_server: FeedServer) -> None:
    a = feed_server.route("/a", rss(("1", "One")), headers={"Cache-Control": "max-age=10800"})
    b = feed_server.route("/b", rss(("1", "One"), ttl=240))
    c = feed_server.route("/c", rss(("1", "One")), headers={"Cache-Control": "max-age=60"})
    add_sources(pkm, [a, b, c])
    due = {s.url: s.next_due_at for s in pkm.store.get_sources()}
    assert due[a] == START + timedelta(hours=3)
    assert due[b] == START + timedelta(hours=4)
    assert due[c] == START + timedelta(hours=1)


def test_new_changed_and_duplicate_entries(pkm: Pkm, feed_server: FeedServer) -> None:
    url = feed_server.route(
        "/f", rss(("1", "One"), ("2", "Two"), ("2", "Two again", "https://example.com/2b"))
    )
    subscribe(pkm, url)
    assert titles(pkm) == ["One", "Two", "Two again"]
    feed_server.route(
        "/f",
        rss(
            ("1", "One, edited"),
            ("2", "Two"),
            ("2", "Two again", "https://example.com/2b"),
            ("3", "Three"),
        ),
    )
    result = seek(pkm, force=True)[url]
    assert (result.outcome, result.new_items, result.updated_items) == (FetchOutcome.NEW, 1, 1)
    assert titles(pkm) == ["One, edited", "Three", "Two", "Two again"]


def test_archived_and_deleted_items_never_come_back_unread(
    pkm: Pkm, feed_server: FeedServer
) -> None:
    url = feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    subscribe(pkm, url)
    ids = {i.guid: i.id for i in pkm.store.get_items()}
    pkm.store.set_item_status([ids["1"]], ItemStatus.ARCHIVED, START)
    pkm.store.set_item_status([ids["2"]], ItemStatus.DELETED, START)
    feed_server.route("/f", rss(("1", "One, retitled"), ("2", "Two, retitled")))
    seek(pkm, force=True)
    assert pkm.store.get_items(statuses=[ItemStatus.UNREAD]) == []


def test_same_article_through_two_sources_is_one_item(pkm: Pkm, feed_server: FeedServer) -> None:
    a = feed_server.route("/a", rss(("a1", "Post", "https://example.com/post?utm_source=a")))
    b = feed_server.route("/b", rss(("b1", "Post (via b)", "http://example.com/post/#x")))
    add_sources(pkm, [a, b])
    [item] = pkm.store.get_items()
    assert set(item.source_urls) == {a, b}


def test_permanent_redirect_moves_the_source_once_the_target_parses(
    pkm: Pkm, feed_server: FeedServer
) -> None:
    old = feed_server.route("/old", rss(("1", "One")))
    subscribe(pkm, old)
    new = feed_server.route("/new", rss(("1", "One")))
    feed_server.redirect("/old", "/new", status=301)
    result = seek(pkm, force=True)[new]
    assert result.redirected_to == new
    assert any("permanently redirected" in n for n in result.notes)
    [source] = pkm.store.get_sources()
    assert (source.url, source.previous_url) == (new, old)
    seek(pkm, force=True)
    assert len(feed_server.requests_to("/old")) == 2  # no longer asked for


def test_permanent_redirect_to_a_non_feed_keeps_the_url(pkm: Pkm, feed_server: FeedServer) -> None:
    old = feed_server.route("/old", rss(("1", "One")))
    subscribe(pkm, old)
    feed_server.route("/page", "<html><body>moved</body></html>", content_type="text/html")
    feed_server.redirect("/old", "/page", status=308)
    result = seek(pkm, force=True)[old]
    assert result.outcome is FetchOutcome.FAILED
    assert pkm.store.get_sources()[0].url == old


@pytest.mark.parametrize("status", [302, 307])
def test_temporary_redirects_never_rewrite_the_url(
    pkm: Pkm, feed_server: FeedServer, status: int
) -> None:
    old = feed_server.route("/old", rss(("1", "One")))
    subscribe(pkm, old)
    feed_server.route("/tmp", rss(("1", "One"), ("2", "Two")))
    feed_server.redirect("/old", "/tmp", status=status)
    assert seek(pkm, force=True)[old].new_items == 1
    assert pkm.store.get_sources()[0].url == old


def test_redirect_onto_a_subscribed_url_is_reported_not_merged(
    pkm: Pkm, feed_server: FeedServer
) -> None:
    a = feed_server.route("/a", rss(("1", "One")))
    b = feed_server.route("/b", rss(("2", "Two")))
    add_sources(pkm, [a, b])
    feed_server.redirect("/a", "/b", status=301)
    result = seek(pkm, force=True)[a]
    assert result.redirected_to is None
    assert any("already subscribed" in n for n in result.notes)
    assert sorted(s.url for s in pkm.store.get_sources()) == [a, b]


def test_gone_stops_fetching(pkm: Pkm, feed_server: FeedServer, clock: Clock) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    feed_server.route("/f", "", status=410)
    assert seek(pkm, force=True)[url].outcome is FetchOutcome.GONE
    clock.advance(days=3)
    assert seek(pkm, force=True)[url].outcome is FetchOutcome.GONE
    assert len(feed_server.requests_to("/f")) == 2
    assert titles(pkm) == ["One"]  # what was stored stays


@pytest.mark.parametrize(
    "retry_after, expected",
    [
        ("7200", timedelta(hours=2)),
        ("Mon, 02 Feb 2026 12:00:00 GMT", timedelta(hours=3)),
        ("99999999", timedelta(hours=24)),
    ],
)
def test_retry_after_is_honoured_even_with_all(
    pkm: Pkm, feed_server: FeedServer, clock: Clock, retry_after: str, expected: timedelta
) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    feed_server.route("/f", "slow down", status=429, headers={"Retry-After": retry_after})
    result = seek(pkm, force=True)[url]
    assert result.outcome is FetchOutcome.FAILED
    assert result.retry_after_at == START + expected
    clock.advance(minutes=90)
    assert seek(pkm, force=True)[url].outcome is FetchOutcome.BACKING_OFF
    assert len(feed_server.requests_to("/f")) == 2


def test_failures_back_off_exponentially_and_recover(
    pkm: Pkm, feed_server: FeedServer, clock: Clock
) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    feed_server.route("/f", "oops", status=500)
    delays = []
    for _ in range(4):
        result = seek(pkm, force=True)[url]
        assert result.outcome is FetchOutcome.FAILED and result.error == "HTTP 500"
        assert result.next_due_at is not None
        delays.append(result.next_due_at - clock.now)
        assert seek(pkm)[url].outcome is FetchOutcome.BACKING_OFF
    assert delays == [timedelta(hours=h) for h in (1, 2, 4, 8)]
    feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    clock.advance(hours=8)
    result = seek(pkm)[url]
    assert (result.outcome, result.error_count) == (FetchOutcome.NEW, 0)
    assert pkm.store.get_sources()[0].error_count == 0


def test_one_bad_source_never_stops_the_others(pkm: Pkm, feed_server: FeedServer) -> None:
    good = feed_server.route("/good", rss(("1", "Good")))
    slow = feed_server.route("/slow", rss(("1", "Slow")))
    big = feed_server.route("/big", rss(("1", "Big")))
    broken = feed_server.route("/broken", rss(("1", "Broken")))
    add_sources(pkm, [good, slow, big, broken])
    feed_server.route("/good", rss(("1", "Good"), ("2", "Good two")))
    feed_server.route("/slow", rss(("1", "Slow")), delay=3)
    feed_server.route("/big", b"<rss>" + b"x" * (2 * 1024 * 1024) + b"</rss>")
    feed_server.route("/broken", b"<rss><channel><item><title>unterminated")
    pkm.settings = Settings(seek=replace(pkm.settings.seek, max_body_mb=1.0))
    results = seek(pkm, force=True)
    assert results[good].new_items == 1
    assert results[slow].error == "timed out"
    assert "exceeds" in (results[big].error or "")
    assert results[broken].outcome is FetchOutcome.FAILED
    assert "Good two" in titles(pkm)


def test_dead_server_is_a_failed_result(pkm: Pkm, feed_server: FeedServer) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    feed_server.stop()
    result = seek(pkm, force=True)[url]
    assert result.outcome is FetchOutcome.FAILED
    assert result.error


def test_wrong_encoding_is_decoded_by_declaration(pkm: Pkm, feed_server: FeedServer) -> None:
    body = "<?xml version='1.0' encoding='iso-8859-1'?><rss version='2.0'><channel><title>Caf\u00e9</title><item><guid>1</guid><title>Cr\u00e8me br\u00fbl\u00e9e</title></item></channel></rss>".encode(
        "iso-8859-1"
    )
    url = feed_server.route("/f", body, content_type="application/rss+xml")
    subscribe(pkm, url)
    assert titles(pkm) == ["Cr\u00e8me br\u00fbl\u00e9e"]


def test_file_sources_are_read_from_disk(pkm: Pkm, tmp_path: Path) -> None:
    path = tmp_path / "team" / "feed.rss"
    path.parent.mkdir()
    path.write_bytes(rss(("1", "Digest week 5")))
    [result] = add_sources(pkm, [str(path)])
    assert result.created and result.new_items == 1
    path.write_bytes(rss(("1", "Digest week 5"), ("2", "Digest week 6")))
    [run] = seek(pkm, force=True).values()
    assert run.new_items == 1
    assert pkm.store.get_sources()[0].kind is SourceKind.FILE


def test_only_selects_by_url_or_tag(pkm: Pkm, feed_server: FeedServer) -> None:
    a = feed_server.route("/a", rss(("1", "A")))
    b = feed_server.route("/b", rss(("1", "B")))
    add_sources(pkm, [a])
    add_sources(pkm, [b], tags=["news"])
    assert set(seek(pkm, force=True, only=("news",))) == {b}
    assert set(seek(pkm, force=True, only=(a,))) == {a}


def test_feed_level_dates_alone_are_not_a_change(pkm: Pkm, feed_server: FeedServer) -> None:
    body = rss(("1", "One"), ("2", "Two"))
    url = feed_server.route("/f", body)
    subscribe(pkm, url)
    rebuilt = body.replace(
        b"<link>https://example.com/</link>",
        b"<link>https://example.com/</link><lastBuildDate>Tue, 03 Feb 2026 10:00:00 GMT</lastBuildDate>",
    )
    assert rebuilt != body
    feed_server.route("/f", rebuilt)
    result = seek(pkm, force=True)[url]
    assert (result.outcome, result.new_items, result.updated_items) == (
        FetchOutcome.UNCHANGED,
        0,
        0,
    )
    assert all(item.changed_at is None for item in pkm.store.get_items())


def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another process's write transaction on the index, for `seconds` (sqlite3 BEGIN EXCLUSIVE)."""
    started = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        started.set()
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    started.wait()
    return thread


def test_a_busy_index_is_waited_for(pkm: Pkm, feed_server: FeedServer, home: Path) -> None:
    url = feed_server.route("/f", rss(("1", "One")))
    subscribe(pkm, url)
    feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    holder = _hold_write_lock(home / "pkm.db", 1.5)
    started = time.monotonic()
    result = seek(pkm, force=True)[url]
    holder.join()
    assert time.monotonic() - started >= 1.4
    assert (result.outcome, result.new_items) == (FetchOutcome.NEW, 1)


def test_a_lock_held_past_the_busy_timeout_fails_each_source_and_loses_nothing(
    home: Path, clock: Clock, feed_server: FeedServer
) -> None:
    settings = Settings(
        seek=SeekSettings(jitter_minutes=0, read_timeout=1.0, connect_timeout=1.0),
        index=IndexSettings(busy_timeout=1.0),
    )
    home.mkdir(parents=True, exist_ok=True)
    pkm = Pkm(home, settings, clock=clock)
    urls = [feed_server.route(f"/{n}", rss((f"{n}-1", f"Feed {n}"))) for n in range(4)]
    add_sources(pkm, urls)
    for n in range(len(urls)):
        feed_server.route(f"/{n}", rss((f"{n}-1", f"Feed {n}"), (f"{n}-2", f"Feed {n}, more")))
    holder = _hold_write_lock(home / "pkm.db", 6)
    started = time.monotonic()
    report = fetch_due(pkm, force=True)
    waited = time.monotonic() - started
    holder.join()
    assert [r.outcome for r in report.results] == [FetchOutcome.FAILED] * 4
    assert all("not stored" in (r.error or "") for r in report.results)
    assert waited < 5.5  # each source waited the busy timeout at most, not 30 s
    assert len(pkm.store.get_items()) == 4  # what was stored before is all there
    report = fetch_due(pkm, force=True)
    assert [r.new_items for r in report.results] == [1, 1, 1, 1]
    assert pkm.store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    pkm.close()


def test_every_service_that_writes_takes_the_run_lock(pkm: Pkm, feed_server: FeedServer) -> None:
    from pkm.errors import LockedError
    from pkm.seek import import_opml, remove_sources, save_pages

    url = feed_server.route("/f", rss(("1", "One")))
    opml = f'<opml version="2.0"><body><outline xmlUrl="{url}"/></body></opml>'.encode()
    other = Pkm(pkm.paths.home, pkm.settings)  # another run on the same home
    with other.lock():
        for call in (
            lambda: fetch_due(pkm),
            lambda: add_sources(pkm, [url]),
            lambda: save_pages(pkm, [url]),
            lambda: import_opml(pkm, opml),
            lambda: remove_sources(pkm, ["1"]),
        ):
            with pytest.raises(LockedError):
                call()
    assert pkm.store.get_sources() == []


def test_a_changed_text_is_signalled(pkm: Pkm, feed_server: FeedServer) -> None:
    url = feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    subscribe(pkm, url)
    body = rss(("1", "One"), ("2", "Two"), ("3", "Three")).replace(
        b"Text of One", b"Text of One, corrected"
    )
    feed_server.route("/f", body)
    result = seek(pkm, force=True)[url]
    one = next(i for i in pkm.store.get_items() if i.guid == "1")
    three = next(i for i in pkm.store.get_items() if i.guid == "3")
    assert (result.updated_item_ids, result.new_item_ids) == ((one.id,), (three.id,))
    assert [c.item_id for c in pkm.store.get_text_changes()] == [one.id]


def test_saved_pages_sort_by_when_they_were_saved(
    pkm: Pkm, feed_server: FeedServer, clock: Clock
) -> None:
    from pkm.seek import save_pages

    url = feed_server.route("/f", rss(*[(str(n), f"Entry {n}") for n in range(20)]))
    subscribe(pkm, url)
    article = (Path(__file__).parent / "data" / "pages" / "article.html").read_bytes()
    pages = [
        feed_server.route(f"/page{n}.html", article.replace(b"<h1>", f"<h1>{n} ".encode()))
        for n in range(5)
    ]
    clock.advance(days=30)
    saved = save_pages(pkm, pages)
    order = [i.url for i in pkm.store.get_items()]
    assert set(order[:5]) == {r.source_url for r in saved}  # together, on top
    clock.advance(days=1)
    [again] = save_pages(pkm, [pages[2]])
    assert again.message == "already saved"
    assert pkm.store.get_items()[0].url == again.source_url  # saved again: back on top


def test_a_new_subscription_is_parsed_once(
    pkm: Pkm, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = parse.parse_body

    def counting(fetched: object, *args: object) -> object:
        calls.append("parse")
        return original(fetched, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parse, "parse_body", counting)
    subscribe(pkm, feed_server.route("/f", rss(("1", "One"))))
    assert calls == ["parse"] and titles(pkm) == ["One"]


def test_an_index_from_before_fingerprints_is_not_rewritten(
    pkm: Pkm, feed_server: FeedServer, home: Path
) -> None:
    body = rss(("1", "One"), ("2", "Two"))
    url = feed_server.route("/f", body)
    subscribe(pkm, url)
    with sqlite3.connect(home / "pkm.db") as db:  # as older pkm stored them: digests alone
        db.execute("UPDATE item_sources SET content_hash = substr(content_hash, 1, 34)")
    feed_server.route("/f", body.replace(b"<title>Test feed", b"<title>Test feed, renamed"))
    result = seek(pkm, force=True)[url]
    assert (result.outcome, result.new_items, result.updated_items) == (
        FetchOutcome.UNCHANGED,
        0,
        0,
    )
    assert all(item.changed_at is None for item in pkm.store.get_items())
    [source] = pkm.store.get_sources()
    assert set(parse.held_fingerprints(pkm.store.get_entry_hashes(source.id))) == {"1", "2"}


def test_a_parse_pool_left_by_an_exception_leaves_no_thread_and_no_worker_busy() -> None:
    """Ctrl-C while a worker parses: the pool block ends at once and joins its manager
    thread, so interpreter exit has nothing left to wake (Python 3.11's exit hook woke a
    manager thread that was closing its own pipe: "Bad file descriptor" after "pkm:
    interrupted")."""
    before = set(threading.enumerate())
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), parse.parse_pool() as pool:
        task = pool.submit(time.sleep, 30)
        time.sleep(0.5)  # the worker is in its task
        raise KeyboardInterrupt
    assert time.monotonic() - started < 5
    assert set(threading.enumerate()) == before
    assert task.done()
