"""The `seek` run: which sources are due, fetching them concurrently, parsing and storing each.

Retrieval runs in the HTTP client's threads; parsing and storing happen here, one source at a
time, each source's result in one transaction. One bad source becomes a failed SourceResult
and never stops or delays the others (reader's "errors as values in batches").
"""

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkm._util.hashing import bytes_hash, content_hash
from pkm._util.timeutil import to_iso
from pkm._util.urls import is_http_url, source_key, url_key
from pkm.errors import ParseError, SourceNotFoundError
from pkm.models import FetchOutcome, ParsedEntry, ParsedFeed, Source, SourceKind, SourceResult
from pkm.seek import schedule

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.seek.http import HttpResponse

log = logging.getLogger("pkm.seek.update")


@dataclass
class SeekPlan:
    """The sources a run will fetch, and the results already known for the ones it skips."""

    due: list[Source] = field(default_factory=list)
    skipped: list[SourceResult] = field(default_factory=list)


def plan_fetch(pkm: "Pkm", only: Sequence[str] = (), force: bool = False) -> SeekPlan:
    """Split the sources into due ones and skipped ones (not due, backing off, gone).

    `force` (`--all`) fetches every source regardless of its schedule, but still honours a
    server's Retry-After and never fetches a gone (410) source.
    """
    now = pkm.now()
    sources = pkm.store.get_sources(
        [source_key(o) for o in only], kinds=(SourceKind.FEED, SourceKind.FILE)
    )
    if only and not sources:
        raise SourceNotFoundError(", ".join(only))
    plan = SeekPlan()
    for source in sources:
        if source.is_gone:
            plan.skipped.append(_skipped(source, FetchOutcome.GONE))
        elif source.retry_after_at is not None and source.retry_after_at > now:
            plan.skipped.append(_skipped(source, FetchOutcome.BACKING_OFF))
        elif not force and source.next_due_at is not None and source.next_due_at > now:
            outcome = FetchOutcome.BACKING_OFF if source.error_count else FetchOutcome.NOT_DUE
            plan.skipped.append(_skipped(source, outcome))
        else:
            plan.due.append(source)
    return plan


def _skipped(source: Source, outcome: FetchOutcome) -> SourceResult:
    return SourceResult(
        url=source.url,
        outcome=outcome,
        source_id=source.id,
        title=source.title,
        http_status=source.last_status,
        error=source.last_error if outcome is not FetchOutcome.NOT_DUE else None,
        error_count=source.error_count,
        next_due_at=source.next_due_at,
        retry_after_at=source.retry_after_at,
    )


# Below this many due sources, parsing inline is cheaper than starting worker processes.
PARALLEL_PARSE_MIN_SOURCES = 16


def run_fetch(pkm: "Pkm", sources: Sequence[Source]) -> Iterator[SourceResult]:
    """Fetch `sources` and store what they hold; yields one result per source as each finishes.

    Retrieval runs in the HTTP client's threads. On a large run, parsing runs in worker
    processes (parsing is CPU-bound Python, and one process would leave the other cores idle),
    while this thread stores each parsed feed as it comes back.
    """
    from pkm.seek.http import HttpRequest

    by_id = {s.id: s for s in sources}
    for source in sources:
        if source.kind is SourceKind.FILE:
            yield apply_fetch(pkm, source, read_file_source(source.url))
    http_sources = [s for s in sources if s.kind is SourceKind.FEED]
    if not http_sources:
        return
    validators = pkm.store.get_validators()
    requests = [
        HttpRequest(url=s.url, etag=etag, last_modified=modified, key=s.id)
        for s in http_sources
        for etag, modified in [validators.get(s.id, (None, None))]
    ]
    # Parsing goes to worker processes only on a large run, and only once a body needs it:
    # a run where every source answers 304 never starts them.
    use_workers = len(http_sources) >= PARALLEL_PARSE_MIN_SOURCES and (os.cpu_count() or 1) > 1
    with ExitStack() as stack:
        client = stack.enter_context(pkm.http())
        pool: ProcessPoolExecutor | None = None
        pending: dict[Future[Parsed], tuple[Source, Fetched]] = {}
        for response in client.fetch_all(requests):
            source = by_id[response.request.key]  # type: ignore[index]
            fetched = Fetched.from_http(response)
            if use_workers and needs_parsing(pkm, source, fetched):
                try:
                    pool = pool or stack.enter_context(_parse_pool())
                    pending[pool.submit(parse_fetched, fetched)] = (source, fetched)
                except BrokenProcessPool:
                    use_workers = False  # the workers died: parse here from now on
                    yield apply_fetch(pkm, source, fetched)
            else:
                yield apply_fetch(pkm, source, fetched)
            for future in [f for f in pending if f.done()]:
                yield _apply_parsed(pkm, future, *pending.pop(future))
        for future in as_completed(list(pending)):
            yield _apply_parsed(pkm, future, *pending.pop(future))


