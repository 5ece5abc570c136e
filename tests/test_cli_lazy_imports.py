"""`--help` imports only the command line: the guard behind benchmarks/help.py, without timing.

Every `pkm ... --help` builds the whole command tree, so a module that a command imports at
the top of its file is paid for by every help and every cron run. A module loaded only when
a command runs costs nothing there. This test runs each help in one fresh interpreter, in
turn, and names the first help after which a heavy module is loaded.
"""

import json
import subprocess
import sys
import textwrap

import typer

from pkm.cli import app

# Third-party modules that cost milliseconds each, and pkm's own layers below the CLI
# (pkm.models alone, some fifty dataclasses, was a fifth of `pkm --help`).
HEAVY = (
    "httpx",
    "urllib3",
    "lxml",
    "jinja2",
    "markupsafe",
    "sqlite3",
    "sqlite_utils",
    "feedparser",
    "trafilatura",
    "nh3",
    "rapidfuzz",
    "frontmatter",
    "yaml",
    "markdown_it",
    "tomlkit",
    "filelock",
    "rich",
    "pkm.models",
    "pkm.serialize",
    "pkm.config",
    "pkm.core",
    "pkm.store",
    "pkm.seek",
    "pkm.sense",
    "pkm.share",
    "pkm.backup",
    "pkm.rendering",
)

HELP_IN_TURN = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from pkm.cli import app

    heavy, paths = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    for path in paths:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            app([*path, "--help"], prog_name="pkm")
        loaded = sorted(m for m in heavy if m in sys.modules)
        if loaded:
            print(json.dumps({"help": " ".join(["pkm", *path]), "loaded": loaded}))
            break
    """
)


def command_paths() -> list[list[str]]:
    def walk(command: typer.core.TyperGroup, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            found += walk(sub, [*path, name])
        return found

    return walk(typer.main.get_command(app), [])  # type: ignore[arg-type]


def test_the_walk_reaches_nested_commands() -> None:
    paths = command_paths()
    assert [] in paths and ["seek", "add"] in paths and ["sense", "annotation", "edit"] in paths


def test_no_help_imports_a_heavy_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_IN_TURN, json.dumps(HEAVY), json.dumps(command_paths())],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "", json.loads(done.stdout)


def test_the_check_sees_an_import() -> None:
    """The same check, told that typer is heavy, does see it: the test can fail."""
    done = subprocess.run(
        [sys.executable, "-c", HELP_IN_TURN, json.dumps(["typer"]), json.dumps([[]])],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == {"help": "pkm", "loaded": ["typer"]}
