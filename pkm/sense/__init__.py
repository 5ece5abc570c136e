"""Sense: triage, annotate, search and synthesize. For now: the inbox, highlights and
comments (with their re-anchoring and review).

- `list_inbox`, `count_inbox`: the inbox.
- `annotate_item`, `list_annotations`, `get_annotation`, `edit_annotation`,
  `delete_annotation`: highlights and comments (`annotations`).
- `reanchor_changed`: re-anchor the highlights of items whose text changed (the CLI runs
  it after `pkm seek`; seek never imports sense).
- `start_review`, `record_review`, `review_listing`: resurface past highlights (`review`).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkm.models import Item, ItemStatus
from pkm.sense.annotations import (
    AnnotationQuery,
    ReanchorReport,
    annotate_item,
    delete_annotation,
    edit_annotation,
    get_annotation,
    get_item_ref,
    item_refs,
    list_annotations,
    reanchor_changed,
)
from pkm.sense.review import ReviewCard, record_review, review_listing, start_review

if TYPE_CHECKING:
    from pkm.core import Pkm

__all__ = [
    "AnnotationQuery",
    "InboxQuery",
    "ReanchorReport",
    "ReviewCard",
    "annotate_item",
    "count_inbox",
    "delete_annotation",
    "edit_annotation",
    "get_annotation",
    "get_item_ref",
    "item_refs",
    "list_annotations",
    "list_inbox",
    "reanchor_changed",
    "record_review",
    "review_listing",
    "start_review",
]


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
