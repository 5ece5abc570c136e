from pathlib import Path

import pytest

from pkm.config import Settings, resolve_home
from pkm.errors import ConfigError


def test_home_precedence(tmp_path: Path) -> None:
    env = {"PKM_HOME": str(tmp_path / "env")}
    assert resolve_home(str(tmp_path / "cli"), env) == tmp_path / "cli"
    assert resolve_home(None, env) == tmp_path / "env"
    assert resolve_home(None, {}).name == "pkm"  # the platform's user data dir


def test_settings_defaults_when_no_file(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "pkm.toml")
    assert settings.seek.concurrency == 16
    assert settings.seek.per_host == 2
    assert settings.seek.interval_minutes == 60


def test_settings_from_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "pkm.toml"
    path.write_text("[seek]\nconcurrency = 8\nread_timeout = 5\n")
    settings = Settings.load(path, {"PKM_SEEK_PER_HOST": "4"})
    assert (settings.seek.concurrency, settings.seek.read_timeout, settings.seek.per_host) == (
        8,
        5.0,
        4,
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("[seek]\nconcurency = 8\n", "unknown setting"),
        ("[seek]\nconcurrency = 'many'\n", "must be int"),
        ("[seek]\nconcurrency = 0\n", "must be positive"),
        ("[seek\n", "broken config"),
        ("[web]\nx = 1\n", "unknown section"),
    ],
)
def test_bad_settings_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pkm.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        Settings.load(path)


def test_bad_environment_override(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"PKM_SEEK_PER_HOST must be int"):
        Settings.load(tmp_path / "pkm.toml", {"PKM_SEEK_PER_HOST": "lots"})
