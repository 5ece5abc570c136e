"""A digest as Markdown, standalone HTML, Atom 1.0 or JSON. Pure: the same digest always
gives the same text, and no output reads the clock.

Markdown and HTML go through Jinja2 templates (`digest.md.j2`, `digest.html.j2`, which a
person may override in HOME/templates/); Markdown escapes every value as inline Markdown,
HTML escapes every value (autoescape), and HTML that came from a feed is sanitized again
and stripped of everything that would load a remote resource. Atom is built with an XML
writer and JSON with `json` (machine formats: their shape is not a template's to change);
the JSON follows `pkm/schemas/digest.schema.json`.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pkm._util.timeutil import to_iso
from pkm.models import Digest, DigestHighlight, DigestItem, DigestNote, Period

if TYPE_CHECKING:
    from pkm.core import Pkm

Format = Literal["md", "html", "atom", "json"]
FORMATS: tuple[Format, ...] = ("md", "html", "atom", "json")
EXTENSIONS: dict[str, str] = {"md": "md", "html": "html", "atom": "atom", "json": "json"}
SCHEMA_ID = "https://pkm.invalid/schemas/digest/1.json"
SCHEMA_VERSION = 1
# The date in tag URIs is when pkm started minting them, not a current year (RFC 4151 §2.1):
# the ids stay the same whatever year a digest is made in.
TAG_PREFIX = "tag:pkm,2026:"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Elements that load something when the page is opened; an offline page has none.
_MEDIA_TAGS = frozenset(
    {"img", "picture", "source", "video", "audio", "track", "iframe", "embed", "object"}
)


def render_digest(pkm: "Pkm", digest: Digest, fmt: str) -> str:
    """`digest` as `fmt`: md, html, atom or json.

    Raises ValueError for another format, ConfigError for a broken template override.
    """
    if fmt == "md":
        return render_markdown(digest, home=pkm.paths.home)
    if fmt == "html":
        return render_html(digest, home=pkm.paths.home)
    if fmt == "atom":
        return render_atom(digest)
    if fmt == "json":
        return render_json(digest)
    raise ValueError(f"unknown digest format: {fmt!r} (use one of {', '.join(FORMATS)})")


# --- shared pieces ---------------------------------------------------------------------------


def zone(period: Period) -> tzinfo:
    """The zone a period's days were counted in, from its name (IANA or `+01:00`)."""
    name = period.timezone
    if name in ("UTC", "Z"):
        return UTC
    if name[:1] in "+-" and len(name) == 6 and name[3] == ":":
        sign = -1 if name[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[4:6])))
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def _day_formatter(period: Period) -> Callable[[datetime | None], str]:
    tz = zone(period)

    def day(value: datetime | None) -> str:
        return value.astimezone(tz).date().isoformat() if value is not None else ""

    return day


def period_days(period: Period) -> tuple[str, str]:
    """The first and last day of the period (`YYYY-MM-DD`), in its zone."""
    day = _day_formatter(period)
    return day(period.start), day(period.end - timedelta(seconds=1))


def is_week(period: Period) -> bool:
    return "-W" in period.label and ".." not in period.label


def title(digest: Digest) -> str:
    kind = "week" if is_week(digest.period) else "digest"
    return f"{digest.author}: {kind} {digest.period.label}"


def nothing_text(digest: Digest) -> str:
    return (
        "Nothing shared this week." if is_week(digest.period) else "Nothing shared in this period."
    )


def tag_uri(author: str, *parts: str) -> str:
    """`tag:pkm,2026:<author>/<part>/...`, each part percent-encoded as a URI segment."""
    return TAG_PREFIX + "/".join(quote(p, safe="-._~") for p in (author, *parts))


def _context(digest: Digest) -> dict[str, Any]:
    from markupsafe import Markup

    first, last = (Markup(d) for d in period_days(digest.period))
    notes = [
        {
            "note": n,
            "cites": [c for c in n.cites if c is not None],
            "private_cites": sum(1 for c in n.cites if c is None),
        }
        for n in digest.notes
    ]
    return {
        "digest": digest,
        "author": digest.author,
        "period": digest.period,
        "first_day": first,
        "last_day": last,
        "title": title(digest),
        "empty": digest.empty,
        "nothing": nothing_text(digest),
        "notes": notes,
        "items": digest.items,
        "archive": digest.archive,
        "summary": digest.summary,
        "updated": to_iso(digest.updated),
    }


