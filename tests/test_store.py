"""The index on real SQLite files: schema, migrations, dedup, tombstones, errors."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from pkm.errors import StoreError
from pkm.models import ItemStatus, ParsedEntry, SourceKind
from pkm.seek.update import entry_rows
from pkm.store import Store
from pkm.store._db import open_database
from pkm.store.migrations import migrations

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def entry(
    entry_id: str, title: str = "A title", url: str | None = None, text: str = "body"
) -> ParsedEntry:
    return ParsedEntry(
        entry_id=entry_id,
        url=url,
        title=title,
        author=None,
        published=None,
        updated=None,
        summary=None,
        content_html=f"<p>{text}</p>",
        content_text=text,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "pkm.db")


def add(store: Store, url: str) -> int:
    source, _ = store.add_source(url, url, SourceKind.FEED, now=NOW)
    return source.id


def test_blank_database_gets_the_full_schema(store: Store) -> None:
    db = store.db
    assert {
        "sources",
        "items",
        "item_sources",
        "fetches",
        "tags",
        "item_tags",
        "source_tags",
    } <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {t.name for t in db.triggers} >= {"items_ai", "items_ad", "items_au"}
    assert store.schema_version() == migrations._migrations[-1].name


@pytest.mark.parametrize("stop_before", [m.name for m in migrations._migrations])
def test_older_database_is_upgraded_in_place(tmp_path: Path, stop_before: str) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("PRAGMA application_id = 1886088448")
    migrations.apply(old, stop_before=stop_before)
    has_sources = old.table("sources").exists()
    if has_sources:
        old.execute(
            "INSERT INTO sources (url, url_key, kind, added_at) VALUES ('https://a.example/f', 'a.example/f', 'feed', 'x')"
        )
    old.conn.commit()
    old.conn.close()
    db = open_database(path)
    assert not migrations.pending(db)
    if has_sources:
        assert db.execute("SELECT count(*) FROM sources").fetchone()[0] == 1


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
    assert store.store_entries(source, entry_rows([entry("1"), entry("2")]), NOW) == (2, 0)
    assert store.store_entries(source, entry_rows([entry("1"), entry("2")]), NOW) == (0, 0)
    assert store.store_entries(
        source, entry_rows([entry("1", text="edited"), entry("2")]), NOW
    ) == (0, 1)
    items = {i.guid: i for i in store.get_items()}
    assert items["1"].content_text == "edited"
    assert items["1"].updated_at == NOW


def test_change_keeps_status_and_tombstones_stay_dead(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    store.store_entries(source, entry_rows([entry("1"), entry("2")]), NOW)
    ids = {i.guid: i.id for i in store.get_items()}
    store.set_item_status([ids["1"]], ItemStatus.ARCHIVED, NOW)
    store.set_item_status([ids["2"]], ItemStatus.DELETED, NOW)
    store.store_entries(
        source, entry_rows([entry("1", title="New title"), entry("2", title="Again")]), NOW
    )
    items = {i.guid: i for i in store.get_items()}
    assert items["1"].status is ItemStatus.ARCHIVED and items["1"].title == "New title"
    assert items["2"].status is ItemStatus.DELETED
    assert store.get_items(statuses=[ItemStatus.UNREAD]) == []


def test_same_article_from_two_sources_is_one_item(store: Store) -> None:
    a = add(store, "https://a.example/feed")
    b = add(store, "https://b.example/feed")
    store.store_entries(
        a, entry_rows([entry("a-1", url="https://x.example/post/?utm_source=a")]), NOW
    )
    assert store.store_entries(
        b, entry_rows([entry("b-9", url="http://x.example/post#top")]), NOW
    ) == (0, 0)
    [item] = store.get_items()
    assert item.source_urls == ("https://a.example/feed", "https://b.example/feed")
    store.set_item_status([item.id], ItemStatus.READ, NOW)
    assert store.get_items(statuses=[ItemStatus.UNREAD], source_ids=[b]) == []


def test_fts_follows_items(store: Store) -> None:
    source = add(store, "https://a.example/feed")
    store.store_entries(source, entry_rows([entry("1", text="zettelkasten method")]), NOW)
    query = "SELECT rowid FROM items_fts WHERE items_fts MATCH ?"
    assert len(store.db.execute(query, ["zettelkasten"]).fetchall()) == 1
    store.store_entries(source, entry_rows([entry("1", text="commonplace book")]), NOW)
    assert store.db.execute(query, ["zettelkasten"]).fetchall() == []
    assert len(store.db.execute(query, ["commonplace"]).fetchall()) == 1


def test_remove_source_keeps_what_the_user_kept(store: Store) -> None:
    a = add(store, "https://a.example/feed")
    b = add(store, "https://b.example/feed")
    store.store_entries(
        a,
        entry_rows(
            [entry("1"), entry("2"), entry("3"), entry("4", url="https://x.example/shared")]
        ),
        NOW,
    )
    store.store_entries(b, entry_rows([entry("9", url="https://x.example/shared")]), NOW)
    ids = {i.guid: i.id for i in store.get_items()}
    store.set_item_status([ids["1"]], ItemStatus.STARRED, NOW)
    store.add_item_tags(ids["2"], ["keep"])
    assert store.remove_source(a) == (1, 3)
    assert sorted(i.guid for i in store.get_items()) == ["1", "2", "9"]


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
