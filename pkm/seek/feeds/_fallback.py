"""The forgiving fallback: XML that lxml's strict parser rejects, read with feedparser.

Owns the call to feedparser (adjusted in `_feedparser`), telling "not a feed" from "a
malformed feed", and mapping feedparser's result onto a `_RawFeed` that matches what the
lxml path gives for the same feed (`tests/test_corpus_feeds_differential.py`). Slow (60-90
ms a feed), so `_xml` only comes here when repairs fail.
"""

import io
import re
from typing import Any, Literal

import feedparser

from pkm._util.urls import is_web_url
from pkm._util.web import HTML_TYPES
from pkm.errors import ParseError
from pkm.seek.feeds._elements import flatten
from pkm.seek.feeds._feedparser import DEMOTED
from pkm.seek.feeds._limits import entry_date, newest
from pkm.seek.feeds._raw import (
    _add_tag,
    _join,
    _RawEnclosure,
    _RawEntry,
    _RawFeed,
    _Text,
    _web_url,
)

_FEEDPARSER_VERSIONS = {"rss091u": "rss091", "rss091n": "rss091"}
# feedparser serializes XHTML content with end tags on void elements ("<br></br>"), which
# HTML parsers read as two line breaks.
_VOID_END_TAG_RE = re.compile(
    r"</(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\s*>", re.I
)

# Encoding mix-ups feedparser survives. Everything it is given here is UTF-8, so these
# should not happen; listed so that a future change there stays survivable (reader does
# the same: https://feedparser.readthedocs.io/en/latest/character-encoding.html).
_SURVIVABLE = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _read_with_feedparser(data: bytes, url: str, max_entries: int) -> _RawFeed:
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
    feed.title_is_html = dict.get(title_detail, "type") in HTML_TYPES
    feed.link = _fp_link(info, url, is_entry=False)
    feed.ttl = dict.get(info, "ttl")
    items = list(dict.get(result, "entries") or ())
    if len(items) > max_entries:
        dates = [
            entry_date(dict.get(i, "published"), dict.get(i, "updated"), dict.get(i, "created"))
            for i in items
        ]
        keep = newest(dates, max_entries)
        feed.dropped = len(items) - len(keep)
        items = [items[i] for i in keep]
    is_rss = feed.version.startswith("rss")
    feed.entries = [_fp_entry(item, url, is_rss) for item in items]
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


def _fp_link(thing: Any, url: str, *, is_entry: bool, is_rss: bool = False) -> str | None:
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
        if rel == "alternate" and kind in HTML_TYPES and link.get("href"):
            return _join(url, link["href"])
    if not is_entry:
        return None
    value = dict.get(thing, "link")
    if not value and not is_rss:
        value = dict.get(thing, "id")  # after a `<link href=""/>`, feedparser keeps no link
    if not value or any(link.get("href") == value for link in links):
        return None
    # A permalink guid (RSS) is a link, relative or not; an Atom id only if it is http(s).
    return _join(url, value) if is_rss else _web_url(value)


def _fp_text(detail: Any, url: str, value: Any = None) -> _Text | None:
    """An entry text from a feedparser detail dict; `value` overrides the dict's own."""
    if not detail:
        return None
    value = detail.get("value") if value is None else value
    if value is None:
        return None
    kind: Literal["html", "text"] = "text" if detail.get("type") == "text/plain" else "html"
    value = str(value)
    if detail.get("type") == "application/xhtml+xml":
        value = _VOID_END_TAG_RE.sub("", flatten(value))
    base = str(detail.get("base") or "")
    return _Text(value, kind, base if is_web_url(base) else url)


def _fp_entry(item: Any, url: str, is_rss: bool) -> _RawEntry:
    entry = _RawEntry()
    entry.id = dict.get(item, "id")
    entry.link = _fp_link(item, url, is_entry=True, is_rss=is_rss)
    title_detail = dict.get(item, "title_detail") or {}
    entry.title = dict.get(item, "title")
    entry.title_is_html = dict.get(title_detail, "type") in HTML_TYPES
    for author in dict.get(item, "authors") or ():
        name = author.get("pkm_text") or author.get("name") or author.get("email")
        if name:
            entry.authors.append(str(name))
    if not entry.authors and dict.get(item, "itunes_author"):
        entry.authors.append(str(item["itunes_author"]))
    # dict.get: FeedParserDict maps "updated" to "published" with a DeprecationWarning.
    entry.published = dict.get(item, "published")
    entry.updated = dict.get(item, "updated")
    entry.created = dict.get(item, "created")
    # `summary` is the summary feedparser settled on; `summary_detail` is overwritten by any
    # later summary-like element, even one it did not take (a nested media:description).
    summary = dict.get(item, "summary")
    entry.summary = _fp_text(dict.get(item, "summary_detail"), url, summary)
    if entry.summary is None or not entry.summary.value.strip():
        entry.summary = _fp_text(dict.get(item, "media_description_detail"), url)
        if entry.summary is not None and not entry.summary.value.strip():
            entry.summary = None
    contents = [c for c in dict.get(item, "content") or () if (c.get("value") or "").strip()]
    # A real content element wins over a description feedparser took as content.
    contents.sort(key=lambda c: bool(c.get(DEMOTED)))
    entry.content = _fp_text(contents[0], url) if contents else entry.summary
    for tag in dict.get(item, "tags") or ():
        _add_tag(entry, str(tag.get("term") or tag.get("label") or ""))
    entry.enclosures = _fp_enclosures(item, url)
    return entry


def _fp_enclosures(item: Any, url: str) -> list[_RawEnclosure]:
    """RSS enclosures and Atom enclosure links (feedparser's `enclosures`), then Media RSS
    `media:content` (its `media_content`)."""
    found = []
    for link in dict.get(item, "links") or ():
        href = _join(url, link.get("href"))
        if link.get("rel") == "enclosure" and href:
            found.append(_RawEnclosure(href, link.get("type"), link.get("length")))
    for media in dict.get(item, "media_content") or ():
        href = _join(url, media.get("url"))
        if href:
            found.append(_RawEnclosure(href, media.get("type"), media.get("filesize")))
    return found
