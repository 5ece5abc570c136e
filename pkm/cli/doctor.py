"""`pkm doctor [--fix]`: check the home and the index, repair what is safe to repair."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._context import cli_errors, get_pkm
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import emit_json, info, safe

if TYPE_CHECKING:
    from pkm.doctor import DoctorReport, Finding


def doctor_command(
    ctx: typer.Context,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Repair what is safe to repair, and say what was done."),
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check the index, the vault and the sources; exit 1 while problems remain."""
    import os

    from pkm.config import resolve_home
    from pkm.doctor import diagnose

    with cli_errors():
        root = ctx.find_root().obj
        home = resolve_home(root.home if root else None, os.environ)
        # Without --fix nothing is written; --fix on a missing home says so, creating none.
        pkm = get_pkm(ctx, readonly=not fix or not home.is_dir())
        show = sys.stderr.isatty() and not quiet and not as_json
        with _status(show) as progress:
            report = diagnose(pkm, fix=fix, progress=progress)
        if as_json:
            emit_json(
                {
                    "ok": report.ok,
                    "fix": report.fix,
                    "checks": list(report.checks),
                    "problems": len(report.problems),
                    "fixed": len(report.fixed),
                    "findings": list(report.findings),
                }
            )
        elif not quiet or not report.ok:
            shown = report.findings if not quiet else report.problems
            if shown:
                sys.stdout.write("".join(f"{_line(f)}\n" for f in shown))
        info(_summary(report), quiet and report.ok)
        if not report.ok:
            raise typer.Exit(1)


def _line(finding: "Finding") -> str:
    label = "fixed" if finding.fixed else finding.severity.value
    return safe(f"{label}: {finding.check}: {finding.message}")


def _summary(report: "DoctorReport") -> str:
    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    done = f"doctor: {count(len(report.checks), 'check')}"
    if report.fixed:
        done += f", {len(report.fixed)} fixed"
    problems = report.problems
    if not problems:
        return f"{done}, nothing {'left ' if report.fixed else ''}wrong"
    fixable = sum(f.fixable for f in problems)
    hint = f" ({fixable} can be repaired: pkm doctor --fix)" if fixable and not report.fix else ""
    return f"{done}, {count(len(problems), 'problem')}{hint}"


@contextmanager
def _status(show: bool) -> Iterator[Callable[[str], None] | None]:
    """A line on stderr naming the check under way, only on a terminal."""
    if not show:
        yield None
        return
    from pkm.cli._output import stderr_console

    with stderr_console().status("doctor") as status:
        yield lambda check: status.update(f"doctor: checking {check}")
