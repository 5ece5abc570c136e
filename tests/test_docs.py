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
    assert path in README, f"{path} is not documented in README.md"


def test_readme_documents_exit_codes_and_cron() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in README
    assert "*/15 * * * *" in README


def all_help_texts() -> dict[str, str]:
    """The --help of every command, as a person sees it."""
    from typer.testing import CliRunner

    runner = CliRunner()
    texts = {}
    for path, _ in [("pkm", ""), *command_paths()]:
        args = path.split()[1:]
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, path
        texts[path] = result.stdout
    return texts


def test_help_is_for_people() -> None:
    texts = all_help_texts()
    assert "{URL|FILE...}" in texts["pkm seek add"] and "{URL|ID...}" in texts["pkm seek remove"]
    for path, text in texts.items():
        assert "<list[" not in text and "<str>" not in text and "<path>" not in text, path
        assert "issue" not in text.lower(), path


def test_the_project_declares_what_it_imports() -> None:
    """An older pip installed lxml without lxml_html_clean, which trafilatura imports."""
    from importlib.metadata import requires

    names = {
        r.split(";")[0].split(">")[0].split("=")[0].strip().lower() for r in requires("pkm") or []
    }
    assert "lxml_html_clean" in names or "lxml-html-clean" in names
    assert "fastfeedparser" not in names
