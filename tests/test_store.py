"""The index on real SQLite files: schema, migrations, dedup, tombstones, errors."""

import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from pkm.errors import StoreError
from pkm.models import ItemStatus, ParsedEntry, SourceKind, StoredEntries
from pkm.seek.decide import entry_updates
from pkm.seek.parse import entry_rows
from pkm.seek.update import read_known
from pkm.store import Store
from pkm.store._db import open_database
from pkm.store.migrations import migrations
from tests.unprivileged import unprivileged

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def entry(
    entry_id: str,
    title: str = "A title",
    url: str | None = None,
    text: str = "body",
    published: datetime | None = None,
) -> ParsedEntry:
    return ParsedEntry(
        entry_id=entry_id,
        url=url,
        title=title,
        author=None,
        published=published,
        updated=None,
        summary=None,
        content_html=f"<p>{text}</p>",
        content_text=text,
    )


def put(
    store: Store, source_id: int, entries: Sequence[ParsedEntry], now: datetime = NOW
) -> StoredEntries:
    """Store entries the way a seek run does: read what is known, decide, apply."""
    rows = entry_rows(entries)
    with store.transaction():
        known = read_known(store, store.get_source(str(source_id)), rows)
        return store.apply_entry_updates(source_id, entry_updates(rows, known, now), now)


def counts(stored: StoredEntries) -> tuple[int, int]:
    return len(stored.new_item_ids), len(stored.changed_item_ids)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "pkm.db")


def add(store: Store, url: str) -> int:
    source, _ = store.add_source(url, url, SourceKind.FEED, now=NOW)
    return source.id


# The schema a blank database gets, column by column (llm's test_migrate_blank).
EXPECTED_COLUMNS = {
    "sources": [
        "id",
        "url",
        "url_key",
        "kind",
        "title",
        "site_url",
        "added_at",
        "previous_url",
        "redirected_at",
        "etag",
        "last_modified",
        "body_hash",
        "last_fetched_at",
        "last_status",
        "last_outcome",
        "last_error",
        "error_count",
        "next_due_at",
        "retry_after_at",
        "is_gone",
    ],
    "items": [
        "id",
        "guid",
        "url",
        "url_key",
        "title",
        "author",
        "published_at",
        "updated_at",
        "summary",
        "content_html",
        "content_text",
        "categories",
        "status",
        "first_seen_at",
        "changed_at",
        "status_changed_at",
        "sort_at",
        "enclosures",
        "kind",
        "answers_ref",
    ],
    "item_sources": ["source_id", "entry_id", "item_id", "content_hash", "first_seen_at"],
    "tags": ["id", "name"],
    "source_tags": ["source_id", "tag_id"],
    "item_tags": ["item_id", "tag_id"],
    "fetches": [
        "id",
        "source_id",
        "fetched_at",
        "url",
        "outcome",
        "http_status",
        "error",
        "new_items",
        "updated_items",
        "duration_ms",
    ],
    "item_text_changes": ["seq", "item_id", "changed_at"],
}


def test_blank_database_gets_the_full_schema(store: Store) -> None:
    db = store.db
    for table, columns in EXPECTED_COLUMNS.items():
        assert [c.name for c in db.table(table).columns] == columns, table
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {t.name for t in db.triggers} == {
        "items_ad",
        "items_au",
        "items_text_changed",
        "annotations_ai",
        "annotations_ad",
        "annotations_au",
        "notes_ad",
    }
    assert {i.name for i in db.table("items").indexes} >= {"items_inbox", "items_url_key"}
    assert store.schema_version() == migrations._migrations[-1].name


def _v1_database(path: Path) -> None:
    """A database as pkm 0.1 left it (migration m001 only), with one of everything."""
    old = Database(sqlite3.connect(path))
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("PRAGMA application_id = 1886088448")
    migrations.apply(old, stop_before="m002_sort_enclosures_text_changes")
    old.executescript(
        """
        INSERT INTO sources (id, url, url_key, kind, title, added_at)
          VALUES (1, 'https://a.example/f', 'a.example/f', 'feed', 'A', '2026-01-01T00:00:00Z'),
                 (2, 'pkm:saved', 'pkm:saved', 'pages', 'Saved pages', '2026-01-01T00:00:00Z');
        INSERT INTO items (id, guid, title, published_at, updated_at, first_seen_at, content_text, status)
          VALUES (1, 'dated', 'Dated', '2025-12-24T10:00:00Z', NULL, '2026-01-02T00:00:00Z', 'one', 'read'),
                 (2, 'updated-only', 'Updated only', NULL, '2025-12-30T10:00:00Z', '2026-01-02T00:00:00Z', 'two', 'unread'),
                 (3, 'future', 'Future', '2099-01-01T00:00:00Z', NULL, '2026-01-02T00:00:00Z', 'three', 'unread'),
                 (4, 'https://p.example/', 'Saved', '2020-05-05T00:00:00Z', NULL, '2026-01-03T00:00:00Z', 'four', 'starred');
        INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)
          VALUES (1, 'dated', 1, 'h1', '2026-01-02T00:00:00Z'), (1, 'updated-only', 2, 'h2', '2026-01-02T00:00:00Z'),
                 (1, 'future', 3, 'h3', '2026-01-02T00:00:00Z'), (2, 'https://p.example/', 4, 'h4', '2026-01-03T00:00:00Z');
        """
    )
    old.conn.close()


