"""`pkm sense notes`, `note new/show/edit`, `synthesize` and `reindex`: the vault's notes.

Registered on `sense_app`; the services are in `pkm.sense.notes`. The editor is started
here, the only layer that reads the environment and knows whether it runs on a terminal.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._complete import complete_note, complete_tag
from pkm.cli._context import EXIT_PARTIAL, cli_errors, get_pkm, get_pkm_refreshing
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import (
    Column,
    add_row,
    emit_json,
    emit_json_list,
    error,
    fitted_table,
    info,
    safe,
    stdout_console,
    warn,
)
from pkm.cli.sense import sense_app
from pkm.errors import ItemNotFoundError

if TYPE_CHECKING:
    from pkm.core import Pkm

note_app = typer.Typer(help="Write, show and edit the notes of the vault.", no_args_is_help=True)
sense_app.add_typer(note_app, name="note")

TagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        metavar="T",
        help="Tag the note T (repeatable).",
        autocompletion=complete_tag,
    ),
]
NoEditOption = Annotated[bool, typer.Option("--no-edit", help="Do not open the editor.")]
NameArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME",
        help="File name, path, title or alias of the note.",
        autocompletion=complete_note,
    ),
]


def _on_terminal() -> bool:
    from pkm.cli import _editor  # subprocess, tempfile, shlex: only when a command runs

    return _editor.on_terminal()


def _edit(pkm: "Pkm", file: Path) -> None:
    """Open a note in the editor; a failing editor is a warning (the note is written)."""
    from pkm.cli import _editor

    try:
        _editor.edit_file(file, pkm.settings.sense.editor)
    except _editor.EditorError as e:
        warn(f"warning: {e}")


def _file_json(pkm: "Pkm", path: str) -> str:
    return str(pkm.vault / path)


@note_app.command("new")
def sense_note_new(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(metavar="TITLE", help="The note's title.")],
    tag: TagOption = None,
    no_edit: NoEditOption = False,
    quiet: QuietOption = False,
) -> None:
    """Create a note in the vault, open it in the editor, print its path."""
    from pkm.sense.notes import create_note, sync_notes

    with cli_errors():
        pkm = get_pkm(ctx)
        file = create_note(pkm, title, tags=tag or ())
        if not no_edit and _on_terminal():
            _edit(pkm, file)
            sync_notes(pkm)
        if not quiet:
            sys.stdout.write(f"{file}\n")


@note_app.command("show")
def sense_note_show(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Show a note: its text, its links, its backlinks and the items it cites."""
    from pkm.sense.notes import show_note
    from pkm.serialize import item_json, note_json

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        view = show_note(pkm, name)
        if as_json:
            emit_json(
                {
                    "note": note_json(view.note, str(view.file)),
                    "text": view.text,
                    "links": [
                        {
                            "target": k.target,
                            "heading": k.heading,
                            "alias": k.alias,
                            "path": k.path,
                            "broken": k.path is None,
                        }
                        for k in view.links
                    ],
                    "backlinks": [note_json(n, _file_json(pkm, n.path)) for n in view.backlinks],
                    "items": [item_json(i) for i in view.items],
                    "missing_item_ids": list(view.missing_item_ids),
                }
            )
            return
        from pkm._util.text import strip_controls

        out = [strip_controls(view.text).rstrip("\n"), "", f"— {view.note.path}"]
        if view.note.error:
            out.append(f"  {safe(view.note.error)}")
        out.append(f"links ({len(view.links)}):")
        for k in view.links:
            label = k.target + (f"#{k.heading}" if k.heading else "")
            out.append(f"  [[{safe(label)}]] -> {safe(k.path) if k.path else '(no such note)'}")
        out.append(f"backlinks ({len(view.backlinks)}):")
        out += [f"  {safe(n.path)}  {safe(n.title)}" for n in view.backlinks]
        out.append(f"cites ({len(view.items) + len(view.missing_item_ids)}):")
        out += [f"  {i.id}  {safe(i.title or '(untitled)')}  {safe(i.url)}" for i in view.items]
        out += [f"  {i}  (no such item)" for i in view.missing_item_ids]
        sys.stdout.write("\n".join(out) + "\n")


@note_app.command("edit")
def sense_note_edit(ctx: typer.Context, name: NameArgument) -> None:
    """Open a note in the editor ([sense] editor, $VISUAL, $EDITOR, vi)."""
    from pkm.sense.notes import note_file, sync_notes

    with cli_errors():
        pkm = get_pkm(ctx)
        file = note_file(pkm, name)
        _edit(pkm, file)
        sync_notes(pkm)


