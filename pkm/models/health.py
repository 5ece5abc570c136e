"""The index's own health (`pkm doctor`)."""

from dataclasses import dataclass
from enum import StrEnum

from pkm.models.sense import SearchKind


class SchemaState(StrEnum):
    """How the index's schema compares with the migrations this pkm knows."""

    CURRENT = "current"
    STALE = "stale"  # migrations this pkm has are not applied yet: an upgrade is due
    UNKNOWN = "unknown"  # migrations this pkm does not know were applied: a newer pkm wrote it


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    applied: str  # the newest migration applied ("" for none)
    current: str  # the newest migration this pkm knows
    pending: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchDrift:
    """Where the search index and the rows it indexes disagree (rowid `id * 4 + kind`).

    `missing` and `stale` are (kind, id) of things without a row, or whose row holds other
    text than the thing has now; `extra` are rowids of rows for things that are gone (or of
    no kind); `index_error` is what FTS5's own `integrity-check` reported, None when sound
    (or not checked).
    A note's row can only be compared by its title: its body is read from the file.
    """

    missing: tuple[tuple[SearchKind, int], ...] = ()
    stale: tuple[tuple[SearchKind, int], ...] = ()
    extra: tuple[int, ...] = ()
    index_error: str | None = None
    index_checked: bool = True  # False: `integrity-check` could not run (a read-only index)

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale or self.extra or self.index_error)