def test_a_version_1_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _v1_database(path)
    store = Store.open(path)
    assert not migrations.pending(store.db)
    items = {i.guid: i for i in store.get_items()}
    assert {g: i.status.value for g, i in items.items()} == {
        "dated": "read",
        "updated-only": "unread",
        "future": "unread",
        "https://p.example/": "starred",
    }
    assert [i.guid for i in store.get_items()] == [
        "https://p.example/",  # saved on 01-03: sorts by when it was saved
        "future",  # dated 2099: sorts as when it was first seen, 01-02
        "updated-only",  # 12-30
        "dated",  # 12-24
    ]
    assert items["updated-only"].date == datetime(2025, 12, 30, 10, tzinfo=UTC)
    assert all(i.enclosures == () for i in items.values())
    assert [s.title for s in store.get_sources()] == ["A", "Saved pages"]
    assert store.db.execute("SELECT count(*) FROM search WHERE rowid % 4 = 0").fetchone()[0] == 4


@pytest.mark.parametrize("stop_before", [m.name for m in migrations._migrations])
def test_a_database_stopped_before_any_migration_is_upgraded(
    tmp_path: Path, stop_before: str
) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("PRAGMA application_id = 1886088448")
    migrations.apply(old, stop_before=stop_before)
    old.conn.close()
    db = open_database(path)
    assert not migrations.pending(db)
    for table, columns in EXPECTED_COLUMNS.items():
        assert [c.name for c in db.table(table).columns] == columns, table


def test_a_read_only_open_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pkm.db"
    store = Store.open(path, readonly=True)
    assert store.get_items() == [] and store.get_sources() == []
    assert not path.exists()


