"""The forgiving fallback: XML that lxml's strict parser rejects, read with feedparser.

Owns the call to feedparser (one patch to it, applied once at import), telling "not a
feed" from "a malformed feed", and mapping feedparser's result onto a `_RawFeed` that
matches what the lxml path gives for the same feed. Slow (60-90 ms a feed), so `_xml`
only comes here when repairs fail.
"""

import io
import re
from typing import Any, Literal

import feedparser

from pkm.errors import ParseError
from pkm.seek.feeds._raw import _HTML_TYPES, _add_tag, _join, _RawEntry, _RawFeed, _Text

_FEEDPARSER_VERSIONS = {"rss091u": "rss091", "rss091n": "rss091"}

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
