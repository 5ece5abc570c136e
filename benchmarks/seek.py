#!/usr/bin/env python3
"""Fetch benchmark: `pkm seek` over 500 local feeds x 20 entries, at its default settings.

Serves the feeds with ../shared/bench/feedserver.py on 127.0.0.1, spread over 25 loopback
hosts as ../shared/bench/peers.sh does (real feeds live on many sites, so the default
per-host limit costs what it costs in real use), and prints, per server latency (0 and
100 ms): the cold run (empty home, after `seek import`), the warm run with every feed
unchanged (all 304), the warm run with 50 changed feeds (peers.sh's warm run), peak memory
of each run, and the entry counts stored. Also the latency floor ceil(500 / concurrency) x
latency and `pkm --help` start-up time.

Run: `.venv/bin/python benchmarks/seek.py [--reps 3]`. For the comparison with other feed
readers on the same feeds, run `bash ../shared/bench/peers.sh` with `.venv/bin` on PATH.
"""

import argparse
import json
import math
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pkm_cli import pkm_env

ROOT = Path(__file__).resolve().parents[1]
FEEDSERVER = ROOT.parent / "shared" / "bench" / "feedserver.py"
FEEDS, ENTRIES, MUTATE, HOSTS = 500, 20, 50, 25
CONCURRENCY = 16  # pkm's default

ENV = pkm_env()
# Runs a command and prints the peak RSS (KiB) of it and its children: measured in a fresh
# process so the feed server (also our child) never counts.
_MEASURE = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
)


def pkm(home: Path, *args: str) -> tuple[float, float]:
    """Run pkm; return (wall seconds, peak RSS in MB)."""
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "pkm", "--home", str(home), *args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"pkm {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, int(proc.stdout.strip().splitlines()[-1]) / 1024


def count_items(home: Path) -> int:
    with sqlite3.connect(home / "pkm.db") as db:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


class Server:
    def __init__(self, latency_ms: int, workdir: Path) -> None:
        self.dir = workdir / f"server-{latency_ms}"
        self.dir.mkdir()
        port_file = self.dir / "port"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(FEEDSERVER),
                "--feeds",
                str(FEEDS),
                "--entries",
                str(ENTRIES),
                "--mutate",
                str(MUTATE),
                "--latency-ms",
                str(latency_ms),
                "--hosts",
                str(HOSTS),
                "--out-dir",
                str(self.dir),
                "--port-file",
                str(port_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(600):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        else:
            raise SystemExit("feed server did not start")
        self.base = f"http://127.0.0.1:{port_file.read_text().strip()}"
        self.opml = self.dir / "feeds.opml"

    def control(self, what: str) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.base}/_control/{what}") as r:
            return json.loads(r.read() or b"{}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def run_scenario(latency_ms: int, reps: int, workdir: Path) -> dict[str, object]:
    server = Server(latency_ms, workdir)
    try:
        rows: dict[str, list[tuple[float, float]]] = {
            "cold": [],
            "warm_unchanged": [],
            "warm_50_changed": [],
        }
        counts: dict[str, int] = {}
        for rep in range(reps):
            home = workdir / f"home-{latency_ms}-{rep}"
            server.control("generation?set=0")
            pkm(home, "seek", "import", str(server.opml), "--quiet")
            rows["cold"].append(pkm(home, "seek", "--quiet"))
            counts["cold"] = count_items(home)
            server.control("reset-stats")
            rows["warm_unchanged"].append(pkm(home, "seek", "--all", "--quiet"))
            stats = server.control("stats")
            counts["warm_unchanged_304"] = int(stats["status"].get("304", 0))  # type: ignore[index,union-attr]
            server.control("generation?set=1")
            rows["warm_50_changed"].append(pkm(home, "seek", "--all", "--quiet"))
            counts["warm_50_changed"] = count_items(home)
            shutil.rmtree(home)
        result: dict[str, object] = {
            name: {
                "wall_s": round(statistics.median(w for w, _ in runs), 2),
                "min_s": round(min(w for w, _ in runs), 2),
                "max_s": round(max(w for w, _ in runs), 2),
                "peak_rss_mb": round(max(m for _, m in runs), 1),
            }
            for name, runs in rows.items()
        }
        result["counts"] = counts
        result["latency_floor_s"] = round(math.ceil(FEEDS / CONCURRENCY) * latency_ms / 1000, 2)
        return result
    finally:
        server.stop()


def help_time(reps: int = 10) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pkm", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latencies", default="0,100")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not FEEDSERVER.exists():
        raise SystemExit(
            f"{FEEDSERVER} not found: the benchmark needs ../shared/bench beside the repo"
        )
    figures: dict[str, object] = {"feeds": FEEDS, "entries": ENTRIES, "hosts": HOSTS}
    with tempfile.TemporaryDirectory(prefix="pkm-bench-") as tmp:
        workdir = Path(tmp)
        for latency in (int(x) for x in args.latencies.split(",")):
            figures[f"latency_{latency}ms"] = run_scenario(latency, args.reps, workdir)
    figures["help_s"] = round(help_time(), 3)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"pkm seek benchmark: {FEEDS} feeds x {ENTRIES} entries on {HOSTS} loopback hosts,"
        f" pkm's defaults, median of {args.reps}"
    )
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
