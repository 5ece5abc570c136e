"""The CLI on a home of a test's choosing, for tests with several homes (a team); a test
with one home uses the `run` fixture of conftest."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pkm.cli import app


def cli(home: Path, *args: str, code: int = 0) -> Any:
    """`pkm --home HOME ARGS...`, its exit code checked."""
    result = CliRunner().invoke(app, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def as_json(home: Path, *args: str, code: int = 0) -> Any:
    """The command's `--json` output, parsed."""
    return json.loads(cli(home, *args, "--json", code=code).stdout)
