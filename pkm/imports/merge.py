"""Importing a plan into the index: decided against what the index holds, then applied.

`decide` is pure: from the plan and the facts of the index it depends on (`Known`, read by
`read_known` in the transaction the decision is then applied in), it computes one frozen
`ItemDecision` per item; `apply` writes them. A dry run stops after `decide`.

The rules:

- Items go in as saved items, under the `pkm:saved` pseudo-source that `pkm seek save`
  files pages under (entry id: the URL as exported, or a book's guid), sorted by when they
  were saved. An item the index has already (the same entry, or the same URL key: scheme,
  trailing slash, tracking parameters set aside) is never duplicated: it is linked to the
  entry, gains the import's tags, and keeps its status, unless it is still unread and the
  export says read, archived or starred (the person read it elsewhere). Its text is kept,
  except that an item without text gets the export's (Omnivore's content), and a book's
  text gains the clippings it lacks, after those it had (so highlights on it stay put).
  An item the person deleted stays deleted: nothing is added to it.
- An entry listed twice in one export (the same URL key) is one item: the earliest saved
  date, the most done status, every tag and annotation.
- Annotations are anchored in the item's text as Sense anchors a highlight: at the
  export's position if the quote is there, else where the quote is (whitespace
  normalised), else the most similar passage (`fuzzy`), else `orphaned` with the
  export's quote and position as they are (a page without text yet). One is already
  there when the item has a highlight with the same quote (as exported, or as placed in
  the text) or a comment with the same text: each stored one matches one imported one,
  so importing the same file again adds nothing.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from pkm._util.quotes import find_quote, find_verbatim, normalise_quote, quote_at
from pkm._util.urls import url_key
from pkm.content import text_to_summary
from pkm.imports.plan import (
    PARAGRAPH_BREAK,
    STATUS_RANK,
    ImportedItem,
    ImportPlan,
    paragraphs_html,
)
from pkm.imports.report import ItemAction, ItemOutcome
from pkm.models import (
    Anchor,
    Annotation,
    AnnotationState,
    EntryAction,
    EntryUpdate,
    ItemStatus,
    NewAnnotation,
    ParsedEntry,
    SourceKind,
    TextPosition,
)
from pkm.seek.parse import entry_rows
from pkm.seek.save import SAVED_PAGES_URL
from pkm.sense.anchoring import reanchor

if TYPE_CHECKING:
    from pkm.store import Store


@dataclass(frozen=True)
class StoredItem:
    """What the index holds of an item an import is about."""

    item_id: int
    status: ItemStatus
    tags: frozenset[str]  # its own and its sources'
    text: str
    annotations: tuple[Annotation, ...] = ()  # the person's own (not a teammate's)


@dataclass(frozen=True)
class Known:
    """The facts of the index a decision depends on."""

    entries: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # saved entry -> item
    items_by_url_key: Mapping[str, int] = field(default_factory=dict)
    items: Mapping[int, StoredItem] = field(default_factory=dict)
    # Origin ids of the annotations imported before (`hypothesis:<id>`): matched exactly.
    origins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ItemDecision:
    """What importing one item does. `annotations` carry item id 0 for a new item (its id
    is known once it is inserted)."""

    item: ImportedItem
    action: ItemAction
    item_id: int | None = None  # the item merged into; None for a new one
    entry: EntryUpdate | None = None  # the saved entry to insert, link or change
    status: ItemStatus | None = None
    status_at: datetime | None = None
    tags: tuple[str, ...] = ()
    annotations: tuple[NewAnnotation, ...] = ()
    annotations_skipped: int = 0
    text: str = ""  # the item's text once imported
    reason: str | None = None
    deleted: bool = False  # the person deleted the item in pkm: it stays so
    repeat_of: int | None = None  # an entry repeating an earlier one: that one's index

    def outcome(self, item_id: int | None) -> ItemOutcome:
        return ItemOutcome(
            ref=self.item.ref,
            action=self.action,
            item_id=item_id,
            title=self.item.title,
            url=self.item.url,
            reason=self.reason,
            status=self.status,
            tags_added=self.tags,
            annotations_added=len(self.annotations),
            annotations_skipped=self.annotations_skipped,
            annotations_orphaned=sum(a.state is AnnotationState.ORPHANED for a in self.annotations),
        )


# URL keys are asked for several times per entry (repeats, the index, the decision).
_url_key = lru_cache(maxsize=1 << 16)(url_key)


def identity(item: ImportedItem) -> str:
    """What makes two entries of an export the same item: the URL key, else the key."""
    return _url_key(item.url) if item.url else item.key


def merge_repeats(items: Sequence[ImportedItem]) -> tuple[list[ImportedItem], dict[int, int]]:
    """Entries of the same item (see `identity`) as one, in the place of the first; and,
    for each repeat (by its index in `items`), the index of the merged item it joined."""
    merged: dict[str, ImportedItem] = {}
    places: dict[str, int] = {}
    repeats: dict[int, int] = {}
    for n, item in enumerate(items):
        same = identity(item)
        first = merged.get(same)
        if first is None:
            places[same] = len(merged)
            merged[same] = item
            continue
        repeats[n] = places[same]
        stronger = STATUS_RANK[item.status] > STATUS_RANK[first.status]
        dates = [d for d in (first.saved, item.saved) if d is not None]
        merged[same] = replace(
            first,
            title=first.title or item.title,
            author=first.author or item.author,
            saved=min(dates, default=None),
            status=item.status if stronger else first.status,
            status_at=item.status_at if stronger else first.status_at,
            tags=tuple(dict.fromkeys(first.tags + item.tags)),
            content_html=first.content_html if first.content_text else item.content_html,
            content_text=first.content_text or item.content_text,
            annotations=first.annotations + item.annotations,
        )
    return list(merged.values()), repeats


def read_known(store: "Store", items: Sequence[ImportedItem]) -> Known:
    """What the index holds about these items: their saved entries, the items with their
    URL keys, and those items' status, tags, text and annotations."""
    source = store.find_source(SAVED_PAGES_URL)
    entries = store.get_entry_hashes(source.id) if source is not None else {}
    keys = {_url_key(i.url) for i in items if i.url and i.key not in entries}
    by_key = store.find_items_by_url_key(keys)
    ids = sorted({entries[i.key][0] for i in items if i.key in entries} | set(by_key.values()))
    stored: dict[int, StoredItem] = {}
    origins: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        origins |= store.get_annotation_origins(chunk)
        own: dict[int, list[Annotation]] = {}
        for a in store.get_annotations(item_ids=chunk, shared=False):
            own.setdefault(a.item_id, []).append(a)
        for item in store.get_items(item_ids=chunk):
            stored[item.id] = StoredItem(
                item.id,
                item.status,
                frozenset(item.tags),
                item.content_text,
                tuple(own.get(item.id, ())),
            )
    return Known(entries=entries, items_by_url_key=by_key, items=stored, origins=frozenset(origins))


