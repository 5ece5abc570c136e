"""The strict-tree reader: RSS 0.90-2.0, RDF (RSS 1.0) and Atom 0.3/1.0 from an lxml tree.

Owns telling the formats apart by their root element, the feed-level metadata (title,
site link, TTL), finding the items, and, for a feed longer than `FeedLimits.max_entries`,
reading only the newest (ranked by `_limits` from their date elements alone, so the rest
are never read). Each entry is read by `_entry`. Gets a well-formed tree from `_xml`;
produces a `_RawFeed` and nothing more: no sanitizing, no date parsing, no ids invented.
"""

from typing import Any

from pkm._util.web import HTML_TYPES
from pkm.errors import ParseError
from pkm.seek.feeds import _elements as el
from pkm.seek.feeds._entry import atom_text, element_dates, read_entry
from pkm.seek.feeds._limits import entry_date, newest
from pkm.seek.feeds._raw import _join, _RawFeed

_RSS_VERSIONS = {"0.91": "rss091", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}


def _read_tree(root: Any, url: str, max_entries: int) -> _RawFeed:
    key, local = el.split(root)
    if key == el.RSS and local == "rss":
        version = root.get("version", "").strip()
        rss_version = _RSS_VERSIONS.get(version) or (
            "rss20" if version[:2] == "2." or version == "2" else "rss"
        )
        feed, items = _read_rss(root, rss_version, url)
    elif key == el.RDF and local == "rdf":
        feed, items = _read_rdf(root, url)
    elif key in (el.ATOM, el.ATOM03) or (key == el.RSS and local in ("feed", "entry")):
        version = _atom_version(root, key)
        if local == "feed":
            feed, items = _read_atom(root, version, url)
        elif local == "entry":  # an Atom entry document: a feed of one
            feed, items = _RawFeed(version=version), [root]
        else:
            raise ParseError(url, f"not a feed: unknown root element <{local}>")
    elif local == "html":
        raise ParseError(url, "not a feed: looks like an HTML page")
    else:
        raise ParseError(url, f"not a feed: unknown root element <{local or root.tag}>")
    if feed.version.startswith("rss"):
        flavour = el.RSS
    else:
        flavour = el.ATOM03 if feed.version in ("atom01", "atom02", "atom03") else el.ATOM
    if len(items) > max_entries:
        dates = [entry_date(*element_dates(item)) for item in items]
        keep = newest(dates, max_entries)
        feed.dropped = len(items) - len(keep)
        items = [items[i] for i in keep]
    feed.entries = [read_entry(item, url, flavour) for item in items]
    return feed


def _atom_version(root: Any, key: str) -> str:
    if key == el.ATOM:
        return "atom10"
    version = root.get("version", "").strip()
    return {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(
        version, "atom03" if key == el.ATOM03 else "atom"
    )


def _read_rss(root: Any, version: str, url: str) -> tuple[_RawFeed, list[Any]]:
    feed = _RawFeed(version=version)
    channel = None
    items: list[Any] = []
    for child in root:
        key, local = el.split(child)
        if key == el.RSS:
            if local == "channel" and channel is None:
                channel = child
            elif local == "item":  # misplaced outside the channel
                items.append(child)
    if channel is not None:
        _read_rss_channel(channel, feed, url, items)
    return feed, items


def _read_rdf(root: Any, url: str) -> tuple[_RawFeed, list[Any]]:
    feed = _RawFeed(version="rss10")
    items: list[Any] = []
    for child in root:
        key, local = el.split(child)
        if key == el.RSS:
            if local == "channel":
                if child.tag.startswith(f"{{{el.NS_RSS090}}}"):
                    feed.version = "rss090"
                _read_rss_channel(child, feed, url, items)
            elif local == "item":
                items.append(child)
    return feed, items


def _read_rss_channel(channel: Any, feed: _RawFeed, url: str, items: list[Any]) -> None:
    """Read channel metadata into `feed` and collect its items into `items`."""
    rss_items = []
    for child in channel:
        key, local = el.split(child)
        if key == el.RSS:
            if local == "item":
                rss_items.append(child)
            elif local == "title" and feed.title is None:
                feed.title = el.markup(child)
            elif local == "link" and feed.link is None:
                feed.link = _join(el.base(child, url), el.text(child))
            elif local == "ttl" and feed.ttl is None:
                feed.ttl = el.text(child)
        elif key == el.ATOM and local == "link" and feed.link is None and _is_alternate(child):
            feed.link = _join(el.base(child, url), child.get("href"))
    items[:0] = rss_items


def _is_alternate(link: Any) -> bool:
    rel = (link.get("rel") or "alternate").strip().lower()
    kind = (link.get("type") or "text/html").split(";")[0].strip().lower()
    return rel == "alternate" and kind in HTML_TYPES and bool((link.get("href") or "").strip())


def _read_atom(root: Any, version: str, url: str) -> tuple[_RawFeed, list[Any]]:
    feed = _RawFeed(version=version)
    items: list[Any] = []
    for child in root:
        key, local = el.split(child)
        if key not in (el.ATOM, el.ATOM03, el.RSS):
            continue
        if local == "entry":
            items.append(child)
        elif local == "title" and feed.title is None:
            title = atom_text(child, el.base(child, url), version != "atom10")
            if title is not None:
                feed.title, feed.title_is_html = title.value, title.kind == "html"
        elif local == "link" and feed.link is None and _is_alternate(child):
            feed.link = _join(el.base(child, url), child.get("href"))
    return feed, items
