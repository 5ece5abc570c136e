"""Highlights and comments through the CLI and the services: annotate, list, export,
re-anchor after `pkm seek`, review, edit and delete."""

import json
import sys
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from pkm.core import open_pkm
from pkm.models import AnnotationState, ItemStatus, ReviewAction
from tests.conftest import FIXED_NOW
from tests.httpserver import FeedServer

ARTICLE = (
    "Spaced repetition is a learning technique. Reviews are spread out over time. "
    "The forgetting curve shows how memory fades. Each review resets the curve. "
    "Reviews that come just before forgetting work best. Reviews are cheap."
)


def feed(*entries: tuple[str, str, str]) -> bytes:
    """An RSS feed of (guid, title, plain text) entries."""
    items = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{escape(title)}</title>"
        f"<link>https://example.com/{guid}</link><description>{escape(text)}</description></item>"
        for guid, title, text in entries
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Blog</title>"
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def article(run, feed_server: FeedServer) -> int:  # type: ignore[no-untyped-def]
    """The id of an item whose text is ARTICLE, fetched from a real feed."""
    run("seek", "add", feed_server.route("/feed", feed(("a", "Memory", ARTICLE))))
    [item] = json.loads(run("sense", "inbox", "--json").stdout)
    assert item["content_text"] == ARTICLE
    return int(item["id"])


def annotations(run, *args: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(run("sense", "annotations", "--json", *args).stdout)  # type: ignore[no-any-return]


def test_a_highlight_is_stored_with_its_quote_context_and_position(run, article: int) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "sense", "annotate", str(article), "--highlight", "forgetting  curve", "-t", "memory"
    )
    assert result.stdout.strip().isdigit()
    [a] = annotations(run)
    start = ARTICLE.index("forgetting curve")
    assert (a["exact"], a["start"], a["end"]) == ("forgetting curve", start, start + 16)
    assert (
        a["prefix"] == ARTICLE[start - 32 : start]
        and a["suffix"] == ARTICLE[a["end"] : a["end"] + 32]
    )
    assert (a["state"], a["tags"], a["item_url"], a["comment"]) == (
        "anchored",
        ["memory"],
        "https://example.com/a",
        "",
    )


def test_whitespace_in_the_highlight_need_not_match(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    text = "First line of a poem\nsecond line   of it."
    run("seek", "add", feed_server.route("/f", feed(("p", "Poem", "<pre>" + text + "</pre>"))))
    [item] = json.loads(run("sense", "inbox", "--json").stdout)
    stored = item["content_text"]
    run("sense", "annotate", str(item["id"]), "--highlight", " poem second line of ")
    [a] = annotations(run)
    assert stored[a["start"] : a["end"]] == a["exact"]
    assert " ".join(a["exact"].split()) == "poem second line of"


def test_a_highlight_not_in_the_text_is_refused(run, article: int) -> None:  # type: ignore[no-untyped-def]
    result = run("sense", "annotate", str(article), "--highlight", "not in there", code=1)
    assert result.stderr.strip() == (
        f"pkm: error: the highlight is not in the text of item {article}: 'not in there'"
    )
    assert annotations(run) == []


def test_a_highlight_found_three_times_needs_an_occurrence(run, article: int) -> None:  # type: ignore[no-untyped-def]
    assert ARTICLE.count("Reviews") == 3
    result = run("sense", "annotate", str(article), "--highlight", "Reviews", code=1)
    assert "occurs 3 times" in result.stderr and "--occurrence" in result.stderr
    assert "Traceback" not in result.stderr
    result = run(
        "sense", "annotate", str(article), "--highlight", "Reviews", "--occurrence", "4", code=1
    )
    assert "3 times" in result.stderr
    run("sense", "annotate", str(article), "--highlight", "Reviews", "--occurrence", "2")
    [a] = annotations(run)
    second = ARTICLE.index("Reviews", ARTICLE.index("Reviews") + 1)
    assert a["start"] == second


def test_an_item_level_comment_needs_no_highlight(run, article: int) -> None:  # type: ignore[no-untyped-def]
    run("sense", "annotate", str(article), "--comment", "Worth rereading\x1b[31m.")
    [a] = annotations(run)
    assert (a["exact"], a["start"], a["comment"]) == (None, None, "Worth rereading[31m.")


def test_unknown_ids_exit_3_naming_them(run, article: int, home: Path) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (("sense", "annotate", "999", "--comment", "x"), "no such item: 999"),
        (("sense", "annotations", "--item", "999"), "no such item: 999"),
        (("sense", "annotation", "edit", "77", "--comment", "x"), "no such annotation: 77"),
        (("sense", "annotation", "delete", "77"), "no such annotation: 77"),
    ]
    for args, message in cases:
        result = run(*args, code=3)
        assert result.stderr.strip() == f"pkm: error: {message}"
    pkm = open_pkm(home)
    pkm.store.set_item_status([article], ItemStatus.DELETED, FIXED_NOW)  # a tombstone
    pkm.close()
    result = run("sense", "annotate", str(article), "--comment", "x", code=3)
    assert result.stderr.strip() == f"pkm: error: no such item: {article}"