# --- Markdown --------------------------------------------------------------------------------


def _yaml_value(value: Any) -> Any:
    """A frontmatter value: JSON is YAML, and ASCII-only JSON cannot hold a character YAML
    reads as a line break."""
    from markupsafe import Markup

    return Markup(json.dumps(value, ensure_ascii=True))


def render_markdown(digest: Digest, *, home: Any) -> str:
    from pathlib import Path

    from pkm.rendering import render

    return render(
        Path(home),
        "digest.md.j2",
        _context(digest),
        filters={"yaml": _yaml_value, "iso": to_iso, "day": _day_formatter(digest.period)},
    )


# --- HTML ------------------------------------------------------------------------------------


@cache
def _offline_cleaner() -> Any:
    import nh3

    tags = set(nh3.ALLOWED_TAGS) - _MEDIA_TAGS
    return nh3.Cleaner(
        tags=tags,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href", "title", "hreflang"}, "*": {"lang", "dir"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def offline_html(html: str | None, base_url: str | None = None) -> Any:
    """Feed HTML fit for a standalone page: sanitized (`pkm.content.sanitize_html`), then
    without images, media or frames (nothing remote loads) and with http(s) links only."""
    from markupsafe import Markup

    if not html:
        return Markup("")
    from pkm.content import sanitize_html

    cleaned: str = _offline_cleaner().clean(sanitize_html(html, base_url))
    return Markup(cleaned.strip())


def render_html(digest: Digest, *, home: Any) -> str:
    from pathlib import Path

    from pkm.rendering import render

    return render(
        Path(home),
        "digest.html.j2",
        _context(digest),
        html=True,
        filters={"iso": to_iso, "day": _day_formatter(digest.period), "feed_html": offline_html},
    )


def _highlight_html(h: DigestHighlight) -> str:
    from markupsafe import Markup, escape

    from pkm.rendering import html_paragraphs

    out = []
    if h.exact is not None:
        out.append(Markup("<blockquote>{}</blockquote>").format(escape(h.exact)))
    if h.comment:
        out.append(html_paragraphs(h.comment))
    return "".join(out)


def _item_html(item: DigestItem) -> str:
    from markupsafe import Markup, escape

    from pkm.rendering import html_url

    parts: list[str] = []
    source = item.source_title or ""
    if source:
        href = html_url(item.source_url)
        label = Markup('<a href="{}">{}</a>').format(href, source) if href else escape(source)
        parts.append(Markup("<p>From {}</p>").format(label))
    parts += [_highlight_html(h) for h in item.highlights]
    if not item.highlights and item.content_html:
        parts.append(offline_html(item.content_html, item.url))
    return "".join(parts)


def _note_html(note: DigestNote) -> str:
    from markupsafe import Markup, escape

    from pkm.rendering import html_paragraphs, html_url

    parts: list[str] = [html_paragraphs(note.excerpt)]
    cites = []
    for c in note.cites:
        if c is None:
            cites.append(Markup("<li>a private source</li>"))
            continue
        href = html_url(c.url)
        label = c.title or c.url or f"item {c.item_id}"
        cites.append(
            Markup('<li><a href="{}">{}</a></li>').format(href, label)
            if href
            else Markup("<li>{}</li>").format(label)
        )
    if cites:
        parts.append(Markup("<p>Cites:</p><ul>{}</ul>").format(Markup("").join(cites)))
    if note.links:
        parts.append(Markup("<p>Links to: {}</p>").format(", ".join(note.links)))
    return "".join(str(escape(p)) for p in parts)


# --- Atom ------------------------------------------------------------------------------------


def _xml_text(text: str | None) -> str:
    from pkm._util.text import strip_controls
    from pkm._util.xml import is_xml_char

    cleaned = strip_controls(text or "")
    if all(is_xml_char(ord(c)) for c in cleaned):
        return cleaned
    return "".join(c for c in cleaned if is_xml_char(ord(c)))


def render_atom(digest: Digest) -> str:
    """An Atom 1.0 feed of the digest: one entry per note, item and archive highlight (one
    "nothing shared" entry for an empty period). Ids are tag URIs scoped to the digest, and
    every time comes from the data."""
    import xml.etree.ElementTree as ET

    from pkm.rendering import html_url

    author = digest.author
    feed_id = tag_uri(author, "digest", digest.period.label)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, tag, attrs)
        if text is not None:
            el.text = _xml_text(text)
        return el

    def entry(
        id_: str, title_: str, updated: datetime, html: str, url: str | None = None
    ) -> ET.Element:
        e = sub(feed, "entry")
        sub(e, "id", id_)
        sub(e, "title", title_ or "(untitled)")
        sub(e, "updated", to_iso(updated))
        href = html_url(url)
        if href:
            sub(e, "link", rel="alternate", type="text/html", href=_xml_text(href))
        sub(e, "content", html, type="html")
        return e

    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", feed_id)
    sub(feed, "title", title(digest))
    sub(feed, "subtitle", f"{digest.period.label} ({digest.period.timezone})")
    sub(feed, "updated", to_iso(digest.updated))
    sub(sub(feed, "author"), "name", author)
    sub(feed, "generator", "pkm")
    for n in digest.notes:
        e = entry(
            f"{feed_id}/note/{quote(n.path, safe='/-._~')}",
            n.title,
            n.updated or n.created or digest.period.end,
            _note_html(n),
        )
        for t in n.tags:
            sub(e, "category", term=_xml_text(t))
    for i in digest.items:
        e = entry(
            f"{feed_id}/item/{i.item_id}",
            i.title or i.url or f"item {i.item_id}",
            i.changed,
            _item_html(i),
            i.url,
        )
        for t in i.tags:
            sub(e, "category", term=_xml_text(t))
    for a in digest.archive:
        h = a.highlight
        entry(
            f"{feed_id}/archive/{h.annotation_id}",
            f"From the archive: {a.item.title or a.item.url or f'item {a.item.item_id}'}",
            h.updated or h.created,
            _highlight_html(h),
            a.item.url,
        )
    if digest.empty:
        entry(f"{feed_id}/nothing", nothing_text(digest), digest.updated, nothing_text(digest))
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


