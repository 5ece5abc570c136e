"""Review: resurface a few past highlights, and record what the person did with each.

Which highlights come up is a pure function of the annotations, which items are starred
and `now` (`choose_for_review`), so the same database at the same time gives the same
review. Discarding a highlight retires it from review; it is never deleted.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pkm.errors import AnnotationNotFoundError, InvalidInputError
from pkm.models import Annotation, ItemRef, ItemStatus, ReviewAction

if TYPE_CHECKING:
    from pkm.core import Pkm

# A highlight on a starred item counts as if it had waited this many times as long.
STARRED_WEIGHT = 2.0


@dataclass(frozen=True)
class ReviewCard:
    """A highlight to review, with the item it is on."""

    annotation: Annotation
    item: ItemRef


def choose_for_review(
    annotations: Iterable[Annotation], starred: set[int], now: datetime, count: int
) -> list[Annotation]:
    """The `count` highlights most due for review, most due first. Pure.

    The order:
    1. Highlights never reviewed come before those reviewed at least once.
    2. Within each group, the longest wait first: the time since the last review (or, never
       reviewed, since the highlight was made), multiplied by `STARRED_WEIGHT` for a
       highlight on a starred item. So a starred item's highlight reviewed 5 days ago
       comes before another's reviewed 9 days ago, but after one's reviewed 11 days ago.
    3. Ties: the older annotation (the smaller id) first.

    Item-level comments (no quote) and retired highlights are never chosen.
    """
    candidates = [a for a in annotations if a.quote is not None and a.retired_at is None]

    def due(a: Annotation) -> tuple[bool, float, int]:
        since = a.reviewed_at or a.created_at
        waited = max((now - since).total_seconds(), 0.0)
        if a.item_id in starred:
            waited *= STARRED_WEIGHT
        return (a.reviewed_at is not None, -waited, a.id)

    return sorted(candidates, key=due)[:count]


def start_review(pkm: "Pkm", count: int) -> list[ReviewCard]:
    """The highlights to review now (see `choose_for_review`), with their items. Reads only:
    record what was done with each through `record_review`."""
    if count < 1:
        raise InvalidInputError("--count must be at least 1")
    annotations = pkm.store.get_annotations(highlights_only=True, in_review=True)
    refs = pkm.store.get_item_refs(a.item_id for a in annotations)
    starred = {i for i, ref in refs.items() if ref.status is ItemStatus.STARRED}
    chosen = choose_for_review(annotations, starred, pkm.now(), count)
    return [ReviewCard(a, refs[a.item_id]) for a in chosen]


def record_review(pkm: "Pkm", annotation_ids: Sequence[int], action: ReviewAction) -> None:
    """Record that these highlights were reviewed now, and how, in one transaction:
    `reviewed_at` and `review_count` move on, and discarded ones are retired from review.

    Raises:
        AnnotationNotFoundError: an id names no annotation (nothing is recorded).
    """
    with pkm.sense_lock():
        known = {a.id for a in pkm.store.get_annotations(annotation_ids=annotation_ids)}
        for annotation_id in annotation_ids:
            if annotation_id not in known:
                raise AnnotationNotFoundError(annotation_id)
        pkm.store.record_reviews([(i, action) for i in annotation_ids], pkm.now())


def review_listing(pkm: "Pkm", count: int) -> list[ReviewCard]:
    """The highlights to review now, recorded as shown: a review that is only listed (not
    on a terminal, or as JSON) still moves them back in the queue."""
    cards = start_review(pkm, count)
    if cards:
        record_review(pkm, [c.annotation.id for c in cards], ReviewAction.SHOWN)
    return cards
