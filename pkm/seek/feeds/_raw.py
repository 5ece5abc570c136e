"""The intermediate form: what every reader (`_tree`, `_fallback`, `_json`) produces and
`_builder` turns into `ParsedFeed`, plus the few helpers they share.

Raw means as the feed gave it: text not yet sanitized, dates still strings, authors as
written, enclosure sizes unchecked. Reads no documents and builds no `ParsedFeed`.
"""

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

from pkm._util.urls import is_web_url

_HTMLISH_RE = re.compile(r"<[a-zA-Z/!?]|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")


@dataclass
class _Text:
    """A piece of entry text as the feed gave it, before sanitizing."""

    value: str
    kind: Literal["html", "text"]
    base: str  # the xml:base in effect (always http(s)), else the feed URL


@dataclass
class _RawEnclosure:
    url: str  # absolute, not yet checked for its scheme
    type: str | None = None
    length: str | None = None  # as written: "12345", " 12 ", "-1", "unknown"


@dataclass
class _RawHighlight:
    """A `pkm:highlight` as written: texts not yet cleaned or cut, dates still strings."""

    id: str | None = None
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    comment: str = ""
    tags: list[str] = field(default_factory=list)
    created: str | None = None
    updated: str | None = None


@dataclass
class _RawEntry:
    id: str | None = None
    link: str | None = None  # absolute
    title: str | None = None
    title_is_html: bool = False
    authors: list[str] = field(default_factory=list)  # raw: "a@b.c (Name)", "Name; Other", ...
    published: str | None = None  # raw date strings
    updated: str | None = None
    created: str | None = None
    content: _Text | None = None
    content_text: str | None = None  # the publisher's own plain text (JSON Feed)
    summary: _Text | None = None
    tags: list[str] = field(default_factory=list)
    enclosures: list[_RawEnclosure] = field(default_factory=list)  # document order
    # pkm's namespace (a teammate's shared.atom): `pkm:kind`, highlights, cited links.
    kind: str | None = None
    highlights: list[_RawHighlight] = field(default_factory=list)
    cites: list[tuple[str, str | None]] = field(default_factory=list)  # (absolute href, title)
    answers: str | None = None  # an answer's question (`pkm:answers ref`)
    is_shared: bool = False  # an element of pkm's namespace was seen


@dataclass
class _RawFeed:
    version: str
    title: str | None = None
    title_is_html: bool = False
    link: str | None = None  # absolute
    ttl: str | None = None
    entries: list[_RawEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dropped: int = 0  # entries a reader left unread because of FeedLimits.max_entries


# --- helpers the readers and the builder share ----------------------------------------------------


def _join(base: str | None, link: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    if link.startswith(("http://", "https://")):
        return link  # already absolute: skip urljoin, the costliest step of reading an entry
    try:
        return urljoin(base, link) if base else link
    except ValueError:  # e.g. an invalid IPv6 host in either URL
        return None


def _rebase(base: str, value: str | None) -> str:
    """`base` moved by an xml:base value, unless the result would not be an http(s) URL.

    A base of `javascript:`, `data:`, `vbscript:` or blank (entity-encoded or with a tab
    inside, read as a browser reads it) would turn every relative link under it, even
    `href=""`, into that scheme; such a base is ignored and the enclosing one stays.
    """
    joined = _join(base, value)
    return joined if joined is not None and is_web_url(joined) else base


def _looks_like_html(text: str) -> bool:
    """Whether plain text in an RSS feed is really HTML, as feedparser guesses it (a closing
    tag or an entity, and only known HTML tags and entities): podcast feeds put HTML and
    double-escaped `&amp;amp;` in `itunes:summary`. feedparser's own test, so that both
    readers guess the same. (Imported here: all of feedparser loads with it, and most
    feeds never need it.)"""
    from feedparser.mixin import _FeedParserMixin

    return bool(_FeedParserMixin.looks_like_html(text))


def _web_url(link: str | None) -> str | None:
    return link if link and is_web_url(link) else None


def _add_tag(entry: _RawEntry, value: str) -> None:
    value = value.strip()
    if value:
        entry.tags.append(value)
