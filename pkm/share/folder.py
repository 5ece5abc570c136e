"""Writing into a team folder: all of a publication's files or none, atomically, under a
lock that works on a shared folder.

Atomic: every file is first written in full to a temporary file beside it (all of them,
before any is renamed), then renamed over the old one, so a teammate, Syncthing or a
network drive never sees half a file, and a failure while writing (a full disk, a folder
that is not writable) leaves every old file as it was. A file whose bytes would not change
is not touched at all.

The lock is `filelock` on `DIR/.pkm-publish.lock` (flock: released by the kernel when a
publisher dies, so there is no stale lock to clean up, and NFS and SMB honour it across
machines). Where the file system has no flock, it falls back to an atomically created
directory `DIR/.pkm-publish.lock.d`, stale after ten minutes by the file system's own clock
(the mtime of a file just created), which is the same for every machine sharing the folder.
"""

import contextlib
import errno
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pkm._util.fsutil import fsync_folder, is_disk_full, remove_stale_temp_files
from pkm.errors import DiskFullError, PkmError, PublishError

log = logging.getLogger("pkm.share.folder")

LOCK_NAME = ".pkm-publish.lock"
LOCK_WAIT = 60.0  # seconds a publish waits for another one in the same folder
STALE_LOCK_SECONDS = 600


@dataclass(frozen=True)
class PlannedFile:
    """A file of the team folder as it will be: `old` is what is there now (None: absent)."""

    path: Path
    data: bytes
    old: bytes | None

    @property
    def changed(self) -> bool:
        return self.data != self.old


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        raise PublishError(f"cannot read {path}: {e.strerror}") from None


def check_folder(folder: Path) -> None:
    """A team folder must exist (a typo, or a network drive not mounted, must not quietly
    create a local one) and be a folder."""
    if not folder.exists():
        raise PublishError(f"no team folder at {folder} (create it, or set [share] folder)")
    if not folder.is_dir():
        raise PublishError(f"the team folder is not a folder: {folder}")


def write_files(files: Sequence[PlannedFile]) -> tuple[PlannedFile, ...]:
    """Write those of `files` that changed, all or none: each goes to a temporary file in
    its own folder first; only when all are written are they renamed into place. Returns
    them. Called under the folder lock: the temporary files of `files` that a publisher
    killed before its renames left behind are removed first."""
    for d in sorted({f.path.parent for f in files}):
        names = {f.path.name[:40] for f in files if f.path.parent == d}
        remove_stale_temp_files(d, names.__contains__)
    changed = [f for f in files if f.changed]
    folders = sorted({f.path.parent for f in changed})
    staged: list[tuple[Path, Path]] = []
    try:
        for d in folders:
            try:
                d.mkdir(exist_ok=True)
            except OSError as e:
                raise _write_error(d, e, f"cannot create the folder {d}") from None
        for f in changed:
            staged.append((_stage(f), f.path))
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise _write_error(path, e, f"cannot write {path}") from None
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    for d in folders:
        fsync_folder(d)
    return tuple(changed)


def _stage(f: PlannedFile) -> Path:
    """`f`'s bytes in a new fsynced temporary file beside it, with the mode of the file it
    replaces (else the umask's)."""
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{f.path.name[:40]}.", suffix=".tmp", dir=f.path.parent
        )
    except OSError as e:
        raise _write_error(f.path.parent, e, f"cannot write to {f.path.parent}") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(f.data)
            out.flush()
            os.fsync(out.fileno())
        try:
            mode = f.path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
    except OSError as e:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise _write_error(f.path, e, f"cannot write {f.path}") from None
    return tmp


def _write_error(path: Path, e: OSError, what: str) -> PkmError:
    """DiskFullError for a full disk, else PublishError: `what` and the system's reason."""
    return DiskFullError(path) if is_disk_full(e) else PublishError(f"{what}: {e.strerror}")


# --- the folder lock ----------------------------------------------------------------------------


@contextlib.contextmanager
def folder_lock(folder: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the team folder's publish lock (see the module docstring), waiting up to `wait`
    seconds for another publisher; PublishError when it cannot be had."""
    from filelock import FileLock, Timeout

    path = folder / LOCK_NAME
    lock = FileLock(path)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise PublishError(f"another publish holds the team folder's lock: {path}") from None
    except NotImplementedError:
        with _lock_directory(folder, wait):
            yield
        return
    except OSError as e:
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            with _lock_directory(folder, wait):
                yield
            return
        raise PublishError(f"cannot lock the team folder {folder}: {e.strerror}") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _lock_directory(folder: Path, wait: float) -> Iterator[None]:
    path = folder / (LOCK_NAME + ".d")
    deadline = time.monotonic() + wait
    while True:
        try:
            path.mkdir()
            break
        except FileExistsError:
            if _stale(folder, path):
                log.warning("removing a stale publish lock: %s", path)
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            if time.monotonic() > deadline:
                raise PublishError(
                    f"another publish holds the team folder's lock: {path}"
                ) from None
            time.sleep(0.1)
        except OSError as e:
            raise PublishError(f"cannot lock the team folder {folder}: {e.strerror}") from None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.rmdir()


def _stale(folder: Path, lock: Path) -> bool:
    """Whether the lock directory is older than STALE_LOCK_SECONDS by the file system's clock."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".pkm-clock.") as probe:
            now = os.fstat(probe.fileno()).st_mtime
        return now - lock.stat().st_mtime > STALE_LOCK_SECONDS
    except OSError:
        return False
