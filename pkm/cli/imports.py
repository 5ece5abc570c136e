"""`pkm import FORMAT FILE`: a person's history from Pocket, Omnivore, Kindle and Hypothesis."""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._context import EXIT_PARTIAL, cli_errors, get_pkm
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import (
    Column,
    add_row,
    emit_json,
    error,
    fitted_table,
    info,
    safe,
    stdout_console,
    warn,
)
from pkm.cli.seek import TagOption
from pkm.vocabulary import ImportFormat

if TYPE_CHECKING:
    from pkm.imports import ImportReport, ItemOutcome

_VERBS = {"added": "add", "merged": "merge", "skipped": "skip"}


def import_command(
    ctx: typer.Context,
    fmt: Annotated[
        ImportFormat,
        typer.Argument(
            metavar="FORMAT",
            help="pocket (CSV or ril_export.html), omnivore (.zip or its folder), kindle"
            " (My Clippings.txt) or hypothesis (JSON).",
            case_sensitive=False,
            show_default=False,
        ),
    ],
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The export file.", show_default=False)
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List what would be added, merged and skipped; write nothing."
        ),
    ] = False,
    fetch: Annotated[
        bool,
        typer.Option("--fetch", help="Fetch and extract the pages of imported items without text."),
    ] = False,
    tag: TagOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Import saved pages, highlights and notes from Pocket, Omnivore, Kindle or Hypothesis."""
    from pkm.imports import import_file, report_json
    from pkm.share.period import local_timezone

    tags = [t.strip() for t in tag or []]
    if any(not t for t in tags):
        raise typer.BadParameter("a tag cannot be empty", param_hint="--tag")
    with cli_errors():
        pkm = get_pkm(ctx, readonly=dry_run)
        report = import_file(
            pkm,
            fmt,
            file,
            dry_run=dry_run,
            fetch=fetch,
            tags=tags,
            tz=local_timezone(os.environ.get("TZ")),
        )
        if as_json:
            emit_json(report_json(report))
        else:
            if dry_run and not quiet:
                _print_plan(report)
            if not quiet:
                for o in report.refused:
                    warn(f"warning: {o.ref}: skipped: {o.reason}")
                for note in report.notes:
                    info(note)
            info(_summary(report), quiet)
        for failure in report.fetch_failures:
            error(f"{failure.url}: {failure.error}")
    if report.fetch_failures:
        raise typer.Exit(EXIT_PARTIAL)


def _print_plan(report: "ImportReport") -> None:
    """A dry run's product: one row per entry, what would happen to it."""
    from rich.text import Text

    columns = [
        Column("would"),
        Column("where", shrink=3, min_width=8),
        Column("id", justify="right"),
        Column("title", shrink=1, min_width=20),
        Column("detail", shrink=2, min_width=16, wrap=True),
    ]
    for o in report.items:
        add_row(
            columns,
            Text(_VERBS[o.action.value]),
            Text(safe(o.ref)),
            Text(str(o.item_id) if o.item_id is not None else ""),
            Text(safe(o.title or o.url or "")),
            Text(safe(_detail(o))),
        )
    console = stdout_console()
    console.print(fitted_table(columns, console.width))


def _detail(o: "ItemOutcome") -> str:
    parts = [o.reason] if o.reason else []
    if o.status is not None:
        parts.append(f"status {o.status.value}")
    if o.tags_added:
        parts.append("tags " + ", ".join(o.tags_added))
    if o.annotations_added:
        parts.append(f"{o.annotations_added} annotations")
        if o.annotations_orphaned:
            parts.append(f"{o.annotations_orphaned} orphaned")
    if o.annotations_skipped:
        parts.append(f"{o.annotations_skipped} annotations there already")
    return "; ".join(parts)


def _summary(report: "ImportReport") -> str:
    from pkm.imports import ItemAction

    added, merged, skipped = (
        report.count(a) for a in (ItemAction.ADDED, ItemAction.MERGED, ItemAction.SKIPPED)
    )
    verb = "would be " if report.dry_run else ""
    line = (
        f"{report.format.value}: {added} items {verb}added, {merged} {verb}merged,"
        f" {skipped} skipped; annotations: {report.annotations_added} {verb}added,"
        f" {report.annotations_skipped} skipped"
    )
    if report.annotations_orphaned:
        line += f", {report.annotations_orphaned} orphaned"
        if not report.dry_run:
            line += " (`pkm sense annotations --orphaned`)"
    if report.dry_run:
        if report.to_fetch:
            line += f"; {report.to_fetch} pages would be fetched"
        return "dry run, nothing written: " + line
    if report.to_fetch:
        line += f"; pages: {len(report.fetched_ids)} fetched"
        if report.fetch_failures:
            line += f", {len(report.fetch_failures)} failed"
    return line
