"""`pkm stats`: the knowledge flow at a glance, as a terminal view or as JSON.

The view is built to be read at 80 columns and still at 40: the trend of the last weeks
as sparklines (one block character per week), then the weeks' figures, the totals and the
sources that need a look, each a table that gives up columns rather than wrapping rows.
This module reads TZ (the person's zone) and writes to stdout.
"""

import os
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._context import cli_errors, get_pkm
from pkm.cli._options import JsonOption
from pkm.cli._output import Column, add_row, emit_json, fitted_table, reading_console, safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from pkm.models import Stats, WeekActivity

# Eighths of a block, lowest first: a week's bar is its share of the busiest week.
_BLOCKS = "▁▂▃▄▅▆▇█"
_ZERO = "·"
# Failing and stale sources shown in the terminal view (--json lists them all).
_SHOWN_SOURCES = 10
# --weeks: two months by default, ten years at most (one block character each).
_DEFAULT_WEEKS = 8
_MAX_WEEKS = 520


def stats_command(
    ctx: typer.Context,
    weeks: Annotated[
        int,
        typer.Option(
            "--weeks",
            "-w",
            metavar="N",
            min=1,
            max=_MAX_WEEKS,
            help="How many ISO weeks to show, this one included.",
        ),
    ] = _DEFAULT_WEEKS,
    as_json: JsonOption = False,
) -> None:
    """The knowledge flow at a glance: sought, read, annotated, written, shared; sources."""
    from pkm.share.period import local_timezone
    from pkm.stats import compute_stats

    with cli_errors():
        tz = local_timezone(os.environ.get("TZ"))
        stats = compute_stats(get_pkm(ctx, readonly=True), weeks=weeks, tz=tz)
        if as_json:
            emit_json(stats)
            return
        _render(reading_console(), stats, tz)


