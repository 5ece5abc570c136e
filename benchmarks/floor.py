#!/usr/bin/env python3
"""Floor benchmark: the compiled-library work a cold `pkm seek` cannot avoid, each part
measured alone, beside what pkm's own pipeline spends on the same 500 bodies.

The cold-run target (`../shared/bench/peers.sh`, 0 ms: at most 0.5x newsboat-t8) is a
wall-time budget on a 2-core machine; this prints the CPU seconds each unavoidable part
takes in its library (zlib, lxml, nh3, SQLite's FTS5 and inserts, on disk in WAL mode as
the index is), so a note can say how much of the budget is left for everything else.

Parts, on the feedserver's 500 feeds x 20 entries (10,000 entries):

* gunzip of the 500 gzip bodies (zlib);
* XML parse of the 500 bodies (lxml);
* sanitizing the 10,000 entry HTMLs with a bare nh3 Cleaner (no Python callback: the
  floor), then with pkm's sanitizer (its URL check after resolving is a Python callback);
* plain text of the sanitized HTML (pkm's `html_to_text`: pure Python and regex);
* item rows written to a new WAL file, one commit per 64 feeds as a run does; the FTS5
  index of their text apart, since a run leaves it to the next search (migration m011);
* and for comparison, pkm's whole `parse_feed` over the same bodies.

Run: `.venv/bin/python benchmarks/floor.py [--reps 3]`. CPU time (process_time), best of
`--reps`: this VM's speed drifts by 20 % within minutes, and the best is the least noisy.
"""

import argparse
import gzip
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from parse import bench_bodies

from pkm.seek.update import _Storer

BATCH = _Storer.BATCH_SOURCES  # feeds per commit, as a run commits them


def best_cpu(work: Callable[[], object], reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def write_index(rows: list[list[tuple[str, str, str, str]]], *, search: bool) -> None:
    """Items (and with `search`, their FTS5 entries) into a new WAL database, a commit per
    `BATCH` feeds."""
    with tempfile.TemporaryDirectory(prefix="pkm-floor-") as tmp:
        db = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, guid TEXT, title TEXT,"
            " content_html TEXT, content_text TEXT)"
        )
        db.execute(
            "CREATE VIRTUAL TABLE search USING fts5(title, quote, body,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        for start in range(0, len(rows), BATCH):
            db.execute("BEGIN")
            for feed in rows[start : start + BATCH]:
                first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()[0]
                db.executemany(
                    "INSERT INTO items (guid, title, content_html, content_text)"
                    " VALUES (?, ?, ?, ?)",
                    feed,
                )
                if search:
                    db.execute(
                        "INSERT INTO search (rowid, title, quote, body) SELECT id * 4, title,"
                        " '', content_text FROM items WHERE id >= ?",
                        [first],
                    )
            db.execute("COMMIT")
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    import nh3
    from lxml import etree

    from pkm.content import html_to_text, sanitize_html
    from pkm.seek.feeds import parse_feed

    bodies = bench_bodies()
    zipped = [gzip.compress(body, 6) for body, _, _ in bodies]
    feeds = [parse_feed(body, url, ctype) for body, url, ctype in bodies]
    sanitized = [e.content_html or "" for f in feeds for e in f.entries]
    # The entry HTML as the feed carries it is what the sanitizer gets; the stored HTML is
    # near enough in size and structure for a floor.
    rows = [
        [(e.entry_id, e.title or "", e.content_html or "", e.content_text) for e in f.entries]
        for f in feeds
    ]
    bare = nh3.Cleaner()
    base = "http://127.0.0.1:8931/posts/"
    floor = {
        "gunzip (zlib)": best_cpu(lambda: [zlib.decompress(z, 31) for z in zipped], args.reps),
        "XML parse (lxml)": best_cpu(
            lambda: [etree.fromstring(body) for body, _, _ in bodies], args.reps
        ),
        "sanitize, bare nh3": best_cpu(lambda: [bare.clean(h) for h in sanitized], args.reps),
        "items, WAL file": best_cpu(lambda: write_index(rows, search=False), args.reps),
    }
    with_search = best_cpu(lambda: write_index(rows, search=True), args.reps)
    pkm_parts = {
        "sanitize, pkm's sanitizer": best_cpu(
            lambda: [sanitize_html(h, base) for h in sanitized], args.reps
        ),
        "plain text (html_to_text)": best_cpu(
            lambda: [html_to_text(h) for h in sanitized], args.reps
        ),
        "parse_feed, whole": best_cpu(
            lambda: [parse_feed(body, url, ctype) for body, url, ctype in bodies], args.reps
        ),
    }
    print(
        f"floor benchmark: {len(bodies)} feeds, {len(sanitized)} entries,"
        f" {sum(map(len, sanitized)) / 1e6:.1f} MB of HTML; CPU s, best of {args.reps}"
    )
    print("compiled-library work a cold run cannot avoid:")
    for name, seconds in floor.items():
        print(f"  {name:28s} {seconds:6.3f}")
    total = sum(floor.values())
    print(f"  {'sum':28s} {total:6.3f}  (on 2 cores: at least {total / 2:.2f} s of wall time)")
    search = with_search - floor["items, WAL file"]
    print(f"  and the FTS5 index of the items, at the next search: {search:.3f}")
    print("pkm's own parts, for comparison:")
    for name, seconds in pkm_parts.items():
        print(f"  {name:28s} {seconds:6.3f}")


if __name__ == "__main__":
    main()
