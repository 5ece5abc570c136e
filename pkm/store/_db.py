"""Opening the SQLite index: connection settings, identity check, migrations, error wrapping.

sqlite-utils creates and migrates the schema. An index that is already up to date is used
through `Connection`, the three calls the store makes, straight on sqlite3: importing
sqlite-utils costs some 75 ms (it loads pluggy and dateutil), more than most commands'
own work, and a command that changes no schema has no use for it.
"""

import errno
import os
import secrets
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from pkm.errors import DamagedIndexError, DiskFullError, PkmError, StoreError

if TYPE_CHECKING:
    from sqlite_utils import Database

# The newest migration in `migrations.py` (a test checks they agree): an index whose
# newest applied migration is this one needs no sqlite-utils to be used.
SCHEMA_VERSION = "m011_search_backlog"

# "pkm" in ASCII: lets pkm refuse to migrate some other application's SQLite file.
APPLICATION_ID = 0x706B6D00
# Seconds a statement waits for another process's write lock before "database is locked".
BUSY_TIMEOUT = 30.0
# Besides a full disk and a damaged file (see `user_error`).
_USER_FIXABLE = ("database is locked", "unable to open database", "readonly database")


class Index(Protocol):
    """What the store uses of a database: sqlite-utils' `Database` has it, and so has the
    lighter `Connection`."""

    @property
    def conn(self) -> sqlite3.Connection: ...

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> sqlite3.Cursor: ...

    def atomic(self) -> AbstractContextManager[Any]: ...


