"""Feed parsing: bytes in, `ParsedFeed` out. Pure: no network, no clock, no database.

Owns everything between a fetched body and the entries pkm stores: choosing the
character encoding, telling feeds from things that are not feeds, reading RSS
0.90-2.0, RDF, Atom 0.3/1.0 and JSON Feed 1.0/1.1, entry identity, dates in UTC,
sanitized HTML (through `pkm.content`) and plain text. Does not fetch, store, or decide
what is new.

Three readers feed one builder, so every format comes out the same shape:

* JSON Feed is read with `json` (feedparser cannot read it).
* Well-formed XML is read by walking a strict lxml tree (about 1 ms for a 90 KB feed).
  fastfeedparser was measured as the fast path and rejected: it parses with libxml2's
  recover mode (silently truncating malformed documents instead of failing), drops XHTML
  titles, strips `<...>` from Atom `type="text"` content, leaves relative links and
  `xml:base` unresolved, and falls back to dateutil/dateparser, which fill missing date
  parts from today's date (a clock dependency).
* Anything lxml's strict parser still rejects after a few lossless repairs goes to
  feedparser's forgiving parser (60-90 ms per feed, so only when needed), and the feed
  carries a "recovered from malformed xml" warning.

Dates are parsed here, from the raw strings, on both XML paths: feedparser's own ISO 8601
handler reads the clock and the local timezone.
"""

import base64
import binascii
import calendar
import codecs
import hashlib
import io
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from html import escape
from html.entities import html5
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.datetimes.asctime import _parse_date_asctime
from feedparser.datetimes.greek import _parse_date_greek
from feedparser.datetimes.hungarian import _parse_date_hungarian
from feedparser.datetimes.korean import _parse_date_nate, _parse_date_onblog
from feedparser.datetimes.rfc822 import _parse_date_rfc822
from feedparser.datetimes.w3dtf import _parse_date_w3dtf
from lxml import etree  # type: ignore[import-untyped]

from pkm.content import html_to_text, sanitize_html, text_to_summary
from pkm.errors import ParseError
from pkm.models import ParsedEntry, ParsedFeed

__all__ = ["parse_feed"]

