"""The builder: a `_RawFeed` from any reader to the `ParsedFeed` pkm stores.

Owns entry identity (the feed's id, else the link, else a hash of title and text; repeats
get "#2", "#3", ...), skipping unusable entries, sanitized HTML and plain text (through
`pkm.content`), titles, authors and the TTL. Dates come from `_dates`. Reads no
documents, so every format comes out the same shape.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from html import escape

from pkm.content import html_to_text, sanitize_html, text_to_summary
from pkm.errors import ParseError
from pkm.models import ParsedEntry, ParsedFeed
from pkm.seek.feeds._dates import _parse_date
from pkm.seek.feeds._raw import _HTMLISH_RE, _RawEntry, _RawFeed, _Text, _web_url

_EMAIL_NAME_RE = re.compile(r"^\s*(\S+@\S+)\s*\((.+)\)\s*$")  # RSS: "jo@example.org (Jo)"
_NAME_EMAIL_RE = re.compile(r"^\s*(.+?)\s*(?:<\S+@\S+>|\(\S+@\S+\))\s*$")  # "Jo <jo@...>"


def _build(raw: _RawFeed, url: str) -> ParsedFeed:
    warnings = list(dict.fromkeys(raw.warnings))
    built = [_build_entry(raw_entry, url) for raw_entry in raw.entries]
    entries = [entry for entry in built if entry is not None]
    skipped = len(built) - len(entries)
    # Repeated ids get "#2", "#3", ... in document order, skipping ids the feed itself uses,
    # so an entry whose id really is "x#2" keeps it.
    taken = {entry.entry_id for entry in entries}
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
        if not entries:
            raise ParseError(url, "not a usable feed: no entry has an id, link, title or content")
        noun = "entry" if skipped == 1 else "entries"
        warnings.append(f"skipped {skipped} {noun} without id, link, title or content")
    return ParsedFeed(
        version=raw.version,
        title=_plain_title(raw.title, raw.title_is_html),
        site_url=_web_url(raw.link),
        entries=tuple(entries),
        ttl_minutes=_ttl(raw.ttl),
        warnings=tuple(warnings),
    )


def _build_entry(raw: _RawEntry, url: str) -> ParsedEntry | None:
    link = _web_url(raw.link)
    title = _plain_title(raw.title, raw.title_is_html)
    content_html: str | None = None
    content_text = ""
    if raw.content is not None and raw.content.value.strip():
        content_html, content_text = _render(raw.content, url, link)
    if raw.content_text is not None:
        content_text = _normalize_text(raw.content_text)
    if raw.summary is None or raw.summary is raw.content:
        summary_text = content_text
    else:
        summary_text = _render(raw.summary, url, link)[1] or content_text
    entry_id = (raw.id or "").strip() or link
    if not entry_id:
        if not title and not content_text:
            return None
        digest = hashlib.sha256(f"{title or ''}\n{content_text}".encode()).hexdigest()
        entry_id = f"sha256:{digest}"
    return ParsedEntry(
        entry_id=entry_id,
        url=link,
        title=title,
        author=_authors(raw.authors),
        published=_parse_date(raw.published) or _parse_date(raw.created),
        updated=_parse_date(raw.updated),
        summary=text_to_summary(summary_text) if summary_text else None,
        content_html=content_html,
        content_text=content_text,
        tags=tuple(dict.fromkeys(raw.tags)),
    )


def _render(text: _Text, url: str, link: str | None) -> tuple[str, str]:
    """(sanitized HTML, plain text) of an entry text.

    Relative links resolve against an explicit xml:base when the feed has one, else
    against the entry's own link (what relative links in most feeds are written against),
    else the feed URL.
    """
    base = text.base if text.base != url else (link or url)
    if text.kind == "text":
        html = _text_to_html(text.value)
        return html, _normalize_text(text.value)
    html = sanitize_html(text.value.strip(), base)
    return html, html_to_text(html)


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _normalize_text(text: str) -> str:
    """Plain text normalized the way `html_to_text` leaves it."""
    return html_to_text(escape(text, quote=False))


def _plain_title(value: str | None, is_html: bool) -> str | None:
    if not value:
        return None
    if is_html or _HTMLISH_RE.search(value):
        value = html_to_text(sanitize_html(value))
    return " ".join(value.split()) or None


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
    names = [_author_name(v) for v in values]
    unique = list(dict.fromkeys(n for n in names if n))
    return ", ".join(unique) if unique else None