def sparkline(values: Sequence[int]) -> str:
    """One character per value, its height its share of the largest; zero is a dot, so an
    empty week is never mistaken for a small one."""
    top = max(values, default=0)
    return "".join(
        _BLOCKS[max(0, -(-v * len(_BLOCKS) // top) - 1)] if v > 0 else _ZERO for v in values
    )


def _render(console: "Console", stats: "Stats", tz: tzinfo) -> None:
    from rich.text import Text

    weeks = stats.weeks
    span = weeks[0].week if len(weeks) == 1 else f"{weeks[0].week} to {weeks[-1].week}"
    console.print(Text(f"Knowledge flow, {span}", style="bold"))
    console.print(_trend(weeks, console.width))
    console.print()
    console.print(_weeks_table(weeks, console.width))
    note = f"ISO weeks in {safe(stats.timezone)}"
    if weeks[-1].in_progress:
        note = f"* so far. {note}"
    console.print(Text(note + ".", style="dim"))
    console.print()
    console.print(Text("Totals", style="bold"))
    console.print(_totals_table(stats, console.width))
    if not stats.notes_index_current:
        console.print(
            Text("Notes changed since they were indexed: `pkm sense reindex`.", style="dim")
        )
    _sources(console, stats, tz)


def _trend(weeks: Sequence["WeekActivity"], width: int) -> "Table":
    """Sparklines of the main flows, one row each, with their totals over the weeks. With
    more weeks than the width holds, the lines show the latest ones."""
    from rich.text import Text

    rows = [
        ("sought", [w.sought for w in weeks]),
        ("read", [w.read for w in weeks]),
        ("annotated", [w.annotated for w in weeks]),
        ("notes", [w.notes for w in weeks]),
    ]
    totals = [f"{sum(values):,}" for _, values in rows]
    room = width - len("annotated") - max(len(t) for t in totals) - 2
    columns = [Column(""), Column("", shrink=1), Column("", justify="right")]
    for (label, values), total in zip(rows, totals, strict=True):
        # Too many weeks for the width: the latest ones.
        shown = values[-room:] if 0 < room < len(values) else values
        add_row(columns, Text(label), Text(sparkline(shown), style="cyan"), Text(total))
    table = fitted_table(columns, width)
    table.show_header = False
    return table


def _count(n: int) -> "Text":
    from rich.text import Text

    return Text(f"{n:,}", style="dim" if n == 0 else "")


def _weeks_table(weeks: Sequence["WeekActivity"], width: int) -> "Table":
    from rich.text import Text

    # Left out when the terminal is narrow, the highest `shrink` first (never cut: a
    # figure cut short would be a wrong figure). At 40 columns: sought, read, annotated, notes.
    figures = {
        "sought": 0,
        "saved": 6,
        "read": 0,
        "starred": 5,
        "annotated": 3,
        "notes": 4,
        "digests": 7,
    }
    values = [[int(getattr(w, name)) for name in figures] for w in weeks]
    columns = [Column("week")]
    for n, (name, shrink) in enumerate(figures.items()):
        cells = max(len(f"{row[n]:,}") for row in values)
        columns.append(
            Column(name, shrink=shrink, min_width=max(cells, len(name)), justify="right")
        )
    for w, row in zip(weeks, values, strict=True):
        add_row(columns, Text(w.week + ("*" if w.in_progress else "")), *map(_count, row))
    return fitted_table(columns, width)


def _totals_table(stats: "Stats", width: int) -> "Table":
    from rich.text import Text

    t = stats.totals
    items = t.items
    have = items.unread + items.read + items.starred + items.archived
    lines = [
        (
            "items",
            f"{have:,}: {items.unread:,} unread, {items.read:,} read,"
            f" {items.starred:,} starred, {items.archived:,} archived"
            + (f" ({items.deleted:,} deleted)" if items.deleted else ""),
        ),
        ("saved pages", f"{t.saved_pages:,}"),
        (
            "sources",
            f"{t.sources:,}: {len(stats.failing_sources):,} failing,"
            f" {len(stats.stale_sources):,} stale",
        ),
        (
            "annotations",
            f"{t.annotations:,} yours ({t.annotations_orphaned:,} orphaned),"
            f" {t.teammate_annotations:,} from teammates",
        ),
        ("notes", f"{t.notes:,}" + (f" ({t.notes_broken:,} broken)" if t.notes_broken else "")),
        ("digests", f"{t.digests:,} published ({t.publications:,} runs)"),
        ("questions", f"{t.questions:,} asked, {t.answers:,} answered"),
    ]
    columns = [Column(""), Column("", shrink=1, min_width=10)]
    for label, value in lines:
        add_row(columns, Text(label), Text(value))
    table = fitted_table(columns, width)
    table.show_header = False
    return table


def _day(when: datetime | None, tz: tzinfo) -> str:
    return when.astimezone(tz).date().isoformat() if when else "never"


def _sources(console: "Console", stats: "Stats", tz: tzinfo) -> None:
    from rich.text import Text

    width = console.width
    console.print()
    console.print(Text("Busiest sources (items in these weeks)", style="bold"))
    if stats.busiest_sources:
        columns = [Column("source", shrink=1, min_width=10), Column("items", justify="right")]
        for b in stats.busiest_sources:
            add_row(columns, Text(safe(b.title or b.url)), Text(f"{b.items:,}"))
        console.print(fitted_table(columns, width))
    else:
        console.print(Text("nothing came in", style="dim"))

    console.print()
    console.print(Text("Failing sources", style="bold"))
    if stats.failing_sources:
        columns = [
            Column("source", shrink=1, min_width=10),
            Column("errors", justify="right"),
            Column("since", shrink=3, min_width=10),
            Column("last error", shrink=2, min_width=12, wrap=True),
        ]
        for f in stats.failing_sources[:_SHOWN_SOURCES]:
            error = f.health.value.replace("_", " ")
            if f.last_error:
                error += f": {f.last_error}"
            add_row(
                columns,
                Text(safe(f.title or f.url)),
                Text(f"{f.error_count:,}"),
                Text(_day(f.failing_since, tz) if f.failing_since else "?"),
                Text(safe(error), style="red"),
            )
        console.print(fitted_table(columns, width))
        _more(console, len(stats.failing_sources))
    else:
        console.print(Text("none", style="dim"))

    console.print()
    console.print(
        Text(f"Stale sources (nothing new for {stats.stale_after_days} days)", style="bold")
    )
    if stats.stale_sources:
        columns = [
            Column("source", shrink=1, min_width=10),
            Column("last new", shrink=2, min_width=10),
            Column("days", justify="right"),
        ]
        for s in stats.stale_sources[:_SHOWN_SOURCES]:
            add_row(
                columns,
                Text(safe(s.title or s.url)),
                Text(_day(s.last_new_at, tz)),
                Text(f"{s.quiet_days:,}"),
            )
        console.print(fitted_table(columns, width))
        _more(console, len(stats.stale_sources))
    else:
        console.print(Text("none", style="dim"))


def _more(console: "Console", total: int) -> None:
    from rich.text import Text

    if total > _SHOWN_SOURCES:
        more = total - _SHOWN_SOURCES
        console.print(Text(f"and {more:,} more: `pkm stats --json`, `pkm seek list`", style="dim"))
