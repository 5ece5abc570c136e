#!/usr/bin/env python3
"""Note index benchmark: `reindex` over a generated vault of 10,000 notes.

Each note has frontmatter (title, dates, tags, aliases), a few paragraphs, five wikilinks
and an inline tag, in 100 folders. Prints, best of --reps: the full reindex into an empty
index, the no-change sync (the stat walk and one query, what every note command pays
first), a sync after 100 notes were edited, and the same no-change reindex as a whole
`pkm sense reindex` process. Targets: full < 5 s, no-change < 0.2 s.

Run: `.venv/bin/python benchmarks/notes.py [--notes 10000] [--reps 3]`.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pkm.core import open_pkm
from pkm.sense.notes import sync_notes

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
]


def generate(vault: Path, count: int, rng: random.Random) -> list[Path]:
    files = []
    for i in range(count):
        folder = vault / f"folder-{i % 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        links = " ".join(f"[[note-{rng.randrange(count)}]]" for _ in range(5))
        body = "\n\n".join(" ".join(rng.choices(WORDS, k=60)) for _ in range(4))
        text = (
            f"---\ntitle: Note number {i}\ncreated: 2026-01-01T00:00:00Z\n"
            f"updated: 2026-01-02T00:00:00Z\ntags: [t{i % 20}, bench]\naliases: [n{i}]\n---\n"
            f"# Note number {i}\n\n{body}\n\nSee {links} #inline{i % 7}\n"
        )
        path = folder / f"note-{i}.md"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def timed(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(1)
    base = Path(tempfile.mkdtemp(prefix="pkm-notes-bench-"))
    try:
        home = base / "home"
        files = generate(home / "notes", args.notes, rng)
        full, none, some, cli = [], [], [], []
        for _ in range(args.reps):
            (home / "pkm.db").unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                (home / f"pkm.db{suffix}").unlink(missing_ok=True)
            pkm = open_pkm(home)
            pkm.store  # noqa: B018 (open and migrate the index outside the timing)
            full.append(timed(sync_notes, pkm))
            none.append(timed(sync_notes, pkm))
            for path in rng.sample(files, 100):
                with path.open("a", encoding="utf-8") as f:
                    f.write("an edit\n")
                st = path.stat()
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
            some.append(timed(sync_notes, pkm))
            pkm.close()
            command = [
                str(ROOT / ".venv/bin/pkm"),
                "--home",
                str(home),
                "sense",
                "reindex",
                "--quiet",
            ]
            cli.append(timed(subprocess.run, command, check=True))
        print(f"notes: {args.notes} (best of {args.reps})")
        print(f"full reindex, empty index:   {min(full):.3f} s   (target < 5 s)")
        print(f"no-change sync:              {min(none):.3f} s   (target < 0.2 s)")
        print(f"sync after 100 edits:        {min(some):.3f} s")
        print(f"`pkm sense reindex`, no change, whole process: {min(cli):.3f} s")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    sys.exit(main())
