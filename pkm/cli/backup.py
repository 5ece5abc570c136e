"""`pkm backup` and `pkm restore`: the index and the notes in one archive, and back."""

import sys
from typing import Annotated

import typer

from pkm.cli._context import cli_errors
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import emit_json, info


def backup_command(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Argument(metavar="[FILE]", help="The archive to write (default: in this folder)."),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Back up the index and the notes into one archive (while pkm may be running)."""
    from pathlib import Path

    from pkm.backup import backup, default_backup_name
    from pkm.cli._context import get_pkm_refreshing

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        dest = Path(file) if file else Path(default_backup_name(pkm.now()))
        result = backup(pkm, dest)
        if as_json:
            emit_json(result)
        else:
            info(f"backed up {result.notes} notes and the index ({result.bytes} bytes)", quiet)
            if not quiet:
                sys.stdout.write(f"{result.path}\n")


def restore_command(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="An archive of `pkm backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Move the home's index and notes aside first.")
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Restore a backup into the home; what was there is moved aside, never deleted."""
    from pathlib import Path

    from pkm.backup import restore
    from pkm.cli._context import RootOptions

    with cli_errors():
        import os

        from pkm.config import resolve_home
        from pkm.core import open_pkm

        options: RootOptions = ctx.find_root().obj or RootOptions()
        pkm = open_pkm(resolve_home(options.home, os.environ), env=dict(os.environ))
        try:
            result = restore(pkm, Path(file), force=force)
        finally:
            pkm.close()
        if as_json:
            emit_json(result)
        else:
            moved = f"; moved aside: {', '.join(result.moved_aside)}" if result.moved_aside else ""
            info(f"restored the index and {result.notes} notes into {result.home}{moved}", quiet)
