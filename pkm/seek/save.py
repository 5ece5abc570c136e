"""Read-later: `seek save URL` fetches one page, extracts its article and files it in the inbox.

Saved pages live under one pseudo-source, `pkm:saved`, so they get the same identity, dedup
and tombstone rules as feed entries: saving a page a feed already delivered links the two.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pkm._util.urls import is_http_url
from pkm.content import html_to_text, text_to_summary
from pkm.errors import ParseError
from pkm.models import AddResult, ParsedEntry, SourceKind
from pkm.seek.update import Fetched, entry_rows

if TYPE_CHECKING:
    from pkm.core import Pkm

SAVED_PAGES_URL = "pkm:saved"


def save_pages(pkm: "Pkm", urls: Sequence[str], tags: Sequence[str] = ()) -> list[AddResult]:
    """Fetch, extract and store each page; results in the order given."""
    from pkm.seek.extract import extract_article
    from pkm.seek.http import HttpRequest

    refs = list(dict.fromkeys(u.strip() for u in urls))
    results = {r: AddResult(r, error="not an http(s) URL") for r in refs if not is_http_url(r)}
    wanted = [r for r in refs if r not in results]
    if wanted:
        source, _ = pkm.store.add_source(
            SAVED_PAGES_URL, SAVED_PAGES_URL, SourceKind.PAGES, now=pkm.now(), title="Saved pages"
        )
        with pkm.http() as client:
            for response in client.fetch_all([HttpRequest(url=u, key=u) for u in wanted]):
                ref = str(response.request.key)
                fetched = Fetched.from_http(response)
                if fetched.problem:
                    results[ref] = AddResult(ref, error=fetched.problem)
                    continue
                try:
                    article = extract_article(
                        fetched.body or b"",
                        fetched.url,
                        content_type=fetched.headers.get("content-type"),
                        now=pkm.now(),
                    )
                except ParseError as e:
                    results[ref] = AddResult(ref, error=e.reason)
                    continue
                entry = ParsedEntry(
                    entry_id=article.url,
                    url=article.url,
                    title=article.title,
                    author=article.author,
                    published=article.published,
                    updated=None,
                    summary=text_to_summary(
                        html_to_text(article.html) if article.html else article.text
                    )
                    or None,
                    content_html=article.html,
                    content_text=article.text,
                )
                now = pkm.now()
                with pkm.store.transaction():
                    new, updated = pkm.store.store_entries(source.id, entry_rows([entry]), now)
                    item_id = pkm.store.item_id_for(source.id, entry.entry_id)
                    pkm.store.add_item_tags(item_id, tags)
                results[ref] = AddResult(
                    ref,
                    source_url=article.url,
                    created=bool(new),
                    title=article.title,
                    new_items=new,
                    item_id=item_id,
                    message=None if new else ("updated" if updated else "already saved"),
                )
    return [results[r] for r in refs]
