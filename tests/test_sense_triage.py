"""Triage: the inbox, show, open, mark and tag, through the CLI on real files.

Items come in through `seek add` from the local feed server, as users get them; the
annotations and notes that other parts of Sense will write are put in with SQL (the m004
schema), so that what triage shows of them is tested here.
"""

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from pkm._util.timeutil import parse_duration, parse_when
from pkm.models import ItemStatus
from pkm.sense import MarkAction, marked_status, parse_id_refs
from tests.feeds import rss
from tests.httpserver import FeedServer

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def inbox(run, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(run("sense", "inbox", "--json", *args).stdout)


def ids(run, *args: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [i["id"] for i in inbox(run, *args)]


def statuses(run) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Every item's status, deleted ones included."""
    return {i["id"]: i["status"] for s in ItemStatus for i in inbox(run, "--status", s.value)}


def subscribe(run, feed_server: FeedServer, n: int, path: str = "/f", **kw: str) -> str:  # type: ignore[no-untyped-def]
    """A feed of n entries, subscribed: items 1..n, item k dated 2026-01-k."""
    url = feed_server.route(path, rss(*[(str(k), f"Entry {k}") for k in range(n)], **kw))
    run("seek", "add", url, "-q")
    return url


def sql(home: Path, statement: str, *params: object) -> None:
    with sqlite3.connect(home / "pkm.db") as db:
        db.execute(statement, params)


def annotate(
    home: Path,
    item_id: int,
    start: int | None,
    end: int | None,
    exact: str | None = None,
    comment: str = "",
    state: str = "anchored",
) -> None:
    sql(
        home,
        'INSERT INTO annotations (item_id, exact, start, "end", comment, state, created_at,'
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, '2026-01-10T00:00:00Z', '2026-01-10T00:00:00Z')",
        item_id,
        exact,
        start,
        end,
        comment,
        state,
    )


def cite(home: Path, item_id: int, path: str, title: str) -> None:
    with sqlite3.connect(home / "pkm.db") as db:
        row = db.execute("SELECT id FROM notes WHERE path = ?", [path]).fetchone()
        if row is None:
            row = db.execute(
                "INSERT INTO notes (path, name, title, size, mtime_ns, content_hash, indexed_at)"
                " VALUES (?, ?, ?, 1, 1, 'h', '2026-01-10T00:00:00Z') RETURNING id",
                [path, Path(path).stem, title],
            ).fetchone()
        db.execute("INSERT INTO note_items (note_id, item_id) VALUES (?, ?)", [row[0], item_id])


def one_error_line(stderr: str) -> str:
    """The error of a usage error or a pkm error: one line, never a traceback."""
    assert "Traceback" not in stderr
    [line] = [x for x in stderr.splitlines() if x.startswith(("Error: ", "pkm: error: "))]
    return line


# --- pure parts ------------------------------------------------------------------------------


def test_parse_when_takes_dates_times_and_times_ago() -> None:
    day = datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_when("2026-01-31", NOW) == day
    assert parse_when("2026-01-31", NOW, end=True) == day + timedelta(days=1)
    assert parse_when("2026-01-31T08:00", NOW) == day + timedelta(hours=8)
    assert parse_when("2026-01-31T08:00+01:00", NOW) == day + timedelta(hours=7)
    assert parse_when("2026-01-31T08:00:00Z", NOW, end=True) == day + timedelta(hours=8, seconds=1)
    assert parse_when("7d", NOW) == NOW - timedelta(days=7)
    assert parse_when("2w", NOW) == NOW - timedelta(weeks=2)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    for bad in ("yesterday", "2026-13-01", "", "7x", "2026-01-31Tnoon", "99999999d"):
        with pytest.raises(ValueError, match=r"^not a"):
            parse_when(bad, NOW)


def test_id_refs_are_ids_and_ranges() -> None:
    refs = parse_id_refs(["12", "3-5", " 7\n8\t9 "])
    assert [(r.first, r.last, r.text) for r in refs] == [
        (12, 12, "12"),
        (3, 5, "3-5"),
        (7, 7, "7"),
        (8, 8, "8"),
        (9, 9, "9"),
    ]
    for bad, message in (
        ("abc", "not an item id"),
        ("0", "ids start at 1"),
        ("5-2", "lower id first"),
        ("1.5", "not an item id"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_id_refs([bad])


def test_reading_never_takes_a_star_away() -> None:
    assert marked_status(MarkAction.READ, ItemStatus.UNREAD) is ItemStatus.READ
    assert marked_status(MarkAction.READ, ItemStatus.STARRED) is None
    assert marked_status(MarkAction.READ, ItemStatus.ARCHIVED) is None
    assert marked_status(MarkAction.UNSTAR, ItemStatus.STARRED) is ItemStatus.READ
    assert marked_status(MarkAction.UNSTAR, ItemStatus.UNREAD) is None
    assert marked_status(MarkAction.UNREAD, ItemStatus.DELETED) is ItemStatus.UNREAD
    assert marked_status(MarkAction.STAR, ItemStatus.STARRED) is None
    assert marked_status(MarkAction.DELETE, ItemStatus.STARRED) is ItemStatus.DELETED


# --- the inbox -------------------------------------------------------------------------------


def test_bare_sense_lists_the_inbox_and_help_lists_the_commands(
    run, feed_server: FeedServer
) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 3)
    assert run("sense").stdout == run("sense", "inbox").stdout
    assert "Entry 2" in run("sense").stdout
    helped = run("sense", "--help").stdout
    for command in ("inbox", "show", "open", "mark", "tag"):
        assert f"  {command} " in helped


def test_inbox_filters_by_status_tag_and_date(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 6)  # items 1..6, item k dated 2026-01-k
    run("sense", "mark", "1", "--star", "-q")
    run("sense", "mark", "2", "--delete", "-q")
    run("sense", "mark", "3", "--read", "-q")
    assert ids(run) == [6, 5, 4]  # unread, newest first
    assert ids(run, "--all") == [6, 5, 4, 3, 1]  # every status but deleted
    assert ids(run, "--status", "starred") == [1]
    assert ids(run, "--status", "starred", "--status", "deleted") == [2, 1]
    run("sense", "tag", "4", "6", "--add", "keep", "-q")
    assert ids(run, "--tag", "keep") == [6, 4]
    assert ids(run, "--since", "2026-01-05") == [6, 5]
    assert ids(run, "--until", "2026-01-05") == [5, 4]  # the whole day
    assert ids(run, "--all", "--since", "2026-01-03T00:00Z", "--until", "2026-01-04T11:59") == [3]
    assert ids(run, "--since", "2w") == []  # dated before 2026-01-19 (now is 2026-02-..)
    assert ids(run, "--tag", "keep", "--since", "2026-01-05", "--source", "1") == [6]


def test_inbox_tag_filter_counts_a_sources_tags(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    run("seek", "add", url, "--tag", "news", "-q")
    subscribe(run, feed_server, 1, "/g")
    assert ids(run, "--tag", "news") == [1]
    run("sense", "tag", "2", "--add", "news", "-q")
    assert sorted(ids(run, "--tag", "news")) == [1, 2]
    assert ids(run, "--tag", "news", "--tag", "other") == []  # all of them


def test_inbox_usage_errors_are_one_line_exit_2(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 1)
    for args, says in (
        (("--all", "--status", "read"), "use --all or --status, not both"),
        (("--since", "last tuesday"), "not a date: 'last tuesday'"),
        (("--until", "2026-02-30"), "not a date"),
        (("--status", "gone"), "'gone' is not one of"),
        (("--limit", "0"), "--limit"),
        (("--tag", " \x1b\x07\t"), "a tag cannot be empty"),
    ):
        result = run("sense", "inbox", *args, code=2)
        assert says in one_error_line(result.stderr), args


def test_inbox_pages_with_offset_and_says_how_many_more(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 60)
    table = run("sense", "inbox", "--offset", "5")
    assert len(table.stdout.splitlines()) == 51
    assert table.stderr == "… and 5 more: --limit N shows more, --json lists all\n"
    assert ids(run, "--limit", "3", "--offset", "2") == ids(run)[2:5]
    assert len(ids(run, "--offset", "58")) == 2


def test_inbox_json_has_annotation_counts_and_citing_notes(
    run, feed_server: FeedServer, home: Path
) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 2)
    annotate(home, 1, 0, 4, "Text")
    annotate(home, 1, None, None, comment="worth a note")
    cite(home, 1, "b/zettel.md", "Zettel")
    cite(home, 1, "a/atomic.md", "Atomic notes")
    by_id = {i["id"]: i for i in inbox(run)}
    assert by_id[1]["annotation_count"] == 2
    assert by_id[1]["notes"] == [
        {"id": 2, "path": "a/atomic.md", "title": "Atomic notes"},
        {"id": 1, "path": "b/zettel.md", "title": "Zettel"},
    ]
    assert (by_id[2]["annotation_count"], by_id[2]["notes"]) == (0, [])
    for key in (
        "id",
        "source_url",
        "guid",
        "url",
        "title",
        "author",
        "published",
        "summary",
        "content_text",
        "status",
        "tags",
        "source_title",
        "enclosures",
    ):
        assert key in by_id[1]


# --- show ------------------------------------------------------------------------------------


def test_show_renders_the_item_with_highlights_comments_and_notes(
    run, feed_server: FeedServer, home: Path
) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One [b]bold[/b] # not a heading")))
    run("seek", "add", url, "--tag", "news", "-q")
    [item] = inbox(run)
    text = item["content_text"]
    assert text == "Text of One [b]bold[/b] # not a heading"
    annotate(home, 1, 8, 11, "One", comment="the first")
    annotate(home, 1, 5, 7, "of")  # a highlight without a comment
    annotate(home, 1, None, None, comment="a comment on the whole item")
    annotate(home, 1, 0, 3, "gone", state="orphaned")
    cite(home, 1, "ideas/one.md", "Ideas about [one]")
    out = run("sense", "show", "1").stdout
    assert "One [b]bold[/b] # not a heading" in out.splitlines()[0]  # the title, as written
    assert "Test feed · 2026-01-01 12:00 UTC · read (marked read now)" in out
    assert "https://example.com/posts/1" in out and "#news" in out
    assert "Text ==of== ==One== [b]bold[/b] # not a heading" in out
    assert "“One”: the first" in out
    assert "a comment on the whole item" in out
    assert "“gone” (no longer found in the text)" in out
    assert "Ideas about [one] (ideas/one.md)" in out
    assert "==Text==" not in out  # the orphan is not placed
    assert inbox(run, "--status", "read")[0]["id"] == 1


def test_show_marks_only_unread_items_read(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 3)
    run("sense", "show", "1", "--no-mark")
    run("sense", "mark", "2", "--star", "-q")
    run("sense", "mark", "3", "--archive", "-q")
    run("sense", "show", "2")
    run("sense", "show", "3")
    assert statuses(run) == {1: "unread", 2: "starred", 3: "archived"}
    run("sense", "show", "1", "--json")
    assert statuses(run)[1] == "read"


def test_show_json_has_annotations_and_notes(run, feed_server: FeedServer, home: Path) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 1)
    annotate(home, 1, 0, 4, "Text", comment="c")
    cite(home, 1, "n.md", "N")
    shown = json.loads(run("sense", "show", "1", "--no-mark", "--json").stdout)
    assert shown["status"] == "unread" and shown["annotation_count"] == 1
    [a] = shown["annotations"]
    assert (a["quote"]["exact"], a["position"], a["comment"]) == (
        "Text",
        {"start": 0, "end": 4},
        "c",
    )
    assert [(n["path"], n["title"]) for n in shown["notes"]] == [("n.md", "N")]


def test_show_and_open_unknown_or_bad_ids(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 1)
    for command in ("show", "open"):
        result = run("sense", command, "42", code=3)
        assert result.stderr == "pkm: error: no such item: 42\n"
        for bad in ("abc", "0", "-1", "1-2"):
            one_error_line(run("sense", command, bad, code=2).stderr)
    assert statuses(run) == {1: "unread"}


def test_show_reads_a_read_only_home_with_no_mark(run, feed_server: FeedServer, home: Path) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 1)
    (home / "pkm.db").chmod(0o444)
    home.chmod(0o555)
    try:
        result = subprocess.run(
            unprivileged_pkm(home, "sense", "show", "1", "--no-mark"),
            capture_output=True,
            text=True,
        )
    finally:
        home.chmod(0o755)
        (home / "pkm.db").chmod(0o644)
    assert result.returncode == 0, result.stderr
    assert "Text of Entry 0" in result.stdout


