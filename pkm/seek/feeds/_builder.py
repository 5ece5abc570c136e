"""The builder: a `_RawFeed` from any reader to the `ParsedFeed` pkm stores.

Owns the limits (which entries are kept, texts cut before sanitizing: `_limits`), entry
identity (the feed's id, else the link, else the first enclosure, else a hash of title and
text; repeats get "#2", "#3", ...), skipping unusable entries, sanitized HTML and plain text
(through `pkm.content`), titles, authors, enclosures, the TTL, and the last word on text
from strangers: every string that leaves here has passed `strip_controls`. Dates come from
`_dates`. Reads no documents, so every format comes out the same shape.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from html import escape, unescape

from pkm._util.quotes import CONTEXT
from pkm._util.text import strip_controls
from pkm._util.urls import is_web_url
from pkm.content import html_to_text, sanitize_html, text_to_summary
from pkm.errors import ParseError
from pkm.models import (
    Cite,
    Enclosure,
    EntryKind,
    FeedLimits,
    ParsedEntry,
    ParsedFeed,
    TeammateHighlight,
)
from pkm.seek.feeds._dates import _parse_date
from pkm.seek.feeds._encoding import _fix_c1
from pkm.seek.feeds._limits import cut, cut_entry, entry_date, newest
from pkm.seek.feeds._raw import (
    _HTMLISH_RE,
    _RawEnclosure,
    _RawEntry,
    _RawFeed,
    _RawHighlight,
    _Text,
    _web_url,
)

_EMAIL_NAME_RE = re.compile(r"^\s*(\S+@\S+)\s*\((.+)\)\s*$")  # RSS: "jo@example.org (Jo)"
_NAME_EMAIL_RE = re.compile(r"^\s*(.+?)\s*(?:<\S+@\S+>|\(\S+@\S+\))\s*$")  # "Jo <jo@...>"
_IMG_ALT_RE = re.compile(r"<img\b[^>]*?\balt=\"([^\"]*)\"")  # in sanitized HTML: quoted
_MAX_LENGTH = 2**63 - 1  # what SQLite's INTEGER holds
# A teammate's shared.atom: what is kept of one highlight's id and tags, of a cited title.
_MAX_ID_BYTES = 1000
_MAX_TAGS = 50
_MAX_TAG_CHARS = 100
_MAX_TITLE_BYTES = 1000


# Bump when building changes what an entry becomes from the same raw entry (sanitizing,
# text extraction, dates, ...): every entry is then built again once and compared.
_BUILD_VERSION = "r2"


def _build(
    raw: _RawFeed, url: str, limits: FeedLimits, held: Mapping[str, str] | None = None
) -> ParsedFeed:
    """`held`: entry id -> fingerprint of the entries the caller already stores. Such an
    entry whose raw form is unchanged is not built again (sanitizing and text extraction
    are most of parsing); its id goes to `unchanged_entries`."""
    warnings = list(dict.fromkeys(raw.warnings))
    raw_entries, dropped = raw.entries, raw.dropped
    if len(raw_entries) > limits.max_entries:
        dates = [entry_date(e.published, e.updated, e.created) for e in raw_entries]
        keep = newest(dates, limits.max_entries)
        dropped += len(raw_entries) - len(keep)
        raw_entries = [raw_entries[i] for i in keep]
    truncated = [cut_entry(e, limits.max_entry_bytes) for e in raw_entries].count(True)
    dropped_highlights: list[int] = []
    unchanged: list[str] = []
    built: list[ParsedEntry | None] = []
    ids = [_given_id(e) for e in raw_entries]
    repeated = {i for i, n in Counter(ids).items() if n > 1}
    for raw_entry, given in zip(raw_entries, ids, strict=True):
        fingerprint = None if raw_entry.is_shared else _fingerprint(raw_entry, url, limits)
        if held and given and given not in repeated and held.get(given) == fingerprint:
            unchanged.append(given)
            continue
        built.append(_build_entry(raw_entry, url, limits, dropped_highlights, fingerprint))
    entries = [entry for entry in built if entry is not None]
    skipped = len(built) - len(entries)
    # Repeated ids get "#2", "#3", ... in document order, skipping ids the feed itself uses,
    # so an entry whose id really is "x#2" keeps it.
    taken = {entry.entry_id for entry in entries} | set(unchanged)
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if entry.entry_id in seen:
            n = 2
            while f"{entry.entry_id}#{n}" in taken:
                n += 1
            entries[i] = entry = replace(entry, entry_id=f"{entry.entry_id}#{n}")
            taken.add(entry.entry_id)
        seen.add(entry.entry_id)
    if skipped:
        if not entries and not unchanged:
            raise ParseError(url, "not a usable feed: no entry has an id, link, title or content")
        noun = "entry" if skipped == 1 else "entries"
        warnings.append(f"skipped {skipped} {noun} without id, link, title, content or media")
    if sum(dropped_highlights):
        warnings.append(
            f"kept the first {limits.max_highlights} highlights of an entry:"
            f" {sum(dropped_highlights)} more not read (max_highlights)"
        )
    title = cut(raw.title, limits.max_entry_bytes) if raw.title else None
    return ParsedFeed(
        version=raw.version,
        title=_clean(_plain_title(_clean(title or raw.title), raw.title_is_html)),
        site_url=_clean(_web_url(raw.link)),
        entries=tuple(entries),
        ttl_minutes=_ttl(raw.ttl),
        warnings=tuple(warnings),
        dropped_entries=dropped,
        truncated_entries=truncated,
        unchanged_entries=tuple(unchanged),
    )


def _given_id(raw: _RawEntry) -> str | None:
    """The entry's id when the feed gives one or a link, as `_build_entry` takes it; None
    when the id must come from what building yields (an enclosure, a hash of the text)."""
    return _clean((raw.id or "").strip()) or _clean(_web_url(raw.link))


def _fingerprint(raw: _RawEntry, url: str, limits: FeedLimits) -> str:
    """What decides that an entry can be taken as unchanged without building it: all the
    raw entry a build reads, the feed URL (relative links resolve against it), the limits
    and the builder's version. Each field is written with its length, so that no two
    different entries write the same."""
    fields: list[str | None] = [
        url,
        str(limits.max_entry_bytes),
        raw.id,
        raw.link,
        raw.title,
        "html" if raw.title_is_html else "text",
        raw.published,
        raw.updated,
        raw.created,
        raw.content_text,
        str(len(raw.authors)),
        *raw.authors,
        str(len(raw.tags)),
        *raw.tags,
    ]
    for text in (raw.content, raw.summary):
        fields += (None, None, None) if text is None else (text.kind, text.base, text.value)
    for x in raw.enclosures:
        fields += (x.url, x.type, x.length)
    written = "".join("-" if f is None else f"{len(f)}:{f}" for f in fields)
    digest = hashlib.sha256(written.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_BUILD_VERSION}:{digest[:32]}"


def _build_entry(
    raw: _RawEntry,
    url: str,
    limits: FeedLimits = FeedLimits(),
    dropped: list[int] | None = None,
    fingerprint: str | None = None,
) -> ParsedEntry | None:
    link = _clean(_web_url(raw.link))
    # Cleaned before and after: a control is whitespace to the title's whitespace folding.
    title = _clean(_plain_title(_clean(raw.title), raw.title_is_html))
    content_html: str | None = None
    content_text = ""
    if raw.content is not None and raw.content.value.strip():
        content_html, content_text = _render(raw.content, url, link)
    if raw.content_text is not None:
        content_text = _normalize_text(_strip_controls(raw.content_text))
    if raw.summary is None or raw.summary is raw.content:
        summary_text = content_text
    else:
        summary_text = _render(raw.summary, url, link)[1] or content_text
    enclosures = _enclosures(raw.enclosures)
    entry_id = _given_id(raw) or (enclosures[0].url if enclosures else None)
    if not entry_id:
        if not title and not content_text and not content_html:
            return None
        # Title and text, as ever (so ids stored before stay the same); the HTML only when
        # there is no text, so an entry that is just a picture still has an identity.
        basis = f"{title or ''}\n{content_text}"
        if not content_text and content_html:
            basis += f"\n{content_html}"
        entry_id = f"sha256:{hashlib.sha256(basis.encode()).hexdigest()}"
    author = _clean(_authors(raw.authors))
    kind: EntryKind | None = None
    highlights: tuple[TeammateHighlight, ...] = ()
    cites: tuple[Cite, ...] = ()
    if raw.is_shared:
        named = (raw.kind or "").strip().lower()
        kind = EntryKind(named) if named in _KINDS else EntryKind.ITEM
        highlights, over = _highlights(raw.highlights, limits)
        if dropped is not None:
            dropped.append(over)
        cites = _cites(raw.cites, limits.max_highlights)
        if kind is EntryKind.NOTE and cites:
            listing = _strip_controls(sanitize_html(_cites_html(cites), url))
            content_html = (content_html or "") + listing
            content_text = "\n\n".join(t for t in (content_text, html_to_text(listing)) if t)
    return ParsedEntry(
        entry_id=entry_id,
        url=link,
        title=title,
        author=author,
        published=_parse_date(raw.published) or _parse_date(raw.created),
        updated=_parse_date(raw.updated),
        summary=text_to_summary(summary_text) if summary_text else None,
        content_html=content_html,
        content_text=content_text,
        tags=tuple(dict.fromkeys(tag for tag in map(_strip_controls, raw.tags) if tag)),
        enclosures=enclosures,
        kind=kind,
        shared_by=author if kind is not None else None,
        answers=_strip_controls(raw.answers)[:2000]
        if kind is EntryKind.ANSWER and raw.answers
        else None,
        highlights=highlights,
        cites=cites,
        fingerprint=fingerprint,
    )


_KINDS = frozenset(k.value for k in EntryKind)


def _highlights(
    raw: Iterable[_RawHighlight], limits: FeedLimits
) -> tuple[tuple[TeammateHighlight, ...], int]:
    """A teammate's highlights, cleaned and cut, and how many were over the limit.

    One without an id has no identity to be updated or removed by: it is ignored, as is
    a repeat of an id already read. The first `limits.max_highlights` are kept, in
    document order. Quotes and comments are cut to `limits.max_highlight_bytes` (and
    `max_entry_bytes`), the context either side to `CONTEXT` characters, next to the quote.
    """
    found: dict[str, TeammateHighlight] = {}
    over = 0
    size = min(limits.max_highlight_bytes, limits.max_entry_bytes)
    for h in raw:
        highlight_id = _cut_to(_strip_controls((h.id or "").strip()), _MAX_ID_BYTES)
        if not highlight_id or highlight_id in found:
            continue
        if len(found) >= limits.max_highlights:
            over += 1
            continue
        exact = _cut_to(_strip_controls(h.exact), size)
        tags = (" ".join(_strip_controls(t).split())[:_MAX_TAG_CHARS] for t in h.tags)
        found[highlight_id] = TeammateHighlight(
            id=highlight_id,
            exact=exact if exact.strip() else "",
            prefix=_strip_controls(h.prefix)[-CONTEXT:],
            suffix=_strip_controls(h.suffix)[:CONTEXT],
            comment=_cut_to(_strip_controls(h.comment), size).strip(),
            tags=tuple(dict.fromkeys(t for t in tags if t))[:_MAX_TAGS],
            created=_parse_date(h.created),
            updated=_parse_date(h.updated),
        )
    return tuple(found.values()), over


def _cites(raw: Iterable[tuple[str, str | None]], limit: int) -> tuple[Cite, ...]:
    """The http(s) links a note cites, once each, with their titles on one line."""
    found: dict[str, Cite] = {}
    for href, title in raw:
        link = _clean(_web_url(href.strip()))
        if not link or link in found or _has_blank(link):
            continue
        if len(found) >= limit:
            break
        name = " ".join(_strip_controls(_cut_to(title or "", _MAX_TITLE_BYTES)).split())
        found[link] = Cite(link, name or None)
    return tuple(found.values())


def _has_blank(link: str) -> bool:
    """A URL with a blank inside: not one a note cites (a browser would read it otherwise)."""
    return any(c.isspace() for c in link)


def _cites_html(cites: Iterable[Cite]) -> str:
    items = "".join(
        f'<li><a href="{escape(c.url)}">{escape(c.title, quote=False)}</a>: {escape(c.url)}</li>'
        if c.title
        else f'<li><a href="{escape(c.url)}">{escape(c.url)}</a></li>'
        for c in cites
    )
    return f"<h3>Cites</h3><ul>{items}</ul>"


def _cut_to(text: str, max_bytes: int) -> str:
    shorter = cut(text, max_bytes)
    return text if shorter is None else shorter


def _clean(value: str | None) -> str | None:
    return _strip_controls(value) if value else value


def _strip_controls(value: str) -> str:
    """`strip_controls`, after mapping C1 characters to the windows-1252 ones they stand
    for, as `_encoding` does for the body, browsers do for `&#x80;`-`&#x9f;` and feedparser
    does for every text: a reference `&#x92;` means a curly quote, not a terminal control."""
    return strip_controls(value if value.isascii() else _fix_c1(value))


def _render(text: _Text, url: str, link: str | None) -> tuple[str, str]:
    """(sanitized HTML, plain text) of an entry text, both without control characters.

    Relative links resolve against an explicit xml:base when the feed has one, else
    against the entry's own link (what relative links in most feeds are written against),
    else the feed URL. Readers only ever hand over http(s) bases.

    Controls are stripped from the sanitized HTML, since a character reference (`&#27;`)
    becomes one there; its plain text cannot bring them back (the sanitizer writes no
    character references), so the text is not scanned again.
    """
    base = text.base if text.base != url else (link or url)
    if text.kind == "text":
        value = _strip_controls(text.value)
        return _text_to_html(value), _normalize_text(value)
    html = _strip_controls(sanitize_html(text.value.strip(), base))
    return html, html_to_text(html)


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _normalize_text(text: str) -> str:
    """Plain text normalized the way `html_to_text` leaves it."""
    return html_to_text(escape(text, quote=False))


def _plain_title(value: str | None, is_html: bool) -> str | None:
    """A title as one line of plain text.

    A title that is only a picture (`<img src=".." alt="Sunset">`, as some photo and comic
    feeds send) becomes the picture's alt text: what a reader of the page would be told in
    its place. Without alt text it has no title, and the entry is known by its link or id.
    """
    if not value:
        return None
    if is_html or _HTMLISH_RE.search(value):
        html = sanitize_html(value)
        value = html_to_text(html)
        if not value.strip():
            value = " ".join(unescape(alt) for alt in _IMG_ALT_RE.findall(html))
    return " ".join(value.split()) or None


def _enclosures(raw: Iterable[_RawEnclosure]) -> tuple[Enclosure, ...]:
    """http(s) enclosures only, once per URL in the order the readers give, type lower-case,
    length a byte count or None. A URL given twice (an `enclosure` and a `media:content`
    for the same file) is one enclosure, with the type and length either of them gives."""
    found: dict[str, Enclosure] = {}
    for enclosure in raw:
        link = _strip_controls(enclosure.url.strip())
        if not is_web_url(link):
            continue
        kind = _strip_controls(enclosure.type or "").strip().lower() or None
        length = _length(enclosure.length)
        seen = found.get(link)
        if seen is not None:
            kind, length = seen.type or kind, seen.length if seen.length is not None else length
        found[link] = Enclosure(link, kind, length)
    return tuple(found.values())


def _length(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return None  # "", "-1", "unknown", "1.5e6", "٣" (isdigit alone accepts those digits)
    length = int(value)
    return length if length <= _MAX_LENGTH else None


def _ttl(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        minutes = int(value.strip())
    except ValueError:
        return None
    return minutes if 0 < minutes < 10**7 else None


def _author_name(value: str) -> str:
    value = " ".join(value.split())
    match = _EMAIL_NAME_RE.match(value)
    if match:
        return match.group(2).strip()
    match = _NAME_EMAIL_RE.match(value)
    if match:
        return match.group(1).strip().strip('"')
    return value


def _authors(values: Iterable[str]) -> str | None:
    """The authors as one string: "Jo, Al". Lists written into one element with ";" are
    split, escaped entities decoded ("O&#8217;Brien"), and a name given twice, in any case
    ("Jeffrey Gettleman; JEFFREY GETTLEMAN"), appears once, as first written."""
    unique: dict[str, str] = {}
    for value in values:
        for part in (unescape(value) if "&" in value else value).split(";"):
            name = _author_name(part)
            if name:
                unique.setdefault(name.casefold(), name)
    return ", ".join(unique.values()) if unique else None
