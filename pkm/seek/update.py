"""The `seek` run: which sources are due, then retrieve, parse, decide and store each.

Retrieval runs in the HTTP client's threads, parsing in worker processes on a large run, and
deciding and storing here: for each source the facts the decision needs are read, the
decision is made (`pkm.seek.decide`, pure), and the store applies it, all in one savepoint
of a write transaction that several sources share (see `_Storer`). One bad source becomes a
failed `SourceResult` and never stops the others (reader's "errors as values in batches");
so does a source whose result cannot be stored because another process holds the index's
write lock longer than the busy timeout.
"""

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from queue import SimpleQueue
from typing import TYPE_CHECKING

from pkm._util.urls import url_key
from pkm.errors import StoreError
from pkm.models import (
    SUBSCRIPTION_KINDS,
    FetchOutcome,
    RunKind,
    SeekReport,
    Source,
    SourceKind,
    SourceResult,
    SourceUpdate,
    StoredEntries,
)
from pkm.seek.decide import Known, Policy, decide, needs_parsing, result_of
from pkm.seek.parse import (
    PARALLEL_PARSE_MIN_SOURCES,
    EntryRow,
    Parsed,
    held_fingerprints,
    parse_fetched,
    parse_pool,
    start_parse_server,
)
from pkm.seek.retrieve import Fetched, read_file_source

if TYPE_CHECKING:
    from pkm.config import Settings
    from pkm.core import Pkm
    from pkm.store import Store

log = logging.getLogger("pkm.seek.update")

# After one source waited the whole busy timeout in vain, the others only try briefly: a
# lock held that long is unlikely to go away within the run, and 500 sources waiting 30 s
# each would keep a cron run for hours.
_BUSY_RETRY_SECONDS = 1.0


