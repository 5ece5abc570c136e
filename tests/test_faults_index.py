"""The index as pkm may find it: made by every older schema (upgraded, every row kept), by
a newer pkm (refused, untouched), or damaged (refused in one line naming the file, with a
hint, and never overwritten or "repaired" into an empty index).

Old databases are built here, migration by migration (`stop_before`), with rows of the
columns each version had, as that version's pkm wrote them. The notes tables are left out:
they are an index of the vault's files, rebuilt from them.
"""

import contextlib
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from pkm.store._db import APPLICATION_ID, SCHEMA_VERSION
from pkm.store.migrations import migrations
from tests.kills import _fill_items

NAMES = [m.name for m in migrations._migrations]
T = "2026-01-28T10:00:00Z"

# Rows as the newest schema has them; a version gets the columns (and tables) it had.
ROWS: dict[str, list[dict[str, Any]]] = {
    "sources": [
        {"id": 1, "url": "https://a.example/feed", "url_key": "a.example/feed", "kind": "feed",
         "title": "Garden blog", "site_url": "https://a.example/", "added_at": T,
         "etag": '"v1"', "last_modified": "Mon, 26 Jan 2026 10:00:00 GMT",
         "last_fetched_at": T, "last_status": 200, "last_outcome": "new", "error_count": 0,
         "next_due_at": "2026-01-28T11:00:00Z"},
        {"id": 2, "url": "pkm:saved", "url_key": "pkm:saved", "kind": "pages",
         "title": "Saved pages", "added_at": T},
    ],
    "tags": [{"id": 1, "name": "garden"}, {"id": 2, "name": "soil"}],
    "source_tags": [{"source_id": 1, "tag_id": 1}],
    "items": [
        {"id": 1, "guid": "g1", "url": "https://a.example/compost", "url_key": "a.example/compost",
         "title": "Compost", "author": "Ann", "published_at": "2026-01-20T08:00:00Z",
         "summary": "On compost.", "content_html": "<p>Mulch and compost make the garden.</p>",
         "content_text": "Mulch and compost make the garden.", "categories": '["soil"]',
         "status": "starred", "first_seen_at": T, "status_changed_at": T,
         "sort_at": "2026-01-20T08:00:00Z",
         "enclosures": '[{"url": "https://a.example/ep.mp3", "type": "audio/mpeg", "length": 12}]',
         "kind": "item"},
        {"id": 2, "guid": "g2", "url": "https://a.example/worms", "url_key": "a.example/worms",
         "title": "Worms", "content_text": "Worms turn leaves into soil.", "status": "unread",
         "first_seen_at": T, "sort_at": T, "kind": "item"},
        {"id": 3, "guid": "https://p.example/saved", "url": "https://p.example/saved",
         "url_key": "p.example/saved", "title": "A saved page", "content_text": "Saved text.",
         "status": "read", "first_seen_at": T, "sort_at": T, "kind": "item"},
    ],
    "item_sources": [
        {"source_id": 1, "entry_id": "g1", "item_id": 1, "content_hash": "h1", "first_seen_at": T},
        {"source_id": 1, "entry_id": "g2", "item_id": 2, "content_hash": "h2", "first_seen_at": T},
        {"source_id": 2, "entry_id": "https://p.example/saved", "item_id": 3,
         "content_hash": "h3", "first_seen_at": T},
    ],
    "item_tags": [{"item_id": 2, "tag_id": 2}],
    "fetches": [
        {"id": 1, "source_id": 1, "fetched_at": T, "url": "https://a.example/feed",
         "outcome": "new", "http_status": 200, "new_items": 2, "duration_ms": 120},
    ],
    "annotations": [
        {"id": 1, "item_id": 1, "exact": "compost", "prefix": "Mulch and ",
         "suffix": " make the garden.", "start": 10, "end": 17, "comment": "The key idea.",
         "state": "anchored", "created_at": T, "updated_at": T, "review_count": 1,
         "reviewed_at": T},
        {"id": 2, "item_id": 2, "exact": None, "comment": "Read again.", "state": "anchored",
         "created_at": T, "updated_at": T},
    ],
    "annotation_tags": [{"annotation_id": 1, "tag_id": 2}],
    "reviews": [{"id": 1, "annotation_id": 1, "reviewed_at": T, "action": "kept"}],
    "digest_archive": [{"period_start": "2026-01-26T00:00:00Z", "annotation_id": 1}],
    "publications": [
        {"id": 1, "author": "ann", "period": "2026-W04", "folder": "/team", "published_at": T,
         "files": '["ann/2026-W04.md"]', "changed": 1, "commit_sha": "abc123"},
    ],
    "item_cites": [
        {"item_id": 1, "position": 0, "url": "https://b.example/", "url_key": "b.example/",
         "title": "B"},
    ],
    "questions": [{"id": 1, "text": "Who composts?", "tags": '["soil"]', "asked_at": T}],
    "answers": [
        {"id": 1, "question_ref": "tag:pkm,2026:bob/question/1", "question_text": "Soil?",
         "items": "[]", "comment": "Worms.", "answered_at": T},
    ],
}  # fmt: skip


