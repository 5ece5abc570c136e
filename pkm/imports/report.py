"""What an import did (or, in a dry run, would do): per entry of the file and in all. Pure."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pkm.imports.plan import ImportFormat
from pkm.models import ItemStatus


class ItemAction(StrEnum):
    ADDED = "added"  # a new item
    MERGED = "merged"  # an item the index had: tags, status, annotations or text added to it
    SKIPPED = "skipped"  # nothing to do (imported before), or refused (see `reason`)


@dataclass(frozen=True)
class ItemOutcome:
    """One entry of the export (entries of the same page merged into the first)."""

    ref: str  # where in the file
    action: ItemAction
    item_id: int | None  # None for a refused entry, and for a new one in a dry run
    title: str | None
    url: str | None
    reason: str | None = None  # why skipped; what was merged
    status: ItemStatus | None = None  # the status it was given, if any
    tags_added: tuple[str, ...] = ()
    annotations_added: int = 0
    annotations_skipped: int = 0  # already on the item
    annotations_orphaned: int = 0  # added, but not placed in the item's text (yet)
    refused: bool = False  # skipped because it cannot be imported (see `reason`)


@dataclass(frozen=True)
class FetchFailure:
    """A page `--fetch` could not fetch or read; its item stays as imported."""

    item_id: int
    url: str
    error: str


@dataclass(frozen=True)
class ImportReport:
    format: ImportFormat
    file: str
    dry_run: bool
    items: tuple[ItemOutcome, ...]
    annotation_ids: tuple[int, ...] = ()
    # The annotations this import added that are orphaned when it ends (after --fetch's
    # pages were stored and re-anchored).
    orphaned_annotation_ids: tuple[int, ...] = ()
    skipped_annotations: int = 0  # left out of the file (replies, empty clippings)
    notes: tuple[str, ...] = ()
    to_fetch: int = 0  # pages --fetch fetches (would fetch, in a dry run)
    fetched_ids: tuple[int, ...] = ()
    fetch_failures: tuple[FetchFailure, ...] = ()

    def ids(self, action: ItemAction) -> list[int]:
        return [o.item_id for o in self.items if o.action is action and o.item_id is not None]

    def count(self, action: ItemAction) -> int:
        return sum(o.action is action for o in self.items)

    @property
    def annotations_added(self) -> int:
        return sum(o.annotations_added for o in self.items)

    @property
    def annotations_skipped(self) -> int:
        return sum(o.annotations_skipped for o in self.items) + self.skipped_annotations

    @property
    def annotations_orphaned(self) -> int:
        if self.dry_run:
            return sum(o.annotations_orphaned for o in self.items)
        return len(self.orphaned_annotation_ids)

    @property
    def refused(self) -> Sequence[ItemOutcome]:
        """Entries skipped because they cannot be imported (not for having been imported)."""
        return [o for o in self.items if o.refused]


def report_json(report: ImportReport) -> dict[str, Any]:
    """`pkm import --json`: the counts, the ids, and one record per entry."""
    from pkm.serialize import to_jsonable

    return {
        "format": report.format.value,
        "file": report.file,
        "dry_run": report.dry_run,
        "items_added": report.count(ItemAction.ADDED),
        "items_merged": report.count(ItemAction.MERGED),
        "items_skipped": report.count(ItemAction.SKIPPED),
        "annotations_added": report.annotations_added,
        "annotations_skipped": report.annotations_skipped,
        "annotations_orphaned": report.annotations_orphaned,
        "added_ids": report.ids(ItemAction.ADDED),
        "merged_ids": report.ids(ItemAction.MERGED),
        "skipped_ids": report.ids(ItemAction.SKIPPED),
        "annotation_ids": list(report.annotation_ids),
        "orphaned_annotation_ids": list(report.orphaned_annotation_ids),
        "fetch": {
            "requested": report.to_fetch,
            "fetched_ids": list(report.fetched_ids),
            "failed": to_jsonable(report.fetch_failures),
        },
        "notes": list(report.notes),
        "entries": to_jsonable(report.items),
    }
