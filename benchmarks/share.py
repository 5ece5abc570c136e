#!/usr/bin/env python3
"""Share benchmark on generated data: publishing a week that holds 5,000 starred items,
2,000 highlights and 500 notes; publishing it again with nothing changed; and the team
page and feed of 20 authors with a year (52 weeks) of digests each.

Targets: under 2 s, under 0.5 s and under 2 s. Each figure is the median of a few runs of
the library call (`publish_digest`, `refresh_team`), the database and the files warm.

Run: `.venv/bin/python benchmarks/share.py [--items 5000] [--keep DIR]`.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pkm.core import open_pkm  # noqa: E402
from pkm.share.feeds import DigestEntry, render_digest_feed, tag_uri  # noqa: E402
from pkm.share.period import week_period  # noqa: E402
from pkm.share.publish import publish_digest, refresh_team  # noqa: E402

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
WEEK = week_period("2026-W05", UTC)
WORDS = [
    *("attention", "model", "data", "graph", "sparse", "cache"),
    *("index", "query", "stream", "vector", "token", "layer"),
]


def text(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n))


def generate(home: Path, items: int, highlights: int, notes: int) -> None:
    pkm = open_pkm(home, now=NOW)
    store = pkm.store
    db = store.db
    day = WEEK.start + timedelta(hours=10)
    with store.transaction():
        db.execute(
            "INSERT INTO sources (url, url_key, kind, title, added_at)"
            " VALUES ('https://feed.example/', 'feed.example/', 'feed', 'Example', ?)",
            ["2026-01-01T00:00:00Z"],
        )
        for i in range(1, items + 1):
            when = (day + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            db.execute(
                "INSERT INTO items (id, guid, url, url_key, title, content_text, status,"
                " first_seen_at, sort_at, status_changed_at, content_html)"
                " VALUES (?, ?, ?, ?, ?, ?, 'starred', ?, ?, ?, ?)",
                [i, f"g{i}", f"https://a.example/{i}", f"a.example/{i}", f"Article {i}: " + text(i, 5),
                 text(i, 80), when, when, when, "<p>" + text(i, 60) + "</p>"],
            )  # fmt: skip
            db.execute(
                "INSERT INTO item_sources (source_id, entry_id, item_id, content_hash, first_seen_at)"
                " VALUES (1, ?, ?, 'h', ?)",
                [f"g{i}", i, when],
            )
        for h in range(1, highlights + 1):
            item = (h * 13) % items + 1
            when = (day + timedelta(minutes=h, seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
            db.execute(
                'INSERT INTO annotations (item_id, exact, start, "end", comment, state, created_at, updated_at)'
                " VALUES (?, ?, 0, 10, ?, 'anchored', ?, ?)",
                [item, text(h, 8), text(h + 1, 12), when, when],
            )
    vault = pkm.vault
    vault.mkdir(parents=True, exist_ok=True)
    for n in range(1, notes + 1):
        cited = [(n * 17) % items + 1, (n * 31) % items + 1]
        sources = "".join(f"\n  - item_id: {c}" for c in cited)
        (vault / f"note-{n}.md").write_text(
            f"---\ntitle: Note {n}\ncreated: 2026-01-2{7 + n % 3}T12:00:00Z\nsources:{sources}\n---\n"
            f"# Note {n}\n\n## Synthesis\n\n{text(n, 120)}\n\nSee [[note-{n % notes + 1}]].\n",
            encoding="utf-8",
        )
    pkm.close()


def timed(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def team_folder(folder: Path, authors: int, weeks: int) -> None:
    for a in range(authors):
        slug = f"author-{a:02d}"
        entries = []
        for w in range(1, weeks + 1):
            period = week_period(f"2025-W{w:02d}", UTC)
            body = "".join(
                f"<h2>Item {k}</h2><blockquote><p>{text(k + w, 40)}</p></blockquote>"
                for k in range(20)
            )
            entries.append(
                DigestEntry(
                    author=f"Author {a}", folder=slug, label=period.label, title=f"Author {a}: {period.label}",
                    href=f"{period.label}.html", start=period.start, end=period.end,
                    published=period.end, updated=period.end, summary="3 notes, 20 items, 40 highlights",
                    content_html=body,
                )
            )  # fmt: skip
        (folder / slug).mkdir(parents=True)
        (folder / slug / "feed.atom").write_bytes(
            render_digest_feed(
                feed_id=tag_uri(slug, "digests"), title=slug, author=f"Author {a}", entries=entries
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--highlights", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="build the data here and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="pkm-bench-share-"))
    try:
        home, folder = base / "home", base / "team"
        folder.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        generate(home, args.items, args.highlights, args.notes)
        print(f"generated {args.items} items, {args.highlights} highlights, {args.notes} notes"
              f" in {time.perf_counter() - t:.1f} s")  # fmt: skip
        env = dict(os.environ)
        pkm = open_pkm(home, now=NOW)

        def first() -> None:
            shutil.rmtree(folder)
            folder.mkdir()
            r = publish_digest(pkm, WEEK, folder=folder, author="ann", env=env)
            assert len(r.changed) == 10, r.changed

        def again() -> None:
            r = publish_digest(pkm, WEEK, folder=folder, author="ann", env=env)
            assert r.changed == (), r.changed

        publish_digest(pkm, WEEK, folder=folder, author="ann", env=env)  # the note index, warm
        build = timed(first)
        sizes = {p.name: p.stat().st_size for p in (folder / "ann").iterdir()}
        print(f"build and publish a week:  {build:6.3f} s  (target < 2 s)  sizes: "
              + ", ".join(f"{k} {v // 1024} KiB" for k, v in sorted(sizes.items())))  # fmt: skip
        republish = timed(again)
        print(f"republish, nothing changed: {republish:6.3f} s  (target < 0.5 s)")
        pkm.close()

        teams = base / "teams"
        team_folder(teams, 20, 52)
        team = timed(lambda: refresh_team(home, teams))
        print(f"team page, 20 authors x 52 weeks: {team:6.3f} s  (target < 2 s)")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