def unprivileged_pkm(home: Path, *args: str) -> list[str]:
    from tests.unprivileged import unprivileged

    return unprivileged([sys.executable, "-m", "pkm", "--home", str(home), *args])


# --- open ------------------------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$BROWSER: a script that records the address it is given (no real browser opens)."""
    log = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> {log}\n')
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    return log


def test_open_hands_the_address_to_the_browser_and_marks_read(
    run, feed_server: FeedServer, browser: Path
) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 2)
    result = run("sense", "open", "1")
    assert (result.stdout, result.stderr) == ("", "")
    assert browser.read_text() == "https://example.com/posts/0\n"
    run("sense", "open", "2", "--no-mark")
    assert statuses(run) == {1: "read", 2: "unread"}


def test_open_prints_the_address_when_no_browser_opens(
    run, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    failing = tmp_path / "no-browser.sh"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(failing))
    subscribe(run, feed_server, 1)
    result = run("sense", "open", "1")
    assert result.stdout == "https://example.com/posts/0\n"
    assert "no browser could be opened" in result.stderr


def test_open_an_item_without_a_web_address(run, feed_server: FeedServer, browser: Path) -> None:  # type: ignore[no-untyped-def]
    feed_server.route("/f", rss(("1", "One", "mailto:someone@example.com")))
    run("seek", "add", feed_server.url("/f"), "-q")
    result = run("sense", "open", "1", code=1)
    assert result.stderr == "pkm: error: item 1 has no web address\n"
    assert not browser.exists() and statuses(run) == {1: "unread"}


