"""Highlights and comments: make, list, edit and delete them, and re-anchor them when their
item's text changes.

Each write service takes `pkm.sense_lock()` itself and is one transaction. Decisions
(where a quote is, where it went) are made by `pkm.sense.anchoring` before anything is
stored; this module only reads, decides and hands the decisions to the store.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pkm._util.text import strip_controls
from pkm.errors import (
    AmbiguousQuoteError,
    AnnotationNotFoundError,
    InvalidInputError,
    ItemNotFoundError,
    QuoteNotFoundError,
)
from pkm.models import (
    Anchor,
    Annotation,
    AnnotationState,
    ItemRef,
    ItemStatus,
    TextChange,
    TextPosition,
)
from pkm.sense.anchoring import find_quote, quote_at, reanchor

if TYPE_CHECKING:
    from pkm.core import Pkm

# Text changes drained per transaction: a batch's decisions are stored, and its changes
# acknowledged, together, so an interrupted run redoes at most one batch.
REANCHOR_BATCH = 200


@dataclass(frozen=True)
class ReanchorReport:
    """What one `reanchor_changed` did: how many items and highlights it looked at, the
    state each highlight ended in, and which ones it orphaned (they were placed before)."""

    items: int = 0
    highlights: int = 0
    states: dict[AnnotationState, int] = field(default_factory=dict)
    newly_orphaned: tuple[int, ...] = ()


@dataclass(frozen=True)
class AnnotationQuery:
    """Which annotations a listing shows: of one item, with any of `tags`, only orphans,
    only the person's own (`mine`: no teammate's from their shared.atom)."""

    item_id: int | None = None
    tags: Sequence[str] = ()
    orphaned: bool = False
    mine: bool = False


def clean_text(text: str) -> str:
    """Text a person typed, made safe to store: no control characters, no outer blanks."""
    return strip_controls(text).strip()


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags without control characters or outer blanks; an empty one is refused."""
    cleaned = [" ".join(strip_controls(t).split()) for t in tags]
    if any(not t for t in cleaned):
        raise InvalidInputError("a tag cannot be empty")
    return list(dict.fromkeys(cleaned))


def annotate_item(
    pkm: "Pkm",
    item_id: int,
    *,
    highlight: str | None = None,
    comment: str = "",
    tags: Sequence[str] = (),
    occurrence: int | None = None,
) -> Annotation:
    """Highlight a passage of an item (with an optional comment and tags), or comment on the
    whole item when `highlight` is None.

    The highlight is found in the item's plain text with whitespace normalised; what is
    stored is the text as it is in the item, with its context and position. Pending text
    changes are re-anchored first, so the new highlight joins highlights that are current.

    Args:
        occurrence: which occurrence (from 1) of a highlight found several times.

    Raises:
        ItemNotFoundError: no such item.
        QuoteNotFoundError: the highlight is not in the item's text.
        AmbiguousQuoteError: it occurs several times and `occurrence` does not say which.
        InvalidInputError: nothing to store (an empty highlight, no comment), an empty tag.
    """
    comment = clean_text(comment)
    tags = clean_tags(tags)
    quote_text = clean_text(highlight) if highlight is not None else None
    if quote_text == "":
        raise InvalidInputError("the highlight is empty")
    if quote_text is None and not comment and not tags:
        raise InvalidInputError("nothing to annotate: give a highlight, a comment or a tag")
    if quote_text is None and occurrence is not None:
        raise InvalidInputError("--occurrence needs a highlight")
    reanchor_changed(pkm)
    with pkm.sense_lock():
        texts = pkm.store.get_item_texts([item_id])
        if item_id not in texts or get_item_ref(pkm, item_id).status is ItemStatus.DELETED:
            raise ItemNotFoundError(item_id)  # a deleted item is a tombstone, shown nowhere
        quote = position = None
        if quote_text is not None:
            found = find_quote(texts[item_id], quote_text)
            position = _choose(item_id, quote_text, found, occurrence)
            quote = quote_at(texts[item_id], position)
        annotation_id = pkm.store.add_annotation(
            item_id, quote=quote, position=position, comment=comment, tags=tags, now=pkm.now()
        )
    return _get(pkm, annotation_id)


def _choose(
    item_id: int, quote: str, found: list[TextPosition], occurrence: int | None
) -> TextPosition:
    if not found:
        raise QuoteNotFoundError(item_id, quote)
    if occurrence is None:
        if len(found) > 1:
            raise AmbiguousQuoteError(item_id, len(found))
        return found[0]
    if not 1 <= occurrence <= len(found):
        raise AmbiguousQuoteError(item_id, len(found), occurrence)
    return found[occurrence - 1]


def get_annotation(pkm: "Pkm", annotation_id: int) -> Annotation:
    """Raises AnnotationNotFoundError."""
    return _get(pkm, annotation_id)


def _get(pkm: "Pkm", annotation_id: int) -> Annotation:
    found = pkm.store.get_annotation(annotation_id)
    if found is None:
        raise AnnotationNotFoundError(annotation_id)
    return found


def list_annotations(pkm: "Pkm", query: AnnotationQuery) -> list[Annotation]:
    """The matching annotations, per item in text order, after pending text changes have
    been re-anchored (so what is listed as orphaned is orphaned now).

    Raises:
        ItemNotFoundError: `query.item_id` names no item.
    """
    if not pkm.readonly:
        reanchor_changed(pkm)
    if query.item_id is not None:
        get_item_ref(pkm, query.item_id)
    return pkm.store.get_annotations(
        item_ids=[query.item_id] if query.item_id is not None else [],
        tags=clean_tags(query.tags),
        states=[AnnotationState.ORPHANED] if query.orphaned else [],
        shared=False if query.mine else None,
    )


