#!/usr/bin/env python3
"""`--help` benchmark: `pkm ... --help` for every command and subcommand, each in a new process.

`pkm --help` is what a person types first and the floor under every command's start-up, so
the target is under 0.3 s for each one. The commands are read from the click tree Typer
builds (`typer.main.get_command`), so a new command is timed without editing this file.

Each round runs every command once, in order, together with two baselines, `python -c pass`
(starting Python) and `python -c "import typer"` (the CLI framework pkm stands on): this
machine's speed varies with the other work on it, and rounds interleave so that a slow
moment slows every command alike. Prints a table (median, min and max per command; the
min is the nearest to what a quiet machine takes), the slowest commands, what pkm adds
over `import typer`, and a PASS/FAIL line: PASS when every command's median is under the
target. A FAIL is a reason to run `python -X importtime -m pkm CMD --help` and make what
it imports lazy (tests/test_cli_lazy_imports.py then keeps it so).

Run: `.venv/bin/python benchmarks/help.py [--runs 5] [--target 0.3] [--check]`
(`--check` exits 1 on FAIL; by default the figures are printed and the exit code is 0).
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import typer
from pkm_cli import pkm_env

from pkm.cli import app


def command_paths() -> list[tuple[str, ...]]:
    """Every command of the tree as the words that name it, the root (`()`) first."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        for name in sorted(getattr(command, "commands", {})):
            yield from walk(command.commands[name], (*path, name))

    return list(walk(typer.main.get_command(app), ()))


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]!r}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--target", type=float, default=0.3, help="seconds (default 0.3)")
    parser.add_argument("--slowest", type=int, default=5, help="how many to list as slowest")
    parser.add_argument("--check", action="store_true", help="exit 1 on FAIL")
    args = parser.parse_args()

    python = sys.executable
    pkm = Path(python).with_name("pkm")
    if not pkm.exists():
        raise SystemExit(f"no {pkm}: run `make .venv/.installed-test` first")
    baselines = {
        "python -c pass": [python, "-c", "pass"],
        'python -c "import typer"': [python, "-c", "import typer"],
    }
    commands = {" ".join(["pkm", *p, "--help"]): [str(pkm), *p, "--help"] for p in command_paths()}
    everything = {**baselines, **commands}
    runs: dict[str, list[float]] = {name: [] for name in everything}
    with tempfile.TemporaryDirectory(prefix="pkm-help-bench") as home:
        # A home of its own (help never opens it), no colour, a fixed width.
        env = pkm_env(PKM_HOME=home, NO_COLOR="1", COLUMNS="100")
        for argv in everything.values():  # untimed: writes the bytecode, warms the page cache
            timed(argv, env)
        for _ in range(args.runs):
            for name, argv in everything.items():
                runs[name].append(timed(argv, env))

    median = {name: statistics.median(times) for name, times in runs.items()}
    width = max(len(name) for name in runs)
    print(f"{len(commands)} commands, {args.runs} runs each, target {args.target:.2f} s")
    print(f"{'command':<{width}}  median    min    max")
    for name, times in runs.items():
        print(f"{name:<{width}}  {median[name]:6.3f} {min(times):6.3f} {max(times):6.3f}")
        if name == 'python -c "import typer"':
            print("-" * (width + 22))
    typer_floor = median['python -c "import typer"']
    slowest = sorted(commands, key=lambda n: median[n], reverse=True)[: args.slowest]
    print("\nslowest (median; what pkm adds over `import typer`):")
    for name in slowest:
        print(f"  {name:<{width}}  {median[name]:.3f} s  (+{median[name] - typer_floor:.3f} s)")
    over = [name for name in commands if median[name] >= args.target]
    worst_max = max(max(runs[name]) for name in commands)
    if over:
        print(f"\nFAIL: {len(over)} of {len(commands)} commands at or over {args.target:.2f} s:")
        for name in over:
            print(f"  {name}  {median[name]:.3f} s")
    else:
        print(
            f"\nPASS: every command's --help under {args.target:.2f} s"
            f" (slowest median {median[slowest[0]]:.3f} s, slowest run {worst_max:.3f} s)"
        )
    return 1 if over and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
