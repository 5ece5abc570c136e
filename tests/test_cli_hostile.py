"""What pkm stores and prints when a feed or a server is hostile: no terminal escapes in
any output, no script URLs, limits that hold."""

import json
from pathlib import Path

from tests.httpserver import FeedServer, Reply

EVIL = "A\u001b]0;OWNED\u0007B\u001b[2J\u009b31m\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u0007C"
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]


def assert_printable(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS})
    assert not found, f"control characters reached the terminal: {found}\n{text!r}"


def evil_json_feed(server: FeedServer) -> str:
    item = {
        "id": f"id-{EVIL}",
        "url": "https://example.com/post",
        "title": EVIL,
        "authors": [{"name": EVIL}],
        "content_text": f"text {EVIL}",
        "tags": [EVIL],
    }
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": EVIL,
        "home_page_url": "https://example.com/",
        "items": [item],
    }
    return server.route(
        "/feed.json", json.dumps(feed).encode(), content_type="application/feed+json"
    )


def test_terminal_escapes_never_reach_the_terminal(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = evil_json_feed(feed_server)
    outputs = [run("seek", "add", url, "--tag", "x")]
    feed_server.add("/feed.json", Reply(500, body=EVIL.encode()))
    outputs.append(run("seek", "--all", code=3))
    outputs += [run("seek", "list"), run("sense", "inbox"), run("seek", "export")]
    outputs += [run("sense", "show", "1", "--no-mark"), run("sense", "tag", "1", "--add", EVIL)]
    for result in outputs:
        assert_printable(result.stdout)
        assert_printable(result.stderr)
    table = run("sense", "inbox").stdout
    assert "AB" in table.replace("]0;OWNED", "").replace("[2J", "")


def test_json_output_escapes_what_it_carries(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = evil_json_feed(feed_server)
    raw = run("seek", "add", url, "--json").stdout
    raw += run("sense", "inbox", "--json").stdout + run("seek", "list", "--json").stdout
    raw += run("sense", "show", "1", "--json").stdout
    assert "\x1b" not in raw and "\x07" not in raw and "\x9b" not in raw


def test_what_is_stored_has_no_control_characters(run, feed_server: FeedServer, home: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    run("seek", "add", evil_json_feed(feed_server))
    with sqlite3.connect(home / "pkm.db") as db:
        rows = db.execute(
            "SELECT title, author, summary, content_text, content_html, guid FROM items"
            " UNION ALL SELECT title, url, site_url, last_error, '', '' FROM sources"
            " UNION ALL SELECT entry_id, '', '', '', '', '' FROM item_sources"
        ).fetchall()
    for row in rows:
        for value in row:
            assert_printable(value or "")


def test_caps_hold_and_the_run_says_so(run, feed_server: FeedServer, home: Path) -> None:  # type: ignore[no-untyped-def]
    home.mkdir(parents=True, exist_ok=True)
    (home / "pkm.toml").write_text("[seek]\nmax_entries = 50\nmax_entry_kb = 2\n")
    items = "".join(
        f"<item><guid>{n}</guid><title>Entry {n}</title>"
        f"<pubDate>Mon, {1 + n % 28:02d} Dec 2025 {n % 24:02d}:00:00 GMT</pubDate>"
        f"<description>{'word ' * (2000 if n == 1 else 3)}</description></item>"
        for n in range(300)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
    url = feed_server.route("/big", body.encode())
    [added] = json.loads(run("seek", "add", url, "--json").stdout)
    assert added["new_items"] == 50
    assert "kept the newest 50 of 300 entries (max_entries)" in added["message"]
    texts = [i["content_text"] for i in json.loads(run("sense", "inbox", "--json").stdout)]
    assert max(len(t.encode()) for t in texts) <= 2000
    feed_server.route("/big", body.replace("Entry 5<", "Entry five<").encode())
    summary = run("seek", "--all").stderr
    assert "kept the newest 50 of 300 entries" in summary
