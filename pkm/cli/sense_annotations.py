"""`pkm sense annotate`, `annotations`, `annotation edit|delete` and `review`: highlights and
comments, registered on `sense_app`. Heavy imports stay inside the commands."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._complete import complete_tag
from pkm.cli._context import cli_errors, get_pkm, get_pkm_refreshing
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import Column, add_row, emit_json, fitted_table, info, safe, stdout_console
from pkm.cli.sense import sense_app

if TYPE_CHECKING:
    from pkm.cli._editor import Draft
    from pkm.core import Pkm
    from pkm.models import Annotation, ItemRef
    from pkm.sense import ReviewCard

annotation_app = typer.Typer(
    help="Change or delete one annotation (see `pkm sense annotations`).", no_args_is_help=True
)
sense_app.add_typer(annotation_app, name="annotation")

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


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    W3C = "w3c"


@sense_app.command("annotate")
def sense_annotate(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID", help="The item (see `pkm sense inbox`).")],
    highlight: Annotated[
        str | None,
        typer.Option(
            "--highlight",
            metavar="TEXT",
            help="The passage to highlight, as in the item's text (whitespace may differ).",
        ),
    ] = None,
    comment: Annotated[
        str | None, typer.Option("--comment", metavar="TEXT", help="Your comment.")
    ] = None,
    tag: TagOption = None,
    occurrence: Annotated[
        int | None,
        typer.Option(
            "--occurrence",
            metavar="N",
            min=1,
            help="Which occurrence of a passage found more than once (from 1).",
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Highlight a passage of an item, or comment on it; with no options, open $EDITOR.

    Prints the new annotation's id.
    """
    from pkm.cli import _editor
    from pkm.sense import annotate_item

    with cli_errors():
        pkm = get_pkm(ctx)
        tags = tag or []
        if highlight is None and comment is None and not tags:
            if not _editor.on_terminal():
                raise typer.BadParameter(
                    "give --highlight, --comment or --tag (with none, on a terminal, "
                    "the editor opens)",
                    param_hint="--highlight",
                )
            draft = _draft_in_editor(pkm, item_id)
            if draft is None:
                info("nothing written: the template was left empty")
                return
            highlight, comment, tags = draft.highlight or None, draft.comment, draft.tags
        annotation = annotate_item(
            pkm,
            item_id,
            highlight=highlight,
            comment=comment or "",
            tags=tags,
            occurrence=occurrence,
        )
        if as_json:
            _emit_annotations(pkm, [annotation], single=True)
            return
        if quiet:
            return
        print(annotation.id)
        what = "highlight" if annotation.quote is not None else "comment"
        info(f"annotation {annotation.id}: {what} on item {item_id}")


def _draft_in_editor(pkm: "Pkm", item_id: int) -> "Draft | None":
    from pkm.cli import _editor
    from pkm.sense import get_item_ref

    ref = get_item_ref(pkm, item_id)
    template = _editor.annotate_template(item_id, safe(ref.title or ref.url) or "(untitled)")
    draft = _editor.parse_annotate_template(_editor.edit_text(template, pkm.settings.sense.editor))
    return None if draft.empty else draft


@sense_app.command("annotations")
def sense_annotations(
    ctx: typer.Context,
    item: Annotated[
        int | None, typer.Option("--item", metavar="ID", help="Only this item's annotations.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only annotations with this tag (repeatable: any).",
            autocompletion=complete_tag,
        ),
    ] = None,
    orphaned: Annotated[
        bool, typer.Option("--orphaned", help="Only highlights whose passage was lost.")
    ] = False,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only your own, not those teammates shared.")
    ] = False,
    output: Annotated[
        ListFormat,
        typer.Option(
            "--format",
            help="table, json, or w3c (a W3C Web Annotation collection, JSON-LD).",
            case_sensitive=False,
        ),
    ] = ListFormat.TABLE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (--format json).")] = False,
) -> None:
    """List highlights and comments, per item in text order."""
    from rich.text import Text

    from pkm.models import AnnotationState
    from pkm.sense import AnnotationQuery, item_refs, list_annotations

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        query = AnnotationQuery(item_id=item, tags=tag or (), orphaned=orphaned, mine=mine)
        annotations = list_annotations(pkm, query)
        if as_json or output is ListFormat.JSON:
            _emit_annotations(pkm, annotations)
            return
        refs = item_refs(pkm, annotations)
        if output is ListFormat.W3C:
            from pkm.serialize import w3c_collection

            emit_json(w3c_collection(annotations, refs))
            return
        columns = [
            Column("id", justify="right"),
            Column("item", justify="right"),
            Column("state", shrink=4, min_width=6),
            Column("highlight", shrink=1, min_width=20),
            Column("comment", shrink=2, min_width=16, wrap=True),
            Column("tags", shrink=3, min_width=8),
            Column("shared by", shrink=3, min_width=9),
        ]
        for a in annotations:
            add_row(
                columns,
                Text(str(a.id)),
                Text(str(a.item_id)),
                Text(a.state.value, style="red" if a.state is AnnotationState.ORPHANED else ""),
                Text(
                    safe(a.quote.exact) if a.quote else "(the whole item)",
                    style="" if a.quote else "dim",
                ),
                Text(safe(a.comment)),
                Text(" ".join(f"#{safe(t)}" for t in a.tags)),
                Text(safe(a.shared_by or "")),
            )
        console = stdout_console()
        console.print(fitted_table(columns, console.width))


def _emit_annotations(pkm: "Pkm", annotations: "list[Annotation]", single: bool = False) -> None:
    from pkm.cli._output import emit_json_list
    from pkm.sense import item_refs
    from pkm.serialize import annotation_json

    refs: dict[int, ItemRef] = item_refs(pkm, annotations)
    if single:
        emit_json(annotation_json(annotations[0], refs.get(annotations[0].item_id)))
    else:
        emit_json_list(annotation_json(a, refs.get(a.item_id)) for a in annotations)


