"""Sense: triage, annotate, search and synthesize. For now: reading the inbox."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pkm.models import Item, ItemStatus

if TYPE_CHECKING:
    from pkm.core import Pkm


def list_inbox(
    pkm: "Pkm", *, include_all: bool = False, sources: Sequence[str] = (), limit: int | None = None
) -> list[Item]:
    """Unread items newest first; with `include_all`, every item but deleted tombstones.

    `sources` narrows to items reached through these source URLs or ids.
    """
    statuses = (
        [s for s in ItemStatus if s is not ItemStatus.DELETED]
        if include_all
        else [ItemStatus.UNREAD]
    )
    source_ids = [s.id for s in pkm.store.resolve_sources(sources, tags=False)] if sources else []
    return pkm.store.get_items(statuses=statuses, source_ids=source_ids, limit=limit)
