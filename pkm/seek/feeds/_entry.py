"""One RSS item or Atom entry from a strict lxml tree to a `_RawEntry`.

Owns what each element of an entry means and which of several candidates wins, for RSS
0.9x/2.0, RDF and Atom alike: like feedparser, an element means the same whatever format
it appears in (an `atom:link` in an RSS item, a `dc:date` in an Atom entry). The
extension vocabularies (content:, dc:, dcterms:, Media RSS, iTunes, XHTML) are read in
`_extensions`, into the same `_Candidates`. Produces raw values only: no sanitizing, no
date parsing, no ids invented.

Which candidate wins:

* title: the first non-empty `title` or `dc:title`, else the first `media:title`;
* summary: the first non-empty `description`, `summary`, `dc:description` or
  `itunes:summary`, else the first `media:description` (often a picture's caption);
* content: the first non-empty `content:encoded`, Atom `content` or `xhtml:body`; else
  the second summary candidate (feeds with both `description` and `itunes:summary` put
  the longer show notes in one of them; feedparser reads it as content too); else the
  summary;
* authors: every `author`, `dc:creator` and Atom `author`, else `itunes:author`, which
  usually names the show rather than the writer;
* enclosures: RSS `enclosure` and Atom enclosure links, then Media RSS `media:content`
  (often other renditions of the same file), each in document order: the first is the
  one a podcast app plays;
* plain text in RSS that looks like HTML (feedparser's guess) is read as HTML;
* dates: the last non-empty element of each kind (`published`, `updated`, `created`), as
  feedparser keeps the last.
"""

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Literal

from pkm._util.web import HTML_TYPES
from pkm.seek.feeds import _elements as el
from pkm.seek.feeds._extensions import (
    DATE_FIELDS,
    add_author,
    add_enclosure,
    read_extension,
)
from pkm.seek.feeds._raw import (
    _add_tag,
    _join,
    _looks_like_html,
    _RawEnclosure,
    _RawEntry,
    _rebase,
    _Text,
    _web_url,
)

_CORE = frozenset({el.RSS, el.ATOM, el.ATOM03})
_RDF_ABOUT = f"{{{el.NS_RDF}}}about"


@dataclass
class _Candidates:
    """Everything an entry's elements offered, in document order, before choosing."""

    entry: _RawEntry
    url: str
    flavour: str  # the vocabulary of unnamespaced elements: RSS, ATOM or ATOM03
    item: Any
    item_base: str
    titles: list[tuple[str, bool]] = field(default_factory=list)  # (value, is html)
    media_titles: list[tuple[str, bool]] = field(default_factory=list)
    summaries: list[_Text] = field(default_factory=list)
    media_summaries: list[_Text] = field(default_factory=list)
    contents: list[_Text] = field(default_factory=list)
    fallback_authors: list[str] = field(default_factory=list)
    media_enclosures: list[_RawEnclosure] = field(default_factory=list)
    link_from_id: str | None = None  # a permalink guid, or an http(s) Atom id

    def base(self, node: Any) -> str:
        """`_elements.base` of an element of this entry, without walking up to the root for
        each of the entry's own children."""
        value = node.get(el.XML_BASE)
        if node.getparent() is not self.item:
            return el.base(node, self.url)
        return self.item_base if value is None else _rebase(self.item_base, value)


def read_entry(item: Any, url: str, flavour: str) -> _RawEntry:
    entry = _RawEntry()
    found = _Candidates(entry, url, flavour, item, el.base(item, url))
    about = item.get(_RDF_ABOUT)
    if about and about.strip():
        entry.id = about.strip()
    for child in item:
        parts = el.split(child)
        date_field = DATE_FIELDS.get(parts)
        key, local = parts
        if date_field is not None:
            value = el.text(child)
            if value:
                setattr(entry, date_field, value)
        elif key in _CORE:
            _read_core(found, child, key, local)
        elif key != el.OTHER:
            read_extension(found, child, key, local)
    return _choose(found)


def element_dates(item: Any) -> tuple[str | None, str | None, str | None]:
    """(published, updated, created) as `read_entry` reads them, without reading the rest:
    enough to pick the newest entries of a feed too long to read whole."""
    dates: dict[str, str] = {}
    for child in item:
        date_field = DATE_FIELDS.get(el.split(child))
        if date_field is not None:
            value = el.text(child)
            if value:
                dates[date_field] = value
    return dates.get("published"), dates.get("updated"), dates.get("created")


