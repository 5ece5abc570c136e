"""Data types shared by the layers: frozen dataclasses and closed vocabularies. Stdlib only.

Datetimes here are always timezone-aware UTC.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ItemStatus(StrEnum):
    UNREAD = "unread"
    READ = "read"
    STARRED = "starred"
    ARCHIVED = "archived"
    # A tombstone: the row stays so the entry never comes back, but no listing shows it.
    DELETED = "deleted"


class SourceKind(StrEnum):
    FEED = "feed"  # an RSS/Atom/JSON feed over HTTP(S)
    FILE = "file"  # a feed file on disk (a teammate's published digest feed)
    PAGES = "pages"  # the read-later pseudo-source that `seek save` files pages under


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


@dataclass(frozen=True)
class Item:
    id: int
    source_urls: tuple[str, ...]
    guid: str
    url: str | None
    title: str | None
    author: str | None
    published: datetime | None
    summary: str | None
    content_html: str | None
    content_text: str
    status: ItemStatus
    tags: tuple[str, ...]
    first_seen_at: datetime
    updated_at: datetime | None = None


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
