"""Data types shared by the layers: frozen dataclasses and closed vocabularies. Stdlib only.

Datetimes here are always timezone-aware UTC.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

# Re-exported: it lives apart so that `--help` need not import this module.
from pkm.vocabulary import ItemStatus as ItemStatus
from pkm.vocabulary import RunKind as RunKind
from pkm.vocabulary import RunOutcome as RunOutcome


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


@dataclass(frozen=True)
class Enclosure:
    """A media file an entry carries (a podcast episode, a video, a picture): RSS
    `<enclosure>`, Atom `<link rel="enclosure">` or Media RSS `<media:content>`."""

    url: str  # absolute
    type: str | None = None  # the MIME type the feed gives, lower-case
    length: int | None = None  # size in bytes, as the feed claims it


@dataclass(frozen=True)
class FeedLimits:
    """How much of one feed document is kept: a hostile or broken feed must not cost the
    run its time or the index its size."""

    max_entries: int = 1000  # entries kept per document, newest first
    max_entry_bytes: int = 1_000_000  # HTML (or text) of one entry's content, before sanitizing
    # A teammate's shared.atom: highlights kept per entry (in document order), and the
    # UTF-8 bytes kept of each one's quote and comment.
    max_highlights: int = 1000
    max_highlight_bytes: int = 20_000


class EntryKind(StrEnum):
    """What an entry of a teammate's `shared.atom` is (`pkm:kind`, docs/shared-atom.md)."""

    ITEM = "item"  # an article they starred or highlighted
    NOTE = "note"  # a note they wrote
    QUESTION = "question"  # a question they asked the team (`pkm share ask`)
    ANSWER = "answer"  # their answer to a question (`pkm share answer`)


@dataclass(frozen=True)
class TeammateHighlight:
    """A highlight (or, with an empty `exact`, a comment on the whole item) as a teammate's
    `shared.atom` carries it (`pkm:highlight`). `id` is its identity across publications:
    an edit upstream keeps it, so the reader's copy is updated in place."""

    id: str
    exact: str  # "" for a comment on the whole item
    prefix: str = ""
    suffix: str = ""
    comment: str = ""
    tags: tuple[str, ...] = ()
    created: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class Cite:
    """An article a teammate's note cites (`pkm:cites`): an http(s) URL and its title;
    `item_id` is the reader's own item with the same URL key, when there is one."""

    url: str
    title: str | None = None
    item_id: int | None = None


@dataclass(frozen=True)
class ParsedEntry:
    """One entry of a feed, as parsed: pure data, HTML already sanitized, links absolute.

    `entry_id` is the entry's identity within its feed (guid/id, else link, else a hash of
    title and content; repeats inside one feed disambiguated), never None.
    """

    entry_id: str
    url: str | None
    title: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    summary: str | None  # plain text
    content_html: str | None  # sanitized HTML
    content_text: str  # plain text of the content (for search and anchoring)
    tags: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    # An entry of a teammate's shared.atom (pkm's namespace); None for any other feed's.
    kind: EntryKind | None = None
    shared_by: str | None = None  # the teammate (the entry's author), for shared entries
    highlights: tuple[TeammateHighlight, ...] = ()
    cites: tuple[Cite, ...] = ()  # a note's cited articles
    answers: str | None = None  # an answer's question: that entry's id (`pkm:answers`)


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed document. `version` names the format ("rss20", "atom10", "json11", ...)."""

    version: str
    title: str | None
    site_url: str | None
    entries: tuple[ParsedEntry, ...]
    ttl_minutes: int | None = None  # RSS <ttl>
    warnings: tuple[str, ...] = ()  # survivable problems (e.g. recovered malformed XML)
    dropped_entries: int = 0  # entries beyond FeedLimits.max_entries, not kept
    truncated_entries: int = 0  # entries whose content was cut to FeedLimits.max_entry_bytes


@dataclass(frozen=True)
class Article:
    """A web page reduced to its article by the extractor (`seek save`)."""

    url: str
    title: str | None
    author: str | None
    published: datetime | None
    text: str  # the main text as Markdown
    html: str | None = None  # sanitized article HTML, if the extractor produced it
    site_name: str | None = None


@dataclass(frozen=True)
class FeedLink:
    """A feed advertised by an HTML page through <link rel="alternate">."""

    url: str
    type: str
    title: str | None = None


@dataclass(frozen=True)
class OutlineSource:
    """One subscription from an OPML file: the feed URL and the folders it sat in."""

    url: str
    title: str | None = None
    site_url: str | None = None
    tags: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class NoteRef:
    """A note as an item's listing names it: enough to find the file."""

    id: int
    path: str  # relative to the vault, `/` separators
    title: str