@annotation_app.command("edit")
def annotation_edit(
    ctx: typer.Context,
    annotation_id: Annotated[int, typer.Argument(metavar="ANN_ID", help="The annotation.")],
    comment: Annotated[
        str | None,
        typer.Option("--comment", metavar="TEXT", help='The new comment ("" clears it).'),
    ] = None,
    tag: TagOption = None,
    remove_tag: Annotated[
        list[str] | None,
        typer.Option(
            "--remove-tag",
            metavar="TAG",
            help="Tag to take off (repeatable).",
            autocompletion=complete_tag,
        ),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Change an annotation's comment or tags; with no options, edit the comment in $EDITOR."""
    from pkm.cli import _editor
    from pkm.sense import edit_annotation, get_annotation

    with cli_errors():
        pkm = get_pkm(ctx)
        if comment is None and not tag and not remove_tag:
            if not _editor.on_terminal():
                raise typer.BadParameter(
                    "give --comment, --tag or --remove-tag (with none, on a terminal, "
                    "the editor opens)",
                    param_hint="--comment",
                )
            old = get_annotation(pkm, annotation_id)
            template = _editor.comment_template(
                annotation_id, old.comment, old.quote.exact if old.quote else None
            )
            edited = _editor.parse_comment_template(
                _editor.edit_text(template, pkm.settings.sense.editor)
            )
            if edited == old.comment.strip():
                info(f"annotation {annotation_id}: unchanged", quiet)
                return
            comment = edited
        annotation = edit_annotation(
            pkm, annotation_id, comment=comment, add_tags=tag or [], remove_tags=remove_tag or []
        )
        if as_json:
            _emit_annotations(pkm, [annotation], single=True)
            return
        info(f"annotation {annotation_id}: updated", quiet)


@annotation_app.command("delete")
def annotation_delete(
    ctx: typer.Context,
    annotation_id: Annotated[int, typer.Argument(metavar="ANN_ID", help="The annotation.")],
    quiet: QuietOption = False,
) -> None:
    """Delete an annotation, with its tags and review history."""
    from pkm.sense import delete_annotation

    with cli_errors():
        deleted = delete_annotation(get_pkm(ctx), annotation_id)
        info(f"annotation {deleted.id} deleted (on item {deleted.item_id})", quiet)


REVIEW_KEYS = {"k": "kept", "s": "skipped", "d": "discarded"}


@sense_app.command("review")
def sense_review(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, metavar="N", help="How many highlights.")
    ] = 5,
    as_json: JsonOption = False,
) -> None:
    """Resurface past highlights: keep (k), skip (s) or discard (d) each."""
    from pkm.cli import _editor
    from pkm.sense import review_listing

    with cli_errors():
        pkm = get_pkm(ctx)
        if as_json or not _editor.on_terminal():
            cards = review_listing(pkm, count)
            if as_json:
                from pkm.cli._output import emit_json_list
                from pkm.serialize import annotation_json

                emit_json_list(annotation_json(c.annotation, c.item) for c in cards)
                return
            _print_cards(cards)
            return
        _review_on_terminal(pkm, count)


def _print_cards(cards: "list[ReviewCard]") -> None:
    from rich.text import Text

    columns = [
        Column("id", justify="right"),
        Column("item", shrink=2, min_width=16),
        Column("highlight", shrink=1, min_width=20),
        Column("comment", shrink=3, min_width=12, wrap=True),
    ]
    for card in cards:
        a = card.annotation
        add_row(
            columns,
            Text(str(a.id)),
            Text(safe(card.item.title or card.item.url) or f"item {a.item_id}"),
            Text(safe(a.quote.exact if a.quote else "")),
            Text(safe(a.comment)),
        )
    console = stdout_console()
    console.print(fitted_table(columns, console.width))
    if not cards:
        info("nothing to review: highlight something with `pkm sense annotate`")


def _review_on_terminal(pkm: "Pkm", count: int) -> None:
    from rich.text import Text

    from pkm.models import ReviewAction
    from pkm.sense import record_review, start_review

    cards = start_review(pkm, count)
    if not cards:
        info("nothing to review: highlight something with `pkm sense annotate`")
        return
    console = stdout_console()
    done = dict.fromkeys(REVIEW_KEYS.values(), 0)
    for n, card in enumerate(cards, 1):
        a, item = card.annotation, card.item
        console.print(Text(f"\n[{n}/{len(cards)}] {safe(item.title or item.url)}", style="bold"))
        console.print(Text(safe(a.quote.exact if a.quote else ""), style="italic"))
        if a.comment:
            console.print(Text("  " + safe(a.comment)))
        if a.tags:
            console.print(Text("  " + " ".join(f"#{safe(t)}" for t in a.tags), style="dim"))
        key = _ask_key()
        if key == "q":
            break
        action = REVIEW_KEYS[key]
        record_review(pkm, [a.id], ReviewAction(action))
        done[action] += 1
    info(", ".join(f"{n} {action}" for action, n in done.items()))


def _ask_key() -> str:
    """k, s, d or q (Ctrl-D and Escape count as q); asks again on any other key."""
    while True:
        typer.echo("keep (k), skip (s), discard (d), quit (q)? ", nl=False)
        try:
            key = typer.getchar().lower()
        except (EOFError, KeyboardInterrupt):
            key = "q"
        typer.echo(key if key.isprintable() else "")
        if key in ("\x04", "\x1b"):
            key = "q"
        if key in REVIEW_KEYS or key == "q":
            return key