# --- mark and tag ----------------------------------------------------------------------------


def test_mark_ids_ranges_and_stdin(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 8)
    assert run("sense", "mark", "1", "3-4", "--read").stderr == "marked 3 items read\n"
    result = run("sense", "mark", "-", "--star", "--json", input="5\n6 7\n")
    assert json.loads(result.stdout) == {
        "action": "star",
        "status": "starred",
        "changed": [5, 6, 7],
        "unchanged": [],
        "unknown": [],
    }
    assert statuses(run) == {
        1: "read",
        2: "unread",
        3: "read",
        4: "read",
        5: "starred",
        6: "starred",
        7: "starred",
        8: "unread",
    }
    assert run("sense", "mark", "1-3", "--read").stderr == "marked 1 item read (2 unchanged)\n"
    assert run("sense", "mark", "5", "6", "--unstar").stderr == "unstarred 2 items\n"
    assert statuses(run)[5] == "read"
    assert run("sense", "mark", "-", "--read", "-q", input="").stdout == ""  # nothing piped in


def test_mark_names_unknown_ids_applies_the_rest_and_exits_3(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 3)
    result = run("sense", "mark", "2", "99", "2-3", "50-60", "--archive", code=3)
    assert result.stderr == "archived 2 items\npkm: error: no such item: 99, 50-60\n"
    assert statuses(run) == {1: "unread", 2: "archived", 3: "archived"}
    result = run("sense", "mark", "7", "--read", "--json", code=3)
    assert json.loads(result.stdout)["unknown"] == ["7"]
    assert result.stderr == "pkm: error: no such item: 7\n"
    assert (
        run("sense", "mark", "7", "--read", "-q", code=3).stderr == "pkm: error: no such item: 7\n"
    )


