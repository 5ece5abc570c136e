"""`pkm seek`: subscribe, import/export, list, remove, save pages, and the cron fetch run."""

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._complete import complete_source, complete_source_or_tag, complete_tag
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
    stderr_console,
    stdout_console,
    warn,
)

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.models import AddResult, RemoveResult, SeekReport

seek_app = typer.Typer(
    help="Bring things in. With no subcommand: fetch every due source (the cron job).",
    invoke_without_command=True,
)

TagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        metavar="TAG",
        help="Tag to attach (repeatable).",
        autocompletion=complete_tag,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="URL|ID|TAG",
        help="Only sources with this URL, id or tag (repeatable).",
        autocompletion=complete_source_or_tag,
    ),
]


def _tags(values: list[str] | None) -> list[str]:
    tags = [t.strip() for t in values or []]
    if any(not t for t in tags):
        raise typer.BadParameter("a tag cannot be empty", param_hint="--tag")
    return tags


@seek_app.callback()
def seek_run(
    ctx: typer.Context,
    fetch_all: Annotated[
        bool, typer.Option("--all", help="Fetch every source, due or not.")
    ] = False,
    only: OnlyOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fetch every due source into the inbox: the command to run from cron."""
    if ctx.invoked_subcommand is not None:
        return
    from pkm.seek import fetch_due

    with cli_errors():
        pkm = get_pkm(ctx)
        show_progress = sys.stderr.isatty() and not quiet and not as_json
        with _progress_bar(show_progress) as progress:
            report = fetch_due(pkm, only=only or (), force=fetch_all, progress=progress)
        orphaned = _reanchor(pkm)
        if as_json:
            from pkm.serialize import seek_report_json

            emit_json(
                seek_report_json(report)
                | {"orphaned": len(orphaned), "orphaned_annotation_ids": list(orphaned)}
            )
        if quiet or as_json:
            # stdout may be a file; cron mails stderr: failures and feeds that died go there.
            for r in report.failed:
                error(f"{r.url}: {r.error}")
            for r in report.newly_gone:
                warn(f"{r.url}: gone (HTTP 410), no longer fetched")
        else:
            _print_run(report, len(orphaned))
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


def _reanchor(pkm: "Pkm") -> tuple[int, ...]:
    """Re-anchor the highlights of items whose text the run changed (seek never imports
    sense: the CLI joins the two). Returns the ids of highlights it orphaned.

    What was fetched is stored already, so a failure here is a warning: the changes stay
    recorded and the next `pkm seek` or `pkm sense annotations` applies them.
    """
    from pkm.errors import PkmError
    from pkm.sense import reanchor_changed

    try:
        return reanchor_changed(pkm).newly_orphaned
    except PkmError as e:
        warn(f"highlights not re-anchored yet: {e}")
        return ()


@contextmanager
def _progress_bar(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr, only on a terminal; yields the callback for `fetch_due`."""
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("seek"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        tasks: list[TaskID] = []

        def advance(done: int, total: int) -> None:
            if not tasks:  # the total is known once the run has planned
                tasks.append(bar.add_task("seek", total=total))
            bar.update(tasks[0], completed=done, total=total)

        yield advance


def _print_run(report: "SeekReport", orphaned: int = 0) -> None:
    from rich.text import Text

    from pkm.models import FetchOutcome

    console = stderr_console()
    interesting = [
        r for r in report.results if r.new_items or r.updated_items or r.error or r.notes
    ]
    if interesting:
        interesting.sort(key=lambda r: (r.outcome is FetchOutcome.FAILED, r.source_id or 0))
        columns = [
            Column("source", shrink=1, min_width=16),
            Column("new", justify="right"),
            Column("upd", justify="right"),
            Column("outcome", shrink=3, min_width=7),
            Column("detail", shrink=2, min_width=16, wrap=True),
        ]
        for r in interesting:
            style = "red" if r.outcome is FetchOutcome.FAILED else ""
            add_row(
                columns,
                Text(safe(r.title or r.url)),
                Text(str(r.new_items)),
                Text(str(r.updated_items)),
                Text(r.outcome.value, style=style),
                Text(safe("; ".join(filter(None, [r.error, *r.notes])))),
            )
        console.print(fitted_table(columns, console.width))
    console.print(Text(_summary_line(report, orphaned)))


def _summary_line(report: "SeekReport", orphaned: int = 0) -> str:
    from pkm.models import FetchOutcome

    if not report.results:
        return "no sources: add one with `pkm seek add URL`"
    labels = {FetchOutcome.NEW: "with new items"}
    counts = [
        f"{n} {labels.get(o, o.value.replace('_', ' '))}"
        for o, n in report.outcome_counts().items()
        if n
    ]
    line = f"{report.new_items} new items, {report.updated_items} updated; sources: " + ", ".join(
        counts
    )
    if orphaned:
        line += (
            f"; {orphaned} highlight{'s' if orphaned > 1 else ''} orphaned"
            " (`pkm sense annotations --orphaned`)"
        )
    return line


def _report(results: "Sequence[AddResult]", as_json: bool, quiet: bool, verb: str) -> None:
    if as_json:
        emit_json(list(results))
    else:
        for r in results:
            if r.error:
                error(f"{r.input}: {r.error}")
            elif not quiet:
                what = r.title or r.source_url
                line = f"{verb}: {what}" if r.created else f"{r.message or 'unchanged'}: {what}"
                if r.created and r.message:
                    line += f" ({r.message})"
                if r.new_items:
                    line += f", {r.new_items} new item" + ("s" if r.new_items > 1 else "")
                info(line)
    if any(r.error for r in results):
        raise typer.Exit(EXIT_PARTIAL)


@seek_app.command("add")
def seek_add(
    ctx: typer.Context,
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="URL|FILE|DIR...",
            help=(
                "Feed URLs, web pages that advertise a feed, feed files, or team folders"
                " (every teammate's DIR/<author>/shared.atom but your own)."
            ),
            show_default=False,
        ),
    ],
    tag: TagOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Subscribe to feeds (RSS, Atom, JSON Feed), pages with a feed, feed files, or teammates."""
    from pkm.seek import add_sources

    with cli_errors():
        results = add_sources(get_pkm(ctx), refs, _tags(tag))
        _report(results, as_json, quiet, "subscribed")


@seek_app.command("save")
def seek_save(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URL...", help="Web pages to read later.")],
    tag: TagOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Save web pages to read later: the article is extracted into the inbox."""
    from pkm.seek import save_pages

    with cli_errors():
        results = save_pages(get_pkm(ctx), urls, _tags(tag))
        _report(results, as_json, quiet, "saved")


@seek_app.command("import")
def seek_import(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.opml", help="An OPML file (newsboat, Feedly, Inoreader... exports)."
        ),
    ],
    tag: TagOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Subscribe to every feed of an OPML file; folders become tags."""
    from pkm.errors import InvalidInputError
    from pkm.seek import import_opml

    with cli_errors():
        try:
            data = file.read_bytes()
        except OSError as e:
            raise InvalidInputError(f"cannot read {file}: {e.strerror}") from None
        results = import_opml(get_pkm(ctx), data, _tags(tag))
        if as_json:
            emit_json(list(results))
        else:
            added = sum(r.created for r in results)
            for r in results:
                if r.error:
                    error(f"{r.input}: {r.error}")
            info(
                f"imported {added} new sources"
                f" ({len(results) - added} already subscribed or skipped)",
                quiet,
            )
    if any(r.error for r in results):
        raise typer.Exit(EXIT_PARTIAL)


@seek_app.command("export")
def seek_export(ctx: typer.Context) -> None:
    """Print all subscriptions as OPML 2.0 (tags become folders)."""
    from pkm.seek import export_opml

    with cli_errors():
        sys.stdout.write(export_opml(get_pkm(ctx, readonly=True)))


@seek_app.command("list")
def seek_list(ctx: typer.Context, only: OnlyOption = None, as_json: JsonOption = False) -> None:
    """List subscriptions with their health: failing, redirected, gone, backing off."""
    from rich.text import Text

    from pkm.models import SourceHealth
    from pkm.seek import list_sources

    with cli_errors():
        pkm = get_pkm(ctx, readonly=True)
        sources = list_sources(pkm, only or ())
        now = pkm.now()
        if as_json:
            from pkm.serialize import source_json

            emit_json([source_json(s, now) for s in sources])
            return
        columns = [
            Column("id", justify="right"),
            Column("title", shrink=1, min_width=20),
            Column("url", shrink=6, min_width=16),
            Column("items", justify="right", shrink=5, min_width=5),
            Column("last fetch", shrink=4, min_width=11),
            Column("status", shrink=2, min_width=10, wrap=True),
            Column("next due", shrink=3, min_width=11),
        ]
        for s in sources:
            health = s.health(now)
            status = health.value.replace("_", " ")
            style = "" if health in (SourceHealth.OK, SourceHealth.NEW) else "red"
            if s.error_count:
                status += f" ({s.error_count}x): {s.last_error}"
            elif health is SourceHealth.GONE:
                status += f": {s.last_error}"
            elif health is SourceHealth.REDIRECTED:
                status += f" from {s.previous_url}"
            title = Text(safe(s.title or s.site_url or s.url))
            if s.tags:
                title.append(" " + " ".join(f"#{safe(t)}" for t in s.tags), style="dim")
            add_row(
                columns,
                Text(str(s.id)),
                title,
                Text(safe(s.url)),
                Text(str(s.item_count)),
                Text(_short_time(s.last_fetched_at) or "never"),
                Text(safe(status), style=style),
                Text("never" if s.is_gone else (_short_time(s.next_due_at) or "now")),
            )
        console = stdout_console()
        console.print(fitted_table(columns, console.width))


def _short_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%m-%d %H:%M") if when else ""


@seek_app.command("remove")
def seek_remove(
    ctx: typer.Context,
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="URL|ID...",
            help="Sources' URLs or ids (see `pkm seek list`).",
            autocompletion=complete_source,
        ),
    ],
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Unsubscribe; items you starred, archived, tagged, annotated or cited are kept."""
    from pkm.seek import remove_sources

    with cli_errors():
        results: list[RemoveResult] = remove_sources(get_pkm(ctx), refs)
        if as_json:
            emit_json(results)
        for r in results:
            if r.error:
                error(r.error)
            elif not as_json:
                info(
                    f"removed {r.source_url} ({r.items_deleted} items deleted,"
                    f" {r.items_kept} kept)",
                    quiet,
                )
    if any(r.error for r in results):
        raise typer.Exit(EXIT_PARTIAL)
