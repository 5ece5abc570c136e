"""The index: every SQL statement pkm runs lives in this package.

`Store` is the one data-access object over `pkm.db`. Methods take and return the types of
`pkm.models`; multi-row changes are atomic, so an interrupted run leaves the database as it
was before the change or after it, never in between.
"""

import sqlite3
from pathlib import Path

from pkm.errors import DiskFullError
from pkm.store._db import BUSY_TIMEOUT, Index, open_as_is, open_database, user_error, wrap_errors
from pkm.store.annotations import AnnotationsMixin
from pkm.store.completion import CompletionMixin
from pkm.store.health import HealthMixin
from pkm.store.items import ItemsMixin
from pkm.store.notes import NoteIndexMixin, NotesMixin
from pkm.store.publish import PublishMixin
from pkm.store.questions import QuestionsMixin
from pkm.store.runs import RunsMixin
from pkm.store.search import SearchMixin
from pkm.store.share import ShareMixin
from pkm.store.sources import SourcesMixin
from pkm.store.stats import StatsMixin
from pkm.store.updates import UpdatesMixin

__all__ = ["Store"]


class Store(
    SourcesMixin,
    ItemsMixin,
    UpdatesMixin,
    AnnotationsMixin,
    NotesMixin,
    NoteIndexMixin,
    SearchMixin,
    ShareMixin,
    PublishMixin,
    QuestionsMixin,
    RunsMixin,
    StatsMixin,
    HealthMixin,
    CompletionMixin,
):
    def __init__(self, db: Index, path: Path | str = ":memory:") -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(
        cls, path: Path, *, readonly: bool = False, busy_timeout: float = BUSY_TIMEOUT
    ) -> "Store":
        return cls(open_database(path, readonly=readonly, busy_timeout=busy_timeout), path)

    @classmethod
    def peek(cls, path: Path, *, busy_timeout: float = 1.0) -> "Store":
        """The index as it is, read-only, never created or migrated (see `open_as_is`):
        what shell completion reads, and what `pkm doctor` checks the schema on first.

        Raises StoreError when there is no index, or it is unreadable or not pkm's.
        """
        return cls(open_as_is(path, busy_timeout=busy_timeout), path)

    def set_busy_timeout(self, seconds: float) -> None:
        """How long a write waits for another process's lock before failing."""
        self.db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def copy_to(self, path: Path) -> None:
        """A consistent copy of the whole index at `path` (a new file), made while other
        processes may be writing: `VACUUM INTO` reads one snapshot of the database."""
        with wrap_errors(self.path):
            try:
                self.db.conn.execute("VACUUM INTO ?", [str(path)])
            except sqlite3.OperationalError as e:
                # Out of room for the copy: the copy's disk is the full one, not the index's.
                error = user_error(e, path)
                if isinstance(error, DiskFullError):
                    raise error from e
                raise

    def integrity_errors(self) -> list[str]:
        """What `PRAGMA integrity_check` finds wrong; empty when the file is sound."""
        with wrap_errors(self.path):
            rows = self.db.conn.execute("PRAGMA integrity_check").fetchall()
        return [r[0] for r in rows if r[0] != "ok"]

    def close(self) -> None:
        with wrap_errors(self.path):
            self.db.conn.close()

    def schema_version(self) -> str:
        """The name of the newest migration applied (`m001_initial`, ...)."""
        row = self.db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'pkm' ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else ""
