"""JSON Feed 1.0/1.1 (https://jsonfeed.org), read by hand: feedparser cannot read it.

Owns the JSON Feed fields (attachments are its enclosures) and the leniency real feeds
need (numeric ids, the 1.0 single `author`, HTML in `summary`, lone surrogate escapes). Produces a `_RawFeed`; no
sanitizing or date parsing.
"""

import json
import re
from typing import Any, Literal

from pkm._util.urls import is_web_url
from pkm.errors import ParseError
from pkm.seek.feeds._raw import (
    _HTMLISH_RE,
    _add_tag,
    _join,
    _RawEnclosure,
    _RawEntry,
    _RawFeed,
    _Text,
)


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
    base = entry.link if entry.link and is_web_url(entry.link) else url  # never `javascript:`
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
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if isinstance(attachment, dict):
            link = _join(url, _str(attachment.get("url")))
            size = attachment.get("size_in_bytes")
            length = str(size) if isinstance(size, int) and not isinstance(size, bool) else None
            if link:
                entry.enclosures.append(
                    _RawEnclosure(link, _str(attachment.get("mime_type")), length)
                )
    return entry
