"""The `pkm` command line: a thin layer that parses options, calls one service, renders.

Exit codes: 0 success; 1 an error stopped the command (lock held, unusable home, broken
config, no such source); 2 usage error; 3 a batch partly failed (the rest was stored);
130 interrupted.
"""

import logging
from typing import Annotated

import typer

from pkm import __version__
from pkm.cli._context import RootOptions
from pkm.cli.seek import seek_app
from pkm.cli.sense import sense_app

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
share_app = typer.Typer(
    help="Publish digests of what you learned (coming with the Share issue).", no_args_is_help=True
)
app.add_typer(share_app, name="share")


def _version(value: bool) -> None:
    if value:
        print(f"pkm {__version__}")
        raise typer.Exit()


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
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Log to stderr (-vv for debug).")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Personal knowledge mastery: Seek > Sense > Share."""
    ctx.obj = RootOptions(home=home, verbose=verbose)
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def main() -> None:
    app()
