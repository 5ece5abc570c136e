"""What the benchmarks that time the `pkm` command share: the environment it runs in, and
the median of a few runs."""

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path


def pkm_env(**extra: str) -> dict[str, str]:
    """This environment without PKM_* settings, plus `extra`. Bytecode is cached as an
    installed pkm's is (pip compiles it), where PYTHONDONTWRITEBYTECODE (set on this
    machine) would have every run compile pkm's modules again: some 40 ms."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PKM_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    return env | extra


def median_cli_seconds(home: Path, reps: int, *args: str, env: Mapping[str, str]) -> float:
    """`pkm --home HOME ARGS` run `reps` times in new processes: the median wall time."""
    cmd = [sys.executable, "-m", "pkm", "--home", str(home), *args]
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        done = subprocess.run(cmd, env=dict(env), capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"pkm {' '.join(args)} failed: {done.stderr[-2000:]}")
    return statistics.median(times)
