"""A small disk that a test can fill: a real tmpfs where the machine lets the test mount
one (root in a container, as here and in CI), else a simulated full disk.

Real: `mount -t tmpfs -o size=SIZE tmpfs DIR`; `fill()` writes a filler file until the
kernel says ENOSPC, then gives back what the test asks for; `free()` deletes it. Every
write pkm makes there meets the real error: SQLite's "database or disk is full" (or an I/O
error for a -shm file it cannot grow), ENOSPC from a note, a digest or a backup.

Simulated (no permission to mount, or PKM_TEST_SIMULATE_FULL_DISK=1): `env()` makes the
pkm subprocess load tests/fulldisk/sitecustomize.py, under which the folder is full while
its marker file exists: SQLite databases there cannot grow (`PRAGMA max_page_count`, the
same SQLITE_FULL), and fsync, rename and link of files there fail with ENOSPC (every file
pkm writes goes through one of them). `kind` says which one a test ran on.
"""

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

SIMULATION = Path(__file__).parent / "fulldisk"
MARKER = ".pkm-test-disk-full"  # the simulated disk is full while this file exists


class SmallDisk:
    def __init__(self, path: Path, *, real: bool) -> None:
        self.path = path
        self.real = real
        self._filler = path / "filler"

    @property
    def kind(self) -> str:
        return "a real tmpfs" if self.real else "a simulated full disk (no mount allowed)"

    def fill(self, leave: int = 0) -> None:
        """Use up the disk, then give `leave` bytes back (a real disk only: a simulated
        one is full for every write that needs room)."""
        if not self.real:
            (self.path / MARKER).touch()
            return
        # Unbuffered: a buffered file still holds the block that did not fit, and fails
        # again when it is closed.
        with open(self._filler, "ab", buffering=0) as f:
            block = b"\0" * (1 << 16)
            try:
                while True:
                    f.write(block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
            os.fsync(f.fileno())
        size = self._filler.stat().st_size
        os.truncate(self._filler, max(size - leave, 0))

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)
        (self.path / MARKER).unlink(missing_ok=True)

    def env(self) -> dict[str, str]:
        """What a pkm subprocess needs in its environment to meet this disk's limits."""
        if self.real:
            return {}
        path = os.pathsep.join([str(SIMULATION), os.environ.get("PYTHONPATH", "")])
        return {"PYTHONPATH": path, "PKM_TEST_FULL_DISK": str(self.path)}


@contextlib.contextmanager
def small_disk(where: Path, size: str = "16m") -> Iterator[SmallDisk]:
    """A small disk mounted at `where` (created), unmounted afterwards."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = False
    if os.environ.get("PKM_TEST_SIMULATE_FULL_DISK") != "1":
        try:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                capture_output=True,
            )
        except FileNotFoundError:  # no mount program
            pass
        else:
            mounted = done.returncode == 0
    try:
        yield SmallDisk(where, real=mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], check=True)