def test_bad_input_is_a_message_not_a_traceback(run, article: int) -> None:  # type: ignore[no-untyped-def]
    result = run("sense", "annotate", str(article), code=2)  # no options, not on a terminal
    assert "--highlight" in result.stderr
    result = run("sense", "annotate", "abc", "--comment", "x", code=2)
    result = run("sense", "annotate", str(article), "--highlight", "  ", code=1)
    assert "empty" in result.stderr
    result = run("sense", "annotate", str(article), "--comment", "x", "--tag", " ", code=1)
    assert "tag cannot be empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_annotate_opens_the_editor_on_a_terminal(  # type: ignore[no-untyped-def]
    run, article: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "p = sys.argv[1]\n"
        "t = open(p).read()\n"
        "t = t.replace('highlight:\\n', 'highlight:\\nEach review\\nresets the curve.\\n')\n"
        "t = t.replace('comment:\\n', 'comment:\\nThe key idea.\\n')\n"
        "t = t.replace('tags:\\n', 'tags: memory, learning\\n')\n"
        "open(p, 'w').write(t)\n"
    )
    monkeypatch.setenv("PKM_SENSE_EDITOR", f"{sys.executable} {script}")
    monkeypatch.setattr("pkm.cli._editor.on_terminal", lambda: True)
    run("sense", "annotate", str(article))
    [a] = annotations(run)
    assert (a["exact"], a["comment"], a["tags"]) == (
        "Each review resets the curve.",
        "The key idea.",
        ["learning", "memory"],
    )
    script.write_text("import sys\nopen(sys.argv[1], 'a').write('\\nAnd more.\\n')\n")
    run("sense", "annotation", "edit", str(a["id"]))
    assert annotations(run)[0]["comment"] == "The key idea.\n\nAnd more."
    monkeypatch.setenv("PKM_SENSE_EDITOR", f"{sys.executable} -c 'raise SystemExit(1)'")
    result = run("sense", "annotate", str(article), code=1)
    assert "exited with status 1" in result.stderr


def test_edit_and_delete(run, article: int, home: Path) -> None:  # type: ignore[no-untyped-def]
    run("sense", "annotate", str(article), "--highlight", "Reviews are cheap", "-t", "a", "-t", "b")
    [a] = annotations(run)
    run(
        "sense",
        "annotation",
        "edit",
        str(a["id"]),
        "--comment",
        "So true",
        "--tag",
        "c",
        "--remove-tag",
        "a",
    )
    [edited] = annotations(run)
    assert (edited["comment"], edited["tags"]) == ("So true", ["b", "c"])
    assert edited["exact"] == a["exact"]
    pkm = open_pkm(home)
    hits = pkm.store.db.execute(
        "SELECT rowid FROM search WHERE search MATCH 'true'"
    ).fetchall()  # the search index follows the comment
    assert hits == [(a["id"] * 4 + 1,)]
    run("sense", "annotation", "delete", str(a["id"]))
    assert annotations(run) == []
    assert pkm.store.db.execute("SELECT count(*) FROM search WHERE rowid % 4 = 1").fetchone() == (
        0,
    )
    pkm.close()


def test_listing_filters(run, article: int) -> None:  # type: ignore[no-untyped-def]
    run("sense", "annotate", str(article), "--highlight", "learning technique", "-t", "x")
    run("sense", "annotate", str(article), "--comment", "whole item", "-t", "y")
    assert [a["comment"] for a in annotations(run)] == ["whole item", ""]  # comments first
    assert [a["tags"] for a in annotations(run, "--tag", "x")] == [["x"]]
    assert len(annotations(run, "--tag", "x", "--tag", "y")) == 2
    assert annotations(run, "--orphaned") == []
    assert len(annotations(run, "--item", str(article))) == 2
    table = run("sense", "annotations").stdout
    assert "learning technique" in table and "(the whole item)" in table


