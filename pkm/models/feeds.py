"""What reading a feed or a page yields: entries, their enclosures, articles, feed links,
OPML outlines, and the limits that bound a feed's cost."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
    # Of the raw entry it was built from: the next fetch takes the entry as unchanged
    # without building it when this is the same (None: always built, a teammate's entry).
    fingerprint: str | None = None


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
    # Entries the caller said it holds and whose raw form has not changed: not built again
    # (by id; see `parse_feed`'s `held`).
    unchanged_entries: tuple[str, ...] = ()


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
