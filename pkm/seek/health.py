"""Sources that failed so often that their backoff keeps them from being fetched, and
giving them another chance (`pkm doctor`).

A failing source waits 1, 2, 4, 8... intervals between tries (up to `max_backoff_hours`),
and a server's `Retry-After` may push it further: right for a flaky server, but a source
whose server has been fixed may then wait a day for its next try. These say which sources
wait longer than a healthy one would, and make them due again.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pkm.models import SUBSCRIPTION_KINDS, Source
from pkm.seek import schedule
from pkm.seek.decide import Policy

if TYPE_CHECKING:
    from pkm.core import Pkm


@dataclass(frozen=True)
class StuckSource:
    """A source held back by its failures: when its run of failures began, and until when
    it waits (its next due time, or a server's Retry-After when that is later)."""

    source: Source
    waits_until: datetime
    failing_since: datetime | None = None


def held_back_until(source: Source, now: datetime, policy: Policy) -> datetime | None:
    """Until when `source` waits longer than a healthy source would, or None. Pure.

    A source that failed once waits one interval, as a healthy one does; after more
    failures, or with a server's Retry-After, it waits longer. Gone sources are never
    fetched again, and are not held back but over (see `pkm seek list`).
    """
    if source.is_gone or not source.error_count:
        return None
    times = [t for t in (source.next_due_at, source.retry_after_at) if t is not None and t > now]
    if not times:
        return None  # due: the next `pkm seek` tries it
    longer = schedule.backoff_delay(source.error_count, policy.interval, policy.max_backoff)
    retry_after = source.retry_after_at is not None and source.retry_after_at > now
    if longer <= policy.interval and not retry_after:
        return None
    return max(times)


def stuck_sources(pkm: "Pkm") -> list[StuckSource]:
    """The subscriptions held back by their failures, in id order."""
    from pkm.seek.update import policy_of

    now, policy = pkm.now(), policy_of(pkm.settings)
    stuck = []
    for source in pkm.store.get_sources(kinds=SUBSCRIPTION_KINDS):
        until = held_back_until(source, now, policy)
        if until is not None:
            stuck.append(StuckSource(source, until, pkm.store.failing_since(source.id)))
    return stuck


def gone_sources(pkm: "Pkm") -> list[Source]:
    """Subscriptions that answered 410 Gone: never fetched again, until removed or re-added."""
    return [s for s in pkm.store.get_sources(kinds=SUBSCRIPTION_KINDS) if s.is_gone]


def reset_backoff(pkm: "Pkm", source_ids: list[int]) -> list[int]:
    """Make these sources due now, so that the next `pkm seek` tries them, with their
    backoff started afresh; gone ones stay gone. Takes the run lock (Seek's data).
    Returns the ids changed."""
    with pkm.lock():
        return pkm.store.reset_backoff(source_ids, pkm.now())
