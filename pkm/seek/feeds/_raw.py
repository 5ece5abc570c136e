"""The intermediate form: what every reader (`_tree`, `_fallback`, `_json`) produces and
`_builder` turns into `ParsedFeed`, plus the few helpers they share.

Raw means as the feed gave it: text not yet sanitized, dates still strings, authors as
written. Reads no documents and builds no `ParsedFeed`.
"""

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin, urlsplit

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_WEB_SCHEMES = frozenset({"http", "https"})
_HTMLISH_RE = re.compile(r"<[a-zA-Z/!?]|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")


@dataclass
class _Text:
    """A piece of entry text as the feed gave it, before sanitizing."""

    value: str
    kind: Literal["html", "text"]
    base: str  # the xml:base in effect, else the feed URL


@dataclass
class _RawEntry:
    id: str | None = None
    link: str | None = None  # absolute
    title: str | None = None
    title_is_html: bool = False
    authors: list[str] = field(default_factory=list)  # raw: "a@b.c (Name)", "Name", ...
    published: str | None = None  # raw date strings
    updated: str | None = None
    created: str | None = None
    content: _Text | None = None
    content_text: str | None = None  # the publisher's own plain text (JSON Feed)
    summary: _Text | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class _RawFeed:
    version: str
    title: str | None = None
    title_is_html: bool = False
    link: str | None = None  # absolute
    ttl: str | None = None
    entries: list[_RawEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


def _web_url(link: str | None) -> str | None:
    if not link:
        return None
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in _WEB_SCHEMES else None


def _add_tag(entry: _RawEntry, value: str) -> None:
    value = value.strip()
    if value:
        entry.tags.append(value)
