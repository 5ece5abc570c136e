"""Docs kept honest: every command has a help line and appears in the README."""

from pathlib import Path

import pytest
import typer

from pkm.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def command_paths() -> list[tuple[str, str]]:
    root = typer.main.get_command(app)
    paths = []
    for group_name, group in root.commands.items():  # type: ignore[attr-defined]
        paths.append((f"pkm {group_name}", group.help or ""))
        for name, command in getattr(group, "commands", {}).items():
            paths.append((f"pkm {group_name} {name}", command.help or ""))
    return paths


@pytest.mark.parametrize(("path", "help_text"), command_paths())
def test_command_has_help_and_docs(path: str, help_text: str) -> None:
    assert help_text.strip(), f"{path} has no help"
    if path != "pkm share":  # an empty group until the Share issue
        assert path in README, f"{path} is not documented in README.md"


def test_readme_documents_exit_codes_and_cron() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in README
    assert "*/15 * * * *" in README
