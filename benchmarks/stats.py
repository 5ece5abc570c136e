#!/usr/bin/env python3
"""Stats benchmark: `pkm stats` on 100,000 items, 5,000 annotations and 500 notes.

Builds a home with 200 sources (10 of them failing, 20 stale) whose items arrived over two
years, each with about 1.5 kB of text and HTML (the items table is read whole: its size is
what a scan costs), 70 % of them triaged, with 5,000 highlights, 500 notes in the vault
(indexed by pkm's own sync), 100 publications and a fetch history of 20,000 rows. Then
prints the median time of each store call and of `compute_stats`, and of `pkm stats` and
`pkm stats --json` end to end (a new process each time), beside `pkm --help`, the
start-up floor. The target end to end is well under 0.5 s.

Run: `.venv/bin/python benchmarks/stats.py [--items 100000] [--reps 7]`.
"""

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pkm_cli import median_cli_seconds, pkm_env  # noqa: E402

ENV = pkm_env(TZ="Europe/Berlin")
ISO = "%Y-%m-%dT%H:%M:%SZ"
SOURCES = 200


def build(home: Path, n_items: int, now: datetime) -> None:
    from pkm.core import open_pkm
    from pkm.sense.notes import sync_notes

    pkm = open_pkm(home, now=now)
    pkm.store  # noqa: B018  (creates and migrates the index)
    pkm.close()
    start = now - timedelta(days=730)
    step = (now - start) / n_items
    with sqlite3.connect(home / "pkm.db") as db:
        db.executemany(
            "INSERT INTO sources (id, url, url_key, kind, title, added_at, last_fetched_at,"
            " error_count, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s,
                    f"https://blog{s}.example/feed",
                    f"blog{s}.example/feed",
                    "pages" if s == SOURCES else "feed",
                    f"Blog {s}",
                    start.strftime(ISO),
                    now.strftime(ISO),
                    3 if s <= 10 else 0,
                    "HTTP 500" if s <= 10 else None,
                )
                for s in range(1, SOURCES + 1)
            ],
        )
        html = "<p>" + "Some words of an article, as a feed sends them. " * 16 + "</p>"
        text = "Some words of an article, as a feed sends them. " * 16
        rows, links = [], []
        for i in range(1, n_items + 1):
            seen = start + step * i
            changed = (seen + timedelta(hours=30)).strftime(ISO)
            status = "unread" if i % 10 < 3 else ("read", "starred", "archived")[i % 3]
            # Sources 11-30 went quiet 90 days ago; the others share the rest.
            source = 11 + i % 20 if seen < now - timedelta(days=90) else 31 + i % (SOURCES - 31)
            if i % 500 == 0:
                source = SOURCES  # a saved page
            rows.append((i, f"g{i}", f"Item {i}", text, html, status, seen.strftime(ISO), changed))
            links.append((source, f"g{i}", i, "h", seen.strftime(ISO)))
        db.executemany(
            "INSERT INTO items (id, guid, title, content_text, content_html, status,"
            " first_seen_at, sort_at, status_changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?7, ?7, CASE WHEN ?6 = 'unread' THEN NULL ELSE ?8 END)",
            rows,
        )
        db.executemany(
            "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            links,
        )
        db.executemany(
            'INSERT INTO annotations (item_id, exact, start, "end", created_at, updated_at)'
            " SELECT id, 'Some', 0, 4, ?2, ?2 FROM items WHERE id = ?1",
            [
                (i, (start + step * i + timedelta(hours=2)).strftime(ISO))
                for i in range(1, n_items + 1, max(1, n_items // 5000))
            ],
        )
        db.executemany(
            "INSERT INTO fetches (source_id, fetched_at, url, outcome, error)"
            " VALUES (?, ?, 'u', ?, ?)",
            [
                (
                    s,
                    (now - timedelta(hours=6 * k)).strftime(ISO),
                    "failed" if s <= 10 and k < 3 else "unchanged",
                    "HTTP 500" if s <= 10 and k < 3 else None,
                )
                for s in range(1, SOURCES)
                for k in range(100)
            ],
        )
        db.executemany(
            "INSERT INTO publications (author, period, folder, published_at)"
            " VALUES ('me', ?, '/team', ?)",
            [(f"P{k}", (now - timedelta(days=7 * k)).strftime(ISO)) for k in range(100)],
        )
        db.execute("ANALYZE")
    vault = home / "notes"
    vault.mkdir()
    for n in range(500):
        created = (now - timedelta(days=n)).strftime(ISO)
        (vault / f"note-{n}.md").write_text(
            f"---\ntitle: Note {n}\ncreated: {created}\n---\n# Note {n}\n\nSome thoughts.\n"
        )
    pkm = open_pkm(home, now=now)
    sync_notes(pkm)
    pkm.close()


def median_ms(call: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    from zoneinfo import ZoneInfo

    from pkm.core import open_pkm
    from pkm.models import SUBSCRIPTION_KINDS
    from pkm.share.period import recent_weeks
    from pkm.stats import compute_stats

    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    tz = ZoneInfo("Europe/Berlin")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        build(home, args.items, now)
        size = (home / "pkm.db").stat().st_size / 1e6
        print(
            f"built {args.items:,} items ({size:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )
        pkm = open_pkm(home, now=now, readonly=True)
        weeks = recent_weeks(now, 8, tz)
        store = pkm.store
        stats = compute_stats(pkm, weeks=8, tz=tz)
        print(
            f"last week: {stats.weeks[-2].sought} sought, {stats.weeks[-2].read} read;"
            f" {len(stats.failing_sources)} failing, {len(stats.stale_sources)} stale"
        )
        for label, call in (
            ("store.get_activity (8 weeks)", lambda: store.get_activity(weeks)),
            (
                "store.get_activity (52 weeks)",
                lambda: store.get_activity(recent_weeks(now, 52, tz)),
            ),
            (
                "store.get_source_activity",
                lambda: store.get_source_activity(weeks[0].start, weeks[-1].end),
            ),
            ("store.get_sources", lambda: store.get_sources(kinds=SUBSCRIPTION_KINDS)),
            ("compute_stats (8 weeks)", lambda: compute_stats(pkm, weeks=8, tz=tz)),
        ):
            print(f"{label:40} {median_ms(call, args.reps):7.1f} ms")
        pkm.close()
        for label, command in (
            ("pkm --help", ("--help",)),
            ("pkm stats", ("stats",)),
            ("pkm stats --json", ("stats", "--json")),
            ("pkm stats --weeks 52", ("stats", "--weeks", "52")),
        ):
            print(f"{label:40} {median_cli_seconds(home, args.reps, *command, env=ENV):7.3f} s")


if __name__ == "__main__":
    main()
