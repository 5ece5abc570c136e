"""Backups: the index and the vault in one archive, and back.

`pkm backup` may run while cron's `pkm seek` writes: the index is copied with `VACUUM
INTO`, one consistent snapshot, and the notes are copied as files (the files are the truth;
an index rebuilt from them follows). The archive is a gzipped tar with `MANIFEST.json`,
`pkm.db`, `pkm.toml` (when there is one) and `notes/`; it is written to a temporary file
and renamed, so a backup interrupted halfway leaves no archive that looks whole.

Restoring reads only what a backup holds: regular files under those names (tar's `data`
filter: no links, devices, absolute paths or `..`), checks the index's integrity, and only
then moves the current index and vault aside (never deletes them) and the restored ones in.
"""

import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pkm import __version__
from pkm._util.fsutil import is_disk_full
from pkm.errors import ConfigError, DamagedIndexError, DiskFullError, InvalidInputError

if TYPE_CHECKING:
    from pkm.core import Pkm

MANIFEST = "MANIFEST.json"
FORMAT = "pkm-backup/1"


@dataclass(frozen=True)
class BackupResult:
    path: str
    bytes: int
    notes: int
    schema: str


@dataclass(frozen=True)
class RestoreResult:
    home: str
    notes: int
    schema: str
    moved_aside: tuple[str, ...]  # what was there before, renamed, not deleted


def default_backup_name(now: datetime) -> str:
    return f"pkm-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def backup(pkm: "Pkm", dest: Path) -> BackupResult:
    """Write the archive to `dest` (a file; it must not exist), holding the Sense lock so
    that no note is half-written by pkm while it is copied (`pkm seek` may go on). A home
    pkm cannot write (a read-only mount, another user's) is backed up without the lock,
    which cannot be taken there."""
    if not pkm.paths.db.is_file():
        raise ConfigError(f"nothing to back up: no index at {pkm.paths.db}")
    if pkm.readonly:
        return _backup(pkm, dest)
    with pkm.sense_lock():
        return _backup(pkm, dest)


def _backup(pkm: "Pkm", dest: Path) -> BackupResult:
    if dest.exists():
        raise InvalidInputError(f"{dest} exists: give another name")
    folder = dest.resolve().parent
    if not folder.is_dir():
        raise InvalidInputError(f"no folder {folder} to write the backup into")
    try:
        return _write_backup(pkm, dest, folder)
    except DiskFullError:  # named after the archive, not the copy in its temporary folder
        raise DiskFullError(dest) from None
    except OSError as e:
        if is_disk_full(e):
            raise DiskFullError(dest) from None
        raise ConfigError(f"cannot write the backup {dest}: {e.strerror or e}") from None


def _write_backup(pkm: "Pkm", dest: Path, folder: Path) -> BackupResult:
    with tempfile.TemporaryDirectory(prefix=".pkm-backup-", dir=folder) as work:
        db_copy = Path(work) / "pkm.db"
        pkm.store.copy_to(db_copy)
        schema = pkm.store.schema_version()
        notes = _vault_files(pkm.vault)
        manifest = {
            "format": FORMAT,
            "pkm": __version__,
            "schema": schema,
            "created": pkm.now().isoformat(),
            "notes": len(notes),
        }
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            tar.add(db_copy, "pkm.db")
            if pkm.paths.config.is_file():
                tar.add(pkm.paths.config, "pkm.toml")
            for path in notes:
                tar.add(path, "notes/" + path.relative_to(pkm.vault).as_posix())
        os.replace(partial, dest)
    return BackupResult(str(dest), dest.stat().st_size, len(notes), schema)


def _vault_files(vault: Path) -> list[Path]:
    """The vault's files pkm would index or that sit beside them (attachments), not its
    dot-folders (`.obsidian/`, `.trash/`) and not links."""
    found: list[Path] = []
    if not vault.is_dir():
        return found
    for root, dirs, files in os.walk(vault):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def restore(pkm: "Pkm", archive: Path, *, force: bool = False) -> RestoreResult:
    """Restore a backup into pkm's home, holding the run lock and the Sense lock (no
    `pkm seek` and no Sense command meanwhile). A home that holds an index or notes needs
    `force`; what was there is renamed `*.before-restore-<time>`, never deleted."""
    if pkm.settings.sense.vault:
        raise InvalidInputError(
            "[sense] vault points elsewhere: restore into a home whose vault is HOME/notes"
        )
    with pkm.lock(), pkm.sense_lock():
        return _restore(pkm.paths.home, archive, now=pkm.now(), force=force)


def _restore(home: Path, archive: Path, *, now: datetime, force: bool) -> RestoreResult:
    from pkm.store import Store

    if not archive.is_file():
        raise InvalidInputError(f"no such backup: {archive}")
    home.mkdir(parents=True, exist_ok=True)
    present = [p for p in (home / "pkm.db", home / "notes") if p.exists()]
    if present and not force:
        raise InvalidInputError(
            f"{home} already holds {', '.join(p.name for p in present)}: add --force to"
            " move them aside and restore"
        )
    with tempfile.TemporaryDirectory(prefix=".pkm-restore-", dir=home) as work:
        out = Path(work)
        manifest = _extract(archive, out)
        try:
            store = Store.open(out / "pkm.db")
        except DamagedIndexError as e:  # the hint to restore a backup would be this backup
            raise InvalidInputError(f"the index in {archive} is damaged: {e.reason}") from None
        try:
            errors = store.integrity_errors()
            schema = store.schema_version()
        finally:
            store.close()
        if errors:
            raise InvalidInputError(f"the index in {archive} is damaged: {errors[0]}")
        stamp = f"before-restore-{now:%Y%m%d-%H%M%S}"
        moved: list[str] = []
        for name in ("pkm.db", "pkm.db-wal", "pkm.db-shm", "notes"):
            current = home / name
            if current.exists():
                aside = home / f"{name}.{stamp}"
                os.replace(current, aside)
                moved.append(aside.name)
        os.replace(out / "pkm.db", home / "pkm.db")
        notes = out / "notes"
        if notes.is_dir():
            shutil.move(str(notes), str(home / "notes"))
        if (out / "pkm.toml").is_file() and not (home / "pkm.toml").exists():
            os.replace(out / "pkm.toml", home / "pkm.toml")
    count = manifest.get("notes", 0)
    return RestoreResult(str(home), count if isinstance(count, int) else 0, schema, tuple(moved))


def _extract(archive: Path, out: Path) -> dict[str, object]:
    """Extract a backup into `out`: only its own names, only regular files and folders."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                top = m.name.split("/", 1)[0]
                if top not in (MANIFEST, "pkm.db", "pkm.toml", "notes") or not (
                    m.isfile() or m.isdir()
                ):
                    raise InvalidInputError(f"{archive} is not a pkm backup: it holds {m.name!r}")
            names = {m.name for m in members}
            if MANIFEST not in names or "pkm.db" not in names:
                raise InvalidInputError(f"{archive} is not a pkm backup (no manifest or index)")
            tar.extractall(out, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise InvalidInputError(f"{archive} cannot be read as a backup: {e}") from None
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidInputError(f"{archive} has a broken manifest") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInputError(f"{archive} is not a pkm backup of a format this pkm reads")
    return manifest
