"""`FeedLimits`: the newest `max_entries` entries kept, the rest dropped unread; texts cut
to `max_entry_bytes` UTF-8 bytes before sanitizing. On both XML paths and JSON Feed."""

import json
from typing import Any

import pytest

from pkm.models import FeedLimits
from pkm.seek.feeds import _builder, _parse, _tree, parse_feed
from tests.test_seek_feeds_fields import PATHS, URL, atom, rss


def dated_items(days: list[int | None]) -> str:
    """RSS items "e0", "e1", ... published on the given days of January 2024 (None: undated)."""
    return "".join(
        f"<item><guid>e{n}</guid><title>E{n}</title>"
        + (f"<pubDate>{day:02d} Jan 2024 12:00:00 GMT</pubDate>" if day else "")
        + "</item>"
        for n, day in enumerate(days)
    )


def kept(body: bytes, max_entries: int, use_lxml: bool = True) -> tuple[list[str], int]:
    feed = _parse(body, URL, None, use_lxml=use_lxml, limits=FeedLimits(max_entries=max_entries))
    return [e.entry_id for e in feed.entries], feed.dropped_entries


@PATHS
def test_the_newest_entries_are_kept_in_document_order(use_lxml: bool) -> None:
    body = rss(dated_items([3, 9, 1, 7, 5]))
    assert kept(body, 3, use_lxml) == (["e1", "e3", "e4"], 2)


@PATHS
def test_undated_entries_come_after_dated_ones_and_ties_go_to_the_earlier(use_lxml: bool) -> None:
    body = rss(dated_items([None, 2, None, 2, 1]))
    assert kept(body, 2, use_lxml) == (["e1", "e3"], 3)
    assert kept(body, 4, use_lxml) == (["e0", "e1", "e3", "e4"], 1)
    assert kept(rss(dated_items([None, None, None])), 2, use_lxml) == (["e0", "e1"], 1)


@PATHS
def test_updated_counts_when_there_is_no_published(use_lxml: bool) -> None:
    entries = "".join(
        f"<entry><id>a{n}</id><title>A</title><updated>2024-01-{day:02d}T00:00:00Z</updated></entry>"
        for n, day in enumerate([1, 5, 3])
    )
    assert kept(atom(entries), 1, use_lxml) == (["a1"], 2)


def test_json_feeds_are_limited_too() -> None:
    items = [
        {"id": f"j{n}", "content_text": "x", "date_published": f"2024-01-0{n + 1}"}
        for n in range(3)
    ]
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    feed = parse_feed(doc, URL, limits=FeedLimits(max_entries=2))
    assert ([e.entry_id for e in feed.entries], feed.dropped_entries) == (["j1", "j2"], 1)


def test_a_feed_within_the_limit_drops_nothing() -> None:
    assert kept(rss(dated_items([1, 2])), 2) == (["e0", "e1"], 0)


def test_dropped_entries_are_neither_read_nor_sanitized(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"read": 0, "sanitize": 0}

    def counting(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(_tree, "read_entry", counting("read", _tree.read_entry))
    monkeypatch.setattr(_builder, "sanitize_html", counting("sanitize", _builder.sanitize_html))
    items = "".join(
        f"<item><guid>g{n}</guid><description>&lt;b&gt;{n}&lt;/b&gt;</description></item>"
        for n in range(50)
    )
    feed = parse_feed(rss(items), URL, limits=FeedLimits(max_entries=5))
    assert (len(feed.entries), feed.dropped_entries) == (5, 45)
    assert calls == {"read": 5, "sanitize": 5}


@pytest.mark.slow
def test_a_feed_of_100000_entries_keeps_the_newest_thousand() -> None:
    """Entries beyond the limit are left unread: benchmarks/hostile.py times it (1.3 s,
    3.4 s before)."""
    body = rss(dated_items([1 + n % 28 for n in range(100_000)]))
    feed = parse_feed(body, URL)
    assert (len(feed.entries), feed.dropped_entries) == (1000, 99_000)


# --- cutting long texts ---------------------------------------------------------------------


@PATHS
def test_long_content_is_cut_in_utf8_bytes_before_sanitizing(use_lxml: bool) -> None:
    body = rss(
        "<item><guid>long</guid><description>" + "é" * 100 + "</description></item>"
        "<item><guid>short</guid><description>" + "é" * 10 + "</description></item>"
    )
    feed = _parse(body, URL, None, use_lxml=use_lxml, limits=FeedLimits(max_entry_bytes=51))
    long, short = feed.entries
    assert long.content_text == "é" * 25  # 50 bytes: the 26th "é" would need 52
    assert short.content_text == "é" * 10
    assert feed.truncated_entries == 1


def test_titles_and_plain_text_are_cut_too() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "1", "title": "t" * 50, "content_html": "<p>x</p>", "content_text": "y" * 50}
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), URL, limits=FeedLimits(max_entry_bytes=10))
    (entry,) = feed.entries
    assert (entry.title, entry.content_text, feed.truncated_entries) == ("t" * 10, "y" * 10, 1)


@pytest.mark.slow
def test_a_50_mb_entry_is_cut() -> None:
    """Cut before sanitizing; lxml reads the big text node itself (benchmarks/hostile.py
    times it: 0.15 s)."""
    body = rss(
        "<item><guid>big</guid><description>" + "word " * 10_000_000 + "</description></item>"
    )
    feed = parse_feed(body, URL)
    (entry,) = feed.entries
    assert feed.truncated_entries == 1 and len(entry.content_text) < 1_000_000
    assert not any("malformed" in w for w in feed.warnings)
