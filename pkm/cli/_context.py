"""The CLI's side of opening pkm, and the boundary where errors become exit codes."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer

from pkm.cli._output import error
from pkm.config import resolve_home
from pkm.core import Pkm, open_pkm
from pkm.errors import PkmError

# Exit codes beyond 0, 1 (PkmError) and 2 (usage): see the pkm.cli docstring.
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130


@dataclass
class RootOptions:
    home: str | None = None
    verbose: int = 0


def get_pkm(ctx: typer.Context) -> Pkm:
    """Open pkm for this command (once), closed when the command ends."""
    root = ctx.find_root()
    pkm = getattr(root, "_pkm", None)
    if pkm is None:
        options: RootOptions = root.obj or RootOptions()
        pkm = open_pkm(resolve_home(options.home, os.environ), env=dict(os.environ))
        root._pkm = pkm  # type: ignore[attr-defined]
        root.call_on_close(pkm.close)
    return pkm


@contextmanager
def cli_errors() -> Iterator[None]:
    """Print a PkmError as one line and exit with its code; Ctrl-C exits 130.

    Other exceptions are bugs and keep their traceback.
    """
    try:
        yield
    except PkmError as e:
        error(str(e))
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("pkm: interrupted\n")
        raise typer.Exit(EXIT_INTERRUPTED) from None
