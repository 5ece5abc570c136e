#!/usr/bin/env python3
"""kill -9 benchmark: many kills of each scenario of tests/kills.py, and what survived.

For each scenario (`pkm seek --all` over 40 local feeds, `pkm sense synthesize` of 1,500
items into a note, `pkm share publish` of 1,500 highlighted items into a git team folder):
one unkilled run is timed, then `--kills` runs are killed with SIGKILL at seeded delays
spread over that time, and each is checked (tests/kills.py): the index's integrity, nothing
committed before the kill lost, no half-written note, digest or page, the next run
completing. Prints, per scenario: kills, kills that landed mid-run, survived with integrity
ok, nothing lost, nothing half-written, next run ok, pkm's temporary files left behind, and
each failure with its delay (replay it with the same --seed).

Run: `.venv/bin/python benchmarks/kills.py [--kills 100] [--seed 1] [--only seek]`.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kills import SCENARIOS, Harness, Trial, spread_delays  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="kills per scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", help="a scenario's name (repeatable)")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
    print(f"kills per scenario: {args.kills}, seed {args.seed}")
    header = (
        f"{'scenario':<11} {'run s':>6} {'kills':>5} {'mid-run':>7} {'integrity':>9}"
        f" {'no loss':>7} {'whole':>5} {'next ok':>7} {'tmp left':>8} {'all ok':>6} {'took s':>7}"
    )
    print(header)
    failed = 0
    for make in chosen:
        with tempfile.TemporaryDirectory(prefix=f"pkm-kills-{make.name}-") as work:
            harness = Harness(make(), Path(work))
            started = time.monotonic()
            try:
                duration = harness.measure()
                trials = [
                    harness.kill_at(d) for d in spread_delays(args.kills, duration, args.seed)
                ]
            finally:
                harness.close()
            took = time.monotonic() - started
        failed += report(make.name, duration, trials, took)
    return 1 if failed else 0


def report(name: str, duration: float, trials: list[Trial], took: float) -> int:
    n = len(trials)
    print(
        f"{name:<11} {duration:>6.2f} {n:>5} {sum(t.killed for t in trials):>7}"
        f" {sum(not t.integrity for t in trials):>9} {sum(not t.lost for t in trials):>7}"
        f" {sum(not t.half_written for t in trials):>5} {sum(not t.next_run for t in trials):>7}"
        f" {sum(t.temp_files for t in trials):>8} {sum(t.ok for t in trials):>6} {took:>7.0f}"
    )
    bad = [t for t in trials if not t.ok]
    for t in bad:
        print(f"  FAILED {t.problems()}")
    return len(bad)


if __name__ == "__main__":
    sys.exit(main())