def test_mark_usage_errors_exit_2_without_a_traceback(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 2)
    for args, input_, says in (
        (("1", "--read", "--star"), None, "give exactly one of --read"),
        (("1",), None, "give exactly one of --read"),
        (("--read",), None, "name item ids (or -)"),
        (("abc", "--read"), None, "not an item id: abc"),
        (("0", "--read"), None, "ids start at 1"),
        (("5-2", "--read"), None, "write the lower id first"),
        (("-", "--read"), "1 two 3", "not an item id: two"),
        (("--older-than", "a while", "--read"), None, "not a duration: 'a while'"),
        (("--status", "new", "--read"), None, "'new' is not one of"),
    ):
        result = run("sense", "mark", *args, code=2, input=input_)
        assert says in one_error_line(result.stderr), args
    assert statuses(run) == {1: "unread", 2: "unread"}


def test_mark_selectors_combine_with_and(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 4)  # items 1..4 dated 2026-01-01..04
    feed_server.route(
        "/g", rss(("a", "A", "https://other.example/a"), ("b", "B", "https://other.example/b"))
    )
    run("seek", "add", feed_server.url("/g"), "-q")  # items 5, 6 dated 2026-01-01, 02
    run("sense", "mark", "2", "--star", "-q")
    # Only the first source's items dated 2026-01-03 and before, but not the starred one
    # (--read leaves starred ones).
    # The cutoff, now - N hours, falls in the first hour of 2026-01-04 (the CLI's clock is
    # the wall clock).
    hours = (datetime.now(UTC) - datetime(2026, 1, 4, tzinfo=UTC)) // timedelta(hours=1)
    result = run("sense", "mark", "--source", "1", "--older-than", f"{hours}h", "--read", "--json")
    assert json.loads(result.stdout)["changed"] == [1, 3]
    assert json.loads(result.stdout)["unchanged"] == [2]
    run("sense", "mark", "--status", "read", "--archive", "-q")
    assert statuses(run) == {
        1: "archived",
        2: "starred",
        3: "archived",
        4: "unread",
        5: "unread",
        6: "unread",
    }
    run("sense", "mark", "4-6", "--source", feed_server.url("/g"), "--delete", "-q")
    assert statuses(run)[4] == "unread" and statuses(run)[5] == "deleted"