def decide(
    plan: ImportPlan, known: Known, *, now: datetime, tags: Sequence[str] = ()
) -> list[ItemDecision]:
    """One decision per entry of the plan, in file order. Pure.

    An entry repeating an earlier one is merged into it, and its own decision says so
    (skipped, `repeat_of` the index of that decision)."""
    unique, repeats = merge_repeats(plan.items)
    decided = iter([_decide(item, known, now, tags) for item in unique])
    firsts = [n for n in range(len(plan.items)) if n not in repeats]
    result: list[ItemDecision] = []
    for n, item in enumerate(plan.items):
        if n not in repeats:
            result.append(next(decided))
            continue
        first = firsts[repeats[n]]
        result.append(
            ItemDecision(
                item,
                ItemAction.SKIPPED,
                result[first].item_id,
                reason=f"the same page as {plan.items[first].ref}: merged into it",
                repeat_of=first,
            )
        )
    return result


def _decide(item: ImportedItem, known: Known, now: datetime, extra: Sequence[str]) -> ItemDecision:
    entry = _entry(item)
    [(_, digest, key)] = entry_rows([entry])
    wanted_tags = tuple(dict.fromkeys([*item.tags, *extra]))
    found = known.entries.get(item.key)
    item_id = found[0] if found else known.items_by_url_key.get(key) if key else None
    stored = known.items.get(item_id) if item_id is not None else None
    if item_id is None or stored is None:
        sort_at = min(item.saved or now, now)
        annotations, _ = _annotations(item, item.content_text, (), now)
        return ItemDecision(
            item,
            ItemAction.ADDED,
            entry=EntryUpdate(EntryAction.NEW, entry, digest, key, sort_at=sort_at),
            status=item.status if item.status is not ItemStatus.UNREAD else None,
            status_at=item.status_at or item.saved or now,
            tags=wanted_tags,
            annotations=annotations,
            text=item.content_text,
        )
    if stored.status is ItemStatus.DELETED:
        return ItemDecision(
            item,
            ItemAction.SKIPPED,
            item_id,
            reason="deleted in pkm: not brought back",
            deleted=True,
        )
    update: EntryUpdate | None = None
    text = stored.text
    merged: list[str] = []
    if found is None:  # an item another source delivered, or saved under another spelling
        update = EntryUpdate(EntryAction.LINK, entry, digest, key, item_id)
        merged.append("linked")
    else:
        grown = _grown_text(item, stored.text)
        if grown is not None:
            changed = entry
            if item.paragraphs:
                changed = replace(
                    entry,
                    content_text=grown,
                    content_html=paragraphs_html(grown.split(PARAGRAPH_BREAK)),
                    summary=text_to_summary(grown) or None,
                )
            [(_, new_digest, _)] = entry_rows([changed])
            update = EntryUpdate(EntryAction.CHANGE, changed, new_digest, key, item_id)
            text = grown
            merged.append("text")
    status = None
    if stored.status is ItemStatus.UNREAD and item.status is not ItemStatus.UNREAD:
        status = item.status
        merged.append(status.value)
    new_tags = tuple(t for t in wanted_tags if t not in stored.tags)
    if new_tags:
        merged.append("tags")
    annotations, skipped = _annotations(item, text, stored.annotations, now, known.origins)
    if annotations:
        merged.append("annotations")
    if not merged:
        return ItemDecision(
            item,
            ItemAction.SKIPPED,
            item_id,
            annotations_skipped=skipped,
            text=text,
            reason="already in the index",
        )
    return ItemDecision(
        item,
        ItemAction.MERGED,
        item_id,
        entry=update,
        status=status,
        status_at=item.status_at or item.saved or now,
        tags=new_tags,
        annotations=annotations,
        annotations_skipped=skipped,
        text=text,
        reason=", ".join(merged),
    )


