#!/usr/bin/env python3
"""Inbox benchmark: `pkm sense inbox` end to end (a new process each time) on 100,000 items.

Builds a home with 100 sources x 1,000 items (70 % unread, every 50th item annotated,
every 100th cited by a note, every 10th tagged), then prints the query plan of the first
page and the median wall time of: the first page (table), the first page as JSON, a page
of `--all`, a `--tag` filter, a `--since` filter, and `pkm --help` for the start-up floor.
The target for the first page is under 0.35 s.

Run: `.venv/bin/python benchmarks/inbox.py [--items 100000] [--reps 5]`.
"""

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pkm_cli import median_cli_seconds, pkm_env

ENV = pkm_env()


def build(home: Path, n_items: int) -> None:
    from pkm.core import open_pkm

    pkm = open_pkm(home)
    pkm.store  # noqa: B018  (creates and migrates the index)
    pkm.close()
    start = datetime(2020, 1, 1, tzinfo=UTC)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    with sqlite3.connect(home / "pkm.db") as db:
        n_sources = 100
        db.executemany(
            "INSERT INTO sources (id, url, url_key, kind, title, added_at)"
            " VALUES (?, ?, ?, 'feed', ?, ?)",
            [
                (s, f"https://blog{s}.example/feed", f"blog{s}.example/feed", f"Blog {s}", "2020")
                for s in range(1, n_sources + 1)
            ],
        )
        db.execute("INSERT INTO tags (id, name) VALUES (1, 'news')")
        rows, links = [], []
        for i in range(1, n_items + 1):
            when = (start + timedelta(minutes=17 * i)).strftime(iso)
            status = "unread" if i % 10 < 7 else ("read", "starred", "archived")[i % 3]
            text = f"Text of item {i}. " * 40
            rows.append((i, f"g{i}", f"https://x.example/{i}", f"Item {i}", text, status, when))
            links.append((1 + i % n_sources, f"g{i}", i, "h", when))
        db.executemany(
            "INSERT INTO items (id, guid, url, title, content_text, status, first_seen_at,"
            " sort_at) VALUES (?, ?, ?, ?, ?, ?, ?7, ?7)",
            rows,
        )
        db.executemany(
            "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            links,
        )
        db.executemany(
            "INSERT INTO item_tags (item_id, tag_id) VALUES (?, 1)",
            [(i,) for i in range(1, n_items + 1, 10)],
        )
        db.executemany(
            'INSERT INTO annotations (item_id, exact, start, "end", created_at, updated_at)'
            " VALUES (?, 'Text', 0, 4, '2026', '2026')",
            [(i,) for i in range(1, n_items + 1, 50)],
        )
        db.executemany(
            "INSERT INTO notes (id, path, name, title, size, mtime_ns, content_hash, indexed_at)"
            " VALUES (?, ?, ?, ?, 1, 1, 'h', '2026')",
            [(n, f"n{n}.md", f"n{n}", f"Note {n}") for n in range(1, n_items // 100 + 1)],
        )
        db.executemany(
            "INSERT INTO note_items (note_id, item_id) VALUES (?, ?)",
            [(i // 100 + 1, i) for i in range(1, n_items + 1, 100)],
        )
        db.execute(
            "INSERT INTO search (rowid, title, quote, body) SELECT id * 4, title, '', content_text FROM items"
        )
        db.execute("ANALYZE")


def plan(home: Path) -> list[str]:
    """The query plan of the statement the store runs for the first page of the inbox."""
    from pkm.models import ItemFilter, ItemStatus
    from pkm.store import Store

    store = Store.open(home / "pkm.db", readonly=True)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    list(store.iter_items(ItemFilter(statuses=(ItemStatus.UNREAD,)), limit=50))
    store.db.conn.set_trace_callback(None)
    [sql] = [s for s in statements if "FROM items i" in s]
    rows = store.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    store.close()
    return [row[3] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        build(home, args.items)
        print(f"built {args.items} items in {time.perf_counter() - started:.1f} s")
        print("plan of the first page:")
        for line in plan(home):
            print(f"  {line}")
        for label, command in (
            ("pkm --help", ("--help",)),
            ("sense inbox (first page, table)", ("sense", "inbox")),
            ("sense (bare, first page)", ("sense",)),
            ("sense inbox --json --limit 50", ("sense", "inbox", "--json", "--limit", "50")),
            ("sense inbox --all", ("sense", "inbox", "--all")),
            ("sense inbox --tag news", ("sense", "inbox", "--tag", "news")),
            ("sense inbox --since 2021-06-01", ("sense", "inbox", "--since", "2021-06-01")),
            ("sense inbox --offset 50000", ("sense", "inbox", "--offset", "50000")),
        ):
            print(f"{label:40} {median_cli_seconds(home, args.reps, *command, env=ENV):.3f} s")


if __name__ == "__main__":
    main()
