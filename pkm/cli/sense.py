"""`pkm sense`: triage the inbox (list, show, open, mark, tag).

With no subcommand, `pkm sense` lists the inbox.
"""

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._complete import complete_source, complete_tag
from pkm.cli._context import EXIT_PARTIAL, cli_errors, get_pkm
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import (
    Column,
    add_row,
    emit_json,
    emit_json_list,
    error,
    fitted_table,
    info,
    reading_console,
    safe,
    stdout_console,
)
from pkm.vocabulary import ItemStatus

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.models import Item
    from pkm.sense import ItemSelection, ItemView

# Rows the inbox table shows when no --limit is given; --json lists every match.
PAGE = 50

sense_app = typer.Typer(
    help="Make sense of what you collected. With no subcommand: list the inbox.",
    invoke_without_command=True,
)

SourceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        metavar="URL|ID",
        help="Only items from this source (repeatable).",
        autocompletion=complete_source,
    ),
]
StatusOption = Annotated[
    list[ItemStatus] | None,
    typer.Option("--status", help="Only items with this status (repeatable).", show_default=False),
]
IdsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[ID...]",
        help="Item ids, ranges (12-20), or - to read ids from stdin.",
        show_default=False,
    ),
]
OlderThanOption = Annotated[
    str | None,
    typer.Option(
        "--older-than",
        metavar="DURATION",
        help="Only items dated before this long ago (30d, 2w, 12h).",
    ),
]
ItemIdArgument = Annotated[int, typer.Argument(metavar="ID", min=1, help="The item's id.")]
NoMarkOption = Annotated[bool, typer.Option("--no-mark", help="Leave the item unread.")]


@sense_app.callback()
def sense_main(ctx: typer.Context) -> None:
    """Make sense of what you collected. With no subcommand: list the inbox."""
    if ctx.invoked_subcommand is None:
        sense_inbox(ctx)


def when_option(pkm: "Pkm", value: str | None, hint: str, *, end: bool = False) -> datetime | None:
    from pkm._util.timeutil import parse_when

    if value is None:
        return None
    try:
        return parse_when(value, pkm.now(), end=end)
    except ValueError as e:
        raise typer.BadParameter(safe(str(e)), param_hint=hint) from None


def tags_option(values: list[str] | None, hint: str) -> tuple[str, ...]:
    from pkm.sense import clean_tag

    try:
        return tuple(dict.fromkeys(clean_tag(v) for v in values or ()))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint=hint) from None