def _entry(item: ImportedItem) -> ParsedEntry:
    summary = item.summary or (text_to_summary(item.content_text) if item.content_text else None)
    return ParsedEntry(
        entry_id=item.key,
        url=item.url,
        title=item.title,
        author=item.author,
        published=item.published,
        updated=None,
        summary=summary or None,
        content_html=item.content_html,
        content_text=item.content_text,
    )


def _grown_text(item: ImportedItem, stored: str) -> str | None:
    """An item's stored text with what it lacks of the export's: a book's new clippings
    after those it has, or the export's text for an item that has none. None: unchanged."""
    if not item.content_text:
        return None
    if not stored.strip():
        return item.content_text
    if not item.paragraphs:
        return None
    have = stored.split(PARAGRAPH_BREAK)
    known = set(have)
    new = [p for p in item.content_text.split(PARAGRAPH_BREAK) if p and p not in known]
    return PARAGRAPH_BREAK.join(have + new) if new else None


def _annotations(
    item: ImportedItem,
    text: str,
    stored: Sequence[Annotation],
    now: datetime,
    origins: frozenset[str] = frozenset(),
) -> tuple[tuple[NewAnnotation, ...], int]:
    """The item's annotations that are not on it yet, anchored in `text`; and how many are.
    One whose origin id was imported before is on it (whatever became of its quote); the
    others are matched by their quote or comment."""
    there: Counter[tuple[str, str]] = Counter()
    for held in stored:
        if held.quote is not None:
            there["quote", normalise_quote(held.quote.exact)] += 1
        else:
            there["comment", normalise_quote(held.comment)] += 1
    paragraphs = _paragraph_positions(text) if item.paragraphs else {}
    # Where highlights are: a second highlight of the same quote goes to another occurrence.
    taken = {held.position for held in stored if held.quote is not None}
    added: list[NewAnnotation] = []
    skipped = 0
    for a in item.annotations:
        created = a.created or now
        updated = max(a.updated or created, created)
        origin = {"origin_id": a.origin_id, "origin_target": a.origin_target}
        if a.origin_id is not None and a.origin_id in origins:
            skipped += 1
            continue
        if a.quote is None:
            key = ("comment", normalise_quote(a.comment))
            if there[key]:
                there[key] -= 1
                skipped += 1
                continue
            added.append(
                NewAnnotation(
                    0,
                    None,
                    None,
                    AnnotationState.ANCHORED,
                    a.comment,
                    a.tags,
                    created,
                    updated,
                    **origin,
                )
            )
            continue
        position = paragraphs.get(a.quote.exact, a.position)
        anchor = reanchor(a.quote, position, text)
        keys = [
            ("quote", normalise_quote(anchor.quote.exact)),
            ("quote", normalise_quote(a.quote.exact)),
        ]
        hit = next((k for k in keys if there[k]), None)
        if hit is not None:
            there[hit] -= 1
            skipped += 1
            continue
        if anchor.state is not AnnotationState.ORPHANED and anchor.position in taken:
            anchor = _elsewhere(anchor, text, taken)
        taken.add(anchor.position)
        # Placed for the first time: found anywhere is anchored (it has not moved).
        state = AnnotationState.ANCHORED if anchor.state is AnnotationState.MOVED else anchor.state
        added.append(
            NewAnnotation(
                0,
                anchor.quote,
                anchor.position,
                state,
                a.comment,
                a.tags,
                created,
                updated,
                **origin,
            )
        )
    return tuple(added), skipped


