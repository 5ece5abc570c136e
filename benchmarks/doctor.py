#!/usr/bin/env python3
"""`pkm doctor` and shell completion on the data of benchmarks/sense.py: 100,000 items,
20,000 highlights, 10,000 notes, 200 sources.

Prints: the time of each check of `pkm doctor` (the library call, a sound home), `pkm
doctor` end to end, `pkm doctor --fix` after 1,000 items' and 100 notes' search rows were
deleted, and a Tab press end to end (the bash protocol, a new process each time) for
sources, tags and notes, beside `pkm --help`, the floor of any command.

Run: `.venv/bin/python benchmarks/doctor.py [--items 100000] [--keep DIR]`.
"""

import argparse
import importlib.util
import itertools
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pkm_cli import pkm_env  # noqa: E402

ENV = pkm_env()
PKM = Path(sys.executable).with_name("pkm")


def sense_benchmark():  # type: ignore[no-untyped-def]
    """benchmarks/sense.py, for its data generator."""
    spec = importlib.util.spec_from_file_location("sense_bench", ROOT / "benchmarks" / "sense.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(
    home: Path, *args: str, env: dict[str, str] | None = None, codes: tuple[int, ...] = (0,)
) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [str(PKM), "--home", str(home), *args] if args else [str(PKM)],
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode not in codes:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return wall


def tab(home: Path, line: str) -> float:
    words = f"pkm --home {home} {line}"
    env = {"_PKM_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split(" ")) - 1)
    return cli(home, env=env)


def median_ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--highlights", type=int, default=20_000)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    args = parser.parse_args()
    bench = sense_benchmark()
    home = args.keep or Path(tempfile.mkdtemp(prefix="pkm-bench-doctor-"))
    try:
        if not (home / "pkm.db").exists():
            home.mkdir(parents=True, exist_ok=True)
            bench.generate(home, args.items, args.highlights, args.notes, random.Random(7))
        from pkm.core import open_pkm
        from pkm.doctor import diagnose
        from pkm.sense.notes import sync_notes

        pkm = open_pkm(home)
        try:
            sync_notes(pkm)
        finally:
            pkm.close()
        print(f"data: {args.items} items, {args.highlights} highlights, {args.notes} notes")
        bench.warm_page_cache(home)

        marks: list[tuple[str, float]] = []
        pkm = open_pkm(home, readonly=True)
        try:
            started = time.perf_counter()
            report = diagnose(pkm, progress=lambda c: marks.append((c, time.perf_counter())))
            marks.append(("end", time.perf_counter()))
        finally:
            pkm.close()
        print(
            f"{'pkm doctor, the library call':<44} {marks[-1][1] - started:7.2f} s"
            f"   ({len(report.problems)} problems)"
        )
        for (check, at), (_, then) in itertools.pairwise(marks):
            print(f"  {check:<42} {then - at:7.2f} s")
        ends = [cli(home, "doctor") for _ in range(3)]
        print(f"{'pkm doctor, end to end':<44} {median_ms(ends)}")

        db = sqlite3.connect(home / "pkm.db")
        db.execute("DELETE FROM search WHERE rowid IN (SELECT id * 4 FROM items LIMIT 1000)")
        db.execute("DELETE FROM search WHERE rowid IN (SELECT id * 4 + 2 FROM notes LIMIT 100)")
        db.commit()
        db.close()
        fixed = cli(home, "doctor", "--fix")
        print(f"{'pkm doctor --fix (1,000 + 100 rows written)':<44} {fixed:7.2f} s")

        help_ = [cli(home, "--help") for _ in range(10)]
        print(f"{'pkm --help (the floor of any command)':<44} {median_ms(help_)}")
        for what, line in (
            ("a Tab: sources (seek remove)", "seek remove "),
            ("a Tab: tags (sense inbox --tag)", "sense inbox --tag "),
            ("a Tab: 10,000 notes (note show)", "sense note show "),
        ):
            print(f"{what:<44} {median_ms([tab(home, line) for _ in range(10)])}")
    finally:
        if args.keep is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
