"""The `seek` run: which sources are due, then retrieve, parse, decide and store each.

Retrieval runs in the HTTP client's threads, parsing in worker processes on a large run, and
deciding and storing here, one source at a time: the facts the decision needs are read, the
decision is made (`pkm.seek.decide`, pure), and the store applies it, all in one transaction.
One bad source becomes a failed `SourceResult` and never stops the others (reader's "errors
as values in batches"); so does a source whose result cannot be stored because another
process holds the index's write lock longer than the busy timeout.
"""

import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pkm._util.urls import url_key
from pkm.errors import StoreError
from pkm.models import FetchOutcome, Source, SourceKind, SourceResult
from pkm.seek.decide import Known, Policy, decide, needs_parsing, result_of
from pkm.seek.parse import PARALLEL_PARSE_MIN_SOURCES, Parsed, parse_fetched, parse_pool
from pkm.seek.retrieve import Fetched, read_file_source

if TYPE_CHECKING:
    from pkm.config import Settings
    from pkm.core import Pkm

log = logging.getLogger("pkm.seek.update")

# After one source waited the whole busy timeout in vain, the others only try briefly: a
# lock held that long is unlikely to go away within the run, and 500 sources waiting 30 s
# each would keep a cron run for hours.
_BUSY_RETRY_SECONDS = 1.0


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
    """Fetch `sources` and store what they hold; yields one result per source as each finishes.

    The caller holds the run lock. On a large run, parsing runs in worker processes, started
    only once a body needs parsing (a run where every source answers 304 never starts them),
    while this thread stores each parsed feed as it comes back.
    """
    from pkm.seek.http import HttpRequest

    storer = _Storer(pkm)
    for source in sources:
        if source.kind is SourceKind.FILE:
            yield storer.store(source, read_file_source(source.url))
    http_sources = [s for s in sources if s.kind is SourceKind.FEED]
    if not http_sources:
        return
    by_id = {s.id: s for s in http_sources}
    requests = [
        HttpRequest(url=s.url, etag=s.etag, last_modified=s.last_modified, key=s.id)
        for s in http_sources
    ]
    use_workers = len(http_sources) >= PARALLEL_PARSE_MIN_SOURCES and (os.cpu_count() or 1) > 1
    limits = pkm.feed_limits()
    with ExitStack() as stack:
        client = stack.enter_context(pkm.http())
        pool: ProcessPoolExecutor | None = None
        pending: dict[Future[Parsed], tuple[Source, Fetched]] = {}
        for response in client.fetch_all(requests):
            source = by_id[response.request.key]  # type: ignore[index]
            fetched = Fetched.from_http(response)
            if use_workers and needs_parsing(source, fetched):
                try:
                    pool = pool or stack.enter_context(parse_pool())
                    pending[pool.submit(parse_fetched, fetched, limits)] = (source, fetched)
                except BrokenProcessPool:
                    use_workers = False  # the workers died: parse here from now on
                    yield storer.store(source, fetched)
            else:
                yield storer.store(source, fetched)
            for future in [f for f in pending if f.done()]:
                yield storer.store_parsed(future, *pending.pop(future))
        for future in as_completed(list(pending)):
            yield storer.store_parsed(future, *pending.pop(future))


def store_fetched(pkm: "Pkm", source: Source, fetched: Fetched) -> SourceResult:
    """Parse (if needed), decide and store one retrieval outside a run (a new subscription)."""
    return _Storer(pkm).store(source, fetched)


class _Storer:
    """Stores one source's fetch at a time, and keeps the run going when the index is busy."""

    def __init__(self, pkm: "Pkm") -> None:
        self.pkm = pkm
        self.policy = policy_of(pkm.settings)
        self.limits = pkm.feed_limits()
        self.busy = False

    def store_parsed(
        self, future: "Future[Parsed]", source: Source, fetched: Fetched
    ) -> SourceResult:
        try:
            parsed = future.result()
        except BrokenProcessPool:
            # A worker was killed (out of memory, or a script that imports pkm without a
            # `__main__` guard): a worker's failure must not cost the source its fetch.
            parsed = parse_fetched(fetched, self.limits)
        return self.store(source, fetched, parsed)

    def store(self, source: Source, fetched: Fetched, parsed: Parsed | None = None) -> SourceResult:
        """Decide and store one retrieval; `parsed` is the body already parsed in a worker."""
        if parsed is None and needs_parsing(source, fetched):
            parsed = parse_fetched(fetched, self.limits)
        store = self.pkm.store
        try:
            with store.transaction():
                known = _known(self.pkm, source, fetched, parsed)
                update, notes = decide(
                    source, fetched, parsed, known, now=self.pkm.now(), policy=self.policy
                )
                stored = store.apply_source_update(update)
        except StoreError as e:
            if "database is locked" not in str(e):
                raise
            return self._not_stored(source, fetched)
        if self.busy:
            self.busy = False
            store.set_busy_timeout(self.pkm.settings.index.busy_timeout)
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

    def _not_stored(self, source: Source, fetched: Fetched) -> SourceResult:
        waited = _BUSY_RETRY_SECONDS if self.busy else self.pkm.settings.index.busy_timeout
        if not self.busy:
            self.busy = True
            self.pkm.store.set_busy_timeout(_BUSY_RETRY_SECONDS)
        log.info("%s: not stored, the index is locked", source.url)
        return SourceResult(
            url=source.url,
            outcome=FetchOutcome.FAILED,
            source_id=source.id,
            title=source.title,
            http_status=fetched.status,
            error=(
                f"not stored: another process held the index's write lock (waited {waited:g} s);"
                " fetched again on the next run"
            ),
            error_count=source.error_count,
            next_due_at=source.next_due_at,
            retry_after_at=source.retry_after_at,
        )


def _known(pkm: "Pkm", source: Source, fetched: Fetched, parsed: Parsed | None) -> Known:
    """The facts of the index the decision about this fetch depends on."""
    if parsed is None or parsed.feed is None:
        return Known()
    store = pkm.store
    entries = store.get_entry_hashes(source.id)
    keys = {k for e, _, k in parsed.rows if k is not None and e.entry_id not in entries}
    owner = None
    if fetched.permanent_url and url_key(fetched.permanent_url) != url_key(source.url):
        existing = store.find_source(url_key(fetched.permanent_url))
        owner = existing.id if existing is not None else None
    return Known(
        entries=entries, items_by_url_key=store.find_items_by_url_key(keys), redirect_owner=owner
    )