def columns(db: Database, table: str) -> list[str]:
    return [c.name for c in db.table(table).columns]


Held = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def build_database(path: Path, version: str) -> Held:
    """The index as pkm left it at migration `version`, holding ROWS (what fits that
    version); returns what each table holds: the columns given, and the rows by them."""
    db = Database(sqlite3.connect(path))
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    later = NAMES[NAMES.index(version) + 1 :]
    migrations.apply(db, stop_before=later[0] if later else None)
    held: Held = {}
    with db.conn:
        for table, rows in ROWS.items():
            if not db.table(table).exists():
                continue
            names = columns(db, table)
            for row in rows:
                values = {k: v for k, v in row.items() if k in names}
                keys = ", ".join(f'"{k}"' for k in values)
                db.execute(
                    f"INSERT INTO {table} ({keys}) VALUES ({', '.join('?' * len(values))})",
                    list(values.values()),
                )
            given = [k for k in names if any(k in r for r in rows)]
            held[table] = (given, _rows(db.conn, table, given))
        # The full-text index, as each version's store kept it (m001's trigger did it then).
        if version == "m003_index_new_items_in_batches":
            db.execute("INSERT INTO items_fts (rowid, title, content_text)"
                       " SELECT id, title, content_text FROM items")  # fmt: skip
        elif db.table("search").exists():
            db.execute("INSERT INTO search (rowid, title, quote, body)"
                       " SELECT id * 4, coalesce(title, ''), '', content_text FROM items")  # fmt: skip
    db.conn.close()
    return held


def _rows(conn: sqlite3.Connection, table: str, names: list[str]) -> list[tuple[Any, ...]]:
    quoted = ", ".join(f'"{n}"' for n in names)
    return conn.execute(f"SELECT {quoted} FROM {table} ORDER BY {quoted}").fetchall()


