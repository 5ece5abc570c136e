"""Parsing fetched bodies, in this process or in worker processes on large runs.

Parsing is CPU-bound Python: on a large run, one process would leave the other cores idle,
so bodies go to a pool of worker processes while the main process stores what comes back.
"""

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver, spawn
from multiprocessing import util as mp_util
from typing import Any

from pkm._util.hashing import content_hash
from pkm._util.timeutil import to_iso
from pkm._util.urls import is_http_url, url_key
from pkm.errors import ParseError
from pkm.models import FeedLimits, ParsedEntry, ParsedFeed, TeammateHighlight
from pkm.seek.retrieve import Fetched

# Below this many due sources, parsing inline is cheaper than starting worker processes.
PARALLEL_PARSE_MIN_SOURCES = 16

EntryRow = tuple[ParsedEntry, str, str | None]  # entry, content hash, URL key


@dataclass(frozen=True)
class Parsed:
    """A parse result that can travel back from a worker process: a feed or the reason it failed."""

    feed: ParsedFeed | None
    rows: list[EntryRow]
    error: str | None = None
    body_hash: str | None = None  # of the body parsed, hashed where it was parsed


def parse_fetched(
    fetched: Fetched, limits: FeedLimits = FeedLimits(), held: Mapping[str, str] | None = None
) -> Parsed:
    """Parse a body and hash its entries: the CPU-heavy half of storing a feed. `held`:
    the fingerprints of the source's entries stored already (see `held_fingerprints`)."""
    try:
        feed = parse_body(fetched, limits, held)
    except ParseError as e:
        return Parsed(None, [], e.reason)
    return Parsed(feed, entry_rows(feed.entries), body_hash=fetched.body_hash)


def parse_body(
    fetched: Fetched, limits: FeedLimits = FeedLimits(), held: Mapping[str, str] | None = None
) -> ParsedFeed:
    from pkm.seek.feeds import parse_feed

    if not fetched.body:
        raise ParseError(fetched.url, "empty response")
    content_type = fetched.headers.get("content-type")
    return parse_feed(fetched.body, fetched.url, content_type, limits=limits, held=held)


def stored_hash(digest: str, fingerprint: str | None) -> str:
    """What `item_sources.content_hash` holds for an entry: the digest of the built entry
    (`entry_rows`), which decides "changed", then the fingerprint of its raw form, which
    spares building an unchanged entry again. Hashes stored before fingerprints existed
    are the digest alone."""
    return f"{digest} {fingerprint}" if fingerprint else digest


def split_stored_hash(stored: str) -> tuple[str, str | None]:
    """(digest, fingerprint) of what `stored_hash` wrote; no fingerprint in older hashes."""
    digest, _, fingerprint = stored.partition(" ")
    return digest, fingerprint or None


def held_fingerprints(hashes: Mapping[str, tuple[int, str]]) -> dict[str, str]:
    """entry id -> fingerprint, of a source's stored entries (`Store.get_entry_hashes`)."""
    held = {}
    for entry_id, (_, stored) in hashes.items():
        fingerprint = split_stored_hash(stored)[1]
        if fingerprint:
            held[entry_id] = fingerprint
    return held


def entry_rows(entries: Sequence[ParsedEntry]) -> list[EntryRow]:
    """Pair each entry with the hash that decides "changed" and the key that finds duplicates.

    Only the entry's own content counts: feed-level dates and the entry's `updated` stamp alone
    never make an item "changed". Enclosures count only when there are some, so adding them
    to the hash left every hash made before them as it was; so do a teammate's highlights.
    """
    rows = []
    for e in entries:
        hashed: list[object] = [
            e.url,
            e.title,
            e.author,
            to_iso(e.published),
            e.summary,
            e.content_html,
            list(e.tags),
        ]
        if e.enclosures:
            hashed.append([[x.url, x.type, x.length] for x in e.enclosures])
        if e.kind is not None:  # a teammate's entry: their highlights and citations count
            hashed.append(
                [e.kind.value, e.shared_by, [shared_hash(h) for h in e.highlights]]
                + [[c.url, c.title] for c in e.cites]
            )
        key = url_key(e.url) if e.url and is_http_url(e.url) else None
        rows.append((e, content_hash(hashed), key))
    return rows