@sense_app.command("inbox")
def sense_inbox(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every item but deleted ones, not only unread ones.")
    ] = False,
    status: StatusOption = None,
    source: SourceOption = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only items with this tag (repeatable: all of them).",
            autocompletion=complete_tag,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="DATE", help="Only items dated on or after DATE (2026-01-31, 7d)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="DATE", help="Only items dated on or before DATE."),
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
    offset: Annotated[
        int, typer.Option("--offset", min=0, metavar="N", help="Skip the first N items.")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """List the inbox: unread items, newest first."""
    from pkm.sense import LISTED, ItemSelection, count_inbox, list_inbox

    if show_all and status:
        raise typer.BadParameter("use --all or --status, not both", param_hint="--all")
    with cli_errors():
        pkm = get_pkm(ctx, readonly=True)
        selection = ItemSelection(
            statuses=LISTED if show_all else (tuple(status) if status else None),
            sources=tuple(source or ()),
            tags=tags_option(tag, "--tag"),
            since=when_option(pkm, since, "--since"),
            before=when_option(pkm, until, "--until", end=True),
        )
        if as_json:
            from pkm.serialize import item_json

            emit_json_list(item_json(i) for i in list_inbox(pkm, selection, limit, offset))
            return
        page = limit or PAGE
        items = list(list_inbox(pkm, selection, page, offset))
        _print_items(items)
        if len(items) == page and limit is None:
            more = count_inbox(pkm, selection) - offset - page
            if more > 0:
                info(f"… and {more} more: --limit N shows more, --json lists all")


def _print_items(items: list["Item"]) -> None:
    from rich.text import Text

    columns = [
        Column("id", justify="right"),
        Column("date", shrink=3, min_width=10),
        Column("status", shrink=4, min_width=7),
        Column("source", shrink=2, min_width=16),
        Column("title", shrink=1, min_width=20),
    ]
    for i in items:
        date = i.sort_at or i.date or i.first_seen_at  # what the list is sorted by
        title = Text(safe(i.title or i.url) or "(untitled)")
        if i.kind in ("question", "answer"):  # a teammate asking, or answering you
            title = Text.assemble((f"{i.kind}: ", "bold"), title)
        if i.tags:
            title.append(" " + " ".join(f"#{safe(t)}" for t in i.tags), style="dim")
        add_row(
            columns,
            Text(str(i.id)),
            Text(date.strftime("%Y-%m-%d")),
            Text(i.status.value),
            Text(safe(i.source_title or (i.source_urls[0] if i.source_urls else ""))),
            title,
        )
    console = stdout_console()
    console.print(fitted_table(columns, console.width))


@sense_app.command("show")
def sense_show(
    ctx: typer.Context,
    item_id: ItemIdArgument,
    no_mark: NoMarkOption = False,
    as_json: JsonOption = False,
) -> None:
    """Show an item with its highlights, comments and notes, and mark it read."""
    from pkm.sense import show_item

    with cli_errors():
        view = show_item(get_pkm(ctx, readonly=no_mark), item_id, mark=not no_mark)
        if as_json:
            from pkm.serialize import item_view_json

            emit_json(item_view_json(view.item, view.annotations, view.notes))
            return
        _page(view)


def _page(view: "ItemView") -> None:
    """Print the item: through a pager when it is longer than the terminal; piped, as
    text 80 columns wide without the padding Rich adds to fill each line."""
    import os

    from rich.console import Group

    from pkm.cli._show import item_renderables

    group = Group(*item_renderables(view))
    console = reading_console()
    if not console.is_terminal:
        with console.capture() as captured:
            console.print(group)
        sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    elif len(console.render_lines(group, pad=False)) > console.height:
        os.environ.setdefault("LESS", "FRX")  # colours through less, as git sets it up
        with console.pager(styles=True):
            console.print(group)
    else:
        console.print(group)


@sense_app.command("open")
def sense_open(ctx: typer.Context, item_id: ItemIdArgument, no_mark: NoMarkOption = False) -> None:
    """Open an item in the web browser ($BROWSER), and mark it read."""
    from pkm.sense import item_url_to_open

    with cli_errors():
        url = item_url_to_open(get_pkm(ctx, readonly=no_mark), item_id, mark=not no_mark)
        if not _open_in_browser(url):
            info("no browser could be opened; the address is:")
            sys.stdout.write(safe(url) + "\n")


def _open_in_browser(url: str) -> bool:
    """Whether a browser took the address. $BROWSER (commands separated by `:`), when set,
    is the user's choice and the only one tried; else what `webbrowser` finds."""
    import os
    import webbrowser

    choice = [c for c in os.environ.get("BROWSER", "").split(os.pathsep) if c.strip()]
    if not choice:
        return webbrowser.open(url)
    for command in choice:
        try:
            if webbrowser.get(command).open(url):
                return True
        except webbrowser.Error:  # not a command this machine has
            continue
    return False


def _read_stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise typer.BadParameter("- reads ids from stdin, but nothing is piped in", param_hint="ID")
    return sys.stdin.read()


def _selection(
    ids: list[str] | None,
    source: list[str] | None,
    status: list[ItemStatus] | None,
    older_than: str | None,
) -> "ItemSelection":
    """What the ids and selectors choose; a usage error when they are malformed or absent."""
    from pkm._util.timeutil import parse_duration
    from pkm.sense import ItemSelection, parse_id_refs

    try:
        refs = parse_id_refs(_read_stdin() if t == "-" else t for t in ids) if ids else None
    except ValueError as e:
        raise typer.BadParameter(safe(str(e)), param_hint="ID") from None
    try:
        age = parse_duration(older_than) if older_than is not None else None
    except ValueError as e:
        raise typer.BadParameter(safe(str(e)), param_hint="--older-than") from None
    selection = ItemSelection(
        ids=refs,
        statuses=tuple(status) if status else None,
        sources=tuple(source or ()),
        older_than=age,
    )
    if refs is None and not selection.has_selectors:
        raise typer.BadParameter(
            "name item ids (or -), or select items with --source, --status or --older-than",
            param_hint="ID",
        )
    return selection


def _report_unknown(unknown: tuple[str, ...]) -> None:
    if unknown:
        error(f"no such item: {', '.join(unknown)}")
        raise typer.Exit(EXIT_PARTIAL)


# The summary line of `mark`, by action.
_MARKED = {
    "read": "marked {} read",
    "unread": "marked {} unread",
    "star": "starred {}",
    "unstar": "unstarred {}",
    "archive": "archived {}",
    "delete": "deleted {}",
}


def _items(n: int) -> str:
    return f"{n} item" + ("" if n == 1 else "s")


@sense_app.command("mark")
def sense_mark(
    ctx: typer.Context,
    ids: IdsArgument = None,
    read: Annotated[bool, typer.Option("--read", help="Unread items become read.")] = False,
    unread: Annotated[bool, typer.Option("--unread", help="Back to the inbox.")] = False,
    star: Annotated[bool, typer.Option("--star", help="Keep them (starred).")] = False,
    unstar: Annotated[bool, typer.Option("--unstar", help="Starred items become read.")] = False,
    archive: Annotated[bool, typer.Option("--archive", help="Done with, and kept.")] = False,
    delete: Annotated[
        bool, typer.Option("--delete", help="Gone for good: seek never brings them back.")
    ] = False,
    source: SourceOption = None,
    older_than: OlderThanOption = None,
    status: StatusOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Mark items read, unread, starred, archived or deleted."""
    from pkm.sense import MarkAction, mark_items

    flags = {
        MarkAction.READ: read,
        MarkAction.UNREAD: unread,
        MarkAction.STAR: star,
        MarkAction.UNSTAR: unstar,
        MarkAction.ARCHIVE: archive,
        MarkAction.DELETE: delete,
    }
    actions = [a for a, on in flags.items() if on]
    if len(actions) != 1:
        raise typer.BadParameter(
            "give exactly one of --read, --unread, --star, --unstar, --archive, --delete",
            param_hint="action",
        )
    selection = _selection(ids, source, status, older_than)
    with cli_errors():
        result = mark_items(get_pkm(ctx), selection, actions[0])
        if as_json:
            emit_json(result)
        elif not quiet:
            line = _MARKED[result.action.value].format(_items(len(result.changed)))
            if result.unchanged:
                line += f" ({len(result.unchanged)} unchanged)"
            info(line)
        _report_unknown(result.unknown)


@sense_app.command("tag")
def sense_tag(
    ctx: typer.Context,
    ids: IdsArgument = None,
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add", metavar="TAG", help="Tag to add (repeatable).", autocompletion=complete_tag
        ),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option(
            "--remove",
            metavar="TAG",
            help="Tag to remove (repeatable).",
            autocompletion=complete_tag,
        ),
    ] = None,
    source: SourceOption = None,
    older_than: OlderThanOption = None,
    status: StatusOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Add tags to items or remove them."""
    from pkm.sense import tag_items

    added, removed = tags_option(add, "--add"), tags_option(remove, "--remove")
    if not added and not removed:
        raise typer.BadParameter("give a tag to --add or --remove", param_hint="--add")
    if both := set(added) & set(removed):
        raise typer.BadParameter(
            f"a tag cannot be both added and removed: {', '.join(sorted(both))}", param_hint="--add"
        )
    selection = _selection(ids, source, status, older_than)
    with cli_errors():
        result = tag_items(get_pkm(ctx), selection, added, removed)
        if as_json:
            emit_json(result)
        elif not quiet:
            change = " ".join([*(f"+{t}" for t in added), *(f"-{t}" for t in removed)])
            line = f"tagged {_items(len(result.changed))} ({change})"
            if result.unchanged:
                line += f", {len(result.unchanged)} unchanged"
            info(line)
        _report_unknown(result.unknown)
