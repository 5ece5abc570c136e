"""`pkm log` and `pkm seek log`: the recorded runs, newest first."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._context import cli_errors, get_pkm
from pkm.cli._options import JsonOption
from pkm.cli._output import emit_json, safe
from pkm.vocabulary import RunKind, RunOutcome

if TYPE_CHECKING:
    from pkm.models import Run

LimitOption = Annotated[
    int, typer.Option("--limit", "-n", metavar="N", min=1, help="Show at most N runs.")
]
FailuresOption = Annotated[
    bool, typer.Option("--failures", help="List each run's failures under it.")
]


def log_command(
    ctx: typer.Context,
    kinds: Annotated[
        list[RunKind] | None,
        typer.Option("--kind", "-k", help="Only runs of this kind (repeatable)."),
    ] = None,
    limit: LimitOption = 20,
    failures: FailuresOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show what the recent seek, synthesize, publish and import runs did.

    A run that never ended shows `running` while its process lives, else `died`. What the
    runs logged is in HOME/logs/pkm.log.
    """
    show_runs(ctx, kinds or (), limit=limit, failures=failures, as_json=as_json)


def seek_log_command(
    ctx: typer.Context,
    limit: LimitOption = 20,
    failures: FailuresOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show what the recent `pkm seek` runs did (as `pkm log --kind seek`)."""
    show_runs(ctx, [RunKind.SEEK], limit=limit, failures=failures, as_json=as_json)


def show_runs(
    ctx: typer.Context,
    kinds: Sequence[RunKind],
    *,
    limit: int,
    failures: bool,
    as_json: bool,
) -> None:
    from pkm.runlog import list_runs

    with cli_errors():
        runs = list_runs(get_pkm(ctx, readonly=True), kinds, limit=limit)
        if as_json:
            emit_json([_run_json(r) for r in runs])
            return
        _print_runs(runs, failures=failures)


def _run_json(run: "Run") -> dict[str, object]:
    from pkm._util.timeutil import to_iso

    return {
        "id": run.id,
        "kind": run.kind.value,
        "started_at": to_iso(run.started_at),
        "ended_at": to_iso(run.ended_at),
        "seconds": None if run.seconds is None else round(run.seconds, 3),
        "outcome": run.outcome.value,
        "detail": run.detail,
        "counts": run.counts,
        "failures": [{"what": f.what, "error": f.error} for f in run.failures],
    }


_STYLES = {
    RunOutcome.OK: "green",
    RunOutcome.PARTIAL: "yellow",
    RunOutcome.FAILED: "red",
    RunOutcome.DIED: "red",
    RunOutcome.INTERRUPTED: "yellow",
    RunOutcome.RUNNING: "cyan",
}


def _print_runs(runs: Sequence["Run"], *, failures: bool) -> None:
    from rich.text import Text

    from pkm.cli._output import Column, add_row, fitted_table, info, stdout_console

    if not runs:
        info("no runs recorded yet")
        return
    console = stdout_console()
    columns = [
        Column("id", justify="right"),
        Column("started"),
        Column("kind"),
        Column("took", justify="right", shrink=4, min_width=4),
        Column("outcome"),
        Column("what it did", shrink=1, min_width=12),
    ]
    for run in runs:
        done = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in run.counts.items() if v)
        what = "; ".join(filter(None, [safe(run.detail), done]))
        if run.failures and failures:
            what += "".join(f"\n  {safe(f.what)}: {safe(f.error)}" for f in run.failures)
        elif run.failures:
            what = "; ".join(filter(None, [what, f"{len(run.failures)} failed (--failures)"]))
        add_row(
            columns,
            Text(str(run.id)),
            Text(run.started_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            Text(run.kind.value),
            Text("" if run.seconds is None else f"{run.seconds:.1f}s"),
            Text(run.outcome.value, style=_STYLES[run.outcome]),
            Text(what),
        )
    console.print(fitted_table(columns, console.width))
