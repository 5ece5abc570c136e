"""The inbox: items as stored, and the filters that select them."""

from dataclasses import dataclass
from datetime import datetime

from pkm.models.feeds import Cite, Enclosure
from pkm.vocabulary import ItemStatus


@dataclass(frozen=True)
class NoteRef:
    """A note as an item's listing names it: enough to find the file."""

    id: int
    path: str  # relative to the vault, `/` separators
    title: str


@dataclass(frozen=True)
class Item:
    id: int
    source_urls: tuple[str, ...]
    guid: str
    url: str | None
    title: str | None
    author: str | None
    published: datetime | None  # as the feed gave it (see `date`)
    summary: str | None
    content_html: str | None
    content_text: str
    status: ItemStatus
    tags: tuple[str, ...]
    first_seen_at: datetime
    updated: datetime | None = None  # the entry's own updated date, as the feed gave it
    source_title: str | None = None  # of the first source that delivered it
    enclosures: tuple[Enclosure, ...] = ()
    changed_at: datetime | None = None  # when pkm last stored a change to its content
    sort_at: datetime | None = None  # what the inbox sorts by (see `ItemUpdate.sort_at`)
    annotation_count: int = 0  # highlights and comments on it
    notes: tuple[NoteRef, ...] = ()  # the notes that cite it, by title
    cites: tuple[Cite, ...] = ()  # a teammate's note: the articles it cites
    kind: str = "item"  # item; from a teammate's shared.atom also note, question, answer
    answers_ref: str | None = None  # a teammate's answer: the entry id of its question

    @property
    def date(self) -> datetime | None:
        """The item's date: published, else updated (many feeds give only one)."""
        return self.published or self.updated


@dataclass(frozen=True)
class ItemFilter:
    """Which items a store query matches. Every criterion given narrows the match (AND);
    within one, any value matches (OR), except `tags`, which must all be on the item.

    `item_ids` and `id_ranges` (inclusive) together are one set of ids. `since` and
    `before` bound `Item.sort_at` (`since <= sort_at < before`).
    """

    statuses: tuple[ItemStatus, ...] = ()
    source_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    id_ranges: tuple[tuple[int, int], ...] = ()
    tags: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None
