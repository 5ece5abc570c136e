"""The `pkm` command line: a thin layer that parses options, calls one service, renders.

Exit codes: 0 success; 1 an error stopped the command (lock held, unusable home, broken
config, no such source or note); 2 usage error (a malformed search query too); 3 a batch
partly failed (the rest was stored), or an id named no item or annotation; 130 interrupted.
`pkm doctor` exits 0 when nothing is wrong (or `--fix` fixed all it found) and 1 while
problems remain.
"""

import gc
import sys
from typing import Annotated

import typer

from pkm import __version__
from pkm.cli import sense_annotations, sense_notes, sense_search
from pkm.cli._context import RootOptions, silence_stdout
from pkm.cli.backup import backup_command, restore_command
from pkm.cli.config import config_app
from pkm.cli.doctor import doctor_command
from pkm.cli.imports import import_command
from pkm.cli.log import log_command, seek_log_command
from pkm.cli.seek import seek_app
from pkm.cli.sense import sense_app
from pkm.cli.share import share_app
from pkm.cli.stats import stats_command

# Imported for their effect: each registers its commands on sense_app.
del sense_annotations, sense_notes, sense_search

app = typer.Typer(
    name="pkm",
    help="Personal knowledge mastery: Seek > Sense > Share.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(seek_app, name="seek")
app.add_typer(sense_app, name="sense")
app.add_typer(share_app, name="share")
app.add_typer(config_app, name="config")
app.command("stats")(stats_command)
app.command("import")(import_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("log")(log_command)
seek_app.command("log")(seek_log_command)
app.command("doctor")(doctor_command)


def _version(value: bool) -> None:
    if value:
        print(f"pkm {__version__}")
        raise typer.Exit()


def _home(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise typer.BadParameter("the home folder cannot be empty", param_hint="--home")
    return value


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        str | None,
        typer.Option(
            "--home",
            metavar="DIR",
            help="Home folder (pkm.toml, pkm.db, notes/). Default: $PKM_HOME, else the user data dir.",
            show_default=False,
            callback=_home,
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Log each request and decision to stderr (-vv: more detail).",
            show_default=False,
        ),
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Personal knowledge mastery: Seek > Sense > Share."""
    ctx.obj = RootOptions(home=home, verbose=verbose)
    _log_to_stderr(verbose)


def _log_to_stderr(verbose: int) -> None:
    """Send the `pkm` loggers to this command's stderr: nowhere for 0, INFO for -v, DEBUG
    for -vv.

    Set anew for every command: a test runner invokes the app many times in one process.
    Imports logging here, when a command runs, and not for `--help`.
    """
    import logging

    level = {0: None, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logger = logging.getLogger("pkm")
    for old in [h for h in logger.handlers if h.get_name() == "pkm-stderr"]:
        logger.removeHandler(old)
    logger.setLevel(level or logging.WARNING)
    if level is None:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("pkm-stderr")
    handler.setLevel(level)  # a run's log file may lower the logger's level (pkm.runlog)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)


def main() -> None:
    try:
        app()
    finally:
        # Whatever is still buffered goes out now: a reader that has gone (`| true`) makes
        # that fail, and the command's work is done, so it is not an error.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
        # The interpreter's last full collection walks every object a run created, 10 ms
        # after a `pkm seek` of 500 feeds, to free memory the exit frees anyway.
        gc.freeze()
