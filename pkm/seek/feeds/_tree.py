"""The strict-tree readers: RSS 0.90-2.0, RDF (RSS 1.0) and Atom 0.3/1.0 from an lxml tree.

Owns which elements and namespaces mean what (including the Dublin Core, content:, Media
RSS and iTunes extensions), `xml:base` resolution, and serializing inline markup. Gets a
well-formed tree from `_xml`; produces a `_RawFeed` and nothing more: no sanitizing, no
date parsing, no ids invented.
"""

import base64
import binascii
from typing import Any, Literal

from lxml import etree  # type: ignore[import-untyped]

from pkm.errors import ParseError
from pkm.seek.feeds._raw import (
    _HTML_TYPES,
    _add_tag,
    _join,
    _RawEntry,
    _RawFeed,
    _Text,
    _web_url,
)

_NS_ATOM10 = "http://www.w3.org/2005/Atom"
_NS_ATOM03 = "http://purl.org/atom/ns#"
_NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_NS_RSS10 = "http://purl.org/rss/1.0/"
_NS_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
_NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_NS_DC = "http://purl.org/dc/elements/1.1/"
_NS_DCTERMS = "http://purl.org/dc/terms/"
_NS_XHTML = "http://www.w3.org/1999/xhtml"
_NS_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"  # compared lower-cased: feeds vary
_NS_MEDIA = frozenset({"http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss"})
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_RDF_ABOUT = f"{{{_NS_RDF}}}about"
# RSS elements live in no namespace, except in RSS 1.0/0.90 and in two old RSS 2.0 variants.
_RSS_NAMESPACES = frozenset(
    {
        "",
        _NS_RSS10,
        _NS_RSS090,
        "http://backend.userland.com/rss2",
        "http://blogs.law.harvard.edu/tech/rss",
    }
)
_ATOM_NAMESPACES = frozenset({_NS_ATOM10, _NS_ATOM03})

_RSS_VERSIONS = {"0.91": "rss091", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}


