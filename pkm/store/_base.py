"""What the Store mixins share: the database handle, transactions and tag bookkeeping."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pkm.store._db import Index, wrap_errors


class StoreBase:
    db: Index
    path: Path | str

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work: all of it is stored, or none (Ctrl-C included).

        `BEGIN IMMEDIATE` takes the write lock at the start, waiting up to the busy timeout
        for another writer: a deferred transaction that has read and then writes while
        another process writes fails at once instead (SQLite never waits on that upgrade).
        Nested calls are savepoints inside the outer transaction.
        """
        conn = self.db.conn
        with wrap_errors(self.path):
            if conn.in_transaction:
                with self.db.atomic():
                    yield
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self.commit()

    def begin(self) -> None:
        """Open a transaction that `transaction()` blocks then nest in (as savepoints), for a
        caller that commits many units of work at once; see `commit` and `rollback`."""
        with wrap_errors(self.path):
            self.db.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        conn = self.db.conn
        with wrap_errors(self.path):
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def rollback(self) -> None:
        with wrap_errors(self.path):
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")

    def _tag_ids(self, names: Iterable[str]) -> list[int]:
        ids = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            self.db.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", [name])
            ids.append(self.db.execute("SELECT id FROM tags WHERE name = ?", [name]).fetchone()[0])
        return ids
