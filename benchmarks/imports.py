#!/usr/bin/env python3
"""Import benchmark: a large Pocket CSV and a large Kindle clippings file, into a fresh home.

Generates a Pocket export of 20,000 saved pages (a tenth archived, most with tags) and a
`My Clippings.txt` of 100 books with 5,000 highlights and 1,000 notes, then times, each as
the library call `import_file` (what `pkm import` spends beyond starting Python):

- the dry run on the empty home (parse + decide),
- the import (parse + decide + one transaction),
- the same file again (everything is there: all skipped, nothing written),
- the dry run again, on the full home.

Run: `.venv/bin/python benchmarks/imports.py`.
"""

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pkm.core import open_pkm
from pkm.imports import ImportFormat, ItemAction, import_file

WORDS = [
    "garden",
    "memory",
    "soil",
    "review",
    "curve",
    "seed",
    "patience",
    "water",
    "light",
    "compost",
    "worm",
    "tree",
]
POCKET_ROWS = 20_000
BOOKS, HIGHLIGHTS, NOTES = 100, 5_000, 1_000

rng = random.Random(1)
folder = Path(tempfile.mkdtemp(prefix="import_bench"))


def words(n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def pocket_csv(path: Path) -> None:
    lines = ["title,url,time_added,tags,status"]
    for i in range(POCKET_ROWS):
        tags = "|".join(rng.sample(WORDS, rng.randint(0, 3)))
        status = "archive" if i % 10 == 0 else "unread"
        lines.append(
            f"{words(6)},https://site{i % 500}.example/post/{i},{1_500_000_000 + i * 600},{tags},{status}"
        )
    path.write_text("\n".join(lines) + "\n")


def clippings(path: Path) -> None:
    start = datetime(2022, 1, 1, 8, 0)
    blocks = []
    for i in range(HIGHLIGHTS + NOTES):
        book = i % BOOKS
        when = (start + timedelta(minutes=i * 7)).strftime("%A, %B %d, %Y %I:%M:%S %p")
        loc = 10 * (i // BOOKS) + 1
        if i < HIGHLIGHTS:
            kind, where, text = "Highlight", f"Location {loc}-{loc + 3}", words(25) + f" ({i})."
        else:
            kind, where, text = (
                "Note",
                f"Location {loc - 10 * (HIGHLIGHTS // BOOKS) + 2}",
                words(10),
            )
        blocks.append(
            f"Book {book} (Author {book % 37})\n- Your {kind} on {where} | Added on {when}\n\n{text}\n"
        )
    path.write_text("==========\n".join(blocks) + "==========\n")


def timed(label: str, fmt: ImportFormat, path: Path, *, dry_run: bool = False) -> None:
    pkm = open_pkm(home, now=datetime(2026, 2, 2, 9, tzinfo=UTC))
    try:
        started = time.perf_counter()
        report = import_file(pkm, fmt, path, dry_run=dry_run)
        seconds = time.perf_counter() - started
    finally:
        pkm.close()
    counts = ", ".join(f"{report.count(a)} {a.value}" for a in ItemAction)
    print(
        f"  {label:<28} {seconds:6.2f} s   items: {counts}; annotations: "
        f"{report.annotations_added} added, {report.annotations_skipped} skipped"
    )


for fmt, name, make in [
    (ImportFormat.POCKET, "pocket.csv", pocket_csv),
    (ImportFormat.KINDLE, "My Clippings.txt", clippings),
]:
    home = folder / f"home-{fmt.value}"
    home.mkdir()
    path = folder / name
    make(path)
    print(f"{fmt.value}: {path.stat().st_size / 1e6:.1f} MB")
    timed("dry run, empty home", fmt, path, dry_run=True)
    timed("import", fmt, path)
    timed("import again (all there)", fmt, path)
    timed("dry run, full home", fmt, path, dry_run=True)
    print(f"  index: {(home / 'pkm.db').stat().st_size / 1e6:.1f} MB")