class Connection:
    """An up-to-date index on a plain sqlite3 connection (autocommit: `isolation_level`
    None), with sqlite-utils' `execute` and `atomic` semantics for what the store does."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> sqlite3.Cursor:
        return (
            self._conn.execute(sql) if parameters is None else self._conn.execute(sql, parameters)
        )

    @contextmanager
    def atomic(self) -> Iterator["Connection"]:
        """A transaction, or a savepoint inside the one that is open."""
        conn = self._conn
        if not conn.in_transaction:
            conn.execute("BEGIN")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        savepoint = f"pkm_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {savepoint}")
        try:
            yield self
        except BaseException:
            # A trigger's RAISE(ROLLBACK) may have ended the whole transaction already.
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {savepoint}")


def sqlite_utils_database(conn: sqlite3.Connection | None = None) -> "Database":
    """A sqlite-utils `Database` (in memory without `conn`), for schema work.

    sqlite-utils imports pandas and numpy whenever they are installed (a test dependency
    brings them), only to map their column types: 0.4 s. They are hidden while it loads,
    unless something already imported them; a `None` in `sys.modules` makes an import fail
    at once, and it is removed again so that a later `import pandas` works as usual. No
    plugins: whatever else is installed must not add functions to pkm's connection, and
    looking for them reads every package's metadata (30 ms).
    """
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        from sqlite_utils import Database
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    if conn is None:
        return Database(memory=True, execute_plugins=False)
    return Database(conn, execute_plugins=False)


@contextmanager
def wrap_errors(path: Path | str) -> Iterator[None]:
    """Turn SQLite errors a user can fix (locked, full disk, damaged file) into PkmErrors:
    DiskFullError, DamagedIndexError, else StoreError naming the file.

    Anything else is a bug in pkm and keeps its traceback.
    """
    try:
        yield
    except sqlite3.DatabaseError as e:  # OperationalError included
        error = user_error(e, path)
        if error is None:
            raise
        raise error from e


# Primary result codes (https://sqlite.org/rescode.html); Python 3.11 exposes them.
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = 10, 11, 13, 26
# Below this much free space, an I/O error is the full disk's (SQLite reports a -shm file
# or a WAL that cannot grow as SQLITE_IOERR, not SQLITE_FULL).
_NEARLY_FULL_BYTES = 1 << 20


def user_error(e: sqlite3.DatabaseError, path: Path | str) -> PkmError | None:
    """The PkmError a user sees for `e` on the index at `path`, or None for a bug."""
    code = getattr(e, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = str(e).lower()
    if primary == _SQLITE_FULL or "disk is full" in message:
        return DiskFullError(path)
    if primary == _SQLITE_IOERR or "disk i/o error" in message:
        return DiskFullError(path) if _nearly_full(path) else StoreError(f"{message}: {path}")
    damaged = "malformed" in message or "not a database" in message
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or damaged:
        return DamagedIndexError(path, message)
    if any(m in message for m in _USER_FIXABLE):
        return StoreError(f"{message}: {path}")
    return None


def _nearly_full(path: Path | str) -> bool:
    import shutil

    try:
        return shutil.disk_usage(Path(path).parent).free < _NEARLY_FULL_BYTES
    except (OSError, ValueError):
        return False


def open_database(
    path: Path, *, readonly: bool = False, busy_timeout: float = BUSY_TIMEOUT
) -> Index:
    """Open (creating if needed) and migrate the index at `path`.

    WAL lets a cron `seek` and an interactive `sense` overlap; the busy timeout turns
    short overlaps into waits rather than errors.

    `readonly` never creates a file: a missing index reads as an empty one (an in-memory
    database with the schema), and one in a read-only home is opened read-only. An index
    that needs a migration can only be read where it can be upgraded.
    """
    with wrap_errors(path):
        if readonly and not path.exists():
            from pkm.store.migrations import migrations

            db = sqlite_utils_database()
            migrations.apply(db)
            return db
        if not readonly and not path.exists():
            _create(path)
        elif path.is_file() and path.stat().st_size == 0:
            # Never pkm's (see _create): what a crash or a failing disk left of an index.
            raise DamagedIndexError(path, "the file is empty (0 bytes)")
        writable = not readonly or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        conn = _connect(path, busy_timeout) if writable else _connect_readonly(path, busy_timeout)
        conn.execute("PRAGMA foreign_keys = ON")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if writable:
            conn.execute("PRAGMA synchronous = NORMAL")
            # 64 MB of page cache at most (SQLite's default is 2 MB): a reindex of 10,000
            # notes rewrites their rows of the search index, pages it would read again.
            conn.execute("PRAGMA cache_size = -65536")
            if app_id == 0 and _is_empty(conn):
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                app_id = APPLICATION_ID
        if app_id != APPLICATION_ID:
            conn.close()
            raise StoreError(f"not a pkm database: {path}")
        newest = _newest_migration(conn)
        if newest == SCHEMA_VERSION:
            return Connection(conn)
        if newest is not None and _number(newest) > _number(SCHEMA_VERSION):
            conn.close()
            raise StoreError(
                f"the index was made by a newer pkm (schema {newest}; this pkm knows up to"
                f" {SCHEMA_VERSION}): {path}; upgrade pkm to use it"
            )
        from pkm.store.migrations import migrations

        db = sqlite_utils_database(conn)
        if migrations.pending(db):
            if not writable:
                conn.close()
                raise StoreError(f"the index needs an upgrade, and its folder is read-only: {path}")
            migrations.apply(db)
        return db


def open_as_is(path: Path, *, busy_timeout: float) -> Connection:
    """The index at `path` as it is, read-only: never created, never migrated, whatever
    its schema. For callers that must not change anything and must be quick (shell
    completion, `pkm doctor` before it knows whether the schema is current).

    Raises StoreError when the file cannot be read or is not a pkm database.
    """
    with wrap_errors(path):
        if not path.is_file():
            raise StoreError(f"no index at {path}")
        conn = _connect_readonly(path, busy_timeout)
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.close()
            raise StoreError(f"not a pkm database: {path}")
        conn.execute("PRAGMA foreign_keys = ON")
        return Connection(conn)


def _create(path: Path) -> None:
    """A new, empty pkm index at `path` (WAL, pkm's application id), made in a temporary
    file beside it and linked into place: a crash while it is made leaves no empty or
    half-made file under the index's name, so an empty `pkm.db` is always damage."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another pkm made it meanwhile: that one is used
        except OSError:  # pragma: no cover (no hard links on this file system)
            if not path.exists():
                os.replace(tmp, path)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(path) from None
        raise StoreError(f"cannot create the index: {path}: {e.strerror}") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)


def _number(migration: str) -> int:
    """The number of a migration named `mNNN_...` (0 for another name)."""
    digits = migration[1:4]
    return int(digits) if migration.startswith("m") and digits.isdigit() else 0


def _newest_migration(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'pkm'"
            " ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError:  # no such table: a new index
        return None
    return str(row[0]) if row else None


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )


def _is_empty(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


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
