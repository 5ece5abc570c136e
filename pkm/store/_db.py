"""Opening the SQLite index: connection settings, identity check, migrations, error wrapping."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from pkm.errors import StoreError

# "pkm" in ASCII: lets pkm refuse to migrate some other application's SQLite file.
APPLICATION_ID = 0x706B6D00
# Seconds a statement waits for another process's write lock before "database is locked".
BUSY_TIMEOUT = 30.0
_USER_FIXABLE = (
    "database is locked",
    "unable to open database",
    "readonly database",
    "disk is full",
    "database or disk is full",
    "file is not a database",
    "database disk image is malformed",
    "disk i/o error",
)


@contextmanager
def wrap_errors(path: Path | str) -> Iterator[None]:
    """Turn SQLite errors a user can fix (locked, full disk, corrupt file) into StoreError.

    Anything else is a bug in pkm and keeps its traceback.
    """
    try:
        yield
    except sqlite3.DatabaseError as e:  # OperationalError included
        message = str(e).lower()
        if any(m in message for m in _USER_FIXABLE):
            raise StoreError(f"{message}: {path}") from e
        raise


def open_database(
    path: Path, *, readonly: bool = False, busy_timeout: float = BUSY_TIMEOUT
) -> Database:
    """Open (creating if needed) and migrate the index at `path`.

    WAL lets a cron `seek` and an interactive `sense` overlap; the busy timeout turns
    short overlaps into waits rather than errors.

    `readonly` never creates a file: a missing index reads as an empty one (an in-memory
    database with the schema), and one in a read-only home is opened read-only. An index
    that needs a migration can only be read where it can be upgraded.
    """
    from pkm.store.migrations import migrations

    with wrap_errors(path):
        if readonly and not path.exists():
            db = Database(memory=True, execute_plugins=False)
            migrations.apply(db)
            return db
        writable = not readonly or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        conn = _connect(path, busy_timeout) if writable else _connect_readonly(path, busy_timeout)
        # No sqlite-utils plugins: whatever else is installed must not add functions to
        # pkm's connection, and looking for them reads every package's metadata (30 ms).
        db = Database(conn, execute_plugins=False)
        db.execute("PRAGMA foreign_keys = ON")
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if writable:
            db.execute("PRAGMA synchronous = NORMAL")
            if app_id == 0 and _is_empty(db):
                db.execute("PRAGMA journal_mode = WAL")
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                app_id = APPLICATION_ID
        if app_id != APPLICATION_ID:
            conn.close()
            raise StoreError(f"not a pkm database: {path}")
        if migrations.pending(db):
            if not writable:
                conn.close()
                raise StoreError(f"the index needs an upgrade, and its folder is read-only: {path}")
            migrations.apply(db)
        return db


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )


def _is_empty(db: Database) -> bool:
    return bool(db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


def _connect_readonly(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection to an index in a folder pkm may not write to.

    `immutable` is the fallback for a WAL index whose folder has no -shm file SQLite could
    share: nobody can be writing to a folder that nobody can write to.
    """
    uri = "file:" + quote(str(path.resolve()))
    for flags in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(
            uri + flags,
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            continue
        return conn
    raise StoreError(f"cannot read the index: {path}")
