"""Sense: triage, annotate, search and synthesize. For now: reading the inbox."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkm.models import Item, ItemStatus

if TYPE_CHECKING:
    from pkm.core import Pkm


@dataclass(frozen=True)
class InboxQuery:
    """Which items an inbox listing shows: unread ones by default, or (`include_all`) every
    item but deleted tombstones; `sources` narrows to items from these source URLs or ids."""

    include_all: bool = False
    sources: Sequence[str] = ()

    def filters(self, pkm: "Pkm") -> tuple[list[ItemStatus], list[int]]:
        statuses: list[ItemStatus] = [ItemStatus.UNREAD]
        if self.include_all:
            statuses = [s for s in ItemStatus if s is not ItemStatus.DELETED]
        ids = [s.id for s in pkm.store.resolve_sources(self.sources, tags=False)]
        return statuses, ids if self.sources else []


def list_inbox(pkm: "Pkm", query: InboxQuery, limit: int | None = None) -> Iterator[Item]:
    """The matching items, newest first (see `Item.sort_at`), one at a time."""
    statuses, source_ids = query.filters(pkm)
    return pkm.store.iter_items(statuses=statuses, source_ids=source_ids, limit=limit)


def count_inbox(pkm: "Pkm", query: InboxQuery) -> int:
    statuses, source_ids = query.filters(pkm)
    return pkm.store.count_items(statuses=statuses, source_ids=source_ids)