def fetch_due(
    pkm: "Pkm",
    *,
    only: Sequence[str] = (),
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SeekReport:
    """Fetch every due source (or those `only` names) and store what changed.

    Args:
        only: ids, URLs, feed file paths or tags (see `resolve_sources`).
        force: fetch sources that are not due yet (`--all`); a server's Retry-After and
            410 Gone are still honoured.
        progress: called with (done, total) as each due source is finished.

    Returns:
        One result per source, skipped ones included, in id order.

    Raises:
        SourceNotFoundError: a reference in `only` matches no source.
        LockedError: another pkm run holds the lock.
    """
    from pkm.runlog import recorded_run
    from pkm.seek.subscriptions import resolve_sources

    detail = " ".join(["--all"] * force + [*only])
    with pkm.lock(), recorded_run(pkm, RunKind.SEEK, detail) as run:
        sources = (
            resolve_sources(pkm, only) if only else pkm.store.get_sources(kinds=SUBSCRIPTION_KINDS)
        )
        plan = plan_fetch(sources, pkm.now(), force=force)
        results = list(plan.skipped)
        total = len(plan.due)
        if progress is not None:
            progress(0, total)
        for done, result in enumerate(run_fetch(pkm, plan.due), 1):
            results.append(result)
            if result.error:
                run.fail(result.url, result.error)
            if progress is not None:
                progress(done, total)
        report = SeekReport(tuple(sorted(results, key=lambda r: r.source_id or 0)))
        run.count(
            sources=len(sources),
            fetched=total,
            new_items=report.new_items,
            updated_items=report.updated_items,
            failed=len(report.failed),
        )
    return report


@dataclass
class SeekPlan:
    """The sources a run will fetch, and the results already known for the ones it skips."""

    due: list[Source] = field(default_factory=list)
    skipped: list[SourceResult] = field(default_factory=list)


def plan_fetch(sources: Sequence[Source], now: datetime, *, force: bool = False) -> SeekPlan:
    """Split sources into due ones and skipped ones (not due, backing off, gone).

    `force` (`--all`) fetches every source regardless of its schedule, but still honours a
    server's Retry-After and never fetches a gone (410) source.
    """
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


def policy_of(settings: "Settings") -> Policy:
    s = settings.seek
    return Policy(
        interval=timedelta(minutes=s.interval_minutes),
        jitter=timedelta(minutes=s.jitter_minutes),
        max_backoff=timedelta(hours=s.max_backoff_hours),
    )


def run_fetch(pkm: "Pkm", sources: Sequence[Source]) -> Iterator[SourceResult]:
    """Fetch `sources` and store what they hold; yields each source's result once stored.

    The caller holds the run lock. On a large run, parsing runs in worker processes while
    this thread stores each parsed feed as it comes back.
    """
    feeds = [s for s in sources if s.kind is SourceKind.FEED]
    use_workers = len(feeds) >= PARALLEL_PARSE_MIN_SOURCES and (os.cpu_count() or 1) > 1
    if use_workers:
        # First of all: the workers take 0.1 s to be ready, which then overlaps with
        # loading the HTTP client and the first fetches instead of delaying the first parse.
        start_parse_server()
    storer = _Storer(pkm)
    try:
        for source in sources:
            if source.kind is SourceKind.FILE:
                storer.store(source, read_file_source(source.url))
        yield from storer.take()
        yield from _fetch_http(pkm, storer, feeds, use_workers=use_workers)
        storer.commit()
        yield from storer.take()
    finally:
        storer.abort()  # nothing to do after the last commit; after Ctrl-C, drops the batch


def _fetch_http(
    pkm: "Pkm", storer: "_Storer", sources: list[Source], *, use_workers: bool
) -> Iterator[SourceResult]:
    from pkm.seek.http import HttpRequest

    if not sources:
        return
    by_id = {s.id: s for s in sources}
    requests = [
        HttpRequest(url=s.url, etag=s.etag, last_modified=s.last_modified, key=s.id)
        for s in sources
    ]
    with ExitStack() as stack:
        client = stack.enter_context(pkm.http())
        pool: ProcessPoolExecutor | None = None
        pending: dict[Future[Parsed], tuple[Source, Fetched]] = {}
        # Parsed bodies in the order they come back: asking each of hundreds of pending
        # futures whether it is done, after every response, was a tenth of this thread.
        finished: SimpleQueue[Future[Parsed]] = SimpleQueue()
        # Commit before waiting on the network: no write lock is held while a server is slow.
        for response in client.fetch_all(requests, before_waiting=storer.commit):
            source = by_id[response.request.key]  # type: ignore[index]
            fetched = Fetched.from_http(response)
            if use_workers and needs_parsing(source, fetched):
                try:
                    pool = pool or stack.enter_context(parse_pool())
                    task = pool.submit(parse_fetched, fetched, storer.limits, storer.held(source))
                    pending[task] = (source, fetched)
                    task.add_done_callback(finished.put)
                except BrokenProcessPool:
                    use_workers = False  # the workers died: parse here from now on
                    storer.store(source, fetched)
            else:
                storer.store(source, fetched)
            while not finished.empty():
                future = finished.get()
                storer.store_parsed(future, *pending.pop(future))
            yield from storer.take()
        while pending:  # the bodies still being parsed
            if finished.empty():  # commit before waiting here too
                storer.commit()
                yield from storer.take()
            future = finished.get()
            storer.store_parsed(future, *pending.pop(future))
            yield from storer.take()


def store_fetched(
    pkm: "Pkm", source: Source, fetched: Fetched, parsed: Parsed | None = None
) -> SourceResult:
    """Decide and store one retrieval outside a run (a new subscription); `parsed` is its
    body already parsed, else it is parsed here if needed."""
    storer = _Storer(pkm)
    storer.store(source, fetched, parsed)
    storer.commit()
    [result] = storer.take()
    return result


class _Storer:
    """Stores the fetches of a run, several sources to a commit, and keeps the run going
    when the index is busy.

    Committing each source on its own was most of the cost of a run where most sources
    answer 304, and each commit left the search index one more segment to merge. So one
    write transaction stays open for up to `BATCH_SOURCES` sources or `BATCH_SECONDS`, and
    never while the run waits for the network; each source is a savepoint in it: still all
    or nothing, decided from what the sources before it stored. A result is reported once it
    is committed; an interrupted run loses at most the open batch, fetched again next time.
    """

    BATCH_SOURCES = 64
    BATCH_SECONDS = 0.5

    def __init__(self, pkm: "Pkm") -> None:
        self.pkm = pkm
        self.policy = policy_of(pkm.settings)
        self.limits = pkm.feed_limits()
        self.busy = False
        self.pending: list[tuple[Source, SourceUpdate, StoredEntries, tuple[str, ...]]] = []
        self.ready: list[SourceResult] = []
        self.opened_at = 0.0

    def store_parsed(self, future: "Future[Parsed]", source: Source, fetched: Fetched) -> None:
        try:
            parsed = future.result()
        except BrokenProcessPool:
            # A worker was killed (out of memory, or a script that imports pkm without a
            # `__main__` guard): a worker's failure must not cost the source its fetch.
            parsed = parse_fetched(fetched, self.limits, self.held(source))
        self.store(source, fetched, parsed)

    def store(self, source: Source, fetched: Fetched, parsed: Parsed | None = None) -> None:
        """Decide and store one retrieval (`parsed`: the body already parsed in a worker)."""
        if parsed is None and needs_parsing(source, fetched):
            parsed = parse_fetched(fetched, self.limits, self.held(source))
        store = self.pkm.store
        try:
            if not self.pending:
                store.begin()  # waits up to the busy timeout for another writer
                self.opened_at = time.monotonic()
            with store.transaction():  # a savepoint: this source, all or nothing
                known = (
                    Known()
                    if parsed is None or parsed.feed is None
                    else read_known(store, source, parsed.rows, fetched.permanent_url)
                )
                update, notes = decide(
                    source, fetched, parsed, known, now=self.pkm.now(), policy=self.policy
                )
                stored = store.apply_source_update(update)
        except StoreError as e:
            if "database is locked" not in str(e):
                raise
            self.commit()
            self.ready.append(self._not_stored(source, fetched.status))
            return
        self.pending.append((source, update, stored, notes))
        full = len(self.pending) >= self.BATCH_SOURCES
        if full or time.monotonic() - self.opened_at >= self.BATCH_SECONDS:
            self.commit()

    def held(self, source: Source) -> dict[str, str]:
        """The fingerprints of what `source` delivered so far: its unchanged entries are
        then not built again (`parse_feed`'s `held`)."""
        if source.body_hash is None:  # never parsed: nothing held (spares a first run 500 reads)
            return {}
        return held_fingerprints(self.pkm.store.get_entry_hashes(source.id))

    def commit(self) -> None:
        """Commit the open batch; its results become ready (failed ones if it could not be
        committed: then nothing of it was stored)."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            self.pkm.store.commit()
        except StoreError as e:
            if "database is locked" not in str(e):
                raise  # a damaged index: every other source would fail the same way
            reason = f"not stored: {e}; fetched again on the next run"
            self.ready += [
                self._not_stored(source, u.http_status, reason) for source, u, _, _ in pending
            ]
            return
        self.ready += [self._stored(*entry) for entry in pending]

    def take(self) -> list[SourceResult]:
        ready, self.ready = self.ready, []
        return ready

    def abort(self) -> None:
        """Drop the open batch (an interrupted run): nothing of it is stored."""
        if self.pending:
            self.pending = []
            self.pkm.store.rollback()

    def _stored(
        self, source: Source, update: SourceUpdate, stored: StoredEntries, notes: tuple[str, ...]
    ) -> SourceResult:
        if self.busy:
            self.busy = False
            self.pkm.store.set_busy_timeout(self.pkm.settings.index.busy_timeout)
        result = result_of(source, update, stored, notes)
        log.info(
            "%s: %s (HTTP %s, %d new, %d updated)%s",
            result.url,
            result.outcome.value,
            result.http_status,
            result.new_items,
            result.updated_items,
            f": {result.error}" if result.error else "",
        )
        return result

    def _not_stored(
        self, source: Source, http_status: int | None, reason: str | None = None
    ) -> SourceResult:
        if reason is None:  # the index was locked past the busy timeout
            waited = _BUSY_RETRY_SECONDS if self.busy else self.pkm.settings.index.busy_timeout
            if not self.busy:
                self.busy = True
                self.pkm.store.set_busy_timeout(_BUSY_RETRY_SECONDS)
            reason = (
                f"not stored: another process held the index's write lock (waited {waited:g} s);"
                " fetched again on the next run"
            )
        log.info("%s: %s", source.url, reason)
        return SourceResult(
            url=source.url,
            outcome=FetchOutcome.FAILED,
            source_id=source.id,
            title=source.title,
            http_status=http_status,
            error=reason,
            error_count=source.error_count,
            next_due_at=source.next_due_at,
            retry_after_at=source.retry_after_at,
        )


def read_known(
    store: "Store", source: Source, rows: Sequence[EntryRow], redirect_to: str | None = None
) -> Known:
    """What the index holds that a decision about `rows` from `source` depends on: its
    entries so far, the items other sources delivered under the same URL keys, and whoever
    is subscribed already at a permanent redirect's target. Read in the transaction in
    which the decision is then applied."""
    entries = store.get_entry_hashes(source.id)
    keys = {k for e, _, k in rows if k is not None and e.entry_id not in entries}
    owner = None
    if redirect_to and url_key(redirect_to) != url_key(source.url):
        existing = store.find_source(url_key(redirect_to))
        owner = existing.id if existing is not None else None
    by_key = store.find_items_by_url_key(keys)
    if not any(e.kind is not None for e, _, _ in rows):
        return Known(entries=entries, items_by_url_key=by_key, redirect_owner=owner)
    # A teammate's shared.atom: what deciding about their highlights needs.
    # Only the items of entries that changed or are new: the others are not decided about.
    targets = {
        entries[e.entry_id][0]
        for e, digest, _ in rows
        if e.entry_id in entries and entries[e.entry_id][1] != digest
    }
    targets |= {by_key[k] for e, _, k in rows if e.entry_id not in entries and k in by_key}
    return Known(
        entries=entries,
        items_by_url_key=by_key,
        redirect_owner=owner,
        shared=store.get_shared_annotations(source.id),
        item_texts=store.get_item_texts(sorted(targets)),
        exclusive_items=frozenset(store.exclusive_items(source.id, targets)),
    )
