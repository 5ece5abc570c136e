"""`pkm import FORMAT FILE`: exports brought into a real index, merged with what is there,
and pages fetched from a real HTTP server on 127.0.0.1."""

import json
import shutil
import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from pkm.core import open_pkm
from pkm.imports import ImportFormat, import_file
from pkm.models import ItemStatus
from tests.conftest import DATA, FIXED_NOW
from tests.httpserver import FeedServer

IMPORTS = DATA / "imports"
CSV = IMPORTS / "pocket" / "part_000000.csv"
CLIPPINGS = IMPORTS / "kindle" / "My Clippings.txt"
HYPOTHESIS = IMPORTS / "hypothesis" / "export.json"
ESSAY = IMPORTS / "pages" / "essay.html"


def as_json(run, *args: str, code: int = 0) -> Any:  # type: ignore[no-untyped-def]
    return json.loads(run(*args, "--json", code=code).stdout)


def inbox(run) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return as_json(run, "sense", "inbox", "--all")  # type: ignore[no-any-return]


def annotations(run) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return as_json(run, "sense", "annotations")  # type: ignore[no-any-return]


def dump(home: Path) -> list[str]:
    """Every row of the index, as SQL: what a command that writes nothing leaves alone
    (the run log aside: it records each run)."""
    conn = sqlite3.connect(home / "pkm.db")
    try:
        return [line for line in conn.iterdump() if not line.startswith('INSERT INTO "runs"')]
    finally:
        conn.close()


