"""`pkm seek`: subscribe, import/export, list, remove, save pages, and the cron fetch run."""

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pkm.cli._context import EXIT_PARTIAL, cli_errors, get_pkm
from pkm.cli._output import emit_json, error, info, stderr_console, stdout_console, table, warn
from pkm.models import AddResult, FetchOutcome, Source, SourceResult

seek_app = typer.Typer(
    help="Bring things in. With no subcommand: fetch every due source (the cron job).",
    invoke_without_command=True,
)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable result on stdout.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing unless something failed.")
]
TagOption = Annotated[
    list[str] | None, typer.Option("--tag", "-t", metavar="TAG", help="Tag to attach (repeatable).")
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
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="URL|ID|TAG",
            help="Only sources with this URL, id or tag (repeatable).",
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fetch every due source into the inbox: the command to run from cron."""
    if ctx.invoked_subcommand is not None:
        return
    from pkm.seek.update import plan_fetch, run_fetch

    with cli_errors():
        pkm = get_pkm(ctx)
        with pkm.lock():
            plan = plan_fetch(pkm, only or (), force=fetch_all)
            results = list(plan.skipped)
            due_ids = {s.id for s in plan.due}
            show_progress = sys.stderr.isatty() and not quiet and plan.due
            if show_progress:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
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
                ) as progress:
                    task = progress.add_task("seek", total=len(plan.due))
                    for result in run_fetch(pkm, plan.due):
                        results.append(result)
                        progress.advance(task)
            else:
                results.extend(run_fetch(pkm, plan.due))
    failed = [r for r in results if r.outcome is FetchOutcome.FAILED]
    if as_json:
        emit_json(_run_summary(results))
    if quiet or as_json:
        # stdout may be a file; cron mails stderr: failures and feeds that died go there.
        for r in failed:
            error(f"{r.url}: {r.error}")
        for r in results:
            if r.outcome is FetchOutcome.GONE and r.http_status == 410 and r.source_id in due_ids:
                warn(f"{r.url}: gone (HTTP 410), no longer fetched")
    else:
        _print_run_table(results)
    if failed:
        raise typer.Exit(EXIT_PARTIAL)


def _run_summary(results: Sequence[SourceResult]) -> dict[str, object]:
    counts = {o.value: 0 for o in FetchOutcome}
    for r in results:
        counts[r.outcome.value] += 1
    return {
        "ok": counts[FetchOutcome.FAILED.value] == 0,
        "new_items": sum(r.new_items for r in results),
        "updated_items": sum(r.updated_items for r in results),
        "outcomes": counts,
        "sources": sorted(results, key=lambda r: r.source_id or 0),
    }


def _print_run_table(results: Sequence[SourceResult]) -> None:
    from rich.text import Text

    console = stderr_console()
    interesting = [r for r in results if r.new_items or r.updated_items or r.error or r.notes]
    if interesting:
        rows = table(
            "source",
            "new",
            "updated",
            "outcome",
            "detail",
            wide=("source", "detail"),
            numeric=("new", "updated"),
        )
        for r in sorted(
            interesting, key=lambda r: (r.outcome is FetchOutcome.FAILED, r.source_id or 0)
        ):
            detail = "; ".join(filter(None, [r.error, *r.notes]))
            style = "red" if r.outcome is FetchOutcome.FAILED else None
            rows.add_row(
                Text(r.title or r.url),
                str(r.new_items),
                str(r.updated_items),
                Text(r.outcome.value, style=style or ""),
                Text(detail),
            )
        console.print(rows)
    summary = _run_summary(results)
    counts = summary["outcomes"]
    assert isinstance(counts, dict)
    labels = {FetchOutcome.NEW.value: "with new items"}
    sources = [f"{n} {labels.get(name, name.replace('_', ' '))}" for name, n in counts.items() if n]
    line = (
        f"{summary['new_items']} new items, {summary['updated_items']} updated; sources: "
        + ", ".join(sources)
    )
    console.print(Text(line if results else "no sources: add one with `pkm seek add URL`"))


def _report(results: Sequence[AddResult], as_json: bool, quiet: bool, verb: str) -> None:
    failed = [r for r in results if r.error]
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
    if failed:
        raise typer.Exit(EXIT_PARTIAL)


@seek_app.command("add")
def seek_add(
    ctx: typer.Context,
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="URL|PAGE|FILE",
            help="Feed URLs, web pages that advertise a feed, or feed files.",
        ),
    ],
    tag: TagOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Subscribe to feeds (RSS, Atom, JSON Feed), pages with a feed, or local feed files."""
    from pkm.seek.subscriptions import add_sources

    with cli_errors():
        pkm = get_pkm(ctx)
        with pkm.lock():
            results = add_sources(pkm, refs, _tags(tag))
    _report(results, as_json, quiet, "subscribed")


@seek_app.command("save")
def seek_save(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URL", help="Web pages to read later.")],
    tag: TagOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Save web pages to read later: the article is extracted into the inbox."""
    from pkm.seek.save import save_pages

    with cli_errors():
        pkm = get_pkm(ctx)
        with pkm.lock():
            results = save_pages(pkm, urls, _tags(tag))
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
    from pkm.seek.subscriptions import import_opml

    with cli_errors():
        try:
            data = file.read_bytes()
        except OSError as e:
            raise InvalidInputError(f"cannot read {file}: {e.strerror}") from None
        pkm = get_pkm(ctx)
        with pkm.lock():
            results = import_opml(pkm, data, _tags(tag))
    if as_json:
        emit_json(list(results))
    else:
        added = sum(r.created for r in results)
        for r in results:
            if r.error:
                error(f"{r.input}: {r.error}")
        info(
            f"imported {added} new sources ({len(results) - added} already subscribed or skipped)",
            quiet,
        )
    if any(r.error for r in results):
        raise typer.Exit(EXIT_PARTIAL)


@seek_app.command("export")
def seek_export(ctx: typer.Context) -> None:
    """Print all subscriptions as OPML 2.0 (tags become folders)."""
    from pkm.seek.subscriptions import export_opml

    with cli_errors():
        sys.stdout.write(export_opml(get_pkm(ctx)))


@seek_app.command("list")
def seek_list(
    ctx: typer.Context,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="URL|ID|TAG", help="Only this URL, id or tag."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List subscriptions with their health: failing, redirected, gone, backing off."""
    from pkm.seek.subscriptions import list_sources

    with cli_errors():
        pkm = get_pkm(ctx)
        sources = list_sources(pkm, only or ())
        now = pkm.now()
    if as_json:
        emit_json([_source_json(s, now) for s in sources])
        return
    from rich.text import Text

    rows = table(
        "id",
        "title",
        "url",
        "items",
        "last fetch",
        "status",
        "next due",
        wide=("title", "status"),
        squeeze=("url",),
        numeric=("id", "items"),
    )
    for s in sources:
        health = _health(s, now)
        if s.error_count:
            health += f" ({s.error_count}x): {s.last_error}"
        elif s.is_gone or s.previous_url:
            health += f": {s.last_error}" if s.is_gone else f" from {s.previous_url}"
        title = Text(s.title or "")
        if s.tags:
            title.append(" " + " ".join(f"#{t}" for t in s.tags), style="dim")
        rows.add_row(
            str(s.id),
            title,
            Text(s.url),
            str(s.item_count),
            _short_time(s.last_fetched_at) or "never",
            Text(health, style="" if health in ("ok", "new") else "red"),
            "never" if s.is_gone else (_short_time(s.next_due_at) or "now"),
        )
    stdout_console().print(rows)


def _short_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%m-%d %H:%M") if when else ""


def _health(s: Source, now: datetime) -> str:
    if s.is_gone:
        return "gone"
    if s.error_count:
        return "backing off" if s.next_due_at and s.next_due_at > now else "failing"
    if s.previous_url:
        return "redirected"
    return "ok" if s.last_fetched_at else "new"


def _source_json(s: Source, now: datetime) -> dict[str, object]:
    return {
        "id": s.id,
        "url": s.url,
        "kind": s.kind,
        "title": s.title,
        "site_url": s.site_url,
        "tags": list(s.tags),
        "items": s.item_count,
        "added_at": s.added_at,
        "last_fetched_at": s.last_fetched_at,
        "last_status": s.last_status,
        "last_outcome": s.last_outcome,
        "last_error": s.last_error,
        "error_count": s.error_count,
        "next_due_at": s.next_due_at,
        "retry_after_at": s.retry_after_at,
        "previous_url": s.previous_url,
        "health": _health(s, now).replace(" ", "_"),
    }


@seek_app.command("remove")
def seek_remove(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(metavar="URL|ID", help="The source's URL or id (see `pkm seek list`).")
    ],
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Unsubscribe; items you starred, archived or tagged are kept."""
    from pkm.seek.subscriptions import remove_source

    with cli_errors():
        pkm = get_pkm(ctx)
        with pkm.lock():
            source, deleted, kept = remove_source(pkm, ref)
    if as_json:
        emit_json(
            {"removed": source.url, "id": source.id, "items_deleted": deleted, "items_kept": kept}
        )
    else:
        info(f"removed {source.url} ({deleted} items deleted, {kept} kept)", quiet)