@sense_app.command("notes")
def sense_notes(
    ctx: typer.Context,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag", "-t", metavar="T", help="Only notes tagged T.", autocompletion=complete_tag
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the notes of the vault, by title."""
    from rich.text import Text

    from pkm.sense.notes import list_notes
    from pkm.serialize import note_json

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        notes = list_notes(pkm, tag=tag)
        if as_json:
            emit_json_list(note_json(n, _file_json(pkm, n.path)) for n in notes)
            return
        columns = [
            Column("path", shrink=2, min_width=12),
            Column("updated", shrink=3, min_width=10),
            Column("tags", shrink=4, min_width=8),
            Column("title", shrink=1, min_width=20),
        ]
        for n in notes:
            title = safe(n.title) + (" (broken frontmatter)" if n.error else "")
            add_row(
                columns,
                Text(safe(n.path)),
                Text(n.updated.strftime("%Y-%m-%d") if n.updated else ""),
                Text(safe(" ".join(n.tags))),
                Text(title),
            )
        console = stdout_console()
        console.print(fitted_table(columns, console.width))


@sense_app.command("synthesize")
def sense_synthesize(
    ctx: typer.Context,
    item_ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="[ID]...", help="Items to gather.", show_default=False),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="T",
            help="The items tagged T or with a highlight tagged T.",
            autocompletion=complete_tag,
        ),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", metavar="Q", help="The items a full-text search finds.")
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="TITLE", help="The new note's title.")
    ] = None,
    into: Annotated[
        str | None,
        typer.Option(
            "--into",
            metavar="NOTE",
            help="Merge into this note (alone: refresh the sources it cites).",
            autocompletion=complete_note,
        ),
    ] = None,
    no_edit: NoEditOption = False,
    quiet: QuietOption = False,
) -> None:
    """Gather items, their highlights and comments into a note; print its path."""
    from pkm.sense.notes import sync_notes, synthesize_note
    from pkm.sense.synthesize import Selection

    chosen = sum([bool(item_ids), tag is not None, query is not None])
    if chosen > 1:
        raise typer.BadParameter("give item ids, --tag or --query, not several", param_hint="ID")
    if chosen == 0 and into is None:
        raise typer.BadParameter(
            "give item ids, --tag or --query (or --into NOTE)", param_hint="ID"
        )
    if into is None and not (title or "").strip():
        raise typer.BadParameter("a new note needs a title", param_hint="--title")
    selection = Selection(item_ids=tuple(item_ids or ()), tag=tag, query=query)
    with cli_errors():
        pkm = get_pkm(ctx)
        try:
            result = synthesize_note(pkm, selection, title=title, into=into)
        except ItemNotFoundError as e:
            error(str(e))
            raise typer.Exit(EXIT_PARTIAL) from None
        verb = "created" if result.created else ("updated" if result.changed else "unchanged")
        info(f"synthesize: {verb}, {len(result.item_ids)} sources", quiet)
        if not no_edit and _on_terminal():
            _edit(pkm, result.file)
            sync_notes(pkm)
        sys.stdout.write(f"{result.file}\n")


@sense_app.command("reindex")
def sense_reindex(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Report stale index entries, broken links and frontmatter; write nothing.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Re-read every file, changed or not.")
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Rebuild the note index from the vault's files."""
    from pkm.sense.notes import check_notes, reindex_notes

    with cli_errors():
        if check:
            pkm = get_pkm(ctx, readonly=True)
            found = check_notes(pkm)
            if as_json:
                emit_json(
                    {
                        "ok": found.ok,
                        "notes": found.notes,
                        "stale": [{"path": p, "state": s} for p, s in found.stale],
                        "broken_links": [
                            {
                                "path": p,
                                "target": k.target,
                                "heading": k.heading,
                                "position": k.position,
                            }
                            for p, k in found.broken_links
                        ],
                        "broken_frontmatter": [{"path": p, "error": e} for p, e in found.broken],
                    }
                )
            else:
                lines = [f"stale index: {p} ({s})" for p, s in found.stale]
                lines += [f"broken link: {p}: [[{k.target}]]" for p, k in found.broken_links]
                lines += [f"broken frontmatter: {p}: {e}" for p, e in found.broken]
                if lines:
                    sys.stdout.write("\n".join(safe(line) for line in lines) + "\n")
            problems = len(found.stale) + len(found.broken_links) + len(found.broken)
            info(f"reindex --check: {found.notes} notes, {problems} problems", quiet)
            if problems:
                raise typer.Exit(1)
            return
        pkm = get_pkm(ctx)
        report = reindex_notes(pkm, force=force)
        for path, why in report.broken:
            warn(f"warning: {path}: {why} (indexed, skipped)")
        if as_json:
            emit_json(
                {
                    "notes": report.notes,
                    "added": list(report.added),
                    "modified": list(report.modified),
                    "removed": list(report.removed),
                    "touched": report.touched,
                    "broken": [{"path": p, "error": e} for p, e in report.broken],
                }
            )
        info(
            f"reindex: {report.notes} notes, {len(report.added)} added,"
            f" {len(report.modified)} modified, {len(report.removed)} removed",
            quiet,
        )
