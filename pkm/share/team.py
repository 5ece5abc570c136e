"""The pages of a team folder: each author's `index.{md,html}` and the team's
`index.{md,html}` and `feed.atom`, decided from the authors' `feed.atom` files. Pure but
for the templates: the caller reads the files and writes the bytes.

The team folder's layout:

    DIR/index.md, index.html, feed.atom        the team page and feed (every member's latest)
    DIR/<author>/<YYYY-Www>.md, .html, .json   one digest per period
    DIR/<author>/index.md, index.html          the author's digests
    DIR/<author>/feed.atom                     one entry per digest
    DIR/<author>/shared.atom                   one entry per shared item or note
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from pkm.rendering import render
from pkm.share.feeds import DigestEntry, read_digest_feed, render_digest_feed, tag_uri

AUTHOR_PAGE_DIGESTS = 10_000  # an author's page lists every digest
TEAM_PAGE_DIGESTS = 5  # the team page lists each member's latest few
TEAM_FEED_ENTRIES = 100
TEAM_ID = ".team"  # never an author's folder: a folder name made by `author_slug` has no dot

Reader = Callable[[Path], bytes | None]


@dataclass(frozen=True)
class Member:
    """An author of the team folder and their digests, newest first."""

    folder: str
    name: str
    digests: tuple[DigestEntry, ...]


def read_members(
    folder: Path, read: Reader, *, known: Mapping[str, bytes] | None = None
) -> list[Member]:
    """Every author folder of `folder` that holds a `feed.atom` (or whose new feed is in
    `known`, by folder name), ordered by name."""
    feeds: dict[str, bytes] = {}
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        children = []
    for child in children:
        data = read(child / "feed.atom")
        if data is not None:
            feeds[child.name] = data
    feeds.update(known or {})
    members = []
    for name, data in feeds.items():
        entries = [
            e for e in read_digest_feed(data, str(folder / name / "feed.atom")) if e.folder == name
        ]
        if entries:
            entries.sort(key=lambda e: (-e.start.timestamp(), e.label))
            members.append(Member(name, entries[0].author, tuple(entries)))
    members.sort(key=lambda m: (m.name.casefold(), m.folder))
    return members


def _day(entry: DigestEntry) -> tuple[str, str]:
    from datetime import timedelta

    last = entry.end - timedelta(seconds=1)
    return entry.start.date().isoformat(), last.date().isoformat()


_PLAIN_RE = re.compile(r"[0-9A-Za-z.-]+")


def _plain(text: str) -> str | Markup:
    """A period label or a date, which needs no escaping (Markdown would otherwise show
    `2026\\-W05`); anything else is escaped by the template as usual."""
    return Markup(text) if _PLAIN_RE.fullmatch(text) else text


def _digest_view(entry: DigestEntry, prefix: str, suffix: str) -> dict[str, Any]:
    start, end = (_plain(d) for d in _day(entry))
    return {
        "label": _plain(entry.label),
        "title": entry.title,
        "summary": entry.summary,
        "href": Markup(quote(f"{prefix}{entry.label}{suffix}")),
        "start": start,
        "end": end,
    }


def author_pages(
    home: Path, folder_name: str, name: str, digests: Sequence[DigestEntry]
) -> dict[str, bytes]:
    """`index.md` and `index.html` of an author's folder."""
    ordered = sorted(digests, key=lambda e: (-e.start.timestamp(), e.label))[:AUTHOR_PAGE_DIGESTS]
    pages = {}
    for suffix, page, html in ((".md", "index.md", False), (".html", "index.html", True)):
        context = {
            "author": name,
            "folder": folder_name,
            "digests": [_digest_view(e, "", suffix) for e in ordered],
            "feed_href": Markup("feed.atom"),
            "shared_href": Markup("shared.atom"),
        }
        pages[page] = _render(home, f"share-index{suffix}.j2", context, html=html)
    return pages


def team_files(home: Path, team: str, members: Sequence[Member]) -> dict[str, bytes]:
    """`index.md`, `index.html` and `feed.atom` of the team folder."""
    files = {}
    for suffix, page, html in ((".md", "index.md", False), (".html", "index.html", True)):
        views = []
        for m in members:
            base = quote(m.folder) + "/"
            views.append(
                {
                    "name": m.name,
                    "folder": m.folder,
                    "href": Markup(f"{base}index{suffix}"),
                    "feed_href": Markup(f"{base}feed.atom"),
                    "shared_href": Markup(f"{base}shared.atom"),
                    "digests": [
                        _digest_view(e, f"{m.folder}/", suffix)
                        for e in m.digests[:TEAM_PAGE_DIGESTS]
                    ],
                }
            )
        context = {"team": team, "members": views, "feed_href": Markup("feed.atom")}
        files[page] = _render(home, f"share-team{suffix}.j2", context, html=html)
    latest = sorted(
        (e for m in members for e in m.digests),
        key=lambda e: (-e.start.timestamp(), e.folder, e.label),
    )[:TEAM_FEED_ENTRIES]
    from dataclasses import replace

    entries = [replace(e, href=f"{e.folder}/{e.href}") for e in latest]
    files["feed.atom"] = render_digest_feed(
        feed_id=tag_uri(TEAM_ID, "digests"),
        title=f"{team}: team digests",
        author=None,
        entries=entries,
    )
    return files


def _render(home: Path, name: str, context: Mapping[str, Any], *, html: bool) -> bytes:
    return render(home, name, context, html=html).encode("utf-8")
