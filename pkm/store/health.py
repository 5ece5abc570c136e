"""The index checking itself: SQLite's own checks, the schema against the migrations this
pkm knows, and the search index against the rows it indexes (and putting it right).

The search index is kept in step by triggers, by the store's writers and by the search
backlog that a search drains (see migrations m004 and m011, `index_backlog`); a row lost
or left behind (an interrupted write by an old pkm, a hand edit with sqlite3) makes search
miss things or find what is gone. Checking it costs a pass over the index, so it is `pkm
doctor`'s job, not every command's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from pkm import models  # loaded when first used (see pkm.models)
from pkm.models import SearchKind
from pkm.store._base import StoreBase
from pkm.store._db import SCHEMA_VERSION, wrap_errors
from pkm.store.search import ITEM_ROWS, KIND_CODES

# How each kind of thing fills the search columns (title, quote, body), as the writers
# fill them; `{ids}` is a list of placeholders. Notes are not here: their body is the
# file's text, which only the vault can give (see `repair_search`).
_INDEXED: dict[SearchKind, str] = {
    "item": ITEM_ROWS + " WHERE id IN ({ids})",
    "annotation": (
        "SELECT id * 4 + 1, '', coalesce(exact, ''), comment FROM annotations WHERE id IN ({ids})"
    ),
}
# Things whose row holds other text than they have now.
_STALE: dict[SearchKind, str] = {
    "item": (
        "SELECT x.id FROM items x JOIN search s ON s.rowid = x.id * 4"
        " WHERE s.title IS NOT coalesce(x.title, '') OR s.quote IS NOT ''"
        " OR s.body IS NOT x.content_text"
    ),
    "annotation": (
        "SELECT x.id FROM annotations x JOIN search s ON s.rowid = x.id * 4 + 1"
        " WHERE s.title IS NOT '' OR s.quote IS NOT coalesce(x.exact, '')"
        " OR s.body IS NOT x.comment"
    ),
}
# The ids of each kind of thing the index should hold a row for.
_THINGS: dict[SearchKind, str] = {
    # An item in the search backlog has no row yet, and that is no drift (migration m011).
    "item": "SELECT id FROM items WHERE id NOT IN (SELECT item_id FROM search_backlog)",
    "annotation": "SELECT id FROM annotations",
    "note": "SELECT id FROM notes",
}
_CHUNK = 500


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class HealthMixin(StoreBase):
    def foreign_key_errors(self) -> list[str]:
        """What `PRAGMA foreign_key_check` finds: rows that name a row that is not there."""
        with wrap_errors(self.path):
            rows = self.db.conn.execute("PRAGMA foreign_key_check").fetchall()
        return [
            f"{table} row {rowid} refers to a missing {parent} row"
            for table, rowid, parent, _ in rows
        ]

    def schema_status(self) -> models.SchemaStatus:
        """The applied migrations against those this pkm has: current, stale (an upgrade
        is due) or unknown (a newer pkm wrote the index). Reads only."""
        with wrap_errors(self.path):
            try:
                applied = [
                    r[0]
                    for r in self.db.conn.execute(
                        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'pkm'"
                        " ORDER BY rowid"
                    )
                ]
            except sqlite3.OperationalError:  # no such table: created, never migrated
                applied = []
        newest = applied[-1] if applied else ""
        if newest == SCHEMA_VERSION:
            return models.SchemaStatus(models.SchemaState.CURRENT, newest, SCHEMA_VERSION)
        from pkm.store.migrations import migrations

        known = [m.name for m in migrations._migrations]
        pending = tuple(n for n in known if n not in applied)
        unknown = tuple(n for n in applied if n not in known)
        state = (
            models.SchemaState.STALE
            if pending
            else models.SchemaState.UNKNOWN
            if unknown
            else models.SchemaState.CURRENT
        )
        return models.SchemaStatus(state, newest, SCHEMA_VERSION, pending, unknown)

    def search_drift(self, *, check_index: bool = True) -> models.SearchDrift:
        """Where the search index and the rows it indexes disagree (see `SearchDrift`).

        With `check_index`, FTS5's `integrity-check` also verifies the index against the
        text it holds. That command is written as an INSERT but changes nothing; on an
        index opened read-only it cannot run, and `index_checked` says so.
        """
        missing: list[tuple[SearchKind, int]] = []
        stale: list[tuple[SearchKind, int]] = []
        with wrap_errors(self.path):
            conn = self.db.conn
            # One scan of the index's rowids, set against the ids of the things: quicker
            # than a rowid lookup into FTS5 for each thing.
            rows = {r[0] for r in conn.execute("SELECT rowid FROM search")}
            expected: set[int] = set()
            for kind, sql in _THINGS.items():
                code = KIND_CODES[kind]
                ids = [r[0] for r in conn.execute(sql)]
                expected.update(i * 4 + code for i in ids)
                missing += [(kind, i) for i in ids if i * 4 + code not in rows]
            extra = tuple(sorted(rows - expected))
            for kind, sql in _STALE.items():
                stale += [(kind, r[0]) for r in conn.execute(sql)]
            stale += [("note", i) for i in self._stale_note_rows()]
            index_error, checked = None, False
            if check_index:
                index_error, checked = self._fts_integrity()
        return models.SearchDrift(
            tuple(missing), tuple(stale), extra, index_error, index_checked=checked
        )

    def _stale_note_rows(self) -> list[int]:
        """Notes whose row's title is not their title and aliases (the body, from the
        file, cannot be compared here)."""
        conn = self.db.conn
        indexed = dict(conn.execute("SELECT rowid >> 2, title FROM search WHERE rowid & 3 = 2"))
        stale = []
        for note_id, title, aliases in conn.execute("SELECT id, title, aliases FROM notes"):
            expected = " ".join([title, *json.loads(aliases)])
            if note_id in indexed and indexed[note_id] != expected:
                stale.append(note_id)
        return stale

    def _fts_integrity(self) -> tuple[str | None, bool]:
        try:
            self.db.conn.execute("INSERT INTO search (search) VALUES ('integrity-check')")
        except sqlite3.OperationalError as e:
            if "readonly" in str(e).lower():
                return None, False
            return str(e), True
        except sqlite3.DatabaseError as e:  # SQLITE_CORRUPT_VTAB: the index is not sound
            return str(e), True
        return None, True

    def repair_search(self, drift: models.SearchDrift, *, rebuild: bool = False) -> None:
        """Put the search index right for items and annotations, in one transaction:
        rebuilt from the text it holds first with `rebuild` (FTS5 found it unsound), rows
        of things that are gone deleted, and the rows of things missing or stale written
        again from the things themselves. Notes' rows are written by reading their files again (`apply_note_changes`
        in the same transaction, see `pkm.doctor`)."""
        with self.transaction():
            conn = self.db.conn
            if rebuild or drift.index_error is not None:
                conn.execute("INSERT INTO search (search) VALUES ('rebuild')")
            conn.executemany("DELETE FROM search WHERE rowid = ?", [[r] for r in drift.extra])
            for kind, sql in _INDEXED.items():
                ids = sorted({i for k, i in (*drift.missing, *drift.stale) if k == kind})
                code = KIND_CODES[kind]
                conn.executemany(
                    "DELETE FROM search WHERE rowid = ?", [[i * 4 + code] for i in ids]
                )
                for chunk in _chunks(ids):
                    marks = ",".join("?" * len(chunk))
                    conn.execute(
                        f"INSERT INTO search (rowid, title, quote, body) {sql.format(ids=marks)}",
                        list(chunk),
                    )