def test_w3c_export(run, article: int) -> None:  # type: ignore[no-untyped-def]
    run(
        "sense",
        "annotate",
        str(article),
        "--highlight",
        "forgetting curve",
        "--comment",
        "See Ebbinghaus",
        "-t",
        "memory",
    )
    run("sense", "annotate", str(article), "--highlight", "learning technique")
    doc = json.loads(run("sense", "annotations", "--format", "w3c").stdout)
    assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert (doc["type"], doc["total"], doc["first"]["type"]) == (
        "AnnotationCollection",
        2,
        "AnnotationPage",
    )
    plain, commented = doc["first"]["items"]
    assert plain["type"] == "Annotation" and plain["motivation"] == "highlighting"
    assert "body" not in plain
    target = commented["target"]
    assert target["source"] == "https://example.com/a"
    quote, position = target["selector"]
    start = ARTICLE.index("forgetting curve")
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "forgetting curve",
        "prefix": ARTICLE[start - 32 : start],
        "suffix": ARTICLE[start + 16 : start + 48],
    }
    assert position == {"type": "TextPositionSelector", "start": start, "end": start + 16}
    assert commented["motivation"] == "commenting"
    assert commented["body"] == [
        {
            "type": "TextualBody",
            "value": "See Ebbinghaus",
            "format": "text/plain",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "memory", "purpose": "tagging"},
    ]
    assert commented["id"].startswith("urn:pkm:annotation:") and commented["created"].endswith("Z")


def test_seek_re_anchors_highlights_end_to_end(run, feed_server: FeedServer, article: int) -> None:  # type: ignore[no-untyped-def]
    for quote in (
        "Spaced repetition is a learning technique.",  # its place will not change
        "The forgetting curve shows how memory fades.",  # text is inserted before it
        "Reviews that come just before forgetting work best.",  # reworded
        "Each review resets the curve.",  # removed
    ):
        run("sense", "annotate", str(article), "--highlight", quote)
    changed = (
        ARTICLE.replace("time. The forgetting", "time. A new sentence is here. The forgetting")
        .replace("Each review resets the curve. ", "")
        .replace("just before forgetting work best", "just before forgetting works best")
    )
    feed_server.route("/feed", feed(("a", "Memory", changed)))
    result = run("seek", "--all")
    assert "1 updated" in result.stderr
    assert "1 highlight orphaned (`pkm sense annotations --orphaned`)" in result.stderr
    listed = annotations(run)
    assert [a["state"] for a in listed] == ["anchored", "moved", "orphaned", "fuzzy"]  # by start
    for a in listed:
        if a["state"] != "orphaned":
            assert changed[a["start"] : a["end"]] == a["exact"]
    assert listed[3]["exact"] == "Reviews that come just before forgetting works best."
    [orphan] = annotations(run, "--orphaned")
    assert orphan["exact"] == "Each review resets the curve."  # kept as it was
    # A run that changes nothing orphans nothing new; --json says so.
    summary = json.loads(run("seek", "--all", "--json").stdout)
    assert (summary["orphaned"], summary["orphaned_annotation_ids"]) == (0, [])


def test_seek_json_lists_the_orphans(run, feed_server: FeedServer, article: int) -> None:  # type: ignore[no-untyped-def]
    run("sense", "annotate", str(article), "--highlight", "Each review resets the curve.")
    feed_server.route("/feed", feed(("a", "Memory", "All new text about something else.")))
    summary = json.loads(run("seek", "--all", "--json").stdout)
    [a] = annotations(run)
    assert (summary["orphaned"], summary["orphaned_annotation_ids"]) == (1, [a["id"]])


def test_pending_changes_are_applied_before_listing(home: Path, run, article: int) -> None:  # type: ignore[no-untyped-def]
    run("sense", "annotate", str(article), "--highlight", "Reviews are cheap.")
    pkm = open_pkm(home)
    with pkm.store.transaction():  # as a seek run would, without re-anchoring after it
        pkm.store.db.execute(
            "UPDATE items SET content_text = ? WHERE id = ?", ["Intro. " + ARTICLE, article]
        )
    pkm.close()
    [a] = annotations(run)
    assert (a["state"], a["start"]) == (
        "moved",
        len("Intro. ") + ARTICLE.index("Reviews are cheap."),
    )


def test_removing_a_source_keeps_annotated_items(
    run, feed_server: FeedServer, article: int
) -> None:  # type: ignore[no-untyped-def]
    run("sense", "annotate", str(article), "--comment", "keep this")
    result = json.loads(run("seek", "remove", feed_server.url("/feed"), "--json").stdout)
    assert (result[0]["items_deleted"], result[0]["items_kept"]) == (0, 1)
    assert len(annotations(run)) == 1


