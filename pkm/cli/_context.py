"""The CLI's side of opening pkm, and the boundary where errors become exit codes."""

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from pkm.cli._output import error
from pkm.errors import PkmError

if TYPE_CHECKING:
    from pkm.core import Pkm

# Exit codes beyond 0, 1 (PkmError) and 2 (usage): see the pkm.cli docstring.
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130
_ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


@dataclass
class RootOptions:
    home: str | None = None
    verbose: int = 0


def get_pkm(ctx: typer.Context, *, readonly: bool = False) -> "Pkm":
    """Open pkm for this command (once), closed when the command ends.

    A command that only reads opens it `readonly`: nothing is created, and a missing home
    is an error rather than a new empty one. pkm.core is imported here, when a command
    runs, and not by every `--help`.
    """
    from pkm.config import resolve_home
    from pkm.core import open_pkm

    root = ctx.find_root()
    pkm = getattr(root, "_pkm", None)
    if pkm is None:
        options: RootOptions = root.obj or RootOptions()
        pkm = open_pkm(
            resolve_home(options.home, os.environ), env=dict(os.environ), readonly=readonly
        )
        root._pkm = pkm  # type: ignore[attr-defined]
        root.call_on_close(pkm.close)
    return pkm


def get_pkm_refreshing(ctx: typer.Context) -> "Pkm":
    """pkm opened to write when it can be, so that a command that reads first brings the
    index up to date (notes edited in an editor, highlights to re-anchor); a home that
    cannot be written (a backup, a read-only mount) is read as it is."""
    from pkm.errors import ConfigError

    try:
        return get_pkm(ctx)
    except ConfigError:
        return get_pkm(ctx, readonly=True)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Print a PkmError as one line and exit with its code; Ctrl-C exits 130; a reader that
    went away (`| head`, `| true`) ends the command quietly with 0.

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
    except BrokenPipeError:
        silence_stdout()
        raise typer.Exit(0) from None
    except OSError as e:
        # The machine's state, not a bug: a full disk or a read-only file system met by a
        # write no service mapped to a PkmError still gets one line, not a traceback.
        if e.errno not in _ENVIRONMENT_ERRNOS:
            raise
        where = f"{e.filename}: " if e.filename else ""
        kind = "disk full" if e.errno != errno.EROFS else "read-only file system"
        error(f"{kind}: {where}{e.strerror}")
        raise typer.Exit(1) from None


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stdout)
        pass
    finally:
        os.close(devnull)
