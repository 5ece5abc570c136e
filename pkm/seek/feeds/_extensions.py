"""The extension vocabularies of an entry: content:, Dublin Core, DC terms, Media RSS,
iTunes, XHTML and pkm's own (`_share`), plus what core elements share with them (dates, authors, enclosures).

Owns which extension element feeds which candidate of `_entry._Candidates`, and the one
table of date elements, which `_entry.element_dates` also reads to rank entries before
reading them. Meaning follows feedparser's (`feedparser/namespaces/*.py`), so a feed reads
the same on both paths.
"""

from typing import TYPE_CHECKING, Any, Literal

from pkm.seek.feeds import _elements as el
from pkm.seek.feeds._raw import _add_tag, _join, _RawEnclosure, _RawEntry, _Text
from pkm.seek.feeds._share import read_share

if TYPE_CHECKING:
    from pkm.seek.feeds._entry import _Candidates

_DateField = Literal["published", "updated", "created"]
_CORE_DATES: dict[str, _DateField] = {
    "pubdate": "published",
    "published": "published",
    "issued": "published",
    "updated": "updated",
    "modified": "updated",
    "lastbuilddate": "updated",
    "created": "created",
}
# (vocabulary, lower-case local name) -> the raw field a date element fills.
DATE_FIELDS: dict[tuple[str, str], _DateField] = {
    **{
        (key, local): kind
        for key in (el.RSS, el.ATOM, el.ATOM03)
        for local, kind in _CORE_DATES.items()
    },
    (el.DC, "date"): "updated",
    (el.DCTERMS, "issued"): "published",
    (el.DCTERMS, "modified"): "updated",
    (el.DCTERMS, "created"): "created",
}


def read_extension(found: "_Candidates", child: Any, key: str, local: str) -> None:
    """Read one element of an extension vocabulary into `found` (unknown ones are ignored)."""
    entry = found.entry
    if key == el.CONTENT:
        if local == "encoded":
            found.contents.append(_Text(el.markup(child), "html", found.base(child)))
    elif key == el.DC:
        if local in ("creator", "author"):
            add_author(entry, child)
        elif local == "title":
            found.titles.append((el.markup(child), False))
        elif local == "description":
            found.summaries.append(_Text(el.markup(child), "html", found.base(child)))
        elif local == "subject":
            _add_tag(entry, el.text(child))
    elif key == el.MEDIA:
        _read_media(found, child, local)
    elif key == el.ITUNES:
        if local == "author":
            found.fallback_authors.append(el.text(child))
        elif local == "summary":
            found.summaries.append(_Text(el.text(child), "text", found.base(child)))
        elif local == "keywords":
            for keyword in el.text(child).split(","):
                _add_tag(entry, keyword)
    elif key == el.XHTML and local == "body":
        found.contents.append(_Text(el.markup(child), "html", found.base(child)))
    elif key == el.PKM:
        read_share(entry, child, local, found.base(child))


def _read_media(found: "_Candidates", node: Any, local: str) -> None:
    """Media RSS (https://www.rssboard.org/media-rss): `media:content` is an enclosure,
    `media:group` groups several; titles and descriptions may sit at any of these levels
    (YouTube puts the only text of an entry in media:group/media:description)."""
    if local in ("group", "content"):
        if local == "content":
            add_enclosure(found.media_enclosures, node, found.base(node), "fileSize")
        for child in node:
            key, child_local = el.split(child)
            if key == el.MEDIA:
                _read_media(found, child, child_local)
    elif local == "title":
        found.media_titles.append((el.text(node), (node.get("type") or "") == "html"))
    elif local == "description":
        kind: Literal["html", "text"] = "html" if node.get("type") == "html" else "text"
        found.media_summaries.append(_Text(el.text(node), kind, found.base(node)))


def add_enclosure(found: list[_RawEnclosure], node: Any, base: str, length_attr: str) -> None:
    """An enclosure's URL (`url`, or `href` on Atom links), type and claimed length, the URL
    resolved against the xml:base in effect. Checked and deduplicated by `_builder`."""
    href = node.get("url") or node.get("href") or node.get("uri")
    link = _join(base, href)
    if link:
        length = el.attr(node, length_attr)
        found.append(_RawEnclosure(link, node.get("type"), length))


def add_author(entry: _RawEntry, node: Any) -> None:
    """An author element: Atom-style `<name>`/`<email>` children, else its text."""
    name = email = None
    for child in node:
        local = el.split(child)[1]
        if local == "name" and not name:
            name = el.text(child)
        elif local == "email" and not email:
            email = el.text(child)
    author = name or email or (el.text(node) if len(node) == 0 else None)
    if author:
        entry.authors.append(author)
