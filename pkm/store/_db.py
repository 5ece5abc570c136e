"""Opening the SQLite index: connection settings, identity check, migrations, error wrapping."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from pkm.errors import StoreError

# "pkm" in ASCII: lets pkm refuse to migrate some other application's SQLite file.
APPLICATION_ID = 0x706B6D00
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
    except sqlite3.OperationalError as e:
        message = str(e).lower()
        if any(m in message for m in _USER_FIXABLE):
            raise StoreError(f"{message}: {path}") from e
        raise
    except sqlite3.DatabaseError as e:
        message = str(e).lower()
        if any(m in message for m in _USER_FIXABLE):
            raise StoreError(f"{message}: {path}") from e
        raise


def open_database(path: Path) -> Database:
    """Open (creating if needed) and migrate the index at `path`.

    WAL lets a cron `seek` and an interactive `sense` overlap; a 30 s busy timeout turns
    short overlaps into waits rather than errors.
    """
    from pkm.store.migrations import migrations

    with wrap_errors(path):
        is_new = not path.exists() or path.stat().st_size == 0
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db = Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if is_new:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        elif app_id != APPLICATION_ID:
            conn.close()
            raise StoreError(f"not a pkm database: {path}")
        migrations.apply(db)
        return db