def _split_tag(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return "#", ""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _read_tree(root: Any, url: str) -> _RawFeed:
    ns, local = _split_tag(root.tag)
    if ns in _RSS_NAMESPACES and local == "rss":
        version = root.get("version", "").strip()
        rss_version = _RSS_VERSIONS.get(version) or (
            "rss20" if version[:2] == "2." or version == "2" else "rss"
        )
        return _read_rss(root, rss_version, url)
    if ns == _NS_RDF and local == "RDF":
        return _read_rdf(root, url)
    if ns in _ATOM_NAMESPACES or (ns == "" and local in ("feed", "entry")):
        if local == "feed":
            return _read_atom(root, _atom_version(root, ns), url)
        if local == "entry":  # an Atom entry document: a feed of one
            feed = _RawFeed(version=_atom_version(root, ns))
            feed.entries.append(_read_atom_entry(root, url))
            return feed
    if local.lower() == "html":
        raise ParseError(url, "not a feed: looks like an HTML page")
    raise ParseError(url, f"not a feed: unknown root element <{local or root.tag}>")


def _atom_version(root: Any, ns: str) -> str:
    if ns == _NS_ATOM10:
        return "atom10"
    version = root.get("version", "").strip()
    return {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(
        version, "atom03" if ns else "atom"
    )


def _base(el: Any, url: str) -> str:
    """The base URI in effect at `el`: its xml:base chain resolved against the feed URL."""
    bases = []
    node = el
    while node is not None:
        value = node.get(_XML_BASE)
        if value:
            bases.append(value.strip())
        node = node.getparent()
    base = url
    for value in reversed(bases):
        base = _join(base, value) or base
    return base


def _text(el: Any) -> str:
    if len(el) == 0:
        return (el.text or "").strip()
    return "".join(el.itertext()).strip()


def _markup(el: Any) -> str:
    """The content of `el` as markup: its text plus any child elements serialized.

    Child elements appear when a feed inlines HTML without escaping it (well-formed by luck)
    and in Atom `type="xhtml"`.
    """
    if len(el) == 0:
        return el.text or ""
    # Serialize as HTML, not XML: an HTML parser reads the XML form `<iframe src=".."/>` as
    # an unclosed iframe that swallows the rest of the entry, and `<br></br>` as two breaks.
    # The HTML serializer only knows void elements without a namespace, so drop namespaces
    # (this tree is read once, so changing it in place is safe).
    for node in el.iterdescendants():
        if isinstance(node.tag, str) and node.tag[:1] == "{":
            node.tag = node.tag.rpartition("}")[2]
    parts = [el.text or ""]
    parts.extend(etree.tostring(child, encoding=str, with_tail=True, method="html") for child in el)
    return "".join(parts)


def _atom_text(el: Any, url: str, is_atom03: bool) -> _Text | None:
    """An Atom text construct or content element, or None if there is nothing inline."""
    if el.get("src"):
        return None  # out-of-line content
    kind_attr = (el.get("type") or ("text/plain" if is_atom03 else "text")).strip().lower()
    mode = (el.get("mode") or "").strip().lower() if is_atom03 else ""
    if kind_attr in ("xhtml", "application/xhtml+xml"):
        div = next((c for c in el if _split_tag(c.tag) == (_NS_XHTML, "div")), None)
        value = _markup(div if div is not None else el)
        kind: Literal["html", "text"] = "html"
    elif kind_attr in ("html", "text/html"):
        value, kind = _markup(el), "html"
    elif kind_attr == "text" or kind_attr.startswith("text/"):
        value, kind = _text(el), "text"
    else:
        return None  # binary or unknown media types
    if mode == "base64":
        try:
            value = base64.b64decode(value, validate=False).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
    elif mode == "escaped" and kind == "text":
        kind = "html"
    return _Text(value, kind, _base(el, url))


def _read_rss(root: Any, version: str, url: str) -> _RawFeed:
    feed = _RawFeed(version=version)
    channel = None
    items: list[Any] = []
    for child in root:
        ns, local = _split_tag(child.tag)
        if ns in _RSS_NAMESPACES:
            if local == "channel" and channel is None:
                channel = child
            elif local == "item":  # misplaced outside the channel
                items.append(child)
    if channel is not None:
        _read_rss_channel(channel, feed, url, items)
    feed.entries = [_read_rss_item(item, url) for item in items]
    return feed


def _read_rdf(root: Any, url: str) -> _RawFeed:
    feed = _RawFeed(version="rss10")
    items: list[Any] = []
    for child in root:
        ns, local = _split_tag(child.tag)
        if ns in _RSS_NAMESPACES:
            if local == "channel":
                if ns == _NS_RSS090:
                    feed.version = "rss090"
                _read_rss_channel(child, feed, url, items)
            elif local == "item":
                items.append(child)
    feed.entries = [_read_rss_item(item, url) for item in items]
    return feed


def _read_rss_channel(channel: Any, feed: _RawFeed, url: str, items: list[Any]) -> None:
    """Read channel metadata into `feed` and collect its items into `items`."""
    rss_items = []
    for child in channel:
        ns, local = _split_tag(child.tag)
        if ns in _RSS_NAMESPACES:
            if local == "item":
                rss_items.append(child)
            elif local == "title" and feed.title is None:
                feed.title = _markup(child)
            elif local == "link" and feed.link is None:
                feed.link = _join(_base(child, url), _text(child))
            elif local == "ttl" and feed.ttl is None:
                feed.ttl = _text(child)
        elif ns == _NS_ATOM10 and local == "link" and feed.link is None and _is_alternate(child):
            feed.link = _join(_base(child, url), child.get("href"))
    items[:0] = rss_items


def _is_alternate(link: Any) -> bool:
    rel = (link.get("rel") or "alternate").strip()
    kind = (link.get("type") or "text/html").split(";")[0].strip().lower()
    return rel == "alternate" and kind in _HTML_TYPES and bool(link.get("href"))


def _read_rss_item(item: Any, url: str) -> _RawEntry:
    entry = _RawEntry()
    guid_is_link = False
    content: _Text | None = None
    description: _Text | None = None
    fallback_summary: _Text | None = None  # media:description or itunes:summary
    fallback_authors: list[str] = []  # itunes:author: usually the show, not the writer
    about = item.get(_RDF_ABOUT)
    if about and about.strip():
        entry.id = about.strip()
    for child in item:
        ns, local = _split_tag(child.tag)
        if ns in _RSS_NAMESPACES:
            if local == "title":
                if entry.title is None:
                    entry.title = _markup(child)
            elif local == "link":
                if entry.link is None:
                    entry.link = _join(_base(child, url), _text(child))
            elif local == "guid":
                guid = _text(child)
                entry.id = guid
                guid_is_link = (child.get("isPermaLink") or "true").strip() == "true"
            elif local == "description":
                if description is None:
                    description = _Text(_markup(child), "html", _base(child, url))
            elif local == "author":
                _add_author(entry, child)
            elif local == "category":
                _add_tag(entry, _text(child))
            elif local == "categories":  # a wrapper some generators add
                for category in child:
                    if _split_tag(category.tag)[1] == "category":
                        _add_tag(entry, _text(category))
            elif local == "pubDate":
                entry.published = _text(child)
        elif ns == _NS_CONTENT and local == "encoded":
            if content is None or not content.value.strip():
                content = _Text(_markup(child), "html", _base(child, url))
        elif ns == _NS_DC:
            if local == "creator":
                _add_author(entry, child)
            elif local == "date":
                entry.updated = _text(child)
            elif local == "subject":
                _add_tag(entry, _text(child))
        elif ns == _NS_DCTERMS:
            if local == "issued":
                entry.published = _text(child)
            elif local == "modified":
                entry.updated = _text(child)
            elif local == "created":
                entry.created = _text(child)
        elif ns == _NS_ATOM10:
            if local == "link" and entry.link is None and _is_alternate(child):
                entry.link = _join(_base(child, url), child.get("href"))
            elif local == "updated":
                entry.updated = _text(child)
            elif local == "published":
                entry.published = _text(child)
            elif local == "author":
                _add_author(entry, child)
        elif ns in _NS_MEDIA:
            fallback_summary = fallback_summary or _media_description(child, local, url)
        elif ns.lower() == _NS_ITUNES:
            if local == "author":
                fallback_authors.append(_text(child))
            elif local == "keywords":
                for keyword in _text(child).split(","):
                    _add_tag(entry, keyword)
            elif local == "summary" and fallback_summary is None:
                fallback_summary = _Text(_text(child), "text", _base(child, url))
        elif ns == _NS_XHTML and local == "body" and content is None:
            content = _Text(_markup(child), "html", _base(child, url))
    if entry.link is None and guid_is_link and entry.id:
        entry.link = _join(_base(item, url), entry.id)
    entry.summary = description or fallback_summary
    entry.content = content or entry.summary
    entry.authors = entry.authors or [a for a in fallback_authors if a]
    return entry


def _media_description(el: Any, local: str, url: str) -> _Text | None:
    """Media RSS description, directly or in media:group / media:content (YouTube puts the
    only text of an entry there)."""
    if local in ("group", "content"):
        for child in el:
            ns, child_local = _split_tag(child.tag)
            if ns in _NS_MEDIA and child_local == "description":
                return _media_description(child, child_local, url)
        return None
    if local != "description":
        return None
    kind: Literal["html", "text"] = "html" if el.get("type") == "html" else "text"
    return _Text(_text(el), kind, _base(el, url))


def _read_atom(root: Any, version: str, url: str) -> _RawFeed:
    feed = _RawFeed(version=version)
    is_atom03 = version != "atom10"
    for child in root:
        ns, local = _split_tag(child.tag)
        if ns not in _ATOM_NAMESPACES and ns != "":
            continue
        if local == "entry":
            feed.entries.append(_read_atom_entry(child, url))
        elif local == "title" and feed.title is None:
            title = _atom_text(child, url, is_atom03)
            if title is not None:
                feed.title, feed.title_is_html = title.value, title.kind == "html"
        elif local == "link" and feed.link is None and _is_alternate(child):
            feed.link = _join(_base(child, url), child.get("href"))
    return feed


def _read_atom_entry(el: Any, url: str) -> _RawEntry:
    entry = _RawEntry()
    media_summary: _Text | None = None
    is_atom03 = _split_tag(el.tag)[0] == _NS_ATOM03
    for child in el:
        ns, local = _split_tag(child.tag)
        if ns in _ATOM_NAMESPACES or ns == "":
            if local == "id":
                entry.id = _text(child)
            elif local == "title":
                title = _atom_text(child, url, is_atom03)
                if title is not None and entry.title is None:
                    entry.title, entry.title_is_html = title.value, title.kind == "html"
            elif local == "link":
                if entry.link is None and _is_alternate(child):
                    entry.link = _join(_base(child, url), child.get("href"))
            elif local == "author":
                _add_author(entry, child)
            elif local in ("published", "issued"):
                entry.published = _text(child)
            elif local in ("updated", "modified"):
                entry.updated = _text(child)
            elif local == "created":
                entry.created = _text(child)
            elif local == "content":
                if entry.content is None:
                    entry.content = _atom_text(child, url, is_atom03)
            elif local == "summary":
                if entry.summary is None:
                    entry.summary = _atom_text(child, url, is_atom03)
            elif local == "category":
                _add_tag(entry, child.get("term") or child.get("label") or "")
        elif ns == _NS_DC:
            if local == "creator":
                _add_author(entry, child)
            elif local == "subject":
                _add_tag(entry, _text(child))
        elif ns in _NS_MEDIA and media_summary is None:
            media_summary = _media_description(child, local, url)
    entry.summary = entry.summary or media_summary
    entry.content = entry.content or entry.summary
    if entry.link is None and entry.id:
        entry.link = _web_url(entry.id)  # an http(s) id is the permalink (as in feedparser)
    return entry


def _add_author(entry: _RawEntry, el: Any) -> None:
    """An author element: Atom-style `<name>`/`<email>` children, else its text."""
    name = email = None
    for child in el:
        local = _split_tag(child.tag)[1]
        if local == "name" and not name:
            name = _text(child)
        elif local == "email" and not email:
            email = _text(child)
    author = name or email or (_text(el) if len(el) == 0 else None)
    if author:
        entry.authors.append(author)
