"""Subscriptions: what a source is and how its last fetch went."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    FEED = "feed"  # an RSS/Atom/JSON feed over HTTP(S)
    FILE = "file"  # a feed file on disk (a teammate's published digest feed)
    PAGES = "pages"  # the read-later pseudo-source that `seek save` files pages under


# The kinds a person subscribes to (lists, exports and `--only` see these; not saved pages).
SUBSCRIPTION_KINDS = (SourceKind.FEED, SourceKind.FILE)


class FetchOutcome(StrEnum):
    NEW = "new"  # fetched and parsed; new or changed items stored (maybe zero new)
    UNCHANGED = "unchanged"  # 304, identical body, or nothing new in the feed
    FAILED = "failed"
    NOT_DUE = "not_due"
    BACKING_OFF = "backing_off"
    GONE = "gone"


class SourceHealth(StrEnum):
    """How a source is doing, as `pkm seek list` shows it."""

    OK = "ok"
    NEW = "new"  # never fetched yet
    FAILING = "failing"  # the last fetch failed and it is due again
    BACKING_OFF = "backing_off"  # failed, and waiting longer after each failure
    REDIRECTED = "redirected"  # moved for good (the old URL is kept in previous_url)
    GONE = "gone"  # answered 410 Gone: never fetched again


@dataclass(frozen=True)
class Source:
    id: int
    url: str
    kind: SourceKind
    title: str | None
    site_url: str | None
    tags: tuple[str, ...]
    added_at: datetime
    previous_url: str | None
    last_fetched_at: datetime | None
    last_status: int | None
    last_outcome: FetchOutcome | None
    last_error: str | None
    error_count: int
    next_due_at: datetime | None
    retry_after_at: datetime | None
    is_gone: bool
    item_count: int = 0
    # Fetch state: the validators as last received (sent back verbatim) and the hash of the
    # last body parsed (an identical body costs no parsing).
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    def health(self, now: datetime) -> SourceHealth:
        if self.is_gone:
            return SourceHealth.GONE
        if self.error_count:
            waiting = self.next_due_at is not None and self.next_due_at > now
            return SourceHealth.BACKING_OFF if waiting else SourceHealth.FAILING
        if self.previous_url:
            return SourceHealth.REDIRECTED
        return SourceHealth.OK if self.last_fetched_at else SourceHealth.NEW
