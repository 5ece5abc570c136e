"""What an export file holds, as pkm will import it: typed values the parsers make from the
file alone, before anything in the index is looked at. Pure.

A parser reads the whole file and either returns an `ImportPlan` or raises
`ImportFileError` naming the line or entry that is wrong, so a malformed file is refused
before anything is stored. Everything a plan holds is already clean: text without control
characters, HTML sanitized, URLs http(s) only (an entry with any other URL is listed in
`skipped`, never imported).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pkm._util.text import strip_controls
from pkm._util.urls import is_http_url
from pkm.errors import ImportFileError
from pkm.models import ItemStatus, TextPosition, TextQuote
from pkm.vocabulary import ImportFormat as ImportFormat


@dataclass(frozen=True)
class ImportedAnnotation:
    """A highlight (with a quote) or a comment on the whole item (without one), as the
    export gives it. `position` is where the tool said the quote was, in its own text of
    the page: a hint, since pkm's text of the page differs."""

    ref: str  # where in the file, for messages
    quote: TextQuote | None
    position: TextPosition | None = None
    comment: str = ""
    tags: tuple[str, ...] = ()
    created: datetime | None = None
    updated: datetime | None = None
    origin_id: str | None = None  # its id in the tool (`hypothesis:<id>`): re-imports match it
    origin_target: str | None = None  # the W3C target as the tool exported it, JSON


@dataclass(frozen=True)
class ImportedItem:
    """One saved page or book of the export.

    `key` is its identity among saved items: its URL as exported, or, for an item without
    one (a Kindle book), a stable guid. `saved` is when the person saved it there: what the
    inbox sorts it by, as a page saved with `pkm seek save` sorts by when it was saved.
    `status_at` is when it got its status (when known, else `saved`).

    `paragraphs`: the text is made of paragraphs that a later export may add to (a Kindle
    book's clippings), so importing again adds the new ones after those stored.
    """

    ref: str
    key: str
    url: str | None
    title: str | None
    author: str | None = None
    published: datetime | None = None
    saved: datetime | None = None
    status: ItemStatus = ItemStatus.UNREAD
    status_at: datetime | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None  # plain text; made from the text when None
    content_html: str | None = None  # sanitized
    content_text: str = ""
    paragraphs: bool = False
    annotations: tuple[ImportedAnnotation, ...] = ()


@dataclass(frozen=True)
class SkippedEntry:
    """An entry of the export that is not imported, and why (a `javascript:` URL...)."""

    ref: str
    reason: str
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ImportPlan:
    """Everything an export file holds that pkm imports, in file order."""

    format: ImportFormat
    items: tuple[ImportedItem, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    # Annotations the export holds that pkm leaves out (Hypothesis replies...), and why.
    skipped_annotations: int = 0
    notes: tuple[str, ...] = ()


# --- cleaning what strangers wrote -----------------------------------------------------------------

# Status strength, for one entry listed twice in an export: the more done wins.
STATUS_RANK = {
    ItemStatus.UNREAD: 0,
    ItemStatus.READ: 1,
    ItemStatus.ARCHIVED: 2,
    ItemStatus.STARRED: 3,
    ItemStatus.DELETED: -1,
}


def one_line_or_none(text: object) -> str | None:
    """A title or name: one line, no control characters; None when nothing is left."""
    if not isinstance(text, str):
        return None
    cleaned = " ".join(strip_controls(text).split())
    return cleaned or None


def clean_text(text: str) -> str:
    """A comment or a quote: no control characters (a CR becomes a newline), no outer blanks."""
    return strip_controls(text).strip()


def clean_tags(tags: object) -> tuple[str, ...]:
    """Tags as one-line strings, each once, empty ones dropped."""
    if not isinstance(tags, list | tuple):
        return ()
    cleaned = (one_line_or_none(t) for t in tags)
    return tuple(dict.fromkeys(t for t in cleaned if t))


_SPACE_RE = re.compile(r"\s")


def web_url(raw: str) -> str | None:
    """`raw` stripped if it is an absolute http(s) URL without control characters, else None."""
    url = raw.strip()
    if not url or strip_controls(url) != url or _SPACE_RE.search(url):
        return None
    return url if is_http_url(url) else None


def not_web_reason(raw: str) -> str:
    shown = " ".join(strip_controls(raw).split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"not an http(s) URL: {shown!r}"


def decode_text(data: bytes) -> str:
    """An export's bytes as text: UTF-8, a byte order mark dropped, CRLF line ends read as
    LF. Raises ImportFileError naming the line of the first byte that is not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ImportFileError(f"line {line}", "not UTF-8 text") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_iso_time(value: object) -> datetime:
    """An ISO 8601 time (`2024-05-01T10:00:00.000Z`, `...+02:00`) as aware UTC; a time
    without a zone is UTC. Raises ValueError."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a time")
    dt = datetime.fromisoformat(re.sub("[zZ]$", "+00:00", value.strip()))
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def unix_time(value: str) -> datetime:
    """Seconds since 1970 as aware UTC. Raises ValueError."""
    if not value.strip().isdigit():
        raise ValueError("not a Unix time")
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError):
        raise ValueError("not a Unix time") from None


def paragraphs_html(paragraphs: "list[str] | tuple[str, ...]") -> str:
    """HTML for a text pkm made of paragraphs (a Kindle book's clippings), escaped."""
    from html import escape

    return "".join(
        "<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


PARAGRAPH_BREAK = "\n\n"