def test_delete_is_a_tombstone_that_seek_keeps_and_only_an_id_lifts(
    run, feed_server: FeedServer
) -> None:  # type: ignore[no-untyped-def]
    url = subscribe(run, feed_server, 2)
    run("sense", "mark", "1", "--delete", "-q")
    feed_server.route("/f", rss(("0", "Entry 0, edited"), ("1", "Entry 1"), ("2", "Entry 2")))
    assert json.loads(run("seek", "--all", "--json").stdout)["sources"][0]["url"] == url
    assert statuses(run) == {1: "deleted", 2: "unread", 3: "unread"}
    assert 1 not in ids(run, "--all")
    run("sense", "mark", "--source", "1", "--unread", "-q")  # a selector leaves tombstones
    assert statuses(run)[1] == "deleted"
    run("sense", "mark", "1", "--unread", "-q")  # naming it brings it back
    assert statuses(run)[1] == "unread"


def test_tag_adds_and_removes_cleaned_tags(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    run("seek", "add", url, "--tag", "news", "-q")
    result = run("sense", "tag", "1-2", "--add", " to\x1b read ", "--add", "ai", "--json")
    assert json.loads(result.stdout) == {
        "added": ["to read", "ai"],
        "removed": [],
        "changed": [1, 2],
        "unchanged": [],
        "unknown": [],
    }
    assert run("sense", "tag", "1", "--remove", "ai", "--remove", "news").stderr == (
        "tagged 1 item (-ai -news)\n"
    )
    by_id = {i["id"]: i["tags"] for i in inbox(run)}
    assert by_id == {1: ["news", "to read"], 2: ["ai", "news", "to read"]}  # the source's tag stays
    assert run("sense", "tag", "2", "--add", "ai").stderr == "tagged 0 items (+ai), 1 unchanged\n"
    for args, says in (
        (("1", "--add", " \t"), "a tag cannot be empty"),
        (("1",), "give a tag to --add or --remove"),
        (("1", "--add", "x", "--remove", "x"), "both added and removed: x"),
        (("--add", "x"), "name item ids"),
    ):
        assert says in one_error_line(run("sense", "tag", *args, code=2).stderr), args
    result = run("sense", "tag", "1", "9", "--add", "x", code=3)
    assert result.stderr == "tagged 1 item (+x)\npkm: error: no such item: 9\n"


def test_a_mark_waits_for_the_sense_lock_then_fails_changing_nothing(
    run, feed_server: FeedServer, home: Path
) -> None:  # type: ignore[no-untyped-def]
    from pkm.core import open_pkm

    subscribe(run, feed_server, 2)
    (home / "pkm.toml").write_text("[index]\nbusy_timeout = 0.2\n")
    holder = open_pkm(home)
    with holder.sense_lock():
        result = run("sense", "mark", "1-2", "--read", code=1)
        shown = run("sense", "show", "1", code=1)
    assert "another pkm command is in progress" in result.stderr
    assert "another pkm command is in progress" in shown.stderr
    assert statuses(run) == {1: "unread", 2: "unread"}


def test_seek_remove_keeps_annotated_and_cited_items(
    run, feed_server: FeedServer, home: Path
) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 3)
    annotate(home, 1, 0, 4, "Text")
    cite(home, 2, "n.md", "N")
    [removed] = json.loads(run("seek", "remove", "1", "--json").stdout)
    assert (removed["items_deleted"], removed["items_kept"]) == (1, 2)
    assert ids(run) == [2, 1]