def pkm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PKM_")} | {"NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pkm", "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(home: Path, *args: str) -> Any:
    done = pkm(home, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- every older schema -------------------------------------------------------------------------


@pytest.mark.parametrize("version", NAMES)
def test_an_index_of_every_schema_is_upgraded_with_every_row(tmp_path: Path, version: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    held = build_database(home / "pkm.db", version)
    inbox = as_json(home, "sense", "inbox", "--all")
    sources = as_json(home, "seek", "list")
    assert {i["title"]: i["status"] for i in inbox} == {
        "Compost": "starred", "Worms": "unread", "A saved page": "read",
    }  # fmt: skip
    assert [s["url"] for s in sources] == ["https://a.example/feed"]  # saved pages: not listed
    assert sources[0]["tags"] == ["garden"] and sources[0]["items"] == 2
    with contextlib.closing(sqlite3.connect(home / "pkm.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        newest = conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid DESC").fetchone()
        assert newest[0] == SCHEMA_VERSION
        for table, (names, rows) in held.items():
            assert _rows(conn, table, names) == rows, table
    # Search and the annotations read the upgraded index as any other.
    hits = as_json(home, "sense", "search", "compost")
    assert any(h["kind"] == "item" and h["id"] == 1 for h in hits), hits
    if "annotations" in held:
        annotations = as_json(home, "sense", "annotations")
        assert {a["id"]: a["comment"] for a in annotations} == {
            1: "The key idea.",
            2: "Read again.",
        }
    if "questions" in held:
        [asked] = as_json(home, "share", "questions")
        assert asked["question"]["text"] == "Who composts?"


def test_an_index_from_a_newer_pkm_is_refused_untouched(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    build_database(home / "pkm.db", SCHEMA_VERSION)
    with contextlib.closing(sqlite3.connect(home / "pkm.db")) as conn, conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('pkm', 'm099_from_the_future', '2027-01-01 00:00:00')"
        )
    before = sha(home / "pkm.db")
    for args in (("sense", "inbox", "--json"), ("seek", "list", "--json"), ("seek", "--all")):
        done = pkm(home, *args)
        assert done.returncode == 1, done.stderr
        assert done.stderr == (
            "pkm: error: the index was made by a newer pkm (schema m099_from_the_future;"
            f" this pkm knows up to {SCHEMA_VERSION}): {home / 'pkm.db'}; upgrade pkm to use it\n"
        )
    assert sha(home / "pkm.db") == before


# --- a damaged index ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sound_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose index has 400 items of some 2 kB each (many pages), closed cleanly."""
    home = tmp_path_factory.mktemp("sound") / "home"
    _fill_items(home, 400, tag="t")
    with contextlib.closing(sqlite3.connect(home / "pkm.db")) as conn:
        conn.execute("UPDATE items SET content_text = content_text || ?", [" filler" * 300])
        conn.commit()
    return home


def _items_page(db: Path) -> int:
    """A leaf page of the items table in the middle of it (SQLite's dbstat)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        try:
            pages = [r[0] for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'items' AND pagetype = 'leaf'"
                " ORDER BY pageno")]  # fmt: skip
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table")
    return pages[len(pages) // 2]


def damage(db: Path, how: str) -> None:
    data = bytearray(db.read_bytes())
    rng = random.Random(how)
    if how == "header":  # the first 100 bytes (magic, page size, counters) are noise
        data[:100] = rng.randbytes(100)
    elif how == "truncated":
        data = data[: len(data) // 3]
    elif how == "empty":
        data = bytearray()
    elif how == "not sqlite":
        data = bytearray(b"# My notes\n\nThis is a Markdown file, not a database.\n")
    elif how == "page":  # one page of the items table overwritten with noise
        page = _items_page(db)
        size = int.from_bytes(data[16:18], "big")
        data[(page - 1) * size : page * size] = rng.randbytes(size)
    db.write_bytes(bytes(data))


@pytest.fixture
def damaged(sound_home: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "pkm.db").write_bytes((sound_home / "pkm.db").read_bytes())
    damage(home / "pkm.db", request.param)
    yield home


READERS = [("sense", "inbox", "--all", "--json"), ("seek", "list", "--json")]
WRITERS = [("sense", "mark", "1-400", "--read"), ("seek", "--all"), ("sense", "reindex")]
DAMAGE = ["header", "truncated", "empty", "not sqlite", "page"]


@pytest.mark.parametrize("damaged", DAMAGE, indirect=True)
def test_a_damaged_index_is_refused_in_one_line_and_never_rewritten(damaged: Path) -> None:
    db = damaged / "pkm.db"
    before = sha(db)
    # A damaged page is met by what reads it: the inbox and `mark` read every item.
    commands = [READERS[0], WRITERS[0]] if _page_damage(db) else READERS + WRITERS
    for args in commands:
        done = pkm(damaged, *args)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.startswith(f"pkm: error: damaged index: {db}: "), done.stderr
        assert done.stderr.endswith(
            "; see `pkm doctor`, or restore a backup with `pkm restore FILE`\n"
        ), done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert sha(db) == before, args
    # The lock files, and the log file a run wrote its failure to, aside.
    left = (p.name for p in damaged.iterdir() if not p.name.endswith(".lock") and p.name != "logs")
    assert sorted(left) in (
        ["pkm.db"],
        ["pkm.db", "pkm.db-shm", "pkm.db-wal"],
    )


def _page_damage(db: Path) -> bool:
    """Whether the header is sound (so the damage is deeper, in a page)."""
    head = db.read_bytes()[:16]
    return head == b"SQLite format 3\x00"


@pytest.mark.parametrize("damaged", ["page"], indirect=True)
def test_damage_to_a_page_is_what_integrity_check_finds(damaged: Path) -> None:
    with contextlib.closing(sqlite3.connect(damaged / "pkm.db")) as conn:
        try:
            found = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as e:  # damage it cannot even walk past
            found = str(e)
    assert found != "ok"


def test_a_backup_restores_over_a_damaged_index(sound_home: Path, tmp_path: Path) -> None:
    """What the hint says works: the damaged file is moved aside, never deleted."""
    archive = tmp_path / "b.tar.gz"
    assert pkm(sound_home, "backup", str(archive), "-q").returncode == 0
    home = tmp_path / "home"
    home.mkdir()
    (home / "pkm.db").write_bytes(b"")
    done = pkm(home, "restore", str(archive), "--force", "--json")
    assert done.returncode == 0, done.stderr
    assert [p for p in json.loads(done.stdout)["moved_aside"] if p.startswith("pkm.db.")]
    assert len(as_json(home, "sense", "inbox", "--all")) == 400


def test_a_backup_holding_a_damaged_index_is_not_restored(sound_home: Path, tmp_path: Path) -> None:
    import io
    import tarfile

    archive = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (
            ("MANIFEST.json", json.dumps({"format": "pkm-backup/1", "notes": 0}).encode()),
            ("pkm.db", b"SQLite format 3\x00" + random.Random(1).randbytes(4080)),
        ):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    home = tmp_path / "home"
    home.mkdir()
    (home / "pkm.db").write_bytes((sound_home / "pkm.db").read_bytes())
    before = sha(home / "pkm.db")
    done = pkm(home, "restore", str(archive), "--force")
    assert done.returncode == 1
    assert done.stderr.startswith(f"pkm: error: the index in {archive} is damaged: ")
    assert sorted(p.name for p in home.iterdir() if not p.name.endswith(".lock")) == ["pkm.db"]
    assert sha(home / "pkm.db") == before
