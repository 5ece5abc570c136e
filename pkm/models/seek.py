"""A seek run: what was decided about a fetched source, and what came of it."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pkm.models.feeds import ParsedEntry
from pkm.models.sense import AnnotationState, TextPosition, TextQuote
from pkm.models.sources import FetchOutcome


class EntryAction(StrEnum):
    NEW = "new"  # a new item
    LINK = "link"  # the same article as an item another source delivered: linked to it
    CHANGE = "change"  # an entry already stored whose content changed: updated in place
    # An entry already stored, unchanged, whose stored hash is renewed (its raw form
    # changed without changing what it became, or the hash predates fingerprints).
    REHASH = "rehash"


@dataclass(frozen=True)
class EntryUpdate:
    """What storing does with one parsed entry; decided before anything is written."""

    action: EntryAction
    entry: ParsedEntry
    content_hash: str  # decides "changed" next time
    url_key: str | None  # finds the same article through other sources
    item_id: int | None = None  # the item to link to or to change (None for NEW)
    # What the inbox sorts the item by: its date (never later than when it was first seen),
    # or when a page was saved. None keeps the stored value.
    sort_at: datetime | None = None
    # A CHANGE writes the entry's fields to the item only when this is on: a teammate's
    # shared entry linked to the reader's own copy of an article changes the highlights
    # on it, never the article.
    write_content: bool = True
    # A teammate's highlights: each added (annotation_id None) or updated in place, and
    # the reader's copies of those that disappeared from the feed (annotation ids).
    annotations: "tuple[SharedAnnotation, ...]" = ()
    removed_annotations: tuple[int, ...] = ()


@dataclass(frozen=True)
class SharedAnnotation:
    """What storing does with one highlight of a teammate's (`TeammateHighlight`): the
    annotation it becomes on the reader's item, anchored in the reader's text when the
    quote is found there, else orphaned with the teammate's quote. Decided before
    anything is written (`pkm.seek.decide`)."""

    shared_id: str  # the highlight's id in the feed
    shared_by: str
    shared_hash: str  # of the highlight as published: decides "edited upstream"
    quote: "TextQuote | None"
    position: "TextPosition | None"
    state: "AnnotationState"
    comment: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    annotation_id: int | None = None  # the copy to update; None: a new annotation


@dataclass(frozen=True)
class StoredShared:
    """A teammate's highlight as the index holds it: enough to decide an update."""

    annotation_id: int
    item_id: int
    shared_hash: str


@dataclass(frozen=True)
class SourceMove:
    """A permanent redirect followed for good."""

    url: str
    url_key: str
    previous_url: str


@dataclass(frozen=True)
class SourceUpdate:
    """Everything one fetch changes about one source and its items, as typed values.

    Computed by `pkm.seek.decide` from the source's stored state and what was retrieved,
    without touching the index; the store applies it in one transaction.
    """

    source_id: int
    fetched_at: datetime
    fetch_url: str  # where the body came from (after redirects)
    outcome: FetchOutcome
    http_status: int | None
    error: str | None
    error_count: int
    next_due_at: datetime
    retry_after_at: datetime | None
    duration_ms: int
    etag: str | None  # validators to store (the old ones when the response had none)
    last_modified: str | None
    body_hash: str | None  # of the body now parsed; None keeps the stored one
    title: str | None  # feed metadata to store; None keeps the stored value
    site_url: str | None
    is_gone: bool = False
    move: SourceMove | None = None
    entries: tuple[EntryUpdate, ...] = ()


@dataclass(frozen=True)
class StoredEntries:
    """Which items storing a source's entries created and changed: the change signal that
    later steps (re-anchoring highlights) start from."""

    new_item_ids: tuple[int, ...] = ()
    changed_item_ids: tuple[int, ...] = ()
    linked_item_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TextChange:
    """A recorded change of an item's plain text, for a consumer to drain."""

    seq: int
    item_id: int
    changed_at: datetime | None


@dataclass(frozen=True)
class SourceResult:
    """What one `seek` run did to one source: errors are values here, never exceptions."""

    url: str
    outcome: FetchOutcome
    source_id: int | None = None
    title: str | None = None
    http_status: int | None = None
    new_items: int = 0
    updated_items: int = 0
    error: str | None = None
    error_count: int = 0
    next_due_at: datetime | None = None
    retry_after_at: datetime | None = None
    redirected_to: str | None = None  # a permanent redirect that was applied
    notes: tuple[str, ...] = field(default=())  # e.g. "redirect onto an existing source"
    newly_gone: bool = False  # answered 410 in this run (it is never fetched again)
    new_item_ids: tuple[int, ...] = ()
    updated_item_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SeekReport:
    """The result of one `seek` run over many sources."""

    results: tuple[SourceResult, ...]

    @property
    def failed(self) -> tuple[SourceResult, ...]:
        return tuple(r for r in self.results if r.outcome is FetchOutcome.FAILED)

    @property
    def newly_gone(self) -> tuple[SourceResult, ...]:
        return tuple(r for r in self.results if r.newly_gone)

    @property
    def new_items(self) -> int:
        return sum(r.new_items for r in self.results)

    @property
    def updated_items(self) -> int:
        return sum(r.updated_items for r in self.results)

    def outcome_counts(self) -> dict[FetchOutcome, int]:
        counts = dict.fromkeys(FetchOutcome, 0)
        for r in self.results:
            counts[r.outcome] += 1
        return counts


@dataclass(frozen=True)
class AddResult:
    """What `seek add` / `seek save` / `seek import` did with one URL or path the user gave."""

    input: str
    source_url: str | None = None  # the source (or saved item) URL as stored
    created: bool = False  # False: it already existed (a no-op) or it failed
    error: str | None = None
    message: str | None = None  # e.g. which of several discovered feeds was chosen
    title: str | None = None
    new_items: int = 0
    item_id: int | None = None
    source_id: int | None = None


@dataclass(frozen=True)
class RemoveResult:
    """What `seek remove` did with one id or URL the user gave."""

    input: str
    source_url: str | None = None
    source_id: int | None = None
    items_deleted: int = 0
    items_kept: int = 0
    error: str | None = None
