"""Triage: list the inbox, show one item, mark and tag items.

Each service takes an opened `Pkm`. The ones that write take `pkm.sense_lock()` and do all
of their work in one transaction, so a `mark` over ten thousand items is stored entirely or
not at all. Which items a command acts on is an `ItemSelection`, turned into the store's
`ItemFilter` here. Parsing what the user typed (ids, ranges) is pure and raises ValueError;
the CLI turns that into a usage error. Contains no SQL and prints nothing.
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pkm._util.urls import is_web_url
from pkm.errors import InvalidInputError, ItemNotFoundError
from pkm.models import (
    Annotation,
    AnnotationState,
    Item,
    ItemFilter,
    ItemStatus,
    Note,
)

if TYPE_CHECKING:
    from pkm.core import Pkm

# The statuses a listing shows when asked for everything: a deleted item is a tombstone.
LISTED: tuple[ItemStatus, ...] = tuple(s for s in ItemStatus if s is not ItemStatus.DELETED)

_ID_RE = re.compile(r"\d{1,18}")
_RANGE_RE = re.compile(r"(\d{1,18})-(\d{1,18})")


@dataclass(frozen=True)
class IdRef:
    """One item id, or an inclusive range of ids, as the user wrote it (`text`)."""

    first: int
    last: int
    text: str

    @property
    def is_range(self) -> bool:
        return self.first != self.last or "-" in self.text


def parse_id_refs(tokens: Iterable[str]) -> tuple[IdRef, ...]:
    """Ids and ranges (`12`, `12-20`) from what the user typed or piped, which may hold
    several whitespace-separated ids per token.

    Raises ValueError naming the first token that is not an id or a range of ids.
    """
    refs = []
    for token in tokens:
        for word in token.split():
            if _ID_RE.fullmatch(word):
                first = last = int(word)
            elif match := _RANGE_RE.fullmatch(word):
                first, last = int(match.group(1)), int(match.group(2))
                if first > last:
                    raise ValueError(f"not a range of ids: {word} (write the lower id first)")
            else:
                raise ValueError(
                    f"not an item id: {word} (ids are whole numbers, like 12 or 12-20)"
                )
            if first < 1:
                raise ValueError(f"not an item id: {word} (ids start at 1)")
            refs.append(IdRef(first, last, word))
    return tuple(refs)


@dataclass(frozen=True)
class ItemSelection:
    """Which items a command acts on: the items `ids` name, narrowed by every selector
    given (they combine with AND).

    `ids` None means there is no list of ids, so the selectors alone choose; an empty
    tuple (`-` with nothing on stdin) chooses nothing. `statuses` None is the command's
    default: unread items for the inbox; for a change, every status but deleted, or any
    status when ids are given (naming a deleted item is how it is brought back).
    `older_than` and `since` / `before` bound `Item.sort_at`.
    """

    ids: tuple[IdRef, ...] | None = None
    statuses: tuple[ItemStatus, ...] | None = None
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None
    older_than: timedelta | None = None

    @property
    def has_selectors(self) -> bool:
        """Whether anything but ids narrows the selection (a bulk change needs one)."""
        return bool(
            self.statuses
            or self.sources
            or self.tags
            or self.since
            or self.before
            or self.older_than is not None
        )

    def to_filter(self, pkm: "Pkm", default_statuses: Sequence[ItemStatus]) -> ItemFilter:
        """The store's filter for this selection at `pkm.now()`.

        Raises SourceNotFoundError when a source matches nothing.
        """
        before = self.before
        if self.older_than is not None:
            cutoff = pkm.now() - self.older_than
            before = cutoff if before is None else min(before, cutoff)
        source_ids: tuple[int, ...] = ()
        if self.sources:
            source_ids = tuple(s.id for s in pkm.store.resolve_sources(self.sources, tags=False))
        return ItemFilter(
            statuses=tuple(default_statuses if self.statuses is None else self.statuses),
            source_ids=source_ids,
            item_ids=tuple(r.first for r in self.ids or () if not r.is_range),
            id_ranges=tuple((r.first, r.last) for r in self.ids or () if r.is_range),
            tags=self.tags,
            since=self.since,
            before=before,
        )


# --- the inbox -------------------------------------------------------------------------------


def inbox_filter(pkm: "Pkm", selection: ItemSelection) -> ItemFilter:
    return selection.to_filter(pkm, (ItemStatus.UNREAD,))


def list_inbox(
    pkm: "Pkm", selection: ItemSelection, limit: int | None = None, offset: int = 0
) -> Iterator[Item]:
    """The matching items, newest first (see `Item.sort_at`), one at a time.

    Raises:
        SourceNotFoundError: a source in the selection matches nothing.
    """
    where = inbox_filter(pkm, selection)
    if selection.ids == ():
        return iter(())
    return pkm.store.iter_items(where, limit=limit, offset=offset)


def count_inbox(pkm: "Pkm", selection: ItemSelection) -> int:
    """How many items `list_inbox` would list without a limit."""
    if selection.ids == ():
        return 0
    return pkm.store.count_items(inbox_filter(pkm, selection))


# --- one item --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    """One item with what Sense knows about it, for `show`."""

    item: Item  # its status after showing it (read, if it was unread and marking was on)
    annotations: tuple[Annotation, ...]  # in text order, item-level comments first
    notes: tuple[Note, ...]  # the notes that cite it, by title
    marked_read: bool = False

    @property
    def own(self) -> tuple[Annotation, ...]:
        """The person's own annotations (not a teammate's)."""
        return tuple(a for a in self.annotations if a.shared_by is None)

    @property
    def shared(self) -> dict[str, tuple[Annotation, ...]]:
        """Teammates' highlights and comments (from their shared.atom), by teammate, in
        the order names first appear."""
        found: dict[str, list[Annotation]] = {}
        for a in self.annotations:
            if a.shared_by is not None:
                found.setdefault(a.shared_by, []).append(a)
        return {name: tuple(group) for name, group in found.items()}

    @property
    def highlights(self) -> tuple[Annotation, ...]:
        """The person's own annotations placed in the current text: those with a position
        that still holds. A teammate's are listed apart, never marked as the person's."""
        size = len(self.item.content_text)
        return tuple(
            a
            for a in self.own
            if a.position is not None
            and a.state is not AnnotationState.ORPHANED
            and 0 <= a.position.start < a.position.end <= size
        )


def highlight_ranges(view: ItemView) -> list[tuple[int, int]]:
    """The character ranges of the item's text to mark, sorted; overlapping or touching
    highlights are one range, so markers never nest."""
    ranges: list[tuple[int, int]] = []
    for start, end in sorted(
        (a.position.start, a.position.end) for a in view.highlights if a.position
    ):
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(end, ranges[-1][1]))
        else:
            ranges.append((start, end))
    return ranges


def _get_item(pkm: "Pkm", item_id: int) -> Item:
    items = pkm.store.get_items(item_ids=[item_id])
    if not items:
        raise ItemNotFoundError(str(item_id))
    return items[0]


def _read(pkm: "Pkm", item_id: int, mark: bool) -> tuple[Item, bool]:
    """The item, marked read first if it was unread and `mark` is on (a starred or archived
    item keeps its status: reading it again is not a reason to lose that)."""
    if not mark:
        return _get_item(pkm, item_id), False
    with pkm.sense_lock(), pkm.store.transaction():
        item = _get_item(pkm, item_id)
        if item.status is not ItemStatus.UNREAD:
            return item, False
        pkm.store.set_item_status([item_id], ItemStatus.READ, pkm.now())
    return replace(item, status=ItemStatus.READ), True


def show_item(pkm: "Pkm", item_id: int, *, mark: bool = True) -> ItemView:
    """An item with its annotations and the notes that cite it; marks it read (unread
    items only) unless `mark` is off.

    Raises:
        ItemNotFoundError: no item has this id.
    """
    item, marked = _read(pkm, item_id, mark)
    annotations = pkm.store.get_annotations(item_ids=[item_id])
    notes = pkm.store.get_notes_citing(item_id)
    return ItemView(item, tuple(annotations), tuple(notes), marked)


def item_url_to_open(pkm: "Pkm", item_id: int, *, mark: bool = True) -> str:
    """The item's web address, for a browser; marks it read (unread items only) unless
    `mark` is off.

    Raises:
        ItemNotFoundError: no item has this id.
        InvalidInputError: the item has no http(s) address (nothing is marked then).
    """
    item = _get_item(pkm, item_id)
    if not item.url or not is_web_url(item.url):
        raise InvalidInputError(f"item {item_id} has no web address")
    _read(pkm, item_id, mark)
    return item.url


# --- changing many items ---------------------------------------------------------------------


class MarkAction(StrEnum):
    READ = "read"
    UNREAD = "unread"
    STAR = "star"
    UNSTAR = "unstar"
    ARCHIVE = "archive"
    DELETE = "delete"

    @property
    def status(self) -> ItemStatus:
        """The status the items it changes end up with."""
        return _TARGETS[self]


_TARGETS = {
    MarkAction.READ: ItemStatus.READ,
    MarkAction.UNREAD: ItemStatus.UNREAD,
    MarkAction.STAR: ItemStatus.STARRED,
    MarkAction.UNSTAR: ItemStatus.READ,
    MarkAction.ARCHIVE: ItemStatus.ARCHIVED,
    MarkAction.DELETE: ItemStatus.DELETED,
}


def marked_status(action: MarkAction, status: ItemStatus) -> ItemStatus | None:
    """The status an item of `status` gets from `action`, or None when it stays as it is.

    Reading never takes away a star or an archiving (`--read` changes unread items, as
    showing an item does); `--unstar` changes starred items only, into read ones.
    """
    if action is MarkAction.READ and status is not ItemStatus.UNREAD:
        return None
    if action is MarkAction.UNSTAR and status is not ItemStatus.STARRED:
        return None
    target = action.status
    return None if target is status else target


@dataclass(frozen=True)
class MarkResult:
    action: MarkAction
    status: ItemStatus  # what the changed items are now
    changed: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()  # selected, but already so (or kept: see marked_status)
    unknown: tuple[str, ...] = ()  # ids or ranges, as given, that name no item


@dataclass(frozen=True)
class TagResult:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[int, ...] = ()  # items that gained or lost a tag
    unchanged: tuple[int, ...] = ()
    unknown: tuple[str, ...] = ()


def _unknown(pkm: "Pkm", refs: Sequence[IdRef]) -> tuple[str, ...]:
    """The refs that name no item: an id that does not exist, a range with none in it (a
    range is a span: ids missing inside it are not an error)."""
    singles = [r for r in refs if not r.is_range]
    missing = set(pkm.store.missing_item_ids(r.first for r in singles))
    unknown = [r.text for r in singles if r.first in missing]
    for r in refs:
        if r.is_range and not pkm.store.count_items(ItemFilter(id_ranges=((r.first, r.last),))):
            unknown.append(r.text)
    return tuple(dict.fromkeys(unknown))


def _selected(
    pkm: "Pkm", selection: ItemSelection
) -> tuple[dict[int, ItemStatus], tuple[str, ...]]:
    if selection.ids is None and not selection.has_selectors:
        raise InvalidInputError("no items given: name ids, or select with --source, --status...")
    if selection.ids == ():
        return {}, ()
    default = () if selection.ids is not None else LISTED
    where = selection.to_filter(pkm, default)
    unknown = _unknown(pkm, selection.ids or ())
    return pkm.store.get_item_statuses(where), unknown


def mark_items(pkm: "Pkm", selection: ItemSelection, action: MarkAction) -> MarkResult:
    """Change the status of the selected items (see `marked_status`), in one transaction.

    Unknown ids are reported in the result; the other items are changed.

    Raises:
        InvalidInputError: the selection names no ids and has no selector.
        SourceNotFoundError: a source in the selection matches nothing.
        LockedError: another Sense command holds the lock past the busy timeout.
    """
    with pkm.sense_lock(), pkm.store.transaction():
        statuses, unknown = _selected(pkm, selection)
        changed = [i for i, s in statuses.items() if marked_status(action, s) is not None]
        if changed:
            pkm.store.set_item_status(changed, action.status, pkm.now())
    done = set(changed)
    unchanged = tuple(i for i in statuses if i not in done)
    return MarkResult(action, action.status, tuple(changed), unchanged, unknown)


def clean_tag(name: str) -> str:
    """A tag as stored: control characters gone, whitespace trimmed and collapsed.

    Raises ValueError when nothing is left.
    """
    from pkm._util.text import one_line

    tag = one_line(name)
    if not tag:
        raise ValueError("a tag cannot be empty")
    return tag


def tag_items(
    pkm: "Pkm", selection: ItemSelection, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> TagResult:
    """Add and remove tags of the selected items' own, in one transaction. A tag a source
    gives its items is the source's, and stays.

    Raises:
        InvalidInputError: no tag to add or remove, or the selection is empty of ids and
            selectors.
        SourceNotFoundError: a source in the selection matches nothing.
        LockedError: another Sense command holds the lock past the busy timeout.
    """
    added = tuple(dict.fromkeys(add))
    removed = tuple(dict.fromkeys(remove))
    if not added and not removed:
        raise InvalidInputError("no tag given: use --add TAG or --remove TAG")
    with pkm.sense_lock(), pkm.store.transaction():
        statuses, unknown = _selected(pkm, selection)
        ids = list(statuses)
        changed: set[int] = set()
        if ids and removed:
            changed |= pkm.store.untag_items(ids, removed)
        if ids and added:
            changed |= pkm.store.tag_items(ids, added)
    return TagResult(
        added,
        removed,
        tuple(i for i in ids if i in changed),
        tuple(i for i in ids if i not in changed),
        unknown,
    )