def shared_hash(h: TeammateHighlight) -> str:
    """What decides that a teammate edited a highlight: everything it carries."""
    created, updated = to_iso(h.created), to_iso(h.updated)
    return content_hash(
        [h.id, h.exact, h.prefix, h.suffix, h.comment, list(h.tags), created, updated]
    )


@contextmanager
def parse_pool() -> Iterator[ProcessPoolExecutor]:
    """Worker processes for `parse_fetched`, ended when the block ends (or the parent dies).

    The block ends only once the pool's manager thread has: left running, it raced Python
    3.11's exit hook, which wakes it through a pipe it may be closing ("Bad file descriptor"
    printed after "pkm: interrupted"). A block ended by an exception (Ctrl-C, a full disk)
    terminates the workers first, so that what they were parsing, moot now, is not waited for.
    """
    pool = ProcessPoolExecutor(
        max_workers=os.cpu_count() or 2,
        mp_context=start_parse_server(),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    try:
        with _workers_without_main():
            yield pool
    except BaseException:
        _terminate_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Python 3.14's `ProcessPoolExecutor.terminate_workers`, for the versions before it."""
    for process in list((pool._processes or {}).values()):
        process.terminate()


@contextmanager
def _workers_without_main() -> Iterator[None]:
    """Start workers that do not run the parent's `__main__` first.

    multiprocessing has each new worker re-run the parent's main script (as `__mp_main__`),
    so that functions defined there can be unpickled. For pkm that script is the `pkm`
    console script, and re-running it imported the whole CLI in every worker, 40-60 ms
    spent just when the first bodies wait to be parsed. Workers only run functions of this
    module, so the main script is left out of what they are told to prepare. Workers start
    when tasks are submitted, so this holds while the pool is in use.
    """
    original = spawn.get_preparation_data

    def preparation_data(name: str) -> dict[str, Any]:
        data = dict(original(name))
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    spawn.get_preparation_data = preparation_data
    try:
        yield
    finally:
        spawn.get_preparation_data = original


def start_parse_server() -> multiprocessing.context.ForkServerContext:
    """Start the fork server the parse workers come from, if it is not running yet.

    forkserver, not fork: the HTTP threads are running, and forking a threaded process can
    deadlock the child. The server imports the parser once, so each worker starts warm;
    started at the beginning of a large run, that import overlaps with the fetching instead
    of holding up the first body to parse.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pkm.seek.parse", "pkm.seek.feeds"])
    with _helpers_started_safely():
        forkserver.ensure_running()
    return context


_SPAWN_LOCK = threading.Lock()


@contextmanager
def _helpers_started_safely() -> Iterator[None]:
    """Start multiprocessing's helper processes (the fork server and the resource tracker,
    each a `python -c ...`) with -P and with SIGINT ignored.

    -P keeps the current folder off their sys.path: Python 3.11's fork server ignores the
    parent's sys.path, so a `pkm/` folder where a run was started shadowed the installed
    package in the workers. SIGINT: Ctrl-C reaches every process of the terminal's
    foreground group, and a helper still importing would print a KeyboardInterrupt
    traceback; an ignored signal stays ignored across exec. Both are arguments of the one
    function that spawns them, so that is what is wrapped, for the time of the start only.
    """
    with _SPAWN_LOCK:
        original = mp_util.spawnv_passfds

        def spawn(path: Any, args: Any, passfds: Any) -> int:
            if "-P" not in args:
                args = [args[0], "-P", *args[1:]]
            ignore = threading.current_thread() is threading.main_thread()
            handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore else None
            try:
                return int(original(path, args, passfds))
            finally:
                if ignore:
                    signal.signal(signal.SIGINT, handler)

        mp_util.spawnv_passfds = spawn
        try:
            yield
        finally:
            mp_util.spawnv_passfds = original


def _init_worker(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; the parent decides what to do, and workers
    # printing their own KeyboardInterrupt tracebacks would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker once pkm is gone: a `kill -9` of a cron run must not leave workers
    (blocked forever on their task queue) and the fork server behind."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(0)