def test_review_order_and_recording(home: Path, run, article: int) -> None:  # type: ignore[no-untyped-def]
    from pkm.sense import annotate_item, record_review, review_listing, start_review

    quotes = ["learning technique", "forgetting curve", "Reviews are cheap"]
    ids = []
    for days, quote in zip((3, 2, 1), quotes, strict=True):
        pkm = open_pkm(home, now=FIXED_NOW - timedelta(days=days))
        ids.append(annotate_item(pkm, article, highlight=quote).id)
        pkm.close()
    pkm = open_pkm(home, now=FIXED_NOW)
    assert [c.annotation.id for c in start_review(pkm, 2)] == ids[:2]  # oldest first
    record_review(pkm, [ids[0]], ReviewAction.KEPT)
    record_review(pkm, [ids[1]], ReviewAction.DISCARDED)
    # Never reviewed first; the discarded one is retired from review, never deleted.
    assert [c.annotation.id for c in start_review(pkm, 5)] == [ids[2], ids[0]]
    assert len(pkm.store.get_annotations()) == 3
    reviewed = pkm.store.get_annotation(ids[0])
    assert reviewed is not None
    assert (reviewed.reviewed_at, reviewed.review_count) == (FIXED_NOW, 1)
    assert pkm.store.get_reviews(ids[1]) == [(FIXED_NOW, ReviewAction.DISCARDED)]
    shown = review_listing(pkm, 1)
    assert [c.annotation.id for c in shown] == [ids[2]]
    assert pkm.store.get_reviews(ids[2]) == [(FIXED_NOW, ReviewAction.SHOWN)]
    pkm.close()
    listed = json.loads(run("sense", "review", "--json", "--count", "5").stdout)
    assert [a["id"] for a in listed] == [ids[0], ids[2]]  # both reviewed now; the older first
    assert listed[0]["review_count"] == 1
    assert "learning technique" in run("sense", "review").stdout


def test_review_weights_starred_items(home: Path, run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    from pkm.sense import annotate_item, start_review

    run("seek", "add", feed_server.route("/f", feed(("a", "A", ARTICLE), ("b", "B", ARTICLE))))
    items = sorted(i["id"] for i in json.loads(run("sense", "inbox", "--json").stdout))
    made = []
    for days, item in ((5, items[0]), (3, items[1])):
        pkm = open_pkm(home, now=FIXED_NOW - timedelta(days=days))
        made.append(annotate_item(pkm, item, highlight="forgetting curve").id)
        pkm.close()
    pkm = open_pkm(home, now=FIXED_NOW)
    assert [c.annotation.id for c in start_review(pkm, 2)] == made
    pkm.store.set_item_status([items[1]], ItemStatus.STARRED, FIXED_NOW)
    assert [c.annotation.id for c in start_review(pkm, 2)] == made[::-1]  # 3 days x 2 > 5
    pkm.close()


def test_review_on_a_terminal_keeps_skips_and_discards(  # type: ignore[no-untyped-def]
    run, article: int, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for quote in ("learning technique", "forgetting curve", "Reviews are cheap"):
        run("sense", "annotate", str(article), "--highlight", quote)
    keys = iter("xkdq")
    monkeypatch.setattr("pkm.cli._editor.on_terminal", lambda: True)
    monkeypatch.setattr("typer.getchar", lambda: next(keys))
    result = run("sense", "review")
    assert "1 kept, 0 skipped, 1 discarded" in result.stderr
    pkm = open_pkm(home)
    states = {
        a.quote.exact: (a.review_count, a.retired_at is not None)
        for a in pkm.store.get_annotations()
        if a.quote
    }
    pkm.close()
    assert states == {
        "learning technique": (1, False),
        "forgetting curve": (1, True),
        "Reviews are cheap": (0, False),
    }


def test_reanchor_report_counts(home: Path, run, article: int) -> None:  # type: ignore[no-untyped-def]
    from pkm.sense import reanchor_changed

    run("sense", "annotate", str(article), "--highlight", "Reviews are cheap.")
    pkm = open_pkm(home, now=FIXED_NOW)
    with pkm.store.transaction():
        pkm.store.db.execute("UPDATE items SET content_text = 'gone' WHERE id = ?", [article])
    report = reanchor_changed(pkm)
    assert (report.items, report.highlights, report.states[AnnotationState.ORPHANED]) == (1, 1, 1)
    assert len(report.newly_orphaned) == 1
    assert reanchor_changed(pkm).highlights == 0  # drained
    pkm.close()


def test_quiet_writes_print_nothing(run, article: int) -> None:  # type: ignore[no-untyped-def]
    made = run("sense", "annotate", str(article), "--comment", "c", "--quiet")
    assert (made.stdout, made.stderr) == ("", "")
    (annotation,) = annotations(run)
    for args in (
        ("edit", str(annotation["id"]), "--comment", "d"),
        ("delete", str(annotation["id"])),
    ):
        result = run("sense", "annotation", *args, "--quiet")
        assert (result.stdout, result.stderr) == ("", "")
    note = run("sense", "note", "new", "A note", "--no-edit", "--quiet")
    assert (note.stdout, note.stderr) == ("", "")
