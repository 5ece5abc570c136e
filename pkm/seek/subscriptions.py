"""Subscribing: add (with autodiscovery), remove, list, OPML import and export.

Each function that writes takes the home's run lock itself, so a library caller cannot
forget it.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pkm._util.urls import is_http_url, normalize_feed_url, url_key
from pkm.errors import SourceNotFoundError
from pkm.models import (
    SUBSCRIPTION_KINDS,
    AddResult,
    FeedLink,
    OutlineSource,
    RemoveResult,
    Source,
    SourceKind,
)
from pkm.seek.parse import Parsed, parse_fetched
from pkm.seek.retrieve import Fetched, read_file_source
from pkm.seek.update import store_fetched

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.seek.http import HttpClient


def resolve_sources(pkm: "Pkm", refs: Sequence[str], *, tags: bool = True) -> list[Source]:
    """See `Store.resolve_sources`: what ids, URLs, feed file paths or tags name."""
    return pkm.store.resolve_sources(refs, tags=tags)


def list_sources(pkm: "Pkm", only: Sequence[str] = ()) -> list[Source]:
    """Subscriptions (or those `only` names, see `resolve_sources`), in id order."""
    if only:
        return resolve_sources(pkm, only)
    return pkm.store.get_sources(kinds=SUBSCRIPTION_KINDS)


def add_sources(pkm: "Pkm", refs: Sequence[str], tags: Sequence[str] = ()) -> list[AddResult]:
    """Subscribe to each URL or feed file in `refs`; results in the same order.

    A URL is fetched first: a feed is subscribed as is, an HTML page through the best feed it
    advertises. Its current entries are stored at once, so the fetch is not wasted. Adding a
    source that exists adds the tags and is otherwise a no-op. `feed://` URLs and URLs
    without a scheme (`example.com/feed.xml`) are read as newsboat and miniflux read them.

    A folder is a team folder: every teammate's `DIR/<author>/shared.atom` in it is
    followed (one result each), except the person's own (see `own_author_folder`).
    """
    inputs = list(dict.fromkeys(r.strip() for r in refs))
    with pkm.lock():
        results: dict[str, AddResult] = {}
        folders: dict[str, list[AddResult]] = {}
        urls: dict[str, str] = {}  # input -> URL to fetch
        for ref in inputs:
            if Path(ref).expanduser().is_file():
                results[ref] = _add_file(pkm, ref, tags)
                continue
            if Path(ref).expanduser().is_dir():
                folders[ref] = _add_team_folder(pkm, ref, tags)
                continue
            url = normalize_feed_url(ref)
            if not is_http_url(url):
                results[ref] = AddResult(ref, error="not an http(s) URL or an existing feed file")
                continue
            existing = pkm.store.find_source(url_key(url))
            if existing is not None:
                results[ref] = _already(pkm, existing, ref, tags)
            else:
                urls[ref] = url
        if urls:
            results.update(_add_urls(pkm, urls, tags))
    return [r for ref in inputs for r in folders.get(ref) or [results[ref]]]


def own_author_folder(pkm: "Pkm") -> str:
    """The name of the person's own folder in a team folder: a slug of `[share] author`,
    else of the OS user (what `pkm share publish` writes under); empty when the name has
    no folder (publish refuses it, so there is none to skip)."""
    from pkm._util.text import author_slug
    from pkm.errors import InvalidInputError

    try:
        return author_slug(pkm.author)
    except InvalidInputError:
        return ""


def team_feeds(folder: Path, own: str) -> list[Path]:
    """Every `<author>/shared.atom` in a team folder but the one of the `own` folder, by
    author."""
    return sorted(
        p
        for p in folder.glob("*/shared.atom")
        if p.is_file() and p.parent.name.casefold() != own.casefold()
    )


def _add_team_folder(pkm: "Pkm", ref: str, tags: Sequence[str]) -> list[AddResult]:
    feeds = team_feeds(Path(ref).expanduser(), own_author_folder(pkm))
    if not feeds:
        return [
            AddResult(ref, error="no teammate's shared.atom in this folder (DIR/*/shared.atom)")
        ]
    return [_add_file(pkm, str(path), tags) for path in feeds]


def _already(pkm: "Pkm", source: Source, ref: str, tags: Sequence[str]) -> AddResult:
    pkm.store.add_source(source.url, url_key(source.url), source.kind, now=pkm.now(), tags=tags)
    return AddResult(ref, source_url=source.url, title=source.title, message="already subscribed")


def _add_file(pkm: "Pkm", ref: str, tags: Sequence[str]) -> AddResult:
    uri = Path(ref).expanduser().resolve().as_uri()
    existing = pkm.store.find_source(uri)
    if existing is not None:
        return _already(pkm, existing, ref, tags)
    fetched = read_file_source(uri)
    parsed = parse_fetched(fetched, pkm.feed_limits())
    if parsed.error is not None:
        return AddResult(ref, error=parsed.error)
    return _subscribe(pkm, ref, uri, SourceKind.FILE, fetched, parsed, tags)


def _subscribe(
    pkm: "Pkm",
    ref: str,
    url: str,
    kind: SourceKind,
    fetched: Fetched,
    parsed: Parsed,
    tags: Sequence[str],
    message: str | None = None,
) -> AddResult:
    """Subscribe to a source whose first fetch parsed, and store what it holds."""
    source, created = pkm.store.add_source(url, url_key(url), kind, now=pkm.now(), tags=tags)
    if not created:
        return AddResult(
            ref, source_url=source.url, title=source.title, message="already subscribed"
        )
    result = store_fetched(pkm, source, fetched, parsed)
    return AddResult(
        ref,
        source_url=result.url,
        created=True,
        title=result.title,
        new_items=result.new_items,
        message="; ".join(filter(None, [message, *result.notes])) or None,
        error=result.error,
        source_id=source.id,
    )


def _add_urls(pkm: "Pkm", urls: dict[str, str], tags: Sequence[str]) -> dict[str, AddResult]:
    from pkm.seek.discover import find_feed_links, looks_like_html
    from pkm.seek.http import HttpRequest

    results: dict[str, AddResult] = {}
    with pkm.http() as client:
        pages: list[tuple[str, list[FeedLink]]] = []
        # Fetched concurrently, subscribed in the order given, so ids follow the command line.
        responses = {
            str(r.request.key): r
            for r in client.fetch_all([HttpRequest(url=u, key=ref) for ref, u in urls.items()])
        }
        for ref, url in urls.items():
            fetched = Fetched.from_http(responses[ref])
            problem = fetched.problem
            if problem:
                results[ref] = AddResult(ref, error=problem)
                continue
            parsed = parse_fetched(fetched, pkm.feed_limits())
            if parsed.error is not None:
                body = fetched.body or b""
                if looks_like_html(body, fetched.headers.get("content-type")):
                    links = find_feed_links(
                        body, fetched.url, content_type=fetched.headers.get("content-type")
                    )
                    if links:
                        pages.append((ref, links))
                        continue
                    results[ref] = AddResult(ref, error="no feed found: the page advertises none")
                else:
                    results[ref] = AddResult(ref, error=parsed.error)
                continue
            target = fetched.permanent_url or url
            results[ref] = _subscribe(pkm, ref, target, SourceKind.FEED, fetched, parsed, tags)
        for ref, links in pages:
            results[ref] = _add_discovered(pkm, client, ref, links, tags)
    return results


def _add_discovered(
    pkm: "Pkm", client: "HttpClient", ref: str, links: list[FeedLink], tags: Sequence[str]
) -> AddResult:
    from pkm.seek.http import HttpRequest

    best = links[0]
    message = f"found a feed on the page: {best.url}"
    if len(links) > 1:
        message = f"found {len(links)} feeds on the page; using {best.url} ({best.type})"
    existing = pkm.store.find_source(url_key(best.url))
    if existing is not None:
        return AddResult(
            ref,
            source_url=existing.url,
            title=existing.title,
            message=f"{message}: already subscribed",
        )
    fetched = Fetched.from_http(client.fetch(HttpRequest(url=best.url)))
    if fetched.problem:
        return AddResult(ref, error=f"the page's feed {best.url}: {fetched.problem}")
    parsed = parse_fetched(fetched, pkm.feed_limits())
    if parsed.error is not None:
        return AddResult(ref, error=f"the page's feed {best.url}: {parsed.error}")
    url = fetched.permanent_url or best.url
    return _subscribe(pkm, ref, url, SourceKind.FEED, fetched, parsed, tags, message)


def remove_sources(pkm: "Pkm", refs: Sequence[str]) -> list[RemoveResult]:
    """Unsubscribe from each source named by id or URL (not by tag: removing a whole folder
    by accident costs too much); results in the order given.

    Items the user kept (see `Store.remove_source`) stay. An unknown reference is a result
    with an error; the others are still removed.
    """
    results = []
    with pkm.lock():
        for ref in dict.fromkeys(r.strip() for r in refs):
            try:
                [source] = resolve_sources(pkm, [ref], tags=False)
            except SourceNotFoundError as e:
                results.append(RemoveResult(ref, error=str(e)))
                continue
            deleted, kept = pkm.store.remove_source(source.id)
            results.append(
                RemoveResult(
                    ref,
                    source_url=source.url,
                    source_id=source.id,
                    items_deleted=deleted,
                    items_kept=kept,
                )
            )
    return results


def import_opml(pkm: "Pkm", data: bytes, tags: Sequence[str] = ()) -> list[AddResult]:
    """Subscribe to every feed in an OPML file without fetching (the next `seek` does).

    Folders become tags; `feed://` and scheme-less URLs are read as `add_sources` reads them.
    Raises InvalidInputError if the file is not OPML; then nothing is subscribed.
    """
    from pkm.seek.opml import parse_opml

    outlines = parse_opml(data)
    results = []
    now = pkm.now()
    with pkm.lock(), pkm.store.transaction():
        for outline in outlines:
            url = normalize_feed_url(outline.url)
            if not is_http_url(url):
                results.append(AddResult(outline.url, error="not an http(s) URL"))
                continue
            source, created = pkm.store.add_source(
                url,
                url_key(url),
                SourceKind.FEED,
                now=now,
                title=outline.title,
                site_url=outline.site_url,
                tags=[*outline.tags, *tags],
            )
            results.append(
                AddResult(
                    outline.url,
                    source_url=source.url,
                    created=created,
                    title=source.title,
                    message=None if created else "already subscribed",
                    source_id=source.id,
                )
            )
    return results


def export_opml(pkm: "Pkm") -> str:
    """All subscriptions as OPML 2.0, folders from tags; `import_opml` reads it back.

    No date in it: exporting twice gives the same bytes, so exports diff and version well.
    """
    from pkm.seek.opml import render_opml

    return render_opml(
        [
            OutlineSource(url=s.url, title=s.title, site_url=s.site_url, tags=s.tags)
            for s in pkm.store.get_sources(kinds=SUBSCRIPTION_KINDS)
        ]
    )