# --- JSON ------------------------------------------------------------------------------------


def _highlight_json(h: DigestHighlight) -> dict[str, Any]:
    return {
        "id": h.annotation_id,
        "exact": h.exact,
        "prefix": h.prefix,
        "suffix": h.suffix,
        "comment": h.comment,
        "tags": list(h.tags),
        "created": to_iso(h.created),
        "updated": to_iso(h.updated),
    }


def _item_ref_json(i: DigestItem) -> dict[str, Any]:
    return {
        "id": i.item_id,
        "title": i.title,
        "url": i.url,
        "source": {"title": i.source_title, "url": i.source_url},
    }


def _item_json(i: DigestItem) -> dict[str, Any]:
    return {
        **_item_ref_json(i),
        "starred": i.starred,
        "starred_at": to_iso(i.starred_at),
        "tags": list(i.tags),
        "changed": to_iso(i.changed),
        "highlights": [_highlight_json(h) for h in i.highlights],
    }


def digest_json(digest: Digest) -> dict[str, Any]:
    """The digest as the JSON value `pkm/schemas/digest.schema.json` describes."""
    p = digest.period
    first, last = period_days(p)
    return {
        "$schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "id": tag_uri(digest.author, "digest", p.label),
        "author": digest.author,
        "title": title(digest),
        "period": {
            "label": p.label,
            "start": to_iso(p.start),
            "end": to_iso(p.end),
            "first_day": first,
            "last_day": last,
            "timezone": p.timezone,
        },
        "updated": to_iso(digest.updated),
        "empty": digest.empty,
        "summary": {
            "notes": digest.summary.notes,
            "items": digest.summary.items,
            "highlights": digest.summary.highlights,
            "top_tags": [{"tag": t, "count": c} for t, c in digest.summary.top_tags],
        },
        "notes": [
            {
                "id": n.note_id,
                "path": n.path,
                "title": n.title,
                "excerpt": n.excerpt,
                "tags": list(n.tags),
                "created": to_iso(n.created),
                "updated": to_iso(n.updated),
                "links": list(n.links),
                "cites": [None if c is None else _item_ref_json(c) for c in n.cites],
            }
            for n in digest.notes
        ],
        "items": [_item_json(i) for i in digest.items],
        "archive": [
            {"item": _item_ref_json(a.item), "highlight": _highlight_json(a.highlight)}
            for a in digest.archive
        ],
    }


def render_json(digest: Digest) -> str:
    return json.dumps(digest_json(digest), ensure_ascii=False, indent=2) + "\n"
