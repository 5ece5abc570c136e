"""Read-later: `seek save URL` fetches one page, extracts its article and files it in the inbox.

Saved pages live under one pseudo-source, `pkm:saved`, so they get the same identity, dedup
and tombstone rules as feed entries: saving a page a feed already delivered links the two.
A saved page sorts in the inbox by when it was saved (saved again, it comes back to the top).
"""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pkm._util.text import strip_controls
from pkm._util.urls import is_http_url, normalize_feed_url
from pkm.content import html_to_text, text_to_summary
from pkm.errors import ParseError
from pkm.models import AddResult, Article, ParsedEntry, Source, SourceKind
from pkm.seek.decide import entry_updates
from pkm.seek.parse import entry_rows
from pkm.seek.retrieve import Fetched
from pkm.seek.update import read_known

if TYPE_CHECKING:
    from pkm.core import Pkm

SAVED_PAGES_URL = "pkm:saved"


def save_pages(pkm: "Pkm", urls: Sequence[str], tags: Sequence[str] = ()) -> list[AddResult]:
    """Fetch, extract and store each page; results in the order given."""
    refs = list(dict.fromkeys(u.strip() for u in urls))
    targets = {r: normalize_feed_url(r) for r in refs}
    results = {
        r: AddResult(r, error="not an http(s) URL") for r in refs if not is_http_url(targets[r])
    }
    wanted = [r for r in refs if r not in results]
    if not wanted:
        return [results[r] for r in refs]
    with pkm.lock():
        source, _ = pkm.store.add_source(
            SAVED_PAGES_URL, SAVED_PAGES_URL, SourceKind.PAGES, now=pkm.now(), title="Saved pages"
        )
        for ref, found in fetch_articles(pkm, [(r, targets[r]) for r in wanted]):
            if isinstance(found, str):
                results[str(ref)] = AddResult(str(ref), error=found)
            else:
                results[str(ref)] = _store_article(pkm, source, str(ref), found, tags)
    return [results[r] for r in refs]


def fetch_articles(
    pkm: "Pkm", pages: Sequence[tuple[object, str]]
) -> Iterator[tuple[object, Article | str]]:
    """Fetch each (key, URL) page and extract its article, as many at once as the HTTP
    client allows (`[seek] concurrency`, `per_host`); yields (key, article), or (key, why
    not) when the page could not be fetched or read, as each is done. The caller holds the
    run lock and stores what it is given."""
    from pkm.seek.extract import extract_article
    from pkm.seek.http import HttpRequest

    with pkm.http() as client:
        requests = [HttpRequest(url=url, key=key) for key, url in pages]
        for response in client.fetch_all(requests):
            key = response.request.key
            fetched = Fetched.from_http(response)
            if fetched.problem:
                yield key, fetched.problem
                continue
            try:
                article = extract_article(
                    fetched.body or b"",
                    fetched.url,
                    content_type=fetched.headers.get("content-type"),
                    now=pkm.now(),
                )
            except ParseError as e:
                yield key, e.reason
                continue
            yield key, article


def _store_article(
    pkm: "Pkm", source: Source, ref: str, article: Article, tags: Sequence[str]
) -> AddResult:
    entry = article_entry(article)
    now = pkm.now()
    store = pkm.store
    rows = entry_rows([entry])
    with store.transaction():
        known = read_known(store, source, rows)
        updates = entry_updates(rows, known, now, sort_now=True)
        stored = store.apply_entry_updates(source.id, updates, now)
        touched = stored.new_item_ids + stored.changed_item_ids + stored.linked_item_ids
        item_id = touched[0] if touched else known.entries[entry.entry_id][0]
        if not updates:
            store.set_item_sort(item_id, now)  # saved again: back to the top
        store.add_item_tags(item_id, tags)
    new = len(stored.new_item_ids)
    return AddResult(
        ref,
        source_url=article.url,
        created=bool(new),
        title=article.title,
        new_items=new,
        item_id=item_id,
        message=None if new else ("updated" if stored.changed_item_ids else "already saved"),
    )


def article_entry(article: Article) -> ParsedEntry:
    """A saved page's entry: its identity is its URL (after redirects)."""
    summary = text_to_summary(html_to_text(article.html) if article.html else article.text)
    return ParsedEntry(
        entry_id=article.url,
        url=article.url,
        title=article.title,
        author=article.author,
        published=article.published,
        updated=None,
        summary=strip_controls(summary) or None,
        content_html=article.html,
        content_text=article.text,
    )
