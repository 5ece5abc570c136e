"""Sense: annotations, notes, and search."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pkm.vocabulary import ItemStatus


class AnnotationState(StrEnum):
    """How well a highlight's anchor held after its item's text last changed."""

    ANCHORED = "anchored"  # the quote is where it was
    MOVED = "moved"  # the exact quote, found elsewhere in the new text
    FUZZY = "fuzzy"  # an approximate match above the threshold
    ORPHANED = "orphaned"  # not found; kept with its last known quote and position


@dataclass(frozen=True)
class TextQuote:
    """A W3C TextQuoteSelector: the exact text, and up to 32 characters either side."""

    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class TextPosition:
    """A W3C TextPositionSelector: [start, end) in characters of the item's plain text."""

    start: int
    end: int


@dataclass(frozen=True)
class Anchor:
    """Where a highlight is in its item's text: a re-anchoring decision, stored as it is."""

    state: AnnotationState
    quote: TextQuote
    position: TextPosition


@dataclass(frozen=True)
class Annotation:
    """A highlight (with a quote) or an item-level comment (without one) on an item."""

    id: int
    item_id: int
    quote: TextQuote | None
    position: TextPosition | None
    comment: str
    tags: tuple[str, ...]
    state: AnnotationState
    created_at: datetime
    updated_at: datetime
    reviewed_at: datetime | None = None
    review_count: int = 0
    retired_at: datetime | None = None  # discarded in a review: never resurfaced again
    shared_by: str | None = None  # a teammate's, from their shared.atom; None: the person's own

    @property
    def is_highlight(self) -> bool:
        return self.quote is not None


class ReviewAction(StrEnum):
    """What happened to a highlight resurfaced by `sense review`."""

    SHOWN = "shown"  # listed (not on a terminal, or --json)
    KEPT = "kept"
    SKIPPED = "skipped"
    DISCARDED = "discarded"  # retired from review; the annotation stays


@dataclass(frozen=True)
class ItemRef:
    """What a listing of annotations shows of their item."""

    id: int
    title: str | None
    url: str | None
    status: ItemStatus


@dataclass(frozen=True)
class Note:
    """A Markdown file of the vault, as the index last read it. `path` is relative to the
    vault, with `/` separators; `name` is the file name without `.md`, which wikilinks use."""

    id: int
    path: str
    name: str
    title: str
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    created: datetime | None = None
    updated: datetime | None = None
    error: str | None = None  # why its frontmatter could not be read; such a note is skipped


# --- sense: search -------------------------------------------------------------------------------

SearchKind = Literal["item", "annotation", "note"]
SEARCH_KINDS: tuple[SearchKind, ...] = ("item", "annotation", "note")


@dataclass(frozen=True)
class SearchFilter:
    """What narrows a search besides its words. Filters on an item's properties (status,
    source) apply to items and to the items annotations are on, and leave notes out."""

    kinds: tuple[SearchKind, ...] = ()
    tags: tuple[str, ...] = ()
    source_ids: tuple[int, ...] = ()
    statuses: tuple[ItemStatus, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    exclude: tuple[tuple[SearchKind, int], ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """One ranked hit. `score` is FTS5's BM25 (lower is better), comparable across kinds;
    `snippet` is the best-matching passage with each match between `MATCH_START` and
    `MATCH_END`."""

    kind: SearchKind
    id: int
    score: float
    snippet: str
    title: str | None
    url: str | None = None
    item_id: int | None = None  # the item itself, or the item an annotation is on
    path: str | None = None  # a note's path in the vault
    date: datetime | None = None  # an item's date, a highlight's creation, a note's update


# Private-use characters no stored text holds: they mark matches in a snippet.
MATCH_START, MATCH_END = "\ue000", "\ue001"


@dataclass(frozen=True)
class WikiLink:
    """A `[[target#heading|alias]]` in a note's text (an `![[embed]]` too), as written.

    `target` is a note name or a vault path without `.md` (`folder/name`), empty for a link
    to a heading of the same note; `position` is the character offset in the file's text.
    """

    target: str
    heading: str | None = None
    alias: str | None = None
    position: int = 0


@dataclass(frozen=True)
class NoteSource:
    """One entry of a note's `sources` frontmatter: an item it cites. A hand-written entry
    may carry only a URL; the index then finds the item by URL."""

    item_id: int | None = None
    url: str | None = None
    title: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class NoteRecord:
    """What indexing one vault file decided to store: computed from the file alone (pure),
    applied by the store in one transaction with the others of the same sync."""

    path: str
    name: str
    title: str
    size: int
    mtime_ns: int
    content_hash: str
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    created: datetime | None = None
    updated: datetime | None = None
    error: str | None = None
    body: str = ""  # the text after the frontmatter, without pkm's markers: what search indexes
    links: tuple[WikiLink, ...] = ()
    sources: tuple[NoteSource, ...] = ()


@dataclass(frozen=True)
class NoteStat:
    """A vault file as the stat walk saw it, or as the index last recorded it."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str | None = None  # known from the index; not computed by the walk
    note_id: int | None = None


@dataclass(frozen=True)
class NoteIndexChanges:
    """One sync of the index with the vault, decided before anything is written."""

    upserts: tuple[NoteRecord, ...] = ()
    touched: tuple[NoteStat, ...] = ()  # same content, new size/mtime (a `touch`, a copy)
    removed: tuple[str, ...] = ()  # paths no longer in the vault

    def __bool__(self) -> bool:
        return bool(self.upserts or self.touched or self.removed)
