"""Writing files so that a crash, a full disk or a second writer never leaves half a file.

Stdlib only. The vault is the person's: a note is replaced in one step (`os.replace` of a
finished, fsynced temporary file in the same folder) or not at all.
"""

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write_text(
    path: Path,
    text: str,
    *,
    create: bool = False,
    check: Callable[[], None] | None = None,
) -> None:
    """Write `text` (UTF-8, newlines as given) to `path` in one step.

    The text goes to a temporary file in the same folder (so the final rename never crosses
    file systems), is fsynced, and then takes the place of `path`; the folder is fsynced
    too, so the rename itself survives a power cut.

    Args:
        create: the file must not exist yet. It is then linked into place (`os.link` fails
            on an existing name), so a note created meanwhile by someone else is never
            replaced; FileExistsError says so.
        check: called just before the replace; it raises to stop the write (the vault
            compares the file with what it read, so a note edited meanwhile is merged again
            rather than overwritten).
    """
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if not create and path.exists():
            # mkstemp creates 0600; a replaced note keeps the mode it had.
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if check is not None:
            check()
        if create:
            try:
                os.link(tmp, path)
            except (AttributeError, NotImplementedError, PermissionError):  # pragma: no cover
                # No hard links here (some network or FAT file systems): check, then rename.
                if path.exists():
                    raise FileExistsError(path) from None
                os.replace(tmp, path)
        else:
            os.replace(tmp, path)
        fsync_folder(folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# The temporary files atomic writes make (`tempfile.mkstemp` with the prefix and suffix of
# `atomic_write_text` and `pkm.share.folder`): "." + up to 40 characters of the final
# name + "." + 8 random characters + ".tmp".
_TEMP_RE = re.compile(r"^\.(?P<name>.{1,40})\.[a-z0-9_]{8}\.tmp$")


def remove_stale_temp_files(folder: Path, names: Callable[[str], bool]) -> int:
    """Remove the temporary files of atomic writes in `folder` whose final name (its first
    40 characters) `names` accepts: what a write killed before its rename left. Returns how
    many. Only for a caller holding the lock every writer of those files holds, so that no
    write is in progress; a file that cannot be removed stays (it is never read)."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or not names(m.group("name")):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    return removed


def is_disk_full(e: OSError) -> bool:
    """No room to write: the file system is full (ENOSPC) or a quota is reached (EDQUOT)."""
    return e.errno in (errno.ENOSPC, errno.EDQUOT)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover (Windows cannot open a folder)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