# --- namespaces ---------------------------------------------------------------------------

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
_FEEDPARSER_VERSIONS = {"rss091u": "rss091", "rss091n": "rss091"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_WEB_SCHEMES = frozenset({"http", "https"})


# --- the intermediate form both XML readers and the JSON reader produce --------------------


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


# --- public API ---------------------------------------------------------------------------


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a fetched feed document.

    Args:
        body: the response body, exactly as received (after transfer decoding).
        url: the URL the body came from; relative links resolve against it.
        content_type: the Content-Type header, if any; its charset is one hint among
            the BOM, the XML declaration and the bytes themselves.

    Returns:
        The feed with entries in document order. Deterministic: the same arguments
        always give the same result, because change detection hashes it.

    Raises:
        ParseError: the body is not a usable feed (an HTML page, empty, not XML or JSON,
            JSON that is not a JSON Feed, or a feed whose entries are all unusable).
            Nothing else is raised, for any bytes.
    """
    return _parse(body, url, content_type, use_lxml=True)


def _parse(body: bytes, url: str, content_type: str | None, *, use_lxml: bool) -> ParsedFeed:
    """`parse_feed`, with a switch the tests use to send well-formed XML to feedparser too."""
    text, verbatim, warnings = _decode(body, _charset(content_type))
    start = _first_significant(text)
    if start is None:
        raise ParseError(url, "not a feed: empty document")
    if text[start] in "{[":
        raw = _read_json(text[start:], url)
    else:
        raw = _read_xml(body if verbatim else None, text, url, warnings, use_lxml=use_lxml)
    raw.warnings[:0] = warnings
    return _build(raw, url)


# --- decoding -----------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_XML_DECL_TEXT_RE = re.compile(
    r"""^(\s*<\?xml\s[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._:-]{1,40}(["'])"""
)
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.I)
# Labels browsers (WHATWG Encoding) read as a superset; decoding with the superset never
# breaks a document that is really in the subset.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
# C1 control characters are never meant in feed text: they are windows-1252 bytes that
# went through an iso-8859-1 label. Map them the way browsers do (undefined ones go).
_C1_MAP = {b: (bytes([b]).decode("cp1252", errors="ignore") or None) for b in range(0x80, 0xA0)}
_C1_RE = re.compile("[\x80-\x9f]")


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CHARSET_RE.search(content_type)
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    """Python's codec name for an encoding label, or None if Python has no such text codec."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def _try_decode(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):  # LookupError: a bytes-to-bytes codec
        return None


def _decode(body: bytes, http_charset: str | None) -> tuple[str, bool, list[str]]:
    """Decode the body; return (text, whether `body` is exactly that text in UTF-8, warnings).

    Order: a byte-order mark; then UTF-8 if the bytes are valid UTF-8 (text in a legacy
    encoding is practically never valid UTF-8, while mislabelled UTF-8 is common: see
    miniflux's encoding tests); then the XML declaration; then the HTTP charset; then
    UTF-8 with replacement if most non-ASCII bytes form UTF-8, else windows-1252.
    """
    warnings: list[str] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            data = body[len(bom) :]
            return _fix_c1(data.decode(codec, errors="replace")), False, warnings
    if body[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a byte-order mark
        codec = "utf-16-le" if body[0] else "utf-16-be"
        return _fix_c1(body.decode(codec, errors="replace")), False, warnings

    declared_match = _XML_DECL_RE.match(body[:512])
    declared_label = declared_match.group(1).decode("ascii") if declared_match else None
    declared = _codec(declared_label)
    text = _try_decode(body, "utf-8")
    if text is not None:
        if declared not in (None, "utf-8") and not body.isascii():
            warnings.append(f"declared encoding {declared_label} ignored: the bytes are utf-8")
        # b"\xc2" leads every U+0080-U+009F in UTF-8: a cheap test that skips the scan.
        fixed = _fix_c1(text) if b"\xc2" in body else text
        verbatim = fixed is text and (declared_label is None or declared == "utf-8")
        return fixed, verbatim, warnings
    for label in (declared_label, http_charset):
        candidate = _codec(label)
        if candidate in ("utf-8", "utf-16", "utf-32"):
            continue  # already tried, or not what these bytes are
        text = _try_decode(body, candidate)
        if text is not None:
            return _fix_c1(text), False, warnings
    utf8 = body.decode("utf-8", errors="replace")
    bad = utf8.count("\ufffd")
    if sum(1 for ch in utf8 if ord(ch) > 127) > 2 * bad:
        warnings.append("invalid utf-8 bytes replaced")
        return _fix_c1(utf8), False, warnings
    warnings.append("undeclared or wrong encoding: decoded as windows-1252")
    return _fix_c1(body.decode("latin-1")), False, warnings


def _fix_c1(text: str) -> str:
    if _C1_RE.search(text) is None:
        return text
    return text.translate(_C1_MAP)


_SIGNIFICANT_RE = re.compile(r"[^\s\ufeff]")


def _first_significant(text: str) -> int | None:
    match = _SIGNIFICANT_RE.search(text)
    return match.start() if match else None


# --- XML ----------------------------------------------------------------------------------

_HTML_PAGE_RE = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])",
    re.I | re.S,
)
_XML_START_RE = re.compile(r"<\?xml|<rss[\s>]|<feed[\s>]|<rdf:RDF[\s>]")
_PROLOG_RE = re.compile(rb"\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*)*", re.S)
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s[^>\[]*(?:\[.*?\]\s*)?>", re.S | re.I)
_CDATA_SPLIT_RE = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)
_ENTITY_RE = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_BARE_AMP_RE = re.compile(rb"&(?![A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,8};|#[xX][0-9A-Fa-f]{1,8};)")
_XML_ILLEGAL_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_CHAR_REF_RE = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")


def _read_xml(
    utf8_body: bytes | None, text: str, url: str, warnings: list[str], *, use_lxml: bool
) -> _RawFeed:
    """Read an XML feed: strict lxml tree if possible, feedparser's loose parser if not.

    `utf8_body` is the body when it already is `text` in UTF-8 (the usual case: no copy).
    """
    if _HTML_PAGE_RE.match(text):
        raise ParseError(url, "not a feed: looks like an HTML page")
    start = _first_significant(text) or 0
    if text[start] != "<":
        junk = _XML_START_RE.search(text, 0, 4096)
        if junk is None:
            raise ParseError(url, "not a feed: neither xml nor json")
        warnings.append("ignored text before the xml document")
        data = _utf8_document(text[junk.start() :])
    elif utf8_body is not None:
        data = utf8_body.lstrip()  # XML allows nothing before the declaration; PHP adds newlines
    else:
        data = _utf8_document(text[start:])
    data = _strip_doctype(data)

    root = _strict_parse(data) if use_lxml else None
    if root is None and use_lxml:
        repaired = _repair(data)
        if repaired != data:
            root = _strict_parse(repaired)
            if root is not None:
                warnings.append(
                    "repaired xml: undeclared entities, bare ampersands or control characters"
                )
            data = repaired
    if root is None:
        return _read_with_feedparser(data, url)
    return _read_tree(root, url)


def _utf8_document(text: str) -> bytes:
    """The document as UTF-8 bytes, its XML declaration saying so."""
    text = text.lstrip("\ufeff")
    text = _XML_DECL_TEXT_RE.sub(r"\1utf-8\2", text, count=1)
    return text.encode("utf-8", errors="replace")  # errors: lone surrogates from utf-16


def _strip_doctype(data: bytes) -> bytes:
    """Drop a DOCTYPE in the prolog.

    Feeds only use it to declare HTML entities (the RSS 0.91 DTD); we never load DTDs and
    never expand declared entities (billion laughs), and `_repair` maps HTML entity names.
    """
    head = data[:4096]
    if b"<!DOCTYPE" not in head and b"<!doctype" not in head.lower():
        return data
    prolog = _PROLOG_RE.match(data)
    pos = prolog.end() if prolog else 0
    match = _DOCTYPE_RE.match(data, pos)
    if match is None:
        return data
    return data[:pos] + data[match.end() :]


def _strict_parse(data: bytes) -> Any | None:
    """The root element, or None if the document is not well-formed XML."""
    parser = etree.XMLParser(
        recover=False,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        return etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError):
        return None


def _repair(data: bytes) -> bytes:
    """Lossless fixes for the usual ways real feeds are not XML, outside CDATA sections.

    HTML entity names (`&nbsp;`) become character references, bare `&` becomes `&amp;`,
    and control characters XML forbids are dropped, as literals or as references (a
    reference to a surrogate would otherwise reach feedparser, which cannot encode it).
    """

    def entity(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        chars = html5.get(name.decode("ascii") + ";")
        if chars is None:
            return match.group(0)
        return b"".join(b"&#%d;" % ord(ch) for ch in chars)

    def char_ref(match: re.Match[bytes]) -> bytes:
        hex_digits, digits = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(digits)
        return match.group(0) if _xml_char(code) else b"&#xFFFD;"

    parts = _CDATA_SPLIT_RE.split(data)
    for i in range(0, len(parts), 2):
        part = _ENTITY_RE.sub(entity, parts[i])
        part = _CHAR_REF_RE.sub(char_ref, part)
        part = _BARE_AMP_RE.sub(b"&amp;", part)
        parts[i] = _XML_ILLEGAL_RE.sub(b"", part)
    return b"".join(parts)


def _xml_char(code: int) -> bool:
    """Whether XML 1.0 allows this code point in a document."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


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


def _add_tag(entry: _RawEntry, value: str) -> None:
    value = value.strip()
    if value:
        entry.tags.append(value)


# --- feedparser (the forgiving fallback) --------------------------------------------------

# feedparser resolves <guid> and Atom <id> text as relative URLs, so "t3_abc" (reddit) comes
# out as "https://host/t3_abc". An id is a name, not a link, and the lxml path keeps it as
# written; resolving it would give an entry another identity whenever a feed is malformed
# for a day. These two classes exist only for feedparser.parse.
for _parser_class in (feedparser.api.StrictFeedParser, feedparser.api.LooseFeedParser):
    _parser_class.can_be_relative_uri = frozenset(_parser_class.can_be_relative_uri) - {"id"}
# feedparser serializes XHTML content with end tags on void elements ("<br></br>"), which
# HTML parsers read as two line breaks.
_VOID_END_TAG_RE = re.compile(
    r"</(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\s*>", re.I
)

# Encoding mix-ups feedparser survives. Everything it is given here is UTF-8, so these
# should not happen; listed so that a future change there stays survivable (reader does
# the same: https://feedparser.readthedocs.io/en/latest/character-encoding.html).
_SURVIVABLE = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _read_with_feedparser(data: bytes, url: str) -> _RawFeed:
    """Read a document lxml's strict parser rejected, with feedparser's loose parser."""
    try:
        # A stream, never bytes: given bytes, feedparser tries them as a file name first.
        result = feedparser.parse(
            io.BytesIO(data),
            response_headers={
                "content-type": "application/xml; charset=utf-8",
                "content-location": url,
            },
            sanitize_html=False,  # nh3 does it, the same way for every path
            resolve_relative_uris=False,  # done by sanitize_html with the right base
        )
    except Exception as exc:  # feedparser's loose parser on hostile input: a third-party bug
        raise ParseError(url, f"not a feed: parser failed ({type(exc).__name__})") from exc
    version = result.get("version") or ""
    if not version:
        raise ParseError(url, f"not a feed: {_bozo_reason(result)}")
    feed = _RawFeed(version=_FEEDPARSER_VERSIONS.get(version, version))
    exception = result.get("bozo_exception")
    if result.get("bozo") and not isinstance(exception, _SURVIVABLE):
        feed.warnings.append("recovered from malformed xml")
    info = dict.get(result, "feed") or {}
    title_detail = dict.get(info, "title_detail") or {}
    feed.title = dict.get(info, "title")
    feed.title_is_html = dict.get(title_detail, "type") in _HTML_TYPES
    feed.link = _fp_link(info, url, is_entry=False)
    feed.ttl = dict.get(info, "ttl")
    for item in dict.get(result, "entries") or ():
        feed.entries.append(_fp_entry(item, url, feed.version.startswith("rss")))
    return feed


def _bozo_reason(result: Any) -> str:
    exception = result.get("bozo_exception")
    if exception is None:
        return "unknown document type"
    get_message = getattr(exception, "getMessage", None)
    message = get_message() if callable(get_message) else str(exception)
    line = getattr(exception, "getLineNumber", None)
    where = f" at line {line()}" if callable(line) else ""
    return f"malformed xml ({' '.join(str(message).split())}{where})".lower()


def _fp_link(thing: Any, url: str, *, is_entry: bool) -> str | None:
    """The first alternate HTML link, as the lxml path picks it.

    feedparser's own `link` is the last alternate link, and for a feed without one it can
    be the self link. For an entry it is also where a permalink <guid> or an http(s) Atom
    <id> stands in for a missing link, so entries fall back to it unless it is the href of
    a non-alternate link (an enclosure).
    """
    links = dict.get(thing, "links") or ()
    for link in links:
        rel = link.get("rel") or "alternate"
        kind = (link.get("type") or "text/html").split(";")[0].strip().lower()
        if rel == "alternate" and kind in _HTML_TYPES and link.get("href"):
            return _join(url, link["href"])
    value = dict.get(thing, "link")
    if not is_entry or not value or any(link.get("href") == value for link in links):
        return None
    return _join(url, value)


def _fp_text(detail: Any, url: str) -> _Text | None:
    if not detail or detail.get("value") is None:
        return None
    kind: Literal["html", "text"] = "text" if detail.get("type") == "text/plain" else "html"
    value = str(detail["value"])
    if detail.get("type") == "application/xhtml+xml":
        value = _VOID_END_TAG_RE.sub("", value)
    return _Text(value, kind, str(detail.get("base") or url))


def _fp_entry(item: Any, url: str, is_rss: bool) -> _RawEntry:
    entry = _RawEntry()
    entry.id = dict.get(item, "id")
    entry.link = _fp_link(item, url, is_entry=True)
    title_detail = dict.get(item, "title_detail") or {}
    entry.title = dict.get(item, "title")
    entry.title_is_html = dict.get(title_detail, "type") in _HTML_TYPES
    raw_author = dict.get(item, "author")
    if is_rss and raw_author:
        # RSS author text as written ("jo@example.org (Jo)"): feedparser's split of it into
        # name and email goes wrong on forms like "Jo (mailto:jo@example.org)".
        entry.authors.append(str(raw_author))
    else:
        for author in dict.get(item, "authors") or ():
            name = author.get("name") or author.get("email")
            if name:
                entry.authors.append(str(name))
    # dict.get: FeedParserDict maps "updated" to "published" with a DeprecationWarning.
    entry.published = dict.get(item, "published")
    entry.updated = dict.get(item, "updated")
    entry.created = dict.get(item, "created")
    contents = [c for c in dict.get(item, "content") or () if c.get("value")]
    entry.summary = _fp_text(dict.get(item, "summary_detail"), url)
    entry.content = _fp_text(contents[0], url) if contents else entry.summary
    for tag in dict.get(item, "tags") or ():
        _add_tag(entry, str(tag.get("term") or tag.get("label") or ""))
    return entry


# --- JSON Feed ----------------------------------------------------------------------------


def _read_json(text: str, url: str) -> _RawFeed:
    """Read a JSON Feed (https://jsonfeed.org/version/1.1, and 1.0)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(url, "not a feed: invalid json") from exc
    if not isinstance(doc, dict):
        raise ParseError(url, "not a feed: json that is not a json feed")
    version_url = doc.get("version")
    items = doc.get("items")
    if isinstance(version_url, str) and "jsonfeed.org/version/1.1" in version_url:
        version = "json11"
    elif isinstance(version_url, str) and "jsonfeed.org/version/1" in version_url:
        version = "json10"
    elif isinstance(items, list):
        version = "json"
    else:
        raise ParseError(url, "not a feed: json that is not a json feed")
    feed = _RawFeed(version=version)
    feed.title = _str(doc.get("title"))
    feed.link = _join(url, _str(doc.get("home_page_url")))
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            feed.entries.append(_json_entry(item, url))
        else:
            feed.entries.append(_RawEntry())  # unusable; counted as skipped
    return feed


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _str(value: Any) -> str | None:
    """A JSON string, or None. A lone "\\ud800" escape is valid JSON but not encodable
    text (nh3 and sha256 would fail on it), so those become U+FFFD."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", value)
    return value


def _json_entry(item: dict[str, Any], url: str) -> _RawEntry:
    entry = _RawEntry()
    item_id = item.get("id")
    if isinstance(item_id, str):
        entry.id = _str(item_id)
    elif isinstance(item_id, int | float) and not isinstance(item_id, bool):
        entry.id = str(item_id)  # 1.0 feeds in the wild use numbers; the spec says string
    entry.link = _join(url, _str(item.get("url")) or _str(item.get("external_url")))
    entry.title = _str(item.get("title"))
    base = entry.link or url
    content_html = _str(item.get("content_html"))
    content_text = _str(item.get("content_text"))
    summary = _str(item.get("summary"))
    if content_html:
        entry.content = _Text(content_html, "html", base)
    elif content_text:
        entry.content = _Text(content_text, "text", base)
    if summary:
        # Plain text by the spec, but publishers do put HTML there.
        kind: Literal["html", "text"] = "html" if _HTMLISH_RE.search(summary) else "text"
        entry.summary = _Text(summary, kind, base)
    authors = item.get("authors")
    if not isinstance(authors, list):  # JSON Feed 1.0: a single "author" object
        authors = [item.get("author")]
    for author in authors:
        name = _str(author.get("name")) if isinstance(author, dict) else None
        if name:
            entry.authors.append(name)
    entry.published = _str(item.get("date_published"))
    entry.updated = _str(item.get("date_modified"))
    tags = item.get("tags")
    for tag in tags if isinstance(tags, list) else ():
        _add_tag(entry, _str(tag) or "")
    if content_html and content_text:
        # The publisher's own plain text beats text derived from the HTML.
        entry.content_text = content_text
    return entry


# --- the builder: raw entries -> ParsedFeed ------------------------------------------------

_HTMLISH_RE = re.compile(r"<[a-zA-Z/!?]|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")
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


def _web_url(link: str | None) -> str | None:
    if not link:
        return None
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in _WEB_SCHEMES else None


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


# --- dates --------------------------------------------------------------------------------

_ISO_START_RE = re.compile(r"^\d{4}-?\d\d")
_DateHandler = Callable[[str], Any]
# feedparser's handlers that do not read the clock or the local timezone (its ISO 8601
# handler does both), for the unusual formats.
_FALLBACK_DATE_HANDLERS: tuple[_DateHandler, ...] = (
    _parse_date_rfc822,
    _parse_date_w3dtf,
    _parse_date_asctime,
    _parse_date_greek,
    _parse_date_hungarian,
    _parse_date_onblog,
    _parse_date_nate,
)


def _parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime, or None. Dates without a zone are taken as UTC."""
    if not value:
        return None
    value = " ".join(value.split())
    if not value or len(value) > 100:
        return None
    if _ISO_START_RE.match(value):
        parsed = _parse_iso(value)
        if parsed is not None:
            return parsed
    else:
        parts = parsedate_tz(value)
        if parts is not None:
            try:
                offset = timezone(timedelta(seconds=parts[9] or 0))
                return datetime(*parts[:6], tzinfo=offset).astimezone(UTC)
            except (ValueError, OverflowError):
                return None
    for handler in _FALLBACK_DATE_HANDLERS:
        try:
            struct = handler(value)
        except (KeyError, OverflowError, ValueError, AttributeError, IndexError, TypeError):
            continue
        if struct is not None:
            return _from_struct(struct)
    return None


def _parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    try:
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _from_struct(struct: time.struct_time) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (ValueError, OverflowError, OSError):
        return None