def _read_core(found: _Candidates, child: Any, key: str, local: str) -> None:
    entry = found.entry
    if local == "title":
        if key == el.RSS and found.flavour == el.RSS:
            found.titles.append((el.markup(child), False))
        else:
            title = atom_text(child, found.base(child), el.ATOM03 in (key, found.flavour))
            if title is not None:
                found.titles.append((title.value, title.kind == "html"))
    elif local == "link":
        _read_link(found, child)
    elif local == "guid":
        entry.id = el.text(child)
        if (el.attr(child, "isPermaLink") or "true").strip() == "true" and entry.id:
            found.link_from_id = _join(found.base(child), entry.id)
        else:
            found.link_from_id = None
    elif local == "id":
        entry.id = el.text(child)
        found.link_from_id = _web_url(entry.id)  # an http(s) id is the permalink
    elif local == "description":
        found.summaries.append(_Text(el.markup(child), "html", found.base(child)))
    elif local in ("summary", "content"):
        text = atom_text(child, found.base(child), el.ATOM03 in (key, found.flavour))
        if text is not None:
            (found.summaries if local == "summary" else found.contents).append(text)
    elif local == "author":
        add_author(entry, child)
    elif local == "category":
        _add_tag(entry, child.get("term") or child.get("label") or el.text(child))
    elif local == "categories":  # a wrapper some generators add
        for category in child:
            if el.split(category)[1] == "category":
                _add_tag(entry, el.text(category))
    elif local == "enclosure":
        add_enclosure(entry.enclosures, child, found.base(child), "length")


def _read_link(found: _Candidates, link: Any) -> None:
    """RSS `<link>text</link>`, or Atom `<link href rel type>`: the first alternate HTML
    link is the entry's; enclosure links are its media."""
    href = link.get("href")
    if href is None:
        if found.entry.link is None:
            found.entry.link = _join(found.base(link), el.text(link))
        return
    rel = (link.get("rel") or "alternate").strip().lower()
    if rel == "enclosure":
        add_enclosure(found.entry.enclosures, link, found.base(link), "length")
    elif found.entry.link is None and rel == "alternate" and href.strip():
        kind = (link.get("type") or "text/html").split(";")[0].strip().lower()
        if kind in HTML_TYPES:
            found.entry.link = _join(found.base(link), href)


def atom_text(node: Any, base: str, is_atom03: bool) -> _Text | None:
    """An Atom text construct or content element, or None if there is nothing inline.

    Base64 is decided as feedparser decides it: Atom 0.3 `mode="base64"`, or a media type
    that is neither text/* nor XML (`application/octet-stream`); a value that does not
    decode to UTF-8 text is dropped, where feedparser would keep the base64 itself.
    """
    if node.get("src"):
        return None  # out-of-line content
    kind_attr = (node.get("type") or ("text/plain" if is_atom03 else "text")).strip().lower()
    kind_attr = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}.get(
        kind_attr, kind_attr
    )
    mode = (node.get("mode") or "").strip().lower() if is_atom03 else ""
    is_base64 = mode == "base64" or not (
        kind_attr.startswith("text/") or kind_attr.endswith(("+xml", "/xml"))
    )
    kind: Literal["html", "text"]
    if is_base64:
        try:
            value = base64.b64decode(el.text(node), validate=False).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        kind = "text" if kind_attr == "text/plain" else "html"
    elif kind_attr == "application/xhtml+xml":
        div = next((c for c in node if el.split(c) == (el.XHTML, "div")), None)
        value, kind = el.markup(div if div is not None else node), "html"
    elif kind_attr == "text/plain":
        value, kind = el.text(node), "text"
        if mode == "escaped":
            kind = "html"
    else:  # text/html, other text/* and XML types: markup
        value, kind = el.markup(node), "html"
    return _Text(value, kind, base)


def _choose(found: _Candidates) -> _RawEntry:
    entry = found.entry
    if found.flavour == el.RSS:
        for text in (*found.summaries, *found.media_summaries, *found.contents):
            if text.kind == "text" and _looks_like_html(text.value):
                text.kind = "html"
    title = _first(found.titles) or _first(found.media_titles)
    if title is not None:
        entry.title, entry.title_is_html = title
    summaries = [text for text in found.summaries if text.value.strip()]
    summary = summaries[0] if summaries else _first_text(found.media_summaries)
    contents = [text for text in found.contents if text.value.strip()]
    if contents:
        content: _Text | None = contents[0]
    elif len(summaries) > 1:
        content = summaries[1]
    else:
        content = summary
    entry.summary, entry.content = summary, content
    if not entry.authors:
        entry.authors = [author for author in found.fallback_authors if author]
    if entry.link is None and found.link_from_id:
        entry.link = found.link_from_id
    entry.enclosures.extend(found.media_enclosures)
    return entry


def _first(values: list[tuple[str, bool]]) -> tuple[str, bool] | None:
    return next((value for value in values if value[0].strip()), None)


def _first_text(values: list[_Text]) -> _Text | None:
    return next((value for value in values if value.value.strip()), None)
