"""`pkm doctor [--fix]`: each problem made for real (sqlite3 behind pkm's back, files edited
in the vault), found, repaired where that is safe, and the exit code."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pkm.models import Source, SourceKind
from pkm.seek.decide import Policy
from pkm.seek.health import held_back_until
from tests.unprivileged import unprivileged

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Garden</title>
<item><title>Compost</title><link>https://c.example/1</link><guid>1</guid>
<description>Mulch and compost make the garden grow in spring.</description></item>
<item><title>Bees</title><link>https://c.example/2</link><guid>2</guid>
<description>Bees visit the marigolds.</description></item></channel></rss>"""
NOTE = "---\ntitle: Garden\n---\nCompost notes about loam.\n"


@pytest.fixture
def garden(run, home: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A home with a feed file of two items (1 Compost, 2 Bees), a highlight on item 1 and
    one note; returns the home."""
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED)
    run("seek", "add", str(feed), "--tag", "garden", "-q")
    run("sense", "annotate", "1", "--highlight", "Mulch and compost", "-q")
    (home / "notes").mkdir()
    (home / "notes" / "garden.md").write_text(NOTE)
    run("sense", "notes")
    run("sense", "search", "compost")  # indexes the items stored so far
    return home


def sql(home: Path, script: str) -> None:
    """Change the index behind pkm's back."""
    db = sqlite3.connect(home / "pkm.db")
    try:
        db.executescript(script)
    finally:
        db.close()


def doctor(run, *args: str, code: int) -> Any:  # type: ignore[no-untyped-def]
    return json.loads(run("doctor", "--json", *args, code=code).stdout)


def by_check(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"] == check]


def hits(run, query: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [
        (h["kind"], h["id"]) for h in json.loads(run("sense", "search", query, "--json").stdout)
    ]


def test_a_sound_home_is_ok_and_json_has_its_shape(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    report = doctor(run, code=0)
    assert report["ok"] is True and report["fix"] is False
    assert report["checks"] == [
        "files",
        "schema",
        "integrity",
        "notes",
        "search",
        "text-changes",
        "highlights",
        "sources",
    ]
    assert (report["problems"], report["fixed"], report["findings"]) == (0, 0, [])
    done = run("doctor")
    assert done.stdout == "" and done.stderr == "doctor: 8 checks, nothing wrong\n"
    assert run("doctor", "--quiet").stderr == ""


def test_without_fix_nothing_is_written(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    sql(
        garden,
        "DELETE FROM search WHERE rowid = 4; UPDATE sources SET error_count = 9,"
        " next_due_at = '2099-01-01T00:00:00Z'",
    )
    (garden / "notes" / "garden.md").write_text(NOTE + "More.\n")
    before = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in garden.iterdir() if p.is_file()
    }
    report = doctor(run, code=1)
    assert {f["check"] for f in report["findings"]} == {"search", "notes", "sources"}
    assert all(f["fixable"] and not f["fixed"] for f in report["findings"])
    after = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in garden.iterdir() if p.is_file()
    }
    assert after == before
    listed = run("doctor", code=1)
    assert "warning: search: 1 item not in the search index" in listed.stdout
    assert listed.stderr == "doctor: 8 checks, 3 problems (3 can be repaired: pkm doctor --fix)\n"


def test_search_rows_missing_left_behind_or_stale_are_written_again(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    # Item 1's and the highlight's rows deleted, item 2's holding other text, a row for
    # an annotation that does not exist, and the note's row gone.
    sql(
        garden,
        "DELETE FROM search WHERE rowid IN (4, 5, 6);"
        " UPDATE search SET body = 'zinnias' WHERE rowid = 8;"
        " INSERT INTO search (rowid, title, quote, body) VALUES (401, '', 'ghost', '');",
    )
    assert hits(run, "compost") == [] and hits(run, "ghost") == [("annotation", 100)]
    report = doctor(run, code=1)
    subjects = {f["subject"]: f for f in by_check(report, "search")}
    assert set(subjects) == {
        "search:missing-item",
        "search:missing-annotation",
        "search:missing-note",
        "search:stale-item",
        "search:extra",
    }
    assert subjects["search:missing-item"]["message"].endswith(": id 1")
    assert subjects["search:stale-item"]["message"].endswith(": id 2")
    fixed = doctor(run, "--fix", code=0)
    assert {f["subject"] for f in fixed["findings"] if f["fixed"]} == set(subjects)
    assert sorted(hits(run, "compost")) == [("annotation", 1), ("item", 1), ("note", 1)]
    assert hits(run, "marigolds") == [("item", 2)]
    assert hits(run, "ghost") == [] and hits(run, "zinnias") == []
    assert doctor(run, code=0)["findings"] == []


def test_an_unsound_full_text_index_is_rebuilt(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    # The text FTS5 keeps no longer matches its index: its own integrity-check fails.
    sql(garden, "UPDATE search_content SET c2 = 'other words' WHERE id = 4")
    report = doctor(run, code=1)
    [unsound] = [f for f in by_check(report, "search") if f["subject"] == "search:index"]
    assert unsound["severity"] == "error" and "integrity-check" in unsound["message"]
    assert doctor(run, "--fix", code=0)["fixed"] == 2  # rebuilt, and item 1's row rewritten
    assert doctor(run, code=0)["findings"] == []
    assert hits(run, "spring") == [("item", 1)]


def test_notes_changed_behind_pkms_back_are_read_again(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    notes = garden / "notes"
    (notes / "gone.md").write_text("# Gone\n")
    run("sense", "notes")
    note = notes / "garden.md"
    stat = note.stat()
    # The same size and mtime, other words: only the content tells it changed.
    note.write_text(NOTE.replace("loam", "peat"))
    os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (notes / "new.md").write_text("# New\nsoil\n")
    (notes / "gone.md").unlink()
    report = doctor(run, code=1)
    assert {(f["subject"], f["message"]) for f in by_check(report, "notes")} == {
        ("garden.md", "garden.md: changed since the index read it"),
        ("gone.md", "gone.md: gone from the vault, still in the index"),
        ("new.md", "new.md: a note the index does not know yet"),
    }
    assert doctor(run, "--fix", code=0)["fixed"] == 3
    assert hits(run, "peat") == [("note", 1)] and hits(run, "loam") == []
    assert [n["path"] for n in json.loads(run("sense", "notes", "--json").stdout)] == [
        "garden.md",
        "new.md",
    ]


def test_a_source_held_back_by_failures_is_made_due_again(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    until = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sql(
        garden,
        "UPDATE sources SET error_count = 5, last_error = 'HTTP 500', last_outcome = 'failed',"
        f" next_due_at = '{until}';"
        " INSERT INTO fetches (source_id, fetched_at, url, outcome, error)"
        " VALUES (1, '2099-01-01T00:00:00Z', 'x', 'failed', 'HTTP 500');",
    )
    [stuck] = by_check(doctor(run, code=1), "sources")
    assert stuck["subject"] == "source:1" and stuck["fixable"]
    assert "failed 5 times in a row since 2099-01-01T00:00:00Z" in stuck["message"]
    assert "not tried again for 20 hours" in stuck["message"]
    assert stuck["message"].endswith("last error: HTTP 500")
    assert doctor(run, "--fix", code=0)["fixed"] == 1
    [source] = json.loads(run("seek", "list", "--json").stdout)
    assert (source["health"], source["error_count"], source["retry_after_at"]) == (
        "failing",
        1,
        None,
    )
    [result] = json.loads(run("seek", "--json").stdout)["sources"]
    assert result["outcome"] == "unchanged"  # fetched again: the file is fine


def test_a_gone_source_is_reported_not_revived(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    sql(garden, "UPDATE sources SET is_gone = 1, last_status = 410")
    report = doctor(run, "--fix", code=1)
    [gone] = by_check(report, "sources")
    assert (gone["fixable"], gone["fixed"]) == (False, False)
    assert "410 Gone" in gone["message"] and "`pkm seek remove 1`" in gone["message"]
    [source] = json.loads(run("seek", "list", "--json").stdout)
    assert source["health"] == "gone"


def test_an_orphaned_highlight_is_tried_again_and_kept_when_still_lost(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    sql(garden, "UPDATE items SET content_text = 'Nothing about soil any more.' WHERE id = 1")
    pending = doctor(run, code=1)
    [change] = by_check(pending, "text-changes")
    assert change["fixable"] and by_check(pending, "highlights") == []
    # Re-anchoring the change orphans the highlight; trying it again cannot place it.
    lost = doctor(run, "--fix", code=1)
    assert [f["fixed"] for f in by_check(lost, "text-changes")] == [True]
    [orphan] = by_check(lost, "highlights")
    assert orphan["subject"] == "item:1:own" and not orphan["fixable"]
    assert orphan["message"].startswith("item 1 'Compost': 1 highlight orphaned (id 1)")
    [kept] = json.loads(run("sense", "annotations", "--json").stdout)
    assert (kept["state"], kept["exact"]) == ("orphaned", "Mulch and compost")
    # The passage is back (without a recorded change): now --fix places it.
    sql(
        garden,
        "UPDATE items SET content_text = 'Mulch and compost make the garden grow in spring.'"
        " WHERE id = 1; DELETE FROM item_text_changes;",
    )
    [again] = by_check(doctor(run, code=1), "highlights")
    assert again["subject"] == "item:1:placeable" and again["fixable"]
    assert doctor(run, "--fix", code=0)["fixed"] == 1
    [placed] = json.loads(run("sense", "annotations", "--json").stdout)
    assert (placed["state"], placed["start"]) == ("anchored", 0)


def test_a_damaged_index_is_reported_and_nothing_is_repaired(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    sql(
        garden,
        "INSERT INTO annotations (item_id, exact, created_at, updated_at)"
        " VALUES (999, 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
        " DELETE FROM search WHERE rowid = 8;",
    )
    report = doctor(run, "--fix", code=1)
    [damage] = by_check(report, "integrity")
    assert damage["severity"] == "error" and not damage["fixable"]
    assert "annotations row 2 refers to a missing items row" in damage["message"]
    assert "pkm restore" in damage["message"]
    assert report["fixed"] == 0 and by_check(report, "search")  # left as it was
    assert hits(run, "marigolds") == []


def test_a_file_that_is_no_index(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    home.mkdir()
    (home / "pkm.db").write_bytes(b"this is not SQLite" * 100)
    report = doctor(run, "--fix", code=1)
    [broken] = report["findings"]
    assert broken["check"] == "integrity" and "file is not a database" in broken["message"]
    assert report["checks"] == ["files", "schema"]
    assert (home / "pkm.db").read_bytes() == b"this is not SQLite" * 100


def test_a_stale_schema_is_upgraded_only_with_fix(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlite_utils import Database

    from pkm.store._db import APPLICATION_ID, SCHEMA_VERSION
    from pkm.store.migrations import migrations

    home.mkdir()
    db = Database(home / "pkm.db")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(db, stop_before="m007_questions")
    db.close()
    report = doctor(run, code=1)
    [stale, skipped] = report["findings"]
    assert stale["subject"] == "schema" and stale["fixable"]
    assert f"m006_shared_highlights applied, {SCHEMA_VERSION} current" in stale["message"]
    assert skipped["severity"] == "info" and report["checks"] == ["files", "schema"]
    assert doctor(run, code=1)["findings"][0]["subject"] == "schema"  # not upgraded meanwhile
    fixed = doctor(run, "--fix", code=0)
    assert [f["subject"] for f in fixed["findings"] if f["fixed"]] == ["schema"]
    assert len(fixed["checks"]) == 8


def test_an_index_written_by_a_newer_pkm(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    sql(
        garden,
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('pkm', 'm999_future', '2099-01-01')",
    )
    [newer] = by_check(doctor(run, "--fix", code=1), "schema")
    assert not newer["fixable"] and "m999_future" in newer["message"]


def test_files_pkm_cannot_write(garden: Path) -> None:
    note = garden / "notes" / "garden.md"
    note.chmod(0o444)
    try:
        done = subprocess.run(
            unprivileged([sys.executable, "-m", "pkm", "--home", str(garden), "doctor", "--json"]),
            capture_output=True,
            text=True,
        )
    finally:
        note.chmod(0o644)
    assert done.returncode == 1, done.stderr
    [denied] = json.loads(done.stdout)["findings"]
    assert denied == {
        "check": "files",
        "severity": "error",
        "message": f"not writable: {note}",
        "fixable": False,
        "fixed": False,
        "subject": str(note),
    }


def test_a_missing_home_is_an_error_and_none_is_created(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    for args in ((), ("--fix",)):
        done = run("doctor", *args, code=1)
        assert done.stderr.startswith(f"pkm: error: no pkm home at {home}")
    assert not home.exists()


def test_a_repair_that_cannot_take_the_lock_leaves_the_problem(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    from filelock import FileLock

    sql(garden, "DELETE FROM search WHERE rowid = 8")
    (garden / "notes" / "garden.md").write_text(NOTE + "More.\n")
    with FileLock(garden / "pkm.lock"):  # a `pkm seek` is running
        report = doctor(run, "--fix", code=1)
    search = {f["subject"]: f for f in by_check(report, "search")}
    assert search["search:missing-item"]["fixable"] and not search["search:missing-item"]["fixed"]
    assert "another pkm run is in progress" in search["search:repair"]["message"]
    assert [f["fixed"] for f in by_check(report, "notes")] == [True]  # the Sense lock was free
    assert doctor(run, "--fix", code=0)["fixed"] == 1


def test_quiet_prints_only_what_is_wrong(run, garden: Path) -> None:  # type: ignore[no-untyped-def]
    sql(garden, "DELETE FROM search WHERE rowid = 8")
    wrong = run("doctor", "--quiet", code=1)
    assert wrong.stdout.startswith("warning: search: 1 item not in the search index")
    assert run("doctor", "--fix", "--quiet").stdout == ""


NOW = datetime(2026, 2, 2, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)
HEALTHY = Source(
    id=1,
    url="https://example.com/feed",
    kind=SourceKind.FEED,
    title=None,
    site_url=None,
    tags=(),
    added_at=NOW,
    previous_url=None,
    last_fetched_at=NOW,
    last_status=500,
    last_outcome=None,
    last_error="HTTP 500",
    error_count=0,
    next_due_at=None,
    retry_after_at=None,
    is_gone=False,
)


@pytest.mark.parametrize(
    ("state", "held"),
    [
        ({}, None),  # healthy
        ({"error_count": 1, "next_due_at": NOW + HOUR}, None),  # waits as a healthy one would
        ({"error_count": 3, "next_due_at": NOW + 4 * HOUR}, NOW + 4 * HOUR),
        ({"error_count": 3, "next_due_at": NOW - HOUR}, None),  # due: the next seek tries it
        ({"error_count": 1, "retry_after_at": NOW + 6 * HOUR}, NOW + 6 * HOUR),
        ({"error_count": 5, "next_due_at": NOW + HOUR, "is_gone": True}, None),
    ],
)
def test_which_sources_are_held_back(state: dict[str, Any], held: datetime | None) -> None:
    assert held_back_until(replace(HEALTHY, **state), NOW, Policy(interval=HOUR)) == held
