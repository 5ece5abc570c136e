"""Where pkm keeps its files, and the settings read from `pkm.toml`.

The home folder is `--home DIR`, else `$PKM_HOME`, else the platform's user data dir. It holds
`pkm.toml` (settings), `pkm.db` (the index), `notes/` (the vault) and `pkm.lock`.
"""

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pkm.errors import ConfigError


def resolve_home(cli_value: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """Pick the home folder: the CLI option wins over PKM_HOME, which wins over the platform default."""
    if cli_value:
        return Path(cli_value).expanduser()
    if env.get("PKM_HOME"):
        return Path(env["PKM_HOME"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pkm", appauthor=False))


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def db(self) -> Path:
        return self.home / "pkm.db"

    @property
    def config(self) -> Path:
        return self.home / "pkm.toml"

    @property
    def notes(self) -> Path:
        return self.home / "notes"

    @property
    def lock(self) -> Path:
        """Held by a `pkm seek` run from start to end."""
        return self.home / "pkm.lock"

    @property
    def log_file(self) -> Path:
        """What recorded runs (`pkm log`) logged, for reading after a cron run."""
        return self.home / "logs" / "pkm.log"

    @property
    def sense_lock(self) -> Path:
        """Held by each Sense command that writes (short, so they wait for one another)."""
        return self.home / "pkm-sense.lock"


@dataclass(frozen=True)
class SeekSettings:
    """The `[seek]` table of pkm.toml. Each key can also be set as PKM_SEEK_<KEY> in the environment."""

    concurrency: int = 16  # requests in flight at once, over all hosts
    per_host: int = 2  # requests in flight at once to one host
    connect_timeout: float = 10.0  # seconds
    read_timeout: float = 30.0  # seconds of silence while reading
    total_timeout: float = 120.0  # seconds for a whole request, whatever the server does
    max_body_mb: float = 20.0  # a larger (decoded) body is refused
    max_entries: int = 1000  # entries kept from one feed document, newest first
    max_entry_kb: int = 1000  # an entry's content is cut to this size before it is stored
    interval_minutes: int = 60  # how often a source is due, at the least
    jitter_minutes: int = 5  # random extra delay so sources spread over cron runs
    max_backoff_hours: int = 24  # failures and server hints never push a source further out
    user_agent: str = ""  # empty: "pkm/<version> (+<url>)"


@dataclass(frozen=True)
class IndexSettings:
    """The `[index]` table of pkm.toml (PKM_INDEX_<KEY> in the environment)."""

    busy_timeout: float = 30.0  # seconds a write waits while another process writes


@dataclass(frozen=True)
class SenseSettings:
    """The `[sense]` table of pkm.toml (PKM_SENSE_<KEY> in the environment)."""

    vault: str = ""  # the notes folder; empty: HOME/notes. Relative paths are under the home.
    editor: str = ""  # empty: $VISUAL, else $EDITOR, else vi


@dataclass(frozen=True)
class ShareSettings:
    """The `[share]` table of pkm.toml (PKM_SHARE_<KEY> in the environment)."""

    folder: str = ""  # the team folder `pkm share publish` writes to; empty: --to is needed
    author: str = ""  # the name of the author's folder and in digests; empty: the OS user
    private_tag: str = "private"  # what is tagged so never leaves: items, highlights, notes
    archive_count: int = 3  # older highlights a digest resurfaces ("from the archive")
    email_from: str = ""  # the sender of `pkm share email`; empty: AUTHOR@localhost
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls, tls (SMTPS) or none
    smtp_user: str = ""  # empty: no login
    smtp_password: str = ""  # better in the environment: PKM_SHARE_SMTP_PASSWORD


@dataclass(frozen=True)
class LogSettings:
    """The `[log]` table of pkm.toml (PKM_LOG_<KEY> in the environment)."""

    file_kb: int = 1024  # HOME/logs/pkm.log (what each recorded run logged) is rotated at this size
    file_count: int = 3  # rotated files kept beside it (pkm.log.1, ...)


# Settings whose zero means something (no jitter), so only negative values are refused.
_ZERO_ALLOWED = frozenset({"jitter_minutes"})


@dataclass(frozen=True)
class Settings:
    seek: SeekSettings = field(default_factory=SeekSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    sense: SenseSettings = field(default_factory=SenseSettings)
    share: ShareSettings = field(default_factory=ShareSettings)
    log: LogSettings = field(default_factory=LogSettings)

    @classmethod
    def load(cls, path: Path, env: Mapping[str, str] | None = None) -> "Settings":
        """Read pkm.toml (a missing file means defaults) and apply PKM_<TABLE>_<KEY> overrides.

        Unknown keys and wrong types are errors naming the key (or the environment
        variable): a typo in a cron job's config should fail loudly, not be silently ignored.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"broken config: {path}: {e}") from None
        except OSError as e:
            raise ConfigError(f"cannot read config: {path}: {e.strerror}") from None
        defaults = cls()
        tables = [f.name for f in fields(cls)]
        unknown = set(data) - set(tables)
        if unknown:
            raise ConfigError(f"unknown section in {path}: [{sorted(unknown)[0]}]")
        values: dict[str, Any] = {}
        for name in tables:
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise ConfigError(f"[{name}] must be a table in {path}")
            section = _apply(getattr(defaults, name), table, f"{path}: {name}.{{key}}")
            prefix = f"PKM_{name.upper()}_"
            env_values = {
                f.name: env[prefix + f.name.upper()]
                for f in fields(section)
                if env and prefix + f.name.upper() in env
            }
            values[name] = _apply(section, env_values, prefix + "{KEY}", from_text=True)
        return cls(**values)


def _apply(base: Any, values: Mapping[str, Any], where: str, *, from_text: bool = False) -> Any:
    """`base` with `values` applied; `where` names a key in messages ("{key}" or "{KEY}")."""
    known = {f.name: f for f in fields(base)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting: {_name(where, key)}")
        kind = type(getattr(base, key))
        try:
            if from_text:
                value = kind(value)
            elif kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError
        except (TypeError, ValueError):
            raise ConfigError(
                f"invalid setting: {_name(where, key)} must be {kind.__name__}, got {value!r}"
            ) from None
        if kind in (int, float) and (value < 0 if key in _ZERO_ALLOWED else value <= 0):
            raise ConfigError(
                f"invalid setting: {_name(where, key)} must be positive, got {value!r}"
            )
        changes[key] = value
    return replace(base, **changes)


def _name(where: str, key: str) -> str:
    return where.replace("{key}", key).replace("{KEY}", key.upper())


# --- reading and changing one setting (`pkm config`) ---------------------------------------------

# Settings whose value is never printed (`pkm config show` and `get` show that one is set).
SECRET_SETTINGS = frozenset({"share.smtp_password"})


def setting_names() -> list[str]:
    """Every setting as `table.key`, in the order of the tables and their fields."""
    defaults = Settings()
    return [
        f"{table.name}.{f.name}"
        for table in fields(Settings)
        for f in fields(getattr(defaults, table.name))
    ]


def _split_key(key: str) -> tuple[str, str]:
    table, _, name = key.partition(".")
    if f"{table}.{name}" not in setting_names():
        raise ConfigError(f"unknown setting: {key} (see `pkm config show`)")
    return table, name


def get_setting(settings: Settings, key: str) -> Any:
    """The value of `table.key` in effect (pkm.toml, then the environment, else default)."""
    table, name = _split_key(key)
    return getattr(getattr(settings, table), name)


def set_setting(path: Path, key: str, text: str) -> Any:
    """Set `table.key` to the value `text` stands for, in pkm.toml at `path`, and return it.

    The value is checked as `Settings.load` checks it (type, sign) before anything is
    written. The file is edited with tomlkit, so the person's comments, blank lines and
    order survive; it is replaced atomically. A file that is not valid TOML is an error,
    never rewritten.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from pkm._util.fsutil import atomic_write_text

    table, name = _split_key(key)
    value = getattr(_apply(getattr(Settings(), table), {name: text}, key, from_text=True), name)
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (TOMLKitError, UnicodeDecodeError) as e:
        raise ConfigError(f"broken config: {path}: {e}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config: {path}: {e.strerror}") from None
    if document is None:
        document = tomlkit.document()
    section = document.get(table)
    if section is None:
        section = tomlkit.table()
        document[table] = section
    elif not isinstance(section, dict):
        raise ConfigError(f"[{table}] must be a table in {path}")
    section[name] = value
    new_text = tomlkit.dumps(document)
    try:
        _check_document(tomllib.loads(new_text), path)
    except tomllib.TOMLDecodeError as e:  # pragma: no cover: tomlkit wrote it
        raise ConfigError(f"broken config: {path}: {e}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, new_text)
    except OSError as e:
        raise ConfigError(f"cannot write config: {path}: {e.strerror or e}") from None
    return value


def _check_document(data: Mapping[str, Any], path: Path) -> None:
    """The checks `Settings.load` makes of a file's tables, without the environment."""
    defaults = Settings()
    for table, values in data.items():
        if table not in {f.name for f in fields(Settings)}:
            raise ConfigError(f"unknown section in {path}: [{table}]")
        if not isinstance(values, dict):
            raise ConfigError(f"[{table}] must be a table in {path}")
        _apply(getattr(defaults, table), values, f"{path}: {table}.{{key}}")