def _apply_parsed(
    pkm: "Pkm", future: "Future[Parsed]", source: Source, fetched: "Fetched"
) -> SourceResult:
    try:
        parsed = future.result()
    except BrokenProcessPool:
        # A worker was killed (out of memory, or a script that imports pkm without a
        # `__main__` guard): a worker's failure must not cost the source its fetch.
        parsed = parse_fetched(fetched)
    return apply_fetch(pkm, source, fetched, parsed=parsed)


@contextmanager
def _parse_pool() -> Iterator[ProcessPoolExecutor]:
    # forkserver, not fork: the HTTP threads are running, and forking a threaded process can
    # deadlock the child. The server preloads the parser so each worker starts warm.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pkm.seek.update", "pkm.seek.feeds"])
    pool = ProcessPoolExecutor(
        max_workers=os.cpu_count() or 2,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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


@dataclass(frozen=True)
class Parsed:
    """A parse result that can travel back from a worker process: a feed or the reason it failed."""

    feed: ParsedFeed | None
    rows: list[tuple[ParsedEntry, str, str | None]]
    error: str | None = None


def parse_fetched(fetched: "Fetched") -> Parsed:
    """Parse a body and hash its entries: the CPU-heavy half of storing a feed."""
    try:
        feed = parse_body(fetched)
    except ParseError as e:
        return Parsed(None, [], e.reason)
    return Parsed(feed, entry_rows(feed.entries))


def needs_parsing(pkm: "Pkm", source: Source, fetched: "Fetched") -> bool:
    """A successful response whose body differs from the last one parsed."""
    if fetched.problem:
        return False
    if fetched.permanent_url:
        return True
    return fetched.body is None or fetched.body_hash != pkm.store.get_body_hash(source.id)


@dataclass(frozen=True)
class Fetched:
    """What retrieval produced for one source, whatever the transport (HTTP or a local file)."""

    url: str
    status: int | None
    headers: dict[str, str]
    body: bytes | None
    error: str | None = None
    permanent_url: str | None = None
    elapsed: float = 0.0

    @cached_property
    def body_hash(self) -> str:
        """Hashed once per response: deciding whether to parse and storing it both need it."""
        return bytes_hash(self.body or b"")

    @property
    def problem(self) -> str | None:
        """Why there is no usable body (network error or non-2xx status), or None."""
        if self.error or self.status is None:
            return self.error or "no response"
        if not 200 <= self.status < 300:
            return f"HTTP {self.status}"
        return None

    @classmethod
    def from_http(cls, r: "HttpResponse") -> "Fetched":
        return cls(
            url=r.url,
            status=r.status,
            headers=dict(r.headers),
            body=r.body,
            error=r.error,
            permanent_url=r.permanent_url,
            elapsed=r.elapsed,
        )


def read_file_source(url: str) -> Fetched:
    """Read a feed file on disk. An unchanged file costs no parsing (see the body hash)."""
    from urllib.parse import unquote, urlsplit

    path = Path(unquote(urlsplit(url).path))
    started = time.monotonic()
    try:
        body = path.read_bytes()
    except OSError as e:
        return Fetched(
            url=url, status=None, headers={}, body=None, error=f"cannot read file: {e.strerror}"
        )
    return Fetched(url=url, status=200, headers={}, body=body, elapsed=time.monotonic() - started)


def entry_rows(entries: Sequence[ParsedEntry]) -> list[tuple[ParsedEntry, str, str | None]]:
    """Pair each entry with the hash that decides "changed" and the key that finds duplicates.

    Only the entry's own content counts: feed-level dates and the entry's `updated` stamp alone
    never make an item "changed".
    """
    return [
        (
            e,
            content_hash(
                [
                    e.url,
                    e.title,
                    e.author,
                    to_iso(e.published),
                    e.summary,
                    e.content_html,
                    list(e.tags),
                ]
            ),
            url_key(e.url) if e.url and is_http_url(e.url) else None,
        )
        for e in entries
    ]


def apply_fetch(
    pkm: "Pkm", source: Source, fetched: Fetched, parsed: Parsed | None = None
) -> SourceResult:
    """Turn one retrieval into stored items and updated fetch state, in one transaction.

    `parsed` is the body already parsed elsewhere (a worker process); else it is parsed here.
    """
    store = pkm.store
    now = pkm.now()
    settings = pkm.settings.seek
    interval = timedelta(minutes=settings.interval_minutes)
    cap = timedelta(hours=settings.max_backoff_hours)
    state: dict[str, Any] = {"last_fetched_at": now, "last_status": fetched.status}
    hints = [schedule.cache_lifetime(fetched.headers, now)]
    feed: ParsedFeed | None = None
    error: str | None = None
    retry_after: datetime | None = None
    outcome = FetchOutcome.UNCHANGED
    status = fetched.status

    if status is None or fetched.error:
        error = fetched.error or "no response"
    elif status == 304:
        _refresh_validators(state, fetched.headers)
    elif status == 410:
        outcome = FetchOutcome.GONE
        state["is_gone"] = 1
    elif status in (429, 503):
        retry_after = schedule.parse_retry_after(fetched.headers.get("retry-after"), now)
        retry_after = min(retry_after, now + cap) if retry_after else None
        error = f"HTTP {status}"
        if retry_after:
            error += f", retry after {to_iso(retry_after)}"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    elif parsed is None and not needs_parsing(pkm, source, fetched):
        # A server without validators sent the same bytes again: nothing to parse.
        _refresh_validators(state, fetched.headers)
    else:
        parsed = parsed or parse_fetched(fetched)
        feed, error = parsed.feed, parsed.error

    notes: list[str] = []
    redirected_to = None
    if error is not None:
        outcome = FetchOutcome.FAILED
        error_count = source.error_count + 1
        due = now + schedule.backoff_delay(error_count, interval, cap)
        due = max(due, retry_after) if retry_after else due
    else:
        error_count = 0
        if feed is not None:
            _refresh_validators(state, fetched.headers)
            state["body_hash"] = fetched.body_hash
            state["title"] = feed.title or source.title
            state["site_url"] = feed.site_url or source.site_url
            if feed.ttl_minutes:
                hints.append(timedelta(minutes=feed.ttl_minutes))
            if fetched.permanent_url and url_key(fetched.permanent_url) != url_key(source.url):
                redirected_to, note = _apply_redirect(
                    pkm, source, fetched.permanent_url, now, state
                )
                notes.append(note)
        due = schedule.next_due(
            now, interval, hints=hints, cap=cap, jitter=timedelta(minutes=settings.jitter_minutes)
        )
    state.update(
        last_error=error, error_count=error_count, next_due_at=due, retry_after_at=retry_after
    )

    new = updated = 0
    with store.transaction():
        if feed is not None:
            assert parsed is not None
            new, updated = store.store_entries(source.id, parsed.rows, now)
            outcome = FetchOutcome.NEW if new or updated else FetchOutcome.UNCHANGED
        state["last_outcome"] = outcome.value
        store.update_source(source.id, **state)
        store.record_fetch(
            source.id,
            fetched_at=now,
            url=fetched.url,
            outcome=outcome,
            http_status=status,
            error=error,
            new_items=new,
            updated_items=updated,
            duration_ms=int(fetched.elapsed * 1000),
        )
    if error:
        log.info("%s: %s", source.url, error)
    return SourceResult(
        url=state.get("url", source.url),
        outcome=outcome,
        source_id=source.id,
        title=state.get("title", source.title),
        http_status=status,
        new_items=new,
        updated_items=updated,
        error=error if outcome is not FetchOutcome.GONE else "HTTP 410 Gone: no longer fetched",
        error_count=error_count,
        next_due_at=due,
        retry_after_at=retry_after,
        redirected_to=redirected_to,
        notes=tuple(notes),
    )


def parse_body(fetched: Fetched) -> ParsedFeed:
    from pkm.seek.feeds import parse_feed

    if not fetched.body:
        raise ParseError(fetched.url, "empty response")
    return parse_feed(fetched.body, fetched.url, fetched.headers.get("content-type"))


def _refresh_validators(state: dict[str, Any], headers: dict[str, str]) -> None:
    # Stored exactly as received: servers compare them byte for byte.
    if "etag" in headers:
        state["etag"] = headers["etag"]
    if "last-modified" in headers:
        state["last_modified"] = headers["last-modified"]


def _apply_redirect(
    pkm: "Pkm", source: Source, target: str, now: datetime, state: dict[str, Any]
) -> tuple[str | None, str]:
    """Follow a 301/308 for good, once its target parsed as a feed; never merge silently."""
    existing = pkm.store.find_source(url_key(target))
    if existing is not None and existing.id != source.id:
        return None, (
            f"permanently redirected to {target}, which is already subscribed as source"
            f" {existing.id}: not merged"
        )
    state.update(url=target, url_key=url_key(target), previous_url=source.url, redirected_at=now)
    return target, f"permanently redirected: {source.url} -> {target}"
