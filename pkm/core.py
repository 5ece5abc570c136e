"""The opened pkm: paths, settings, the index, the clock and the run lock, wired in one place.

Services receive a `Pkm` and never build their own store or HTTP client, so tests can hand
them a fixed clock or a fake fetcher.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pkm._util.timeutil import utc_now
from pkm.config import Paths, Settings
from pkm.errors import ConfigError, LockedError
from pkm.models import FeedLimits

if TYPE_CHECKING:
    from pkm.seek.http import HttpClient
    from pkm.store import Store


class Pkm:
    def __init__(
        self,
        home: Path,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        http_factory: "Callable[[Settings], HttpClient] | None" = None,
        readonly: bool = False,
    ) -> None:
        self.paths = Paths(home)
        self.settings = settings
        self.readonly = readonly
        self._clock = clock
        self._http_factory = http_factory
        self._store: Store | None = None

    def now(self) -> datetime:
        """The only clock pkm reads."""
        return self._clock()

    @property
    def store(self) -> "Store":
        """The index, opened (and migrated) on first use.

        Opened read-only for a pkm opened `readonly`: a missing index then reads as empty,
        and nothing is created.
        """
        if self._store is None:
            from pkm.store import Store

            self._store = Store.open(
                self.paths.db,
                readonly=self.readonly,
                busy_timeout=self.settings.index.busy_timeout,
            )
        return self._store

    def feed_limits(self) -> FeedLimits:
        s = self.settings.seek
        return FeedLimits(max_entries=s.max_entries, max_entry_bytes=s.max_entry_kb * 1000)

    def http(self) -> "HttpClient":
        """A new HTTP client configured from settings; the caller closes it."""
        if self._http_factory is not None:
            return self._http_factory(self.settings)
        from pkm.seek.http import HttpClient, default_user_agent

        s = self.settings.seek
        return HttpClient(
            concurrency=s.concurrency,
            per_host=s.per_host,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            total_timeout=s.total_timeout,
            max_bytes=int(s.max_body_mb * 1024 * 1024),
            user_agent=s.user_agent or default_user_agent(),
        )

    @property
    def author(self) -> str:
        """The person's name in what they share: `[share] author`, else the OS user's name
        (else `me`). Its slug (`author_slug`) is their folder in a team folder."""
        configured = self.settings.share.author.strip()
        if configured:
            return configured
        import getpass

        try:
            return getpass.getuser() or "me"
        except (OSError, KeyError, ImportError):  # no such user in a container's passwd
            return "me"

    @property
    def team_folder(self) -> Path | None:
        """`[share] folder` (relative to the home), where `pkm share` publishes; None unset."""
        configured = self.settings.share.folder.strip()
        return self.paths.home / Path(configured).expanduser() if configured else None

    @property
    def vault(self) -> Path:
        """The notes folder: `[sense] vault` (relative to the home), else HOME/notes."""
        configured = self.settings.sense.vault
        if not configured:
            return self.paths.notes
        return self.paths.home / Path(configured).expanduser()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the home's run lock, or fail at once if another pkm run holds it.

        cron may start `pkm seek` while the previous one still runs: the second must say so
        and leave, without touching the database. The lock is an OS file lock, so a killed
        run releases it. Every Seek service that writes takes it.
        """
        with self._file_lock(self.paths.lock, wait=0, holder="another pkm run"):
            yield

    @contextmanager
    def sense_lock(self) -> Iterator[None]:
        """Hold the lock of Sense writes (the vault and annotations), waiting for another
        Sense command to finish. It is not the run lock: a person marks items read while
        cron's `pkm seek` runs, and SQLite keeps the two writers' transactions apart."""
        wait = self.settings.index.busy_timeout
        with self._file_lock(self.paths.sense_lock, wait=wait, holder="another pkm command"):
            yield

    @contextmanager
    def _file_lock(self, path: Path, *, wait: float, holder: str) -> Iterator[None]:
        if self.readonly:
            raise RuntimeError("a pkm opened read-only cannot take a lock")
        from filelock import FileLock, Timeout

        lock = FileLock(path)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise LockedError(f"{holder} is in progress (lock held: {path})") from None
        except OSError as e:
            raise ConfigError(f"cannot take the lock {path}: {e.strerror}") from None
        try:
            yield
        finally:
            lock.release()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def open_pkm(
    home: Path,
    *,
    env: dict[str, str] | None = None,
    now: datetime | None = None,
    http_factory: "Callable[[Settings], HttpClient] | None" = None,
    readonly: bool = False,
) -> Pkm:
    """Open the pkm at `home`, creating the folder on first use unless `readonly`.

    A command that only reads opens it `readonly`: then a missing home is an error, and
    neither the folder nor the index is created.

    Raises ConfigError when the home is missing (read-only), is not a folder, cannot be
    created or written, or pkm.toml is broken.
    """
    if home.exists() and not home.is_dir():
        raise ConfigError(f"the home folder is a file, not a folder: {home}")
    if readonly:
        if not home.is_dir():
            raise ConfigError(f"no pkm home at {home} (`pkm seek add URL` creates it)")
    else:
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create the home folder {home}: {e.strerror}") from None
        import os

        if not os.access(home, os.W_OK):
            raise ConfigError(f"the home folder is not writable: {home}")
    settings = Settings.load(Paths(home).config, env or {})
    clock = (lambda: now) if now is not None else utc_now
    return Pkm(home, settings, clock=clock, http_factory=http_factory, readonly=readonly)