def _elsewhere(anchor: Anchor, text: str, taken: set[TextPosition | None]) -> Anchor:
    """`anchor`, moved to the first occurrence of its quote no highlight holds yet (it
    stays where it is when there is none)."""
    exact = anchor.quote.exact
    for position in find_verbatim(text, exact) or find_quote(text, exact):
        if position not in taken:
            return replace(anchor, quote=quote_at(text, position), position=position)
    return anchor


def _paragraph_positions(text: str) -> dict[str, TextPosition]:
    """Where each paragraph of a text pkm made of paragraphs is (the first, if repeated)."""
    found: dict[str, TextPosition] = {}
    at = 0
    for paragraph in text.split(PARAGRAPH_BREAK):
        found.setdefault(paragraph, TextPosition(at, at + len(paragraph)))
        at += len(paragraph) + len(PARAGRAPH_BREAK)
    return found


@dataclass(frozen=True)
class Applied:
    """What `apply` stored: the item of each decision (in order) and the annotations added."""

    item_ids: tuple[int | None, ...]
    annotation_ids: tuple[int, ...]


def apply(store: "Store", decisions: Sequence[ItemDecision], now: datetime) -> Applied:
    """Store the decisions. The caller holds the transaction the facts were read in."""
    source, _ = store.add_source(
        SAVED_PAGES_URL, SAVED_PAGES_URL, SourceKind.PAGES, now=now, title="Saved pages"
    )
    store.apply_entry_updates(source.id, [d.entry for d in decisions if d.entry], now)
    entries = store.get_entry_hashes(source.id)
    item_ids: list[int | None] = []
    statuses = []
    annotations = []
    for d in decisions:
        if d.repeat_of is not None:
            item_ids.append(item_ids[d.repeat_of])
            continue
        item_id = d.item_id if d.item_id is not None else entries[d.item.key][0]
        item_ids.append(item_id)
        if d.action is ItemAction.SKIPPED:
            continue
        if d.status is not None:
            statuses.append((item_id, d.status, d.status_at or now))
        if d.tags:
            store.add_item_tags(item_id, d.tags)
        annotations += [replace(a, item_id=item_id) for a in d.annotations]
    store.set_item_statuses(statuses)
    return Applied(tuple(item_ids), tuple(store.add_annotations(annotations)))
