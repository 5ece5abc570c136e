"""`pkm sense`: the inbox (triage, annotations and notes arrive with the Sense issue)."""

from typing import Annotated

import typer

from pkm.cli._context import cli_errors, get_pkm
from pkm.cli._output import emit_json, stdout_console, table
from pkm.models import Item

sense_app = typer.Typer(help="Make sense of what you collected: the inbox.", no_args_is_help=True)


def item_json(item: Item) -> dict[str, object]:
    """The inbox JSON contract: scripts rely on these names."""
    return {
        "id": item.id,
        "source_url": item.source_urls[0] if item.source_urls else None,
        "source_urls": list(item.source_urls),
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "author": item.author,
        "published": item.published,
        "summary": item.summary,
        "content_text": item.content_text,
        "status": item.status,
        "tags": list(item.tags),
        "first_seen": item.first_seen_at,
        "updated": item.updated_at,
    }


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
        int | None, typer.Option("--limit", "-n", min=1, metavar="N", help="At most N items.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the inbox: unread items, newest first."""
    from pkm.sense import list_inbox

    with cli_errors():
        items = list_inbox(get_pkm(ctx), include_all=show_all, sources=source or (), limit=limit)
    if as_json:
        emit_json([item_json(i) for i in items])
        return
    from rich.text import Text

    rows = table(
        "id",
        "published",
        "status",
        "title",
        "source",
        wide=("title",),
        squeeze=("source",),
        numeric=("id",),
    )
    for i in items:
        rows.add_row(
            str(i.id),
            i.published.strftime("%Y-%m-%d") if i.published else "",
            i.status.value,
            Text(i.title or i.url or "(untitled)"),
            Text(i.source_urls[0] if i.source_urls else ""),
        )
    stdout_console().print(rows)
