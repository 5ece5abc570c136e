"""`pkm config`: every key checked, the person's file kept as they wrote it."""

import json
from pathlib import Path

import pytest

from pkm.config import Settings, set_setting, setting_names
from pkm.errors import ConfigError

WRITTEN = '# my settings\n[seek]\n# be gentle\nconcurrency = 4  # my link is slow\n\n[share]\nauthor = "Ana"\n'


def test_set_keeps_comments_and_order_and_the_value_takes_effect(tmp_path: Path) -> None:
    path = tmp_path / "pkm.toml"
    path.write_text(WRITTEN)
    assert set_setting(path, "seek.max_entries", "500") == 500
    assert set_setting(path, "sense.vault", "~/Obsidian") == "~/Obsidian"
    text = path.read_text()
    assert text.startswith(WRITTEN.split("\n\n")[0] + "\nmax_entries = 500\n")
    assert "# my link is slow" in text and '[share]\nauthor = "Ana"' in text
    settings = Settings.load(path)
    assert settings.seek.max_entries == 500 and settings.seek.concurrency == 4
    assert settings.sense.vault == "~/Obsidian"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("seek.bogus", "1", "unknown setting: seek.bogus"),
        ("bogus.key", "1", "unknown setting: bogus.key"),
        ("seek.max_entries", "many", "seek.max_entries must be int"),
        ("seek.read_timeout", "0", "seek.read_timeout must be positive"),
    ],
)
def test_a_bad_key_or_value_is_named_and_nothing_is_written(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    path = tmp_path / "pkm.toml"
    path.write_text(WRITTEN)
    with pytest.raises(ConfigError, match=message):
        set_setting(path, key, value)
    assert path.read_text() == WRITTEN


def test_a_broken_file_is_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "pkm.toml"
    path.write_text("[seek\nconcurrency = 4\n")
    with pytest.raises(ConfigError, match="broken config"):
        set_setting(path, "seek.concurrency", "8")
    assert path.read_text() == "[seek\nconcurrency = 4\n"


def test_cli_show_get_set_and_path(run, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PKM_SEEK_PER_HOST", "3")
    assert run("config", "path").stdout.strip() == str(home / "pkm.toml")
    run("config", "set", "seek.max_entries", "250", "--quiet")
    run("config", "set", "share.smtp_password", "hunter2", "--quiet")
    assert run("config", "get", "seek.max_entries").stdout == "250\n"
    assert run("config", "get", "seek.per_host").stdout == "3\n"  # the environment counts
    shown = json.loads(run("config", "show", "--json").stdout)
    assert shown["seek"]["max_entries"] == 250 and shown["share"]["smtp_password"] == "(set)"
    assert [f"{t}.{k}" for t, keys in shown.items() for k in keys] == setting_names()
    text = run("config", "show").stdout
    assert "hunter2" not in text and "max_entries = 250" in text
    assert "unknown setting: nope.x" in run("config", "get", "nope.x", code=1).stderr


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    missing = [k for k in setting_names() if k.split(".")[1] not in readme]
    assert missing == []
