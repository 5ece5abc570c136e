"""The knowledge flow at a glance (`pkm stats`): what came in, was read, annotated, written
and shared in the last weeks, and the sources that need a look.

Read-only: it works on a pkm opened `readonly` (a backup, a read-only mount) and never
takes a lock, so it can run while cron's `pkm seek` does. The note index is read as it is;
`notes_index_current` says when notes changed in an editor since a note command last read
them (the figures then lag until `pkm sense reindex`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from pkm.models import (
    SUBSCRIPTION_KINDS,
    BusySource,
    FailingSource,
    Source,
    SourceActivity,
    SourceHealth,
    StaleSource,
    Stats,
)
from pkm.share.period import recent_weeks

if TYPE_CHECKING:
    from pkm.core import Pkm

# A source that has brought nothing new for this long is stale: it may have moved its feed,
# or stopped. Sixty days spares the monthly newsletter and the blog that posts in spurts.
STALE_AFTER_DAYS = 60
BUSIEST_COUNT = 5
_FAILING = (SourceHealth.FAILING, SourceHealth.BACKING_OFF, SourceHealth.GONE)


def compute_stats(pkm: "Pkm", *, weeks: int, tz: tzinfo) -> Stats:
    """The last `weeks` ISO weeks in `tz` (the current one so far included), the totals,
    the busiest sources of those weeks, and the failing and stale sources, at `pkm.now()`.

    A missing or empty index gives zeros.
    """
    from pkm.sense.vault import walk_vault

    if weeks < 1:
        raise ValueError(f"weeks must be 1 or more: {weeks}")
    now = pkm.now()
    periods = recent_weeks(now, weeks, tz)
    store = pkm.store
    activity, totals = store.get_activity(periods)
    sources = store.get_sources(kinds=SUBSCRIPTION_KINDS)
    arrivals = store.get_source_activity(periods[0].start, periods[-1].end)
    return Stats(
        generated_at=now,
        timezone=periods[-1].timezone,
        weeks=tuple(replace(w, in_progress=w.end > now) for w in activity),
        totals=totals,
        busiest_sources=busiest_sources(sources, arrivals),
        failing_sources=failing_sources(sources, arrivals, now),
        stale_sources=stale_sources(sources, arrivals, now),
        stale_after_days=STALE_AFTER_DAYS,
        notes_index_current=walk_vault(pkm.vault) == store.get_note_fingerprints(),
    )


def busiest_sources(
    sources: Sequence[Source],
    arrivals: Mapping[int, SourceActivity],
    count: int = BUSIEST_COUNT,
) -> tuple[BusySource, ...]:
    """The `count` sources that brought most items in the period; ties by title, then id."""
    busy = [
        BusySource(s.id, s.url, s.title, arrivals[s.id].items_in_period)
        for s in sources
        if s.id in arrivals and arrivals[s.id].items_in_period
    ]
    busy.sort(key=lambda b: (-b.items, (b.title or b.url).casefold(), b.id))
    return tuple(busy[:count])


def failing_sources(
    sources: Sequence[Source], arrivals: Mapping[int, SourceActivity], now: datetime
) -> tuple[FailingSource, ...]:
    """Sources whose last fetch failed (retrying or backing off) or that are gone (410),
    longest failing first (as `pkm seek list` tells their health)."""
    failing = []
    for s in sources:
        health = s.health(now)
        if health not in _FAILING:
            continue
        since = arrivals[s.id].failing_since if s.id in arrivals else None
        failing.append(
            FailingSource(
                id=s.id,
                url=s.url,
                title=s.title,
                health=health,
                error_count=s.error_count,
                last_error=s.last_error,
                failing_since=since,
                last_fetched_at=s.last_fetched_at,
            )
        )
    failing.sort(key=lambda f: (f.failing_since or now, -f.error_count, f.id))
    return tuple(failing)


def stale_sources(
    sources: Sequence[Source],
    arrivals: Mapping[int, SourceActivity],
    now: datetime,
    after_days: int = STALE_AFTER_DAYS,
) -> tuple[StaleSource, ...]:
    """Sources that fetch without error but brought nothing new for `after_days` (counted
    from when they were added if they never brought anything), quietest first. A failing
    source is listed as failing, not as stale."""
    stale = []
    for s in sources:
        if s.health(now) in _FAILING:
            continue
        last_new = arrivals[s.id].last_new_at if s.id in arrivals else None
        quiet = now - (last_new or s.added_at)
        if quiet >= timedelta(days=after_days):
            stale.append(StaleSource(s.id, s.url, s.title, last_new, quiet.days))
    stale.sort(key=lambda t: (-t.quiet_days, t.id))
    return tuple(stale)