def get_item_ref(pkm: "Pkm", item_id: int) -> ItemRef:
    """Title, URL and status of an item. Raises ItemNotFoundError."""
    found = pkm.store.get_item_refs([item_id])
    if item_id not in found:
        raise ItemNotFoundError(item_id)
    return found[item_id]


def item_refs(pkm: "Pkm", annotations: Sequence[Annotation]) -> dict[int, ItemRef]:
    """The items these annotations are on (title, URL, status), by id."""
    return pkm.store.get_item_refs(a.item_id for a in annotations)


def edit_annotation(
    pkm: "Pkm",
    annotation_id: int,
    *,
    comment: str | None = None,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
) -> Annotation:
    """Change an annotation's comment (None keeps it; "" clears it) and its tags.

    Raises:
        AnnotationNotFoundError: no such annotation.
        InvalidInputError: an empty tag, or an item-level comment left with nothing.
    """
    new_comment = clean_text(comment) if comment is not None else None
    add, remove = clean_tags(add_tags), clean_tags(remove_tags)
    with pkm.sense_lock():
        old = _get(pkm, annotation_id)
        kept_tags = (set(old.tags) | set(add)) - set(remove)
        kept_comment = new_comment if new_comment is not None else old.comment
        if old.quote is None and not kept_comment and not kept_tags:
            raise InvalidInputError(f"annotation {annotation_id} would be empty: delete it instead")
        pkm.store.update_annotation(
            annotation_id, comment=new_comment, add_tags=add, remove_tags=remove, now=pkm.now()
        )
    return _get(pkm, annotation_id)


def delete_annotation(pkm: "Pkm", annotation_id: int) -> Annotation:
    """Delete an annotation (its tags and reviews go with it); returns what was deleted.

    Raises:
        AnnotationNotFoundError: no such annotation.
    """
    with pkm.sense_lock():
        old = _get(pkm, annotation_id)
        pkm.store.delete_annotation(annotation_id)
    return old


def decide_anchors(
    annotations: Sequence[Annotation], texts: dict[int, str]
) -> list[tuple[Annotation, Anchor]]:
    """Where each highlight of a changed item goes in the item's new text. Pure.

    Item-level comments have nothing to place, and a highlight whose item has gone has no
    text to be placed in: both are left out.
    """
    decisions = []
    for a in annotations:
        text = texts.get(a.item_id)
        if a.quote is None or text is None:
            continue
        decisions.append((a, reanchor(a.quote, a.position, text)))
    return decisions


def reanchor_changed(pkm: "Pkm", *, batch: int = REANCHOR_BATCH) -> ReanchorReport:
    """Re-anchor the highlights of every item whose text changed since the last call.

    Drains the store's record of text changes a batch at a time: reads the new texts and
    the batch's highlights, decides where each goes (`anchoring.reanchor`), and stores the
    decisions and acknowledges the batch's changes in one transaction. A change recorded
    again meanwhile (a newer seq) stays for the next call.

    Returns:
        Counts per state, and the ids of highlights orphaned by this call.
    """
    states = dict.fromkeys(AnnotationState, 0)
    items = highlights = 0
    orphaned: list[int] = []
    with pkm.sense_lock():
        store = pkm.store
        while changes := store.get_text_changes(batch):
            item_ids = list(dict.fromkeys(c.item_id for c in changes))
            texts = store.get_item_texts(item_ids)
            decisions = decide_anchors(
                store.get_annotations(item_ids=item_ids, highlights_only=True), texts
            )
            _store_batch(pkm, decisions, changes)
            items += len(item_ids)
            highlights += len(decisions)
            for old, anchor in decisions:
                states[anchor.state] += 1
                if anchor.state is AnnotationState.ORPHANED and old.state is not anchor.state:
                    orphaned.append(old.id)
    return ReanchorReport(items, highlights, states, tuple(orphaned))


def _store_batch(
    pkm: "Pkm", decisions: Sequence[tuple[Annotation, Anchor]], changes: Sequence[TextChange]
) -> None:
    changed = [
        (old.id, anchor)
        for old, anchor in decisions
        if (anchor.state, anchor.quote, anchor.position) != (old.state, old.quote, old.position)
    ]
    with pkm.store.transaction():
        pkm.store.set_anchors(changed, pkm.now())
        pkm.store.ack_text_changes(changes)


def orphan_placements(pkm: "Pkm") -> list[tuple[Annotation, Anchor]]:
    """Every orphaned highlight, with where re-anchoring would place it in its item's
    current text (an `orphaned` anchor: nowhere). Reads only."""
    store = pkm.store
    orphans = store.get_annotations(states=[AnnotationState.ORPHANED], highlights_only=True)
    texts = store.get_item_texts(list(dict.fromkeys(a.item_id for a in orphans)))
    return decide_anchors(orphans, texts)


def reanchor_orphans(pkm: "Pkm") -> ReanchorReport:
    """Try once more to place every orphaned highlight in its item's current text, as
    `reanchor_changed` places highlights of changed items (`pkm doctor --fix`).

    An orphan is placed again when its text came back (an edit undone, a teammate's quote
    now in the reader's copy) or the text it was last compared with was not its item's
    current one; those still not found stay orphans with their quote, never dropped.
    One transaction, under the Sense lock.
    """
    with pkm.sense_lock():
        decisions = orphan_placements(pkm)
        placed = [(old.id, anchor) for old, anchor in decisions if anchor.state != old.state]
        if placed:
            pkm.store.set_anchors(placed, pkm.now())
    states = dict.fromkeys(AnnotationState, 0)
    for _, anchor in decisions:
        states[anchor.state] += 1
    items = len({old.item_id for old, _ in decisions})
    return ReanchorReport(items, len(decisions), states, ())