@dataclass(frozen=True)
class Item:
    id: int
    source_urls: tuple[str, ...]
    guid: str
    url: str | None
    title: str | None
    author: str | None
    published: datetime | None  # as the feed gave it (see `date`)
    summary: str | None
    content_html: str | None
    content_text: str
    status: ItemStatus
    tags: tuple[str, ...]
    first_seen_at: datetime
    updated: datetime | None = None  # the entry's own updated date, as the feed gave it
    source_title: str | None = None  # of the first source that delivered it
    enclosures: tuple[Enclosure, ...] = ()
    changed_at: datetime | None = None  # when pkm last stored a change to its content
    sort_at: datetime | None = None  # what the inbox sorts by (see `ItemUpdate.sort_at`)
    annotation_count: int = 0  # highlights and comments on it
    notes: tuple[NoteRef, ...] = ()  # the notes that cite it, by title
    cites: tuple[Cite, ...] = ()  # a teammate's note: the articles it cites
    kind: str = "item"  # item; from a teammate's shared.atom also note, question, answer
    answers_ref: str | None = None  # a teammate's answer: the entry id of its question

    @property
    def date(self) -> datetime | None:
        """The item's date: published, else updated (many feeds give only one)."""
        return self.published or self.updated


@dataclass(frozen=True)
class ItemFilter:
    """Which items a store query matches. Every criterion given narrows the match (AND);
    within one, any value matches (OR), except `tags`, which must all be on the item.

    `item_ids` and `id_ranges` (inclusive) together are one set of ids. `since` and
    `before` bound `Item.sort_at` (`since <= sort_at < before`).
    """

    statuses: tuple[ItemStatus, ...] = ()
    source_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    id_ranges: tuple[tuple[int, int], ...] = ()
    tags: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None


# --- a seek run: what was decided about a fetched source, and what came of it ------------------


class EntryAction(StrEnum):
    NEW = "new"  # a new item
    LINK = "link"  # the same article as an item another source delivered: linked to it
    CHANGE = "change"  # an entry already stored whose content changed: updated in place


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


# --- sense: annotations and notes ---------------------------------------------------------------


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


# --- share: what a person shares with a team, and what was published ------------------------


@dataclass(frozen=True)
class SharedHighlight:
    """One of the author's own highlights (or comments on a whole item: `exact` None) as
    `shared.atom` carries it; never a private one, never a teammate's."""

    annotation_id: int
    exact: str | None
    prefix: str
    suffix: str
    comment: str
    tags: tuple[str, ...]
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class SharedItem:
    """An item the author starred or highlighted, not private, with its public highlights."""

    item_id: int
    title: str | None
    url: str | None
    source_title: str | None
    source_url: str | None
    tags: tuple[str, ...]
    starred_at: datetime | None
    highlights: tuple[SharedHighlight, ...]

    @property
    def published(self) -> datetime:
        """When it was first shared: the earliest of its star and highlights."""
        times = [h.created for h in self.highlights]
        if self.starred_at is not None:
            times.append(self.starred_at)
        return min(times)

    @property
    def updated(self) -> datetime:
        """The latest change of what is shared of it (a highlight added or edited, the star)."""
        times = [h.updated for h in self.highlights]
        if self.starred_at is not None:
            times.append(self.starred_at)
        return max(times)