def test_an_old_database_in_a_read_only_folder_cannot_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    _v1_database(folder / "pkm.db")
    folder.chmod(0o555)
    code = (
        "import sys; from pkm.store import Store; from pkm.errors import StoreError\n"
        "try:\n    Store.open(__import__('pathlib').Path(sys.argv[1]), readonly=True)\n"
        "except StoreError as e:\n    print(e)"
    )
    try:
        done = subprocess.run(
            unprivileged([sys.executable, "-c", code, str(folder / "pkm.db")]),
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        folder.chmod(0o755)
    assert "needs an upgrade" in done.stdout, done.stderr


def test_other_sqlite_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(StoreError, match="not a pkm database"):
        open_database(path)


def test_garbage_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "pkm.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        open_database(path)


def test_new_unchanged_and_changed_entries(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    first = put(store, source, [entry("1"), entry("2")])
    assert counts(first) == (2, 0)
    assert counts(put(store, source, [entry("1"), entry("2")])) == (0, 0)
    later = NOW + timedelta(hours=1)
    changed = put(store, source, [entry("1", text="edited"), entry("2")], later)
    assert changed.changed_item_ids == first.new_item_ids[:1]
    items = {i.guid: i for i in store.get_items()}
    assert items["1"].content_text == "edited"
    assert items["1"].changed_at == later


def test_change_keeps_status_and_tombstones_stay_dead(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    put(store, source, [entry("1"), entry("2")])
    ids = {i.guid: i.id for i in store.get_items()}
    store.set_item_status([ids["1"]], ItemStatus.ARCHIVED, NOW)
    store.set_item_status([ids["2"]], ItemStatus.DELETED, NOW)
    put(store, source, [entry("1", title="New title"), entry("2", title="Again")])
    items = {i.guid: i for i in store.get_items()}
    assert items["1"].status is ItemStatus.ARCHIVED and items["1"].title == "New title"
    assert items["2"].status is ItemStatus.DELETED
    assert store.get_items(statuses=[ItemStatus.UNREAD]) == []


def test_same_article_from_two_sources_is_one_item(store: Store) -> None:
    a = add(store, "https://a.example/feed")
    b = add(store, "https://b.example/feed")
    put(store, a, [entry("a-1", url="https://x.example/post/?utm_source=a")])
    linked = put(store, b, [entry("b-9", url="http://x.example/post#top")])
    assert counts(linked) == (0, 0) and len(linked.linked_item_ids) == 1
    [item] = store.get_items()
    assert item.source_urls == ("https://a.example/feed", "https://b.example/feed")
    store.set_item_status([item.id], ItemStatus.READ, NOW)
    assert store.get_items(statuses=[ItemStatus.UNREAD], source_ids=[b]) == []


def test_new_items_wait_in_the_backlog_until_a_search_indexes_them(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    put(store, source, [entry("1", text="zettelkasten method"), entry("2", text="gone soon")])
    query = "SELECT rowid FROM search WHERE search MATCH ?"
    assert store.db.execute(query, ["zettelkasten"]).fetchall() == []
    # Changed and deleted while waiting: indexed as it is then, and not at all.
    put(store, source, [entry("1", text="commonplace book"), entry("2", text="gone soon")])
    store.db.execute("DELETE FROM item_sources WHERE entry_id = '2'")
    store.db.execute("DELETE FROM items WHERE guid = '2'")
    assert store.index_backlog() == 1
    assert store.index_backlog() == 0
    assert store.db.execute(query, ["zettelkasten"]).fetchall() == []
    assert store.db.execute(query, ["gone"]).fetchall() == []
    assert len(store.db.execute(query, ["commonplace"]).fetchall()) == 1


def test_fts_follows_indexed_items(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    put(store, source, [entry("1", text="zettelkasten method")])
    store.index_backlog()
    query = "SELECT rowid FROM search WHERE search MATCH ?"
    assert len(store.db.execute(query, ["zettelkasten"]).fetchall()) == 1
    put(store, source, [entry("1", text="commonplace book")])
    assert store.db.execute(query, ["zettelkasten"]).fetchall() == []
    assert len(store.db.execute(query, ["commonplace"]).fetchall()) == 1


def test_a_backlog_item_that_has_a_row_already_is_indexed_once(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    put(store, source, [entry("1", text="zettelkasten method")])
    store.index_backlog()
    [item_id] = [i.id for i in store.get_items()]
    store.db.execute("INSERT INTO search_backlog (item_id) VALUES (?)", [item_id])
    assert store.index_backlog() == 1
    assert store.db.execute("SELECT count(*) FROM search").fetchone()[0] == 1


def test_remove_source_keeps_what_the_user_kept(store: Store) -> None:
    a = add(store, "https://a.example/feed")
    b = add(store, "https://b.example/feed")
    put(store, a, [entry("1"), entry("2"), entry("3"), entry("4", url="https://x.example/shared")])
    put(store, a, [entry("5"), entry("6")])
    put(store, b, [entry("9", url="https://x.example/shared")])
    ids = {i.guid: i.id for i in store.get_items()}
    store.set_item_status([ids["1"]], ItemStatus.STARRED, NOW)
    store.add_item_tags(ids["2"], ["keep"])
    store.db.execute(
        "INSERT INTO annotations (item_id, comment, created_at, updated_at) VALUES (?, 'c', '', '')",
        [ids["5"]],
    )
    store.db.execute(
        "INSERT INTO notes (id, path, name, title, size, mtime_ns, content_hash, indexed_at)"
        " VALUES (1, 'n.md', 'n', 'N', 1, 1, 'h', '')"
    )
    store.db.execute("INSERT INTO note_items (note_id, item_id) VALUES (1, ?)", [ids["6"]])
    assert store.remove_source(a) == (1, 5)
    assert sorted(i.guid for i in store.get_items()) == ["1", "2", "5", "6", "9"]


def test_locked_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "pkm.db"
    store = Store.open(path)
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    store.db.conn.execute("PRAGMA busy_timeout = 0")
    source_id = None
    with pytest.raises(StoreError, match="database is locked"):
        source_id = add(store, "https://a.example/feed")
    assert source_id is None
    other.rollback()


def test_text_changes_are_recorded_until_a_consumer_drains_them(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    [one, two] = put(store, source, [entry("1"), entry("2")]).new_item_ids
    assert store.get_text_changes() == []  # new items are not changes
    put(store, source, [entry("1", text="edited"), entry("2", title="New title only")])
    [change] = store.get_text_changes()
    assert change.item_id == one and change.changed_at == NOW
    later = NOW + timedelta(minutes=5)
    put(store, source, [entry("1", text="edited again"), entry("2")], later)
    [again] = store.get_text_changes()  # one record per item, the newest
    assert again.item_id == one and again.seq > change.seq and again.changed_at == later
    store.ack_text_changes([change])  # an old read acknowledges nothing newer
    assert store.get_text_changes() == [again]
    store.ack_text_changes([again])
    assert store.get_text_changes() == []
    assert two not in [c.item_id for c in store.get_text_changes()]


def test_items_sort_by_date_never_later_than_first_seen(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    put(
        store,
        source,
        [
            entry("old", published=NOW - timedelta(days=3)),
            entry("future", published=NOW + timedelta(days=300)),
            entry("undated"),
            entry("recent", published=NOW - timedelta(hours=1)),
        ],
    )
    # "future" and "undated" both sort as first seen (NOW); the later insert first.
    assert [i.guid for i in store.get_items()] == ["undated", "future", "recent", "old"]
    future = next(i for i in store.get_items() if i.guid == "future")
    assert future.sort_at == NOW and future.published == NOW + timedelta(days=300)


def test_item_filters_pages_and_long_id_lists(store: Store) -> None:
    from pkm.models import ItemFilter

    a = add(store, "https://a.example/feed")
    day = timedelta(days=1)
    put(store, a, [entry(str(n), published=NOW - n * day) for n in range(1, 9)])
    ids = {i.guid: i.id for i in store.get_items()}
    store.set_item_status([ids["2"], ids["4"]], ItemStatus.READ, NOW)
    store.tag_items([ids["3"], ids["4"]], ["x"])
    everything = [i.guid for i in store.get_items()]
    assert everything == [str(n) for n in range(1, 9)]  # newest first
    for offset in range(0, 9, 3):  # pages are slices of the whole, in the same order
        page = store.get_items(ItemFilter(), limit=3, offset=offset)
        assert [i.guid for i in page] == everything[offset : offset + 3]
    unread = ItemFilter(statuses=(ItemStatus.UNREAD,))
    assert [i.guid for i in store.get_items(unread, limit=2, offset=1)] == ["3", "5"]
    tagged = ItemFilter(tags=("x",), since=NOW - 4 * day, before=NOW - 3 * day)
    assert [i.guid for i in store.get_items(tagged)] == ["4"]  # since <= sort_at < before
    assert store.count_items(ItemFilter(id_ranges=((ids["8"], ids["6"]),))) == 0
    assert (
        store.count_items(ItemFilter(id_ranges=((ids["1"], ids["3"]),), item_ids=(ids["8"],))) == 4
    )
    many = list(range(100_000, 140_000))  # more than SQLite's 32,766 parameters
    assert store.set_item_status(many, ItemStatus.READ, NOW) == 0
    assert store.missing_item_ids([99_999, ids["1"], 12_345]) == [99_999, 12_345]
    assert store.untag_items([ids["3"], ids["5"]], ["x"]) == {ids["3"]}
    assert store.tag_items([ids["4"], ids["5"]], ["x", "y"]) == {ids["4"], ids["5"]}


def test_schema_version_names_the_newest_migration() -> None:
    from pkm.store._db import SCHEMA_VERSION

    assert migrations._migrations[-1].name == SCHEMA_VERSION


def test_an_up_to_date_index_opens_without_sqlite_utils(tmp_path: Path) -> None:
    """sqlite-utils is for schema work; reading and writing an up-to-date index needs only
    sqlite3, and saves every command the 75 ms of importing it."""
    import subprocess
    import sys

    Store.open(tmp_path / "pkm.db").close()
    script = (
        "import sys; from pathlib import Path; from pkm.store import Store; "
        f"s = Store.open(Path({str(tmp_path / 'pkm.db')!r})); s.get_sources(); "
        "print('sqlite_utils' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_nested_transactions_on_a_reopened_index_roll_back_alone(tmp_path: Path) -> None:
    Store.open(tmp_path / "pkm.db").close()
    store = Store.open(tmp_path / "pkm.db")
    with store.transaction():
        add(store, "https://a.example/feed")
        with pytest.raises(RuntimeError), store.transaction():
            add(store, "https://b.example/feed")
            raise RuntimeError
    assert [s.url for s in store.get_sources()] == ["https://a.example/feed"]
    with pytest.raises(RuntimeError), store.transaction():
        add(store, "https://c.example/feed")
        raise RuntimeError
    assert [s.url for s in store.get_sources()] == ["https://a.example/feed"]
    store.close()
