"""`pkm sense search` and `pkm sense related`: one ranked search over items, highlights and
notes, and what is like a given item."""

import re
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pkm.cli._complete import complete_note, complete_tag
from pkm.cli._context import cli_errors, get_pkm_refreshing
from pkm.cli._options import JsonOption
from pkm.cli._output import emit_json, safe, stdout_console
from pkm.cli.sense import (
    SourceOption,
    StatusOption,
    sense_app,
    tags_option,
    when_option,
)

if TYPE_CHECKING:
    from rich.text import Text

    from pkm.models import SearchHit, SearchKind

KIND_CHOICES = ["item", "annotation", "note"]


@cache
def _marked_re() -> re.Pattern[str]:
    """A match in a snippet; built on first use, as pkm.models is imported only then."""
    from pkm.models import MATCH_END, MATCH_START

    return re.compile(f"{MATCH_START}(.*?){MATCH_END}", re.DOTALL)


def hit_json(hit: "SearchHit") -> dict[str, Any]:
    """A hit with its snippet as plain text and the matches as [start, end) offsets in it."""
    text, matches = _unmark(hit.snippet)
    return {
        "kind": hit.kind,
        "id": hit.id,
        "score": round(hit.score, 4),
        "title": hit.title,
        "url": hit.url,
        "item_id": hit.item_id,
        "path": hit.path,
        "date": hit.date,
        "snippet": text,
        "matches": matches,
    }


def _unmark(snippet: str) -> tuple[str, list[list[int]]]:
    from pkm.models import MATCH_END, MATCH_START

    parts: list[str] = []
    matches: list[list[int]] = []
    length = 0
    last = 0
    for m in _marked_re().finditer(snippet):
        before = snippet[last : m.start()]
        parts += [before, m[1]]
        length += len(before)
        matches.append([length, length + len(m[1])])
        length += len(m[1])
        last = m.end()
    parts.append(snippet[last:])
    return "".join(parts).replace(MATCH_START, "").replace(MATCH_END, ""), matches


def _snippet_text(snippet: str) -> "Text":
    from rich.text import Text

    text, matches = _unmark(safe(snippet))
    rendered = Text(text, style="dim")
    for start, end in matches:
        rendered.stylize("bold", start, end)
    return rendered


def render_hits(hits: "list[SearchHit]") -> None:
    """Each hit on its own lines: kind and id, title, date, then its snippet, indented."""
    from rich.padding import Padding
    from rich.text import Text

    console = stdout_console()
    for hit in hits:
        label = {"item": "item", "annotation": "highlight", "note": "note"}[hit.kind]
        head = Text.assemble(
            (f"{hit.id:>6} ", "bold"),
            (f"{label:<9} ", "cyan"),
            safe(hit.title or hit.path or hit.url) or "(untitled)",
        )
        if hit.date:
            head.append(f"  {hit.date:%Y-%m-%d}", style="dim")
        if hit.kind == "annotation" and hit.item_id is not None:
            head.append(f"  (item {hit.item_id})", style="dim")
        console.print(head, overflow="ellipsis", no_wrap=True)
        console.print(Padding(_snippet_text(hit.snippet), (0, 0, 0, 7), expand=False))


def item_ids(hits: "list[SearchHit]") -> list[int]:
    """The items the hits are about, in rank order, once each: a highlight counts for its
    item, a note for none."""
    return list(dict.fromkeys(h.item_id for h in hits if h.item_id is not None))


@sense_app.command("search")
def sense_search(
    ctx: typer.Context,
    query: Annotated[list[str], typer.Argument(metavar="QUERY", help="Words to find.")],
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--type", metavar="item|note|annotation", help="Only hits of this kind (repeatable)."
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only hits tagged TAG (repeatable).",
            autocompletion=complete_tag,
        ),
    ] = None,
    source: SourceOption = None,
    status: StatusOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Only from DATE on (2026-01-31, 7d)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Only up to DATE.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N")] = 20,
    as_json: JsonOption = False,
    ids: Annotated[
        bool, typer.Option("--ids", help="Print only the matching items' ids, one per line.")
    ] = False,
) -> None:
    """Search items, highlights and notes at once, best match first.

    Words match anywhere; "a phrase" matches as written; AND, OR, NOT and (...) combine;
    word* matches a prefix; title:word, highlight:word and body:word search one field.
    """
    from pkm.sense.search import SearchQuery, search

    with cli_errors():
        if as_json and ids:
            raise typer.BadParameter("choose one of --json and --ids", param_hint="--ids")
        pkm = get_pkm_refreshing(ctx)
        hits = search(
            pkm,
            SearchQuery(
                text=" ".join(query),
                kinds=tuple(_kinds(kinds)),
                tags=tags_option(tag, "--tag"),
                sources=tuple(source or ()),
                statuses=tuple(status or ()),
                since=when_option(pkm, since, "--since"),
                until=when_option(pkm, until, "--until", end=True),
                limit=limit,
            ),
        )
        if ids:
            import sys

            sys.stdout.write("".join(f"{i}\n" for i in item_ids(hits)))
        elif as_json:
            emit_json([hit_json(h) for h in hits])
        else:
            render_hits(hits)


def _kinds(values: list[str] | None) -> "list[SearchKind]":
    kinds: list[SearchKind] = []
    for value in values or ():
        for part in value.split(","):
            if part not in KIND_CHOICES:
                raise typer.BadParameter(
                    f"{part!r} is not one of item, note, annotation", param_hint="--type"
                )
            kinds.append(part)  # type: ignore[arg-type]
    return kinds


@sense_app.command("related")
def sense_related(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            metavar="ID|NOTE", help="An item id or a note's name.", autocompletion=complete_note
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N")] = 10,
    as_json: JsonOption = False,
) -> None:
    """What is most like an item or a note, and the notes that mention it without a link."""
    from pkm.sense.search import related_to

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        found = related_to(pkm, ref, limit=limit)
        if as_json:
            emit_json(
                {
                    "similar": [hit_json(h) for h in found.similar],
                    "unlinked_mentions": [hit_json(h) for h in found.unlinked_mentions],
                }
            )
            return
        render_hits(found.similar)
        if found.unlinked_mentions:
            from rich.text import Text

            stdout_console().print(Text("\nMentioned without a link in:", style="bold"))
            render_hits(found.unlinked_mentions)
