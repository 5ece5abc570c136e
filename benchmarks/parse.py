#!/usr/bin/env python3
"""Parse benchmark: `parse_feed` alone, on bodies already in memory.

Prints three figures:

* the cold-run bodies: the 500 feeds x 20 entries that ../shared/bench/feedserver.py serves
  (even: RSS 2.0 with content:encoded, odd: Atom with html content), built in-process with
  its own body builder (no server, no network), parsed once each; best and median of
  `--reps` runs;
* the same bodies parsed again with every entry held already (`parse_feed`'s `held`): what
  the unchanged entries of a changed feed cost;
* one RSS feed of `--big` entries (100,000 by default) with a short description each: the
  cost of a feed far beyond `FeedLimits.max_entries`.

Run: `.venv/bin/python benchmarks/parse.py [--reps 5] [--big 100000]` (`--big 0` skips the
long feed). To compare with another revision, run it with PYTHONPATH pointing at that
revision's tree (`git archive REV pkm | tar -x -C /tmp/old`).
"""

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FEEDSERVER = ROOT.parent / "shared" / "bench" / "feedserver.py"
BASE = "http://127.0.0.1:8931"
FEEDS, ENTRIES = 500, 20


def bench_bodies() -> list[tuple[bytes, str, str]]:
    """(body, url, content type) of the benchmark's 500 feeds, generation 0."""
    spec = importlib.util.spec_from_file_location("feedserver", FEEDSERVER)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {FEEDSERVER}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["feedserver"] = module  # its dataclass-free classes still need a home
    spec.loader.exec_module(module)
    feeds: Any = module.FeedSet(FEEDS, ENTRIES, 1, BASE, 0, use_gzip=False)
    bodies = []
    for i in range(FEEDS):
        body, _gz, _etag, _lm, ctype = feeds.get(i, 0)
        bodies.append((body, feeds.url(i), ctype))
    return bodies


def big_feed(entries: int) -> bytes:
    """An RSS feed of `entries` items, newest first, one a minute."""
    items = "".join(
        f"<item><title>Entry {n}</title><link>https://big.example/{n}</link>"
        f"<guid>big-{n}</guid><pubDate>{_rfc822(entries - n)}</pubDate>"
        f"<description>&lt;p&gt;Entry number {n}, with &lt;b&gt;some&lt;/b&gt; text.&lt;/p&gt;"
        "</description></item>"
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>https://big.example/</link>{items}</channel></rss>"
    ).encode()


def _rfc822(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    return f"{1 + days % 28:02d} Jan {2000 + days // 28} {rest // 60:02d}:{rest % 60:02d}:00 GMT"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()
    from pkm.seek.feeds import parse_feed

    bodies = bench_bodies()
    for body, url, ctype in bodies[:20]:  # warm-up: imports, caches
        parse_feed(body, url, ctype)
    times, cpu_times = [], []
    entries = 0
    for _ in range(args.reps):
        started, cpu_started = time.perf_counter(), time.process_time()
        entries = sum(len(parse_feed(body, url, ctype).entries) for body, url, ctype in bodies)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    print(
        f"{len(bodies)} bench bodies, {entries} entries: best {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s over {args.reps} runs "
        f"(CPU best {min(cpu_times):.3f} s)"
    )

    # A changed feed whose entries the index holds already: only what changed is built.
    held = [
        {e.entry_id: e.fingerprint for e in parse_feed(body, url, ctype).entries if e.fingerprint}
        for body, url, ctype in bodies
    ]
    times = []
    for _ in range(args.reps):
        started = time.perf_counter()
        for (body, url, ctype), known in zip(bodies, held, strict=True):
            parse_feed(body, url, ctype, held=known)
        times.append(time.perf_counter() - started)
    print(
        f"the same bodies, every entry held already (a changed feed's unchanged entries):"
        f" best {min(times):.3f} s, median {statistics.median(times):.3f} s"
    )

    if not args.big:
        return
    body = big_feed(args.big)
    started = time.perf_counter()
    feed = parse_feed(body, "https://big.example/feed")
    elapsed = time.perf_counter() - started
    dropped = getattr(feed, "dropped_entries", 0)
    print(
        f"{args.big} entry RSS feed ({len(body) / 1e6:.1f} MB): {elapsed:.2f} s, "
        f"{len(feed.entries)} entries kept, {dropped} dropped"
    )


if __name__ == "__main__":
    main()
