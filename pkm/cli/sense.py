"""`pkm sense`: the inbox (triage, annotations and notes are to come)."""

from typing import Annotated

import typer

from pkm.cli._context import cli_errors, get_pkm
from pkm.cli._output import (
    Column,
    add_row,
    emit_json_list,
    fitted_table,
    info,
    safe,
    stdout_console,
)

# Rows the inbox table shows when no --limit is given; --json lists every match.
PAGE = 50

sense_app = typer.Typer(help="Make sense of what you collected: the inbox.", no_args_is_help=True)


@sense_app.command("inbox")
def sense_inbox(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every item, not only unread ones.")
    ] = False,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", metavar="URL|ID", help="Only items from this source URL or id."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            metavar="N",
            help=f"At most N items (default: {PAGE} in the table, all with --json).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the inbox: unread items, newest first."""
    from rich.text import Text

    from pkm.sense import InboxQuery, count_inbox, list_inbox

    with cli_errors():
        pkm = get_pkm(ctx, readonly=True)
        query = InboxQuery(include_all=show_all, sources=source or ())
        if as_json:
            from pkm.serialize import item_json

            emit_json_list(item_json(i) for i in list_inbox(pkm, query, limit))
            return
        page = limit or PAGE
        items = list(list_inbox(pkm, query, page))
        columns = [
            Column("id", justify="right"),
            Column("date", shrink=3, min_width=10),
            Column("status", shrink=4, min_width=7),
            Column("source", shrink=2, min_width=16),
            Column("title", shrink=1, min_width=20),
        ]
        for i in items:
            date = i.sort_at or i.date or i.first_seen_at  # what the list is sorted by
            add_row(
                columns,
                Text(str(i.id)),
                Text(date.strftime("%Y-%m-%d")),
                Text(i.status.value),
                Text(safe(i.source_title or (i.source_urls[0] if i.source_urls else ""))),
                Text(safe(i.title or i.url) or "(untitled)"),
            )
        console = stdout_console()
        console.print(fitted_table(columns, console.width))
        if len(items) == page and limit is None:
            more = count_inbox(pkm, query) - page
            if more > 0:
                info(f"… and {more} more: --limit N shows more, --json lists all")