def rss(*entries: tuple[str, str, str]) -> bytes:
    """An RSS feed of (link, title, text) entries."""
    items = "".join(
        f"<item><guid>{escape(link)}</guid><title>{escape(title)}</title>"
        f"<link>{escape(link)}</link><description>{escape(text)}</description></item>"
        for link, title, text in entries
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Blog</title>"
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("title,url,time_added,tags,status\n" + "".join(r + "\n" for r in rows))
    return path


def hypothesis_for(tmp_path: Path, url: str, other: str = "https://example.org/x") -> Path:
    """The Hypothesis export with its essay's annotations on `url` instead, and those of
    its other page on `other`."""
    text = HYPOTHESIS.read_text().replace("https://example.com/essay", url)
    text = text.replace("https://example.org/%E6%97%A5%E6%9C%AC", other)
    path = tmp_path / "hypothesis.json"
    path.write_text(text)
    return path


# --- saved items, their dates, statuses and tags ---------------------------------------------------


def test_pocket_items_become_saved_items_in_the_order_they_were_saved(run) -> None:  # type: ignore[no-untyped-def]
    report = as_json(run, "import", "pocket", str(CSV), "--tag", "from-pocket")
    assert (report["items_added"], report["items_merged"], report["items_skipped"]) == (4, 0, 2)
    assert report["added_ids"] == [1, 2, 3, 4] and report["annotations_added"] == 0
    items = inbox(run)
    # Newest saved first, as `pkm seek save` sorts pages; the repeat of line 2 (another
    # spelling of its URL) merged into it: its earliest date, its archive, both their tags.
    assert [(i["title"], i["status"]) for i in items] == [
        (None, "archived"),
        ("東京の本屋", "unread"),
        ("Spaced repetition", "archived"),
        ("Gärten, Zürich und die Stadt", "archived"),
    ]
    gardens = items[-1]
    assert gardens["tags"] == ["from-pocket", "garden", "repeat", "städte"]
    assert gardens["url"] == "https://example.com/gardens?utm_source=pocket"
    assert gardens["source_urls"] == ["pkm:saved"] and gardens["source_title"] == "Saved pages"
    assert gardens["published"] is None
    listed = json.loads(run("sense", "inbox", "--json", "--since", "2023-11-17").stdout)
    assert {i["title"] for i in listed} == {"東京の本屋"}  # by when it was saved
    skipped = {e["ref"]: e for e in report["entries"] if e["action"] == "skipped"}
    assert skipped["line 5"]["reason"] == "not an http(s) URL: 'javascript:alert(1)'"
    assert skipped["line 7"]["item_id"] == gardens["id"]


def test_importing_again_changes_nothing_and_a_dry_run_writes_nothing(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    run("import", "pocket", str(CSV))
    before = dump(home)
    again = as_json(run, "import", "pocket", str(CSV))
    assert (again["items_added"], again["items_merged"], again["items_skipped"]) == (0, 0, 6)
    assert dump(home) == before
    html = IMPORTS / "pocket" / "ril_export.html"
    result = run("import", "pocket", str(html), "--dry-run")
    assert dump(home) == before
    assert "Café culture" in result.stdout and "add" in result.stdout
    assert "dry run, nothing written" in result.stderr
    dry = as_json(run, "import", "pocket", str(html), "--dry-run")
    assert dry["dry_run"] and dry["items_added"] == 3 and dry["added_ids"] == []
    # Nothing is fetched in a dry run: the pages it would fetch are counted.
    fetch = as_json(run, "import", "pocket", str(CSV), "--dry-run", "--fetch")
    assert fetch["fetch"] == {"requested": 4, "fetched_ids": [], "failed": []}
    quiet = run("import", "pocket", str(html), "--dry-run", "--quiet")
    assert quiet.stdout == quiet.stderr == ""
    assert dump(home) == before
    done = as_json(run, "import", "pocket", str(html))
    assert (done["items_added"], done["items_skipped"]) == (3, 1)


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("pocket", "pocket/ril_export.html"),
        ("omnivore", "omnivore/export"),
        ("kindle", "kindle/My Clippings.txt"),
        ("hypothesis", "hypothesis/export.json"),
    ],
)
def test_every_format_imported_twice_is_stored_once(run, home: Path, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    first = as_json(run, "import", fmt, str(IMPORTS / name))
    assert first["items_added"] >= 1
    before = dump(home)
    again = as_json(run, "import", fmt, str(IMPORTS / name))
    assert again["items_added"] == again["items_merged"] == again["annotations_added"] == 0
    assert again["skipped_ids"] == first["added_ids"]
    assert dump(home) == before


def test_stars_and_highlights_keep_the_dates_they_were_made(home: Path, tmp_path: Path) -> None:
    """A digest of this week must not count a favourite of 2023 as starred this week."""
    csv = tmp_path / "favorites.csv"
    csv.write_text(
        "title,url,time_added,tags,status,favorite\nFav,https://e.com/f,1700000000,,archive,1\n"
    )
    pkm = open_pkm(home, now=FIXED_NOW)
    try:
        report = import_file(pkm, ImportFormat.POCKET, csv)
        import_file(pkm, ImportFormat.KINDLE, CLIPPINGS)
        [item_id] = report.ids(report.items[0].action)
        [item] = pkm.store.get_items(item_ids=[item_id])
        assert item.status is ItemStatus.STARRED
        row = pkm.store.db.execute(
            "SELECT status_changed_at, sort_at FROM items WHERE id = ?", [item_id]
        ).fetchone()
        assert tuple(row) == ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z")
        created = {a.quote.exact: a.created_at for a in pkm.store.get_annotations() if a.quote}
        assert created["Soil first, then seeds, then patience."] == datetime(
            2023, 3, 6, 9, 1, tzinfo=UTC
        )
        assert created["Wiederholung ist die Mutter des Lernens."] == FIXED_NOW  # not dated
    finally:
        pkm.close()


# --- merging with what the index has ---------------------------------------------------------------


def test_an_item_a_feed_delivered_is_merged_never_duplicated(
    run, feed_server: FeedServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    base = feed_server.base_url
    links = [f"{base}/a", f"{base}/b", f"{base}/c"]
    feed = rss(*[(link, f"Post {n}", f"Text {n}.") for n, link in enumerate(links)])
    run("seek", "add", feed_server.route("/feed.xml", feed, content_type="application/rss+xml"))
    a, b, c = sorted(inbox(run), key=lambda i: i["url"])
    run("sense", "mark", str(b["id"]), "--star")
    run("sense", "mark", str(c["id"]), "--delete")
    csv = write_csv(
        tmp_path / "pocket.csv",
        # Another spelling of /a: https, a trailing slash, a tracking parameter.
        f"Post A,{links[0].replace('http:', 'https:')}/?utm_medium=x,1600000000,read-later,archive",
        f"Post B,{links[1]},1600000001,read-later,archive",
        f"Post C,{links[2]},1600000002,read-later,archive",
    )
    report = as_json(run, "import", "pocket", str(csv))
    assert (report["items_added"], report["items_merged"], report["items_skipped"]) == (0, 2, 1)
    assert report["merged_ids"] == [a["id"], b["id"]] and report["skipped_ids"] == [c["id"]]
    entries = {e["item_id"]: e for e in report["entries"]}
    assert entries[c["id"]]["reason"] == "deleted in pkm: not brought back"
    items = {i["id"]: i for i in inbox(run)}
    assert set(items) == {a["id"], b["id"]}  # no new item; the deleted one stays deleted
    # Still unread in pkm: the export says it was read and archived. Starred: kept.
    assert items[a["id"]]["status"] == "archived" and items[b["id"]]["status"] == "starred"
    assert items[a["id"]]["tags"] == ["read-later"] and items[b["id"]]["tags"] == ["read-later"]
    assert sorted(items[a["id"]]["source_urls"]) == sorted(
        [feed_server.url("/feed.xml"), "pkm:saved"]
    )
    assert items[a["id"]]["content_text"] == "Text 0."  # the feed's text stays
    again = as_json(run, "import", "pocket", str(csv))
    assert (again["items_merged"], again["items_skipped"]) == (0, 3)


# --- annotations ----------------------------------------------------------------------------------


def test_kindle_books_with_their_highlights_and_notes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = as_json(run, "import", "kindle", str(CLIPPINGS))
    assert (report["items_added"], report["annotations_added"]) == (2, 4)
    assert report["notes"] == ["skipped 1 bookmark"]
    garden = next(i for i in inbox(run) if i["title"] == "The Art of Gardening")
    assert garden["guid"] == "kindle:The Art of Gardening (Jane Doe)" and garden["url"] is None
    assert (garden["author"], garden["status"]) == ("Jane Doe", "read")
    text = garden["content_text"]
    marks = [a for a in annotations(run) if a["item_id"] == garden["id"]]
    assert [(a["exact"], a["comment"], a["state"]) for a in marks] == [
        (None, "Remember to water.", "anchored"),
        ("Soil first, then seeds, then patience.", "", "anchored"),
        ("Plants grow where they are cared for.", "So true.", "anchored"),
    ]
    assert all(text[a["start"] : a["end"]] == a["exact"] for a in marks if a["exact"])
    shown = run("sense", "show", str(garden["id"]), "--no-mark").stdout
    assert "==Plants grow where they are cared for.==" in shown

    again = as_json(run, "import", "kindle", str(CLIPPINGS))
    assert (again["items_skipped"], again["annotations_added"], again["annotations_skipped"]) == (
        2,
        0,
        4,
    )

    # A later export: Kindle keeps every clipping, and adds one more.
    later = tmp_path / "My Clippings.txt"
    later.write_bytes(
        CLIPPINGS.read_bytes()
        + b"The Art of Gardening (Jane Doe)\r\n- Your Highlight on page 1 | Location 5-6 |"
        b" Added on Friday, March 10, 2023 7:00:00 AM\r\n\r\nA garden is a promise.\r\n==========\r\n"
    )
    grown = as_json(run, "import", "kindle", str(later))
    assert (grown["items_merged"], grown["annotations_added"], grown["annotations_skipped"]) == (
        1,
        1,
        4,
    )
    [book] = [i for i in inbox(run) if i["id"] == garden["id"]]
    assert book["content_text"] == text + "\n\nA garden is a promise."  # after what it had
    now = [a for a in annotations(run) if a["item_id"] == garden["id"]]
    assert {
        a["id"]: (a["start"], a["state"]) for a in now if a["id"] in {m["id"] for m in marks}
    } == {m["id"]: (m["start"], "anchored") for m in marks}
    [new] = [a for a in now if a["exact"] == "A garden is a promise."]
    assert book["content_text"][new["start"] : new["end"]] == new["exact"]


def test_omnivore_highlights_are_anchored_in_the_sanitized_text(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "omnivore-export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((IMPORTS / "omnivore" / "export").rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(IMPORTS / "omnivore" / "export").as_posix())
    report = as_json(run, "import", "omnivore", str(archive))
    assert (report["items_added"], report["items_skipped"], report["annotations_added"]) == (
        2,
        1,
        4,
    )
    assert report["annotations_orphaned"] == 0
    items = {i["title"]: i for i in inbox(run)}
    compost, baeume = items["The joy of compost"], items["Über Bäume"]
    assert (compost["status"], compost["tags"], compost["author"]) == (
        "read",
        ["garden", "soil"],
        "Ana Lima",
    )
    assert compost["published"] == "2024-02-28T00:00:00Z"
    assert baeume["status"] == "archived"
    marks = annotations(run)
    for a in marks:
        if a["exact"] is not None:
            text = items["The joy of compost" if a["item_id"] == compost["id"] else "Über Bäume"][
                "content_text"
            ]
            assert text[a["start"] : a["end"]] == a["exact"] and a["state"] == "anchored"
    assert {a["exact"]: a["tags"] for a in marks} == {
        "Worms do most of the work, quietly.": ["soil", "worms"],
        "Turn the pile every week.": [],  # as the text has it (the export broke the line)
        "Bäume sprechen miteinander.": ["wald"],
        None: [],
    }
    assert {a["comment"] for a in marks if a["exact"] is None} == {"Lesenswert."}
    shown = as_json(run, "sense", "show", str(compost["id"]), "--no-mark")
    assert "alert" not in json.dumps(shown) and "steal" not in json.dumps(shown)
    again = as_json(run, "import", "omnivore", str(archive))
    assert (again["items_skipped"], again["annotations_added"]) == (3, 0)


def test_hypothesis_highlights_wait_orphaned_for_the_page_then_fetch_places_them(
    run, feed_server: FeedServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/essay", ESSAY.read_bytes(), content_type="text/html; charset=utf-8")
    missing = feed_server.url("/nihon")  # 404
    export = hypothesis_for(tmp_path, url, missing)
    report = as_json(run, "import", "hypothesis", str(export))
    assert (report["items_added"], report["annotations_added"], report["annotations_orphaned"]) == (
        2,
        3,
        2,
    )
    assert report["annotations_skipped"] == 1  # the reply
    assert feed_server.requests_to("/essay") == []  # nothing fetched without --fetch
    essay = next(i for i in inbox(run) if i["url"] == url)
    assert (essay["title"], essay["status"], essay["content_text"]) == (
        "An essay on memory",
        "read",
        "",
    )
    [orphan] = [a for a in annotations(run) if a["exact"] and a["item_id"] == essay["id"]]
    assert (orphan["state"], orphan["start"], orphan["end"]) == ("orphaned", 120, 149)
    assert orphan["prefix"] == "shows how memory fades. "  # the selectors as exported

    fetched = as_json(run, "import", "hypothesis", str(export), "--fetch", code=3)
    assert fetched["fetch"]["requested"] == 2  # the essay, and the page that is not there
    assert fetched["fetch"]["fetched_ids"] == [essay["id"]]
    [failed] = fetched["fetch"]["failed"]
    assert (failed["url"], failed["error"]) == (missing, "HTTP 404")
    assert fetched["annotations_added"] == 0 and fetched["orphaned_annotation_ids"] == []
    [page] = [i for i in inbox(run) if i["id"] == essay["id"]]
    assert "Each review resets the curve." in page["content_text"]
    [placed] = [a for a in annotations(run) if a["id"] == orphan["id"]]
    assert placed["state"] == "moved" and placed["exact"] == "Each review resets the curve."
    assert page["content_text"][placed["start"] : placed["end"]] == placed["exact"]
    again = as_json(run, "import", "hypothesis", str(export))
    assert (again["items_skipped"], again["annotations_added"], again["annotations_skipped"]) == (
        3,
        0,
        4,
    )


def test_a_hypothesis_highlight_on_a_page_already_saved_is_anchored_at_once(
    run, feed_server: FeedServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/essay", ESSAY.read_bytes(), content_type="text/html; charset=utf-8")
    run("seek", "save", url)
    report = as_json(run, "import", "hypothesis", str(hypothesis_for(tmp_path, url)))
    assert (report["items_added"], report["items_merged"]) == (1, 1)
    [item] = [i for i in inbox(run) if i["url"] == url]
    [highlight] = [a for a in annotations(run) if a["item_id"] == item["id"] and a["exact"]]
    assert highlight["state"] == "anchored"
    assert (
        item["content_text"][highlight["start"] : highlight["end"]]
        == "Each review resets the curve."
    )
    assert highlight["comment"] == "A key idea — «mémoire»."
    assert highlight["tags"] == ["learning", "memory"]


# --- fetching, failures, bad files ---------------------------------------------------------------


def test_fetch_stores_the_pages_it_can_and_exits_3_for_the_others(
    run, feed_server: FeedServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    good = feed_server.route("/essay", ESSAY.read_bytes(), content_type="text/html; charset=utf-8")
    gone = feed_server.url("/gone")  # 404
    csv = write_csv(
        tmp_path / "p.csv", f"Essay,{good},1600000000,,unread", f"Gone,{gone},1600000100,,unread"
    )
    result = run("import", "pocket", str(csv), "--fetch", code=3)
    assert f"pkm: error: {gone}: HTTP 404" in result.stderr
    assert "pages: 1 fetched, 1 failed" in result.stderr
    items = {i["title"]: i for i in inbox(run)}
    assert "Spaced repetition" in items["An essay on memory"]["content_text"]
    assert items["Gone"]["content_text"] == ""
    assert items["An essay on memory"]["published"] is not None  # the article's own date
    # It keeps its place: saved in 2020, not now.
    assert [i["title"] for i in inbox(run)] == ["Gone", "An essay on memory"]


def test_a_malformed_file_is_one_line_exit_1_and_nothing_stored(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    run("import", "kindle", str(CLIPPINGS))
    before = dump(home)
    for fmt, name in [
        ("pocket", "pocket/malformed.csv"),
        ("pocket", "pocket/malformed.html"),
        ("kindle", "kindle/malformed.txt"),
        ("hypothesis", "hypothesis/malformed.json"),
        ("omnivore", "omnivore/malformed"),
    ]:
        result = run("import", fmt, str(IMPORTS / name), code=1)
        [line] = result.stderr.splitlines()
        assert line.startswith(f"pkm: error: {Path(name).name}: "), line
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert (
        "line 4: time_added"
        in run("import", "pocket", str(IMPORTS / "pocket/malformed.csv"), code=1).stderr
    )
    assert dump(home) == before


def test_usage_errors_and_a_held_lock(run, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "'nope' is not one of" in run("import", "nope", str(CSV), code=2).stderr
    assert "a tag cannot be empty" in run("import", "pocket", str(CSV), "--tag", " ", code=2).stderr
    missing = run("import", "kindle", str(tmp_path / "none.txt"), code=1).stderr
    assert (
        missing == f"pkm: error: cannot read {tmp_path / 'none.txt'}: No such file or directory\n"
    )
    run("import", "kindle", str(CLIPPINGS))
    before = dump(home)
    pkm = open_pkm(home)
    try:
        with pkm.lock():
            held = run("import", "pocket", str(CSV), code=1)
    finally:
        pkm.close()
    assert "another pkm run is in progress" in held.stderr
    assert dump(home) == before


def test_quiet_prints_nothing_and_the_summary_goes_to_stderr(run) -> None:  # type: ignore[no-untyped-def]
    quiet = run("import", "pocket", str(CSV), "--quiet")
    assert quiet.stdout == "" and quiet.stderr == ""
    loud = run("import", "hypothesis", str(HYPOTHESIS))
    assert loud.stdout == ""
    assert loud.stderr.splitlines() == [
        "pkm: warning: annotations[3] (id hA4): skipped: not an http(s) URL: 'urn:x-pdf:8e2c3b'",
        "skipped 1 reply",
        "hypothesis: 2 items added, 0 merged, 1 skipped; annotations: 3 added, 1 skipped,"
        " 2 orphaned (`pkm sense annotations --orphaned`)",
    ]


@pytest.mark.parametrize("fmt", list(ImportFormat))
def test_every_format_is_documented(fmt: ImportFormat) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"pkm import {fmt.value}" in readme


def test_the_data_files_are_not_changed_by_an_import(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "export"
    shutil.copytree(IMPORTS / "omnivore" / "export", copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    run("import", "omnivore", str(copy))
    assert before == {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}


def test_hypothesis_selectors_are_kept_as_exported_and_ids_match_on_reimport(
    run, home: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    exported = json.loads(HYPOTHESIS.read_text())
    first = exported["annotations"][0]
    run("import", "hypothesis", str(HYPOTHESIS), "--quiet")
    with sqlite3.connect(home / "pkm.db") as db:
        (target,) = db.execute(
            "SELECT origin_target FROM annotations WHERE origin_id = ?",
            [f"hypothesis:{first['id']}"],
        ).fetchone()
    assert json.loads(target) == first["target"]  # the RangeSelector too

    # Edited upstream (its quote changed) but the same annotation: not added again.
    for s in first["target"][0]["selector"]:
        if s["type"] == "TextQuoteSelector":
            s["exact"] = "A quote edited since."
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(exported))
    before = len(annotations(run))
    report = as_json(run, "import", "hypothesis", str(edited))
    assert len(annotations(run)) == before
    assert report is not None
