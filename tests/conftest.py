"""Shared fixtures. Every test runs with its own PKM_HOME so no test can touch a real home."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXED_NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("PKM_HOME", str(home))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    yield home


@pytest.fixture
def home(isolated_env: Path) -> Path:
    return isolated_env


@pytest.fixture
def run(home: Path):  # type: ignore[no-untyped-def]
    """`run("seek", "list", code=0)`: the CLI on this test's home, its exit code checked;
    `input` is what it reads on stdin."""
    from typer.testing import CliRunner

    from pkm.cli import app

    runner = CliRunner()

    def invoke(*args: str, code: int | None = 0, input: str | None = None):  # type: ignore[no-untyped-def]
        result = runner.invoke(
            app, ["--home", str(home), *args], input=input, catch_exceptions=False
        )
        if code is not None:
            assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    return invoke


from tests.httpserver import FeedServer  # noqa: E402  (appended with its fixture)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 (tests/httpserver.py), started empty; add routes to it."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def pkm(home: Path):  # type: ignore[no-untyped-def]
    """pkm opened on this test's home with the clock fixed at FIXED_NOW."""
    from pkm.core import open_pkm

    opened = open_pkm(home, now=FIXED_NOW)
    yield opened
    opened.close()
