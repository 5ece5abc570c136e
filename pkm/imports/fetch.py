"""`pkm import --fetch`: the pages of imported items that have no text yet, fetched and
extracted as `pkm seek save` does, each stored on its own.

An export lists saved pages without their text (Pocket, Hypothesis): with `--fetch` each
page is fetched (as many at once as `[seek] concurrency` and `per_host` allow) and its
article stored as the item's text. The item keeps its place in the inbox (it was saved
when the export says, not now), its status and tags. A page that cannot be fetched or read
is a `FetchFailure`; the others are stored.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pkm.errors import StoreError
from pkm.imports.report import FetchFailure
from pkm.models import EntryAction, EntryUpdate
from pkm.seek.parse import entry_rows
from pkm.seek.save import SAVED_PAGES_URL, article_entry, fetch_articles

if TYPE_CHECKING:
    from pkm.core import Pkm


@dataclass(frozen=True)
class FetchTarget:
    """An imported item whose page is to be fetched: its saved entry and its URL."""

    item_id: int
    entry_id: str
    url: str
    title: str | None = None


def fetch_pages(
    pkm: "Pkm", targets: Sequence[FetchTarget]
) -> tuple[tuple[int, ...], tuple[FetchFailure, ...]]:
    """Fetch and store each target's page; returns the items stored and the failures.

    The caller holds the run lock (the items were imported under it)."""
    if not targets:
        return (), ()
    store = pkm.store
    source = store.find_source(SAVED_PAGES_URL)
    assert source is not None, "the targets were imported as saved pages"
    by_item = {t.item_id: t for t in targets}
    stored: list[int] = []
    failures: list[FetchFailure] = []
    for key, found in fetch_articles(pkm, [(t.item_id, t.url) for t in targets]):
        target = by_item[key]  # type: ignore[index]
        if isinstance(found, str):
            failures.append(FetchFailure(target.item_id, target.url, found))
            continue
        entry = replace(
            article_entry(found), entry_id=target.entry_id, title=found.title or target.title
        )
        [(_, digest, url_key)] = entry_rows([entry])
        update = EntryUpdate(EntryAction.CHANGE, entry, digest, url_key, target.item_id)
        try:
            with store.transaction():
                store.apply_entry_updates(source.id, [update], pkm.now())
        except StoreError as e:
            if "database is locked" not in str(e):
                raise
            failures.append(FetchFailure(target.item_id, target.url, f"not stored: {e}"))
            continue
        stored.append(target.item_id)
    order = {t.item_id: n for n, t in enumerate(targets)}
    return tuple(sorted(stored, key=order.__getitem__)), tuple(
        sorted(failures, key=lambda f: order[f.item_id])
    )