@dataclass(frozen=True)
class SharedCite:
    """An item a shared note cites (never a private one)."""

    url: str | None
    title: str | None


@dataclass(frozen=True)
class SharedNote:
    """A note of the vault, not private, as `shared.atom` carries it. `updated` comes from
    its frontmatter (else its creation, else the file's modification time)."""

    note_id: int
    path: str
    title: str
    tags: tuple[str, ...]
    created: datetime | None
    updated: datetime
    cites: tuple[SharedCite, ...] = ()
    content_hash: str = ""  # of the file, as the note index last read it


@dataclass(frozen=True)
class Publication:
    """One `pkm share publish` run, as `pkm share history` lists it. `files` are the paths
    (relative to the team folder) whose bytes changed; `commit` the git commit made."""

    id: int
    author: str
    period: str
    folder: str
    published_at: datetime
    files: tuple[str, ...]
    changed: int
    commit: str | None


# --- share: digests of a period ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end) a digest covers, in aware UTC; `label` names
    it (`2026-W48`, or `2026-11-01..2026-11-30`) and `timezone` is the zone its days were
    counted in (an IANA name, or a UTC offset such as `+01:00`), stated in the digest."""

    start: datetime
    end: datetime
    label: str
    timezone: str


@dataclass(frozen=True)
class ShareableItem:
    """An item as a digest reads it from the index: what it shows, and the tags (its own and
    its sources') that decide whether it may be shown at all."""

    id: int
    title: str | None
    url: str | None
    status: ItemStatus
    status_changed_at: datetime | None
    summary: str | None
    tags: tuple[str, ...]
    source_title: str | None = None  # of its first source
    source_url: str | None = None
    source_tags: tuple[str, ...] = ()  # of all its sources


@dataclass(frozen=True)
class DigestHighlight:
    """A highlight or comment as a digest shares it: the quote with its W3C context, so a
    reader's tools can re-anchor it."""

    annotation_id: int
    exact: str | None  # None: a comment on the whole item
    prefix: str
    suffix: str
    comment: str
    tags: tuple[str, ...]
    created: datetime
    updated: datetime | None = None  # its last edit (None: never edited, or not known)


@dataclass(frozen=True)
class DigestItem:
    """An item starred or annotated in the period, with what the author did with it."""

    item_id: int
    title: str | None
    url: str | None
    source_title: str | None
    source_url: str | None
    starred: bool
    tags: tuple[str, ...]
    highlights: tuple[DigestHighlight, ...]
    changed: datetime  # the latest of its star and highlights in the period
    content_html: str | None = None  # sanitized, for the HTML digest's excerpt
    starred_at: datetime | None = None  # when it was starred, if that was in the period


@dataclass(frozen=True)
class DigestNote:
    """A note created or updated in the period. `cites` holds the items it cites: an item
    id, or None for a private source (shown as "a private source")."""

    note_id: int
    path: str
    title: str
    excerpt: str  # its Synthesis section, else the start of its text
    tags: tuple[str, ...]
    created: datetime | None
    updated: datetime | None
    cites: tuple[DigestItem | None, ...] = ()
    links: tuple[str, ...] = ()  # titles of the (public) notes it links to, in text order


@dataclass(frozen=True)
class ArchiveHighlight:
    """An older highlight the digest resurfaces ("from the archive")."""

    item: DigestItem
    highlight: DigestHighlight


@dataclass(frozen=True)
class DigestSummary:
    notes: int
    items: int
    highlights: int
    top_tags: tuple[tuple[str, int], ...]  # (tag, count), most used first


@dataclass(frozen=True)
class Digest:
    """Everything one author shares for one period: pure data, built from the index by
    `pkm.share.build_digest` and rendered by `pkm.share.render_digest`. The same index,
    period and author always give the same digest (no clock inside)."""

    author: str
    period: Period
    notes: tuple[DigestNote, ...]
    items: tuple[DigestItem, ...]
    archive: tuple[ArchiveHighlight, ...]
    summary: DigestSummary

    @property
    def empty(self) -> bool:
        return not (self.notes or self.items)

    @property
    def archive_ids(self) -> tuple[int, ...]:
        return tuple(a.highlight.annotation_id for a in self.archive)

    @property
    def updated(self) -> datetime:
        """The latest change of what the digest shares (the end of the period when it
        shares nothing): what a feed's `updated` says, taken from the data, never the clock."""
        times = [i.changed for i in self.items]
        for n in self.notes:
            times += [t for t in (n.created, n.updated) if t is not None]
        return max(times, default=self.period.end)


@dataclass(frozen=True)
class Question:
    """A question the person asked the team (`pkm share ask`); `shared.atom` carries it."""

    id: int
    text: str
    tags: tuple[str, ...]
    asked_at: datetime


@dataclass(frozen=True)
class AnswerCite:
    """An item an answer points to: what a teammate needs to find it."""

    item_id: int
    title: str | None
    url: str | None


@dataclass(frozen=True)
class Answer:
    """The person's answer to a teammate's question (`pkm share answer`): a note of theirs
    and/or items, and a comment. `question_ref` is the question's entry id."""

    id: int
    question_ref: str
    question_text: str
    note_path: str | None
    note_title: str | None
    items: tuple[AnswerCite, ...]
    comment: str
    answered_at: datetime


@dataclass(frozen=True)
class RunFailure:
    what: str  # a source URL, a file, or the run itself
    error: str


@dataclass(frozen=True)
class Run:
    """One recorded run (`pkm log`)."""

    id: int
    kind: RunKind
    started_at: datetime
    ended_at: datetime | None
    outcome: RunOutcome
    detail: str  # what it ran on: the period and folder, the note, the file
    counts: dict[str, int]
    failures: tuple[RunFailure, ...]
    pid: int | None = None

    @property
    def seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


# --- stats: the knowledge flow at a glance (`pkm stats`) -----------------------------------------


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


# --- imports: what an import decided to store ----------------------------------------------------


@dataclass(frozen=True)
class NewAnnotation:
    """An annotation to store as decided beforehand, with its own dates and anchor state:
    one imported from another tool keeps when it was made there (a digest of this week
    must not count a highlight of 2019), and may arrive orphaned (its page has no text yet)."""

    item_id: int
    quote: TextQuote | None  # None: a comment on the whole item
    position: TextPosition | None
    state: AnnotationState
    comment: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    origin_id: str | None = None  # its id in the tool it came from (`hypothesis:<id>`)
    origin_target: str | None = None  # the tool's W3C target, JSON, as exported


# --- the index's own health (`pkm doctor`) -------------------------------------------------------


class SchemaState(StrEnum):
    """How the index's schema compares with the migrations this pkm knows."""

    CURRENT = "current"
    STALE = "stale"  # migrations this pkm has are not applied yet: an upgrade is due
    UNKNOWN = "unknown"  # migrations this pkm does not know were applied: a newer pkm wrote it


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    applied: str  # the newest migration applied ("" for none)
    current: str  # the newest migration this pkm knows
    pending: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchDrift:
    """Where the search index and the rows it indexes disagree (rowid `id * 4 + kind`).

    `missing` and `stale` are (kind, id) of things without a row, or whose row holds other
    text than the thing has now; `extra` are rowids of rows for things that are gone (or of
    no kind); `index_error` is what FTS5's own `integrity-check` reported, None when sound
    (or not checked).
    A note's row can only be compared by its title: its body is read from the file.
    """

    missing: tuple[tuple[SearchKind, int], ...] = ()
    stale: tuple[tuple[SearchKind, int], ...] = ()
    extra: tuple[int, ...] = ()
    index_error: str | None = None
    index_checked: bool = True  # False: `integrity-check` could not run (a read-only index)

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale or self.extra or self.index_error)
