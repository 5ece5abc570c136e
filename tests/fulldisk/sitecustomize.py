"""A simulated full disk, for tests on a machine that does not let them mount a small one
(tests/smalldisk.py): loaded at start-up by a pkm subprocess whose PYTHONPATH holds this
folder, it makes the folder PKM_TEST_FULL_DISK full while the marker file is there.

SQLite databases under it cannot grow (`PRAGMA max_page_count` set to their size: SQLite's
own SQLITE_FULL, "database or disk is full"), and fsync, rename and link of files under it
fail with ENOSPC, as a full disk makes them fail (every file pkm writes is fsynced or
renamed into place).
"""

import errno
import os
import sqlite3

_ROOT = (
    os.path.realpath(os.environ["PKM_TEST_FULL_DISK"]) if "PKM_TEST_FULL_DISK" in os.environ else ""
)


def _full() -> bool:
    return os.path.exists(os.path.join(_ROOT, ".pkm-test-disk-full"))


def _inside(path: object) -> bool:
    try:
        real = os.path.realpath(os.fspath(path))  # type: ignore[call-overload]
    except TypeError:
        return False
    return real == _ROOT or real.startswith(_ROOT + os.sep)


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


if _ROOT:
    _fsync = os.fsync
    _replace = os.replace
    _rename = os.rename
    _link = os.link
    _connect = sqlite3.connect

    def fsync(fd: int) -> None:
        if _full() and _inside(os.readlink(f"/proc/self/fd/{fd}")):
            raise _no_space()
        _fsync(fd)

    def replace(src: str, dst: str, *args: object, **kwargs: object) -> None:
        if _full() and _inside(dst):
            raise _no_space()
        _replace(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    def rename(src: str, dst: str, *args: object, **kwargs: object) -> None:
        if _full() and _inside(dst):
            raise _no_space()
        _rename(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    def link(src: str, dst: str, *args: object, **kwargs: object) -> None:
        if _full() and _inside(dst):
            raise _no_space()
        _link(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    def connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        conn = _connect(database, *args, **kwargs)  # type: ignore[arg-type]
        name = os.fspath(database)  # type: ignore[call-overload]
        if isinstance(name, str) and name.startswith("file:"):
            from urllib.parse import unquote

            name = unquote(name[5:].split("?", 1)[0])
        if _full() and _inside(name):
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return conn

    os.fsync = fsync
    os.replace = replace  # type: ignore[assignment]
    os.rename = rename  # type: ignore[assignment]
    os.link = link  # type: ignore[assignment]
    sqlite3.connect = connect  # type: ignore[assignment]