# --- on a terminal ---------------------------------------------------------------------------


def on_a_terminal(
    columns: int, lines: int, *args: str, env: dict[str, str] | None = None, stdin_tty: bool = True
) -> tuple[int, str]:
    """Run `pkm ARGS` on a pseudo-terminal of that size; its exit code and screen, escapes removed."""
    import pty
    import re

    main, secondary = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("PAGER", "MANPAGER", "LESS")}
    environment.update({"COLUMNS": str(columns), "LINES": str(lines), "TERM": "xterm"})
    done = subprocess.run(
        [sys.executable, "-m", "pkm", *args],
        stdin=secondary if stdin_tty else subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env={**environment, **(env or {})},
        timeout=60,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", b"".join(chunks).decode())
    return done.returncode, screen.replace("\r", "")


def long_feed(paragraphs: int) -> bytes:
    text = "".join(
        f"<p>Paragraph {n} of a long article about reading and notes.</p>"
        for n in range(paragraphs)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Long reads</title>"
        "<link>https://long.example/</link><item><guid>1</guid>"
        "<title>A long title about personal knowledge mastery, feeds and notes</title>"
        "<link>https://long.example/1</link><pubDate>Thu, 01 Jan 2026 12:00:00 GMT</pubDate>"
        f"<description>{escape(text)}</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("columns", [80, 40])
def test_show_fits_a_narrow_terminal(
    feed_server: FeedServer, home: Path, run, columns: int
) -> None:  # type: ignore[no-untyped-def]
    run("seek", "add", feed_server.route("/long", long_feed(3)), "-q")
    annotate(
        home,
        1,
        0,
        11,
        "Paragraph 0",
        comment="a comment that is long enough to wrap on a narrow terminal",
    )
    code, screen = on_a_terminal(columns, 100, "--home", str(home), "sense", "show", "1")
    assert code == 0, screen
    assert all(len(line) <= columns for line in screen.splitlines()), screen
    words = " ".join(screen.split())
    assert "A long title about personal knowledge mastery, feeds and notes" in words
    assert "==Paragraph 0== of a long article" in words
    assert "a comment that is long enough to wrap on a narrow terminal" in words
    code, screen = on_a_terminal(columns, 100, "--home", str(home), "sense", "inbox", "--all")
    assert code == 0 and all(len(line) <= columns for line in screen.splitlines()), screen
    assert "A long title about personal knowledge mastery, feeds and notes" in " ".join(
        screen.split()
    )


def test_show_pages_only_what_is_longer_than_the_screen(
    feed_server: FeedServer, home: Path, run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pager = tmp_path / "pager.sh"
    paged = tmp_path / "paged.txt"
    pager.write_text(f"#!/bin/sh\ncat > {paged}\n")
    pager.chmod(0o755)
    run("seek", "add", feed_server.route("/long", long_feed(60)), "-q")
    run("seek", "add", feed_server.route("/short", rss(("s", "Short"))), "-q")
    code, screen = on_a_terminal(
        80, 24, "--home", str(home), "sense", "show", "1", env={"PAGER": str(pager)}
    )
    assert code == 0, screen
    assert "Paragraph 59" in paged.read_text() and "Paragraph 59" not in screen
    paged.unlink()
    code, screen = on_a_terminal(
        80, 24, "--home", str(home), "sense", "show", "2", env={"PAGER": str(pager)}
    )
    assert code == 0 and "Text of Short" in screen and not paged.exists()


def test_mark_from_stdin_on_a_terminal_is_a_usage_error(
    home: Path, run, feed_server: FeedServer
) -> None:  # type: ignore[no-untyped-def]
    subscribe(run, feed_server, 1)
    code, screen = on_a_terminal(80, 24, "--home", str(home), "sense", "mark", "-", "--read")
    assert code == 2 and "- reads ids from stdin, but nothing is piped in" in screen
    assert "Traceback" not in screen
