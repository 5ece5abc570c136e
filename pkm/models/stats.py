"""Stats: the knowledge flow at a glance (`pkm stats`)."""

from dataclasses import dataclass, field
from datetime import datetime

from pkm.models.sources import SourceHealth


@dataclass(frozen=True)
class WeekActivity:
    """What happened in one ISO week (`week`, [start, end) in aware UTC). The index keeps
    an item's latest status change only, so `read` and `starred` count items by it: an
    item read one week and archived the next has left the first week's `read`."""

    week: str
    start: datetime
    end: datetime
    sought: int = 0  # items first seen through a subscription (feeds, teammates' files)
    saved: int = 0  # pages saved to read later (`pkm seek save`), first seen
    read: int = 0  # items now read or starred whose status last changed this week
    starred: int = 0  # items now starred, starred this week
    annotated: int = 0  # the person's own highlights and comments created
    notes: int = 0  # notes created or updated (frontmatter dates, else the file's mtime)
    digests: int = 0  # digest periods published (`pkm share publish`), each counted once
    questions: int = 0  # questions asked (`pkm share ask`)
    answers: int = 0  # answers given (`pkm share answer`)
    in_progress: bool = False  # the current week, counted so far


@dataclass(frozen=True)
class StatusCounts:
    """Items by their status now."""

    unread: int = 0
    read: int = 0
    starred: int = 0
    archived: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class IndexTotals:
    """Everything in the index, whenever it came."""

    items: StatusCounts = field(default_factory=StatusCounts)
    saved_pages: int = 0  # items that came through `pkm seek save`
    sources: int = 0  # subscriptions (feeds and files), saved pages not counted
    annotations: int = 0  # the person's own
    annotations_orphaned: int = 0  # of those, the ones whose quote is no longer found
    teammate_annotations: int = 0  # highlights and comments shared by teammates
    notes: int = 0
    notes_broken: int = 0  # notes whose frontmatter cannot be read
    digests: int = 0  # digest periods ever published
    publications: int = 0  # publish runs (republishing a period counts again)
    questions: int = 0
    answers: int = 0


@dataclass(frozen=True)
class SourceActivity:
    """A source's arrivals, as the index records them (`item_sources.first_seen_at`)."""

    source_id: int
    items_in_period: int
    last_new_at: datetime | None  # when it last brought an item pkm had not seen from it
    failing_since: datetime | None  # the first failed fetch since its last good one


@dataclass(frozen=True)
class BusySource:
    id: int
    url: str
    title: str | None
    items: int  # items it brought in the period


@dataclass(frozen=True)
class FailingSource:
    id: int
    url: str
    title: str | None
    health: SourceHealth  # failing, backing_off or gone
    error_count: int  # failures in a row
    last_error: str | None
    failing_since: datetime | None  # None when the fetch history does not say
    last_fetched_at: datetime | None


@dataclass(frozen=True)
class StaleSource:
    id: int
    url: str
    title: str | None
    last_new_at: datetime | None  # None: it never brought anything
    quiet_days: int  # since its last new item (or since it was added)


@dataclass(frozen=True)
class Stats:
    """The knowledge flow at a glance: the last weeks, the totals and the sources that need
    a look, as `pkm stats` shows it (the field names are its `--json`)."""

    generated_at: datetime
    timezone: str  # the zone weeks are counted in (an IANA name or a UTC offset)
    weeks: tuple[WeekActivity, ...]  # oldest first; the last is the current week
    totals: IndexTotals
    busiest_sources: tuple[BusySource, ...]  # most items in the weeks shown first
    failing_sources: tuple[FailingSource, ...]
    stale_sources: tuple[StaleSource, ...]
    stale_after_days: int
    notes_index_current: bool  # False: notes changed since the note index last read them
