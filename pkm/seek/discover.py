"""Feed autodiscovery: which feeds does an HTML page advertise, best first? Pure.

Owns reading `<link rel="alternate" type="...">` (and `rel="feed"`) out of a page, resolving
them against `<base href>` / the page URL, and ranking them. Also `looks_like_html`, so the
caller can tell a page (try discovery) from a feed (parse it). Never fetches anything:
`seek.http` retrieves the page, the seek services decide what to subscribe to.

Follows lemon24/reader's `discover.py` (MIME allow-list including the non-standard
`application/rss` and `application/atom`, `/feed.json` for JSON, first-wins dedup) and adds
a ranking, described in `find_feed_links`.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from pkm._util.text import one_line, strip_controls
from pkm._util.urls import WEB_SCHEMES, unwrap_feed_scheme, url_scheme
from pkm._util.web import HTML_TYPES, SNIFF_BYTES, XML_TYPES, bom_codec, media_type
from pkm.content import bound_attributes, decode_html
from pkm.models import FeedLink

__all__ = ["find_feed_links", "looks_like_html"]

# Format preference, best first, for links that are otherwise the same feed (see
# `find_feed_links`): Atom requires ids and updated dates and says what its content is.
_ATOM, _RSS, _RDF, _JSON, _XML = range(5)
_FEED_TYPES = {
    "application/atom+xml": _ATOM,
    "application/atom": _ATOM,  # not a registered type, but in the wild (Hugo themes)
    "application/x-atom+xml": _ATOM,
    "application/x.atom+xml": _ATOM,
    "application/rss+xml": _RSS,
    "application/rss": _RSS,
    "application/x-rss+xml": _RSS,
    "text/rss+xml": _RSS,
    "application/rdf+xml": _RDF,  # RSS 1.0
    "application/feed+json": _JSON,
}
# Generic types that a feed is sometimes served as, accepted only with a feed-looking href
# (or, for JSON, title): WordPress advertises its REST API as rel=alternate application/json.
_JSON_MAYBE = frozenset({"application/json"})
_XML_MAYBE = XML_TYPES
_FEEDISH_HREF_RE = re.compile(r"rss|atom|feed|rdf|index\.xml", re.IGNORECASE)
_NOT_A_FEED_HREF_RE = re.compile(r"/wp-json/|oembed", re.IGNORECASE)

# A comment feed: by title ("Comments Feed", "Kommentare") or href (WordPress "/comments/feed/",
# "?feed=comments-rss2").
_COMMENTS_TITLE_RE = re.compile(
    r"\b(comments?|commentaires|kommentare|comentarios|commenti|reacties)\b", re.IGNORECASE
)
_COMMENTS_HREF_RE = re.compile(r"(^|[/_.=?&-])comments?([/_.=?&-]|$)", re.IGNORECASE)
# Words that name a format rather than a feed: "Blog RSS" and "Blog Atom" are the same feed.
_FORMAT_WORDS_RE = re.compile(
    r"\b(rss|atom|json|rdf|xml|feeds?|syndication|\d+(\.\d+)*)\b|\W+", re.IGNORECASE
)

_LOCAL_SCHEMES = WEB_SCHEMES | {"file"}
_NOTHTML_TYPES = frozenset({*_FEED_TYPES, *_JSON_MAYBE, *_XML_MAYBE})
# What a body starts with, after a BOM, blanks, processing instructions (the XML declaration,
# xml-stylesheet) and comments.
_PROLOG_RE = re.compile(r"\s*(?:(?:<\?.*?\?>|<!--.*?-->)\s*)*", re.DOTALL)
_FEED_START_RE = re.compile(
    r"<(rss|feed|rdf:rdf|channel)\b|<!doctype\s+(rss|feed|rdf)\b|[{\[]", re.I
)
_HTML_START_RE = re.compile(r"<(!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_HTML_ANYWHERE_RE = re.compile(r"<(html|head|body|title|meta|link|script|div|p)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Candidate:
    link: FeedLink
    index: int
    format_rank: int
    is_comments: bool
    same_feed_key: str


def find_feed_links(
    html: bytes | str, base_url: str, *, content_type: str | None = None
) -> list[FeedLink]:
    """Return the feeds an HTML page advertises, best first.

    A link counts when its `rel` (a space-separated list, any case) contains `alternate`
    or `feed` and its `type` is a feed type: RSS, Atom, RDF (RSS 1.0), JSON Feed, or
    `application/json` / `application/xml` / `text/xml` when the href (or, for JSON, the
    title) looks like a feed. Hrefs are resolved against the first `<base href>`, itself
    resolved against `base_url`; `feed:` URLs are unwrapped, fragments dropped, and only
    http(s) results are kept (file: too when the page itself is a file). The first link to
    each URL wins.

    "Best first" is this order:

    1. Comment feeds go last (title says "Comments", or the href has a `comments` segment
       such as WordPress's `/comments/feed/`): they are almost never what a reader wants.
    2. Otherwise the page's own order is kept, because sites list their main feed first,
       with one exception: links whose titles differ only in format words ("Blog RSS" /
       "Blog Atom", or no titles at all) are the same feed in several formats, and among
       those Atom comes before RSS, then RDF, then JSON Feed, then generic XML/JSON, since
       Atom's required ids and dates make updates and dedup most reliable.

    Args:
        html: The page, as bytes (decoded by `pkm.content.decode_html`) or as text.
        base_url: The page's URL (after redirects), for relative hrefs.
        content_type: The HTTP Content-Type header, if any (for its charset).

    Returns:
        The feeds, possibly none. Never raises on malformed markup.
    """
    text = bound_attributes(html if isinstance(html, str) else decode_html(html, content_type))
    try:
        parser = lxml_html.HTMLParser(
            encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True
        )
        root = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    except etree.LxmlError:
        return []
    if root is None:  # an empty document
        return []

    base = _document_base(root, base_url)
    candidates: list[_Candidate] = []
    seen: set[str] = set()
    for link in _feed_links(root, base, allow_file=url_scheme(base_url) == "file"):
        if link.url in seen:
            continue
        seen.add(link.url)
        candidates.append(
            _Candidate(
                link=link,
                index=len(candidates),
                format_rank=_FEED_TYPES.get(link.type, _XML),
                is_comments=_is_comments(link),
                same_feed_key=_same_feed_key(link.title),
            )
        )

    first_of_kind: dict[str, int] = {}
    for candidate in candidates:
        first_of_kind.setdefault(candidate.same_feed_key, candidate.index)
    candidates.sort(
        key=lambda c: (
            c.is_comments,
            first_of_kind[c.same_feed_key],
            c.format_rank,
            c.index,
        )
    )
    return [candidate.link for candidate in candidates]


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """Is this response an HTML page (worth autodiscovery) rather than a feed?

    The body's first bytes decide when they are clear, because servers often label feeds
    `text/html` and pages `text/plain`: after the XML declaration, stylesheet instructions
    and comments, `<rss`, `<feed`, `<rdf:RDF` or JSON mean no; an HTML doctype or
    `<html>`/`<head>`/`<body>` mean yes; any other document with an XML declaration means
    no. Otherwise the Content-Type decides (`text/html`, `application/xhtml+xml` yes; feed,
    XML and JSON types no), and without a usable one, HTML-looking tags in the first few
    kilobytes.
    """
    text = _sniff_text(body)
    prolog = _PROLOG_RE.match(text)
    start = text[prolog.end() :] if prolog else text
    if _FEED_START_RE.match(start):
        return False
    if _HTML_START_RE.match(start):
        return True
    if text.lstrip().startswith("<?xml"):  # XML, and not XHTML: an Atom entry, a sitemap...
        return False
    mime = media_type(content_type)
    if mime in HTML_TYPES:
        return True
    if mime in _NOTHTML_TYPES or mime.endswith(("+xml", "+json")):
        return False
    return bool(_HTML_ANYWHERE_RE.search(start))


def _feed_links(root: "etree._Element", base: str, *, allow_file: bool) -> Iterator[FeedLink]:
    for element in root.iter("link"):
        rels = set(str(element.get("rel") or "").lower().split())
        if not rels & {"alternate", "feed"}:
            continue
        href = str(element.get("href") or "").strip()
        if not href:
            continue
        mime = media_type(element.get("type"))
        title = one_line(str(element.get("title") or "")) or None
        if not _is_feed_type(mime, href, title):
            continue
        url = _resolve(base, href)
        # A web page must not point pkm at local files; a local page may.
        if url is None or url_scheme(url) not in (_LOCAL_SCHEMES if allow_file else WEB_SCHEMES):
            continue
        if strip_controls(url) != url or "\t" in url or "\n" in url:
            continue  # no URL with control characters is ever stored or printed
        yield FeedLink(url=url, type=mime, title=title)


def _is_feed_type(mime: str, href: str, title: str | None) -> bool:
    if mime in _FEED_TYPES:
        return True
    if _NOT_A_FEED_HREF_RE.search(href):
        return False
    if mime in _JSON_MAYBE:
        return "feed" in _path_and_query(href).lower() or "feed" in (title or "").lower()
    if mime in _XML_MAYBE:
        return bool(_FEEDISH_HREF_RE.search(_path_and_query(href)))
    return False


def _same_feed_key(title: str | None) -> str:
    """The title without format words: "Blog: RSS 2.0" and "Blog (Atom)" both give "blog"."""
    return " ".join(_FORMAT_WORDS_RE.sub(" ", title or "").casefold().split())


def _is_comments(link: FeedLink) -> bool:
    if link.title and _COMMENTS_TITLE_RE.search(link.title):
        return True
    return bool(_COMMENTS_HREF_RE.search(_path_and_query(link.url)))


def _document_base(root: "etree._Element", base_url: str) -> str:
    """The first `<base href>` resolved against the page URL, as browsers do."""
    for element in root.iter("base"):
        href = str(element.get("href") or "").strip()
        if href:
            resolved = _resolve(base_url, href)
            # A `javascript:` base would make every feed link a script: ignored, as browsers
            # ignore a base they cannot use.
            if resolved is not None and url_scheme(resolved) in _LOCAL_SCHEMES:
                return resolved
            return base_url
    return base_url


def _resolve(base: str, href: str) -> str | None:
    """Absolute URL without fragment; `feed://host/x` and `feed:https://host/x` unwrapped."""
    href = unwrap_feed_scheme(href)
    try:
        return urldefrag(urljoin(base, href)).url
    except ValueError:  # e.g. an unbalanced IPv6 bracket in the host
        return None


def _path_and_query(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _sniff_text(body: bytes) -> str:
    head = body[:SNIFF_BYTES]
    if bom := bom_codec(head):
        return head[bom[0] :].decode(bom[1], errors="replace")
    return head.decode("latin-1")  # markup is ASCII; any byte maps to some character
