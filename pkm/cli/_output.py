"""How the CLI writes: JSON and product to stdout, everything else to stderr.

JSON is written with `sys.stdout.write`, never through Rich, which would wrap, colour and
read `[...]` in feed titles as markup. Text from the network reaches Rich only as `Text`,
and only after `safe()`, so no stored title can move the cursor or retitle the terminal.
"""

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pkm._util.text import one_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def safe(text: str | None) -> str:
    """Untrusted text as one printable line (controls removed, whitespace collapsed)."""
    return one_line(text or "")


# json.dumps escapes C0 controls but writes DEL and C1 (U+0080-U+009F) as they are; some
# terminals obey C1, so they are escaped too (the same JSON value, written safely).
_RAW_IN_JSON_RE = re.compile("[\x7f-\x9f]")


def emit_json(value: Any) -> None:
    from pkm.serialize import to_jsonable  # with pkm.models, not for every --help

    sys.stdout.write(_json(to_jsonable(value)) + "\n")


def emit_json_list(values: Iterable[Any]) -> None:
    """A JSON list written as it is produced, the same text `emit_json` writes for a list:
    a listing of ten thousand items never has to be in memory at once."""
    from pkm.serialize import to_jsonable

    write = sys.stdout.write
    first = True
    for value in values:
        write(("[\n  " if first else ",\n  ") + _json(to_jsonable(value)).replace("\n", "\n  "))
        first = False
    write("[]\n" if first else "\n]\n")


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _RAW_IN_JSON_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def stdout_console() -> "Console":
    """A console for tables on stdout; piped, it is wide so that lines are not cut (scripts
    should prefer --json)."""
    console = _console(soft_wrap=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)
    return console


def reading_console() -> "Console":
    """A console for text to read on stdout: the terminal's width, or 80 columns piped
    (unless COLUMNS says otherwise)."""
    console = _console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 80
    return console


def stderr_console() -> "Console":
    return _console(stderr=True)


def _console(**options: Any) -> "Console":
    return _console_class()(highlight=False, **options)


@cache
def _console_class() -> type["Console"]:
    from rich.console import Console

    class QuietPipeConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich exits 1 here; a reader that went away (`| head`) is not an error, so
            # the CLI's error boundary decides (see cli_errors).
            self.quiet = True
            raise BrokenPipeError

    return QuietPipeConsole


def error(message: str) -> None:
    """One line on stderr; never markup-parsed (messages carry URLs and feed titles)."""
    sys.stderr.write(f"pkm: error: {safe(message)}\n")


def warn(message: str) -> None:
    sys.stderr.write(f"pkm: {safe(message)}\n")


def info(message: str, quiet: bool = False) -> None:
    if not quiet:
        sys.stderr.write(safe(message) + "\n")


@dataclass
class Column:
    """A column of a table that fits the terminal.

    `shrink` orders who gives up width when the table is too wide: the highest first, down
    to `min_width`; 1 marks the column that shrinks last; 0 never shrinks. If the table is
    still too wide, columns are left out, the highest `shrink` first (never 0 or 1). The
    last column to shrink, and `wrap` columns, fold onto more lines; others are cut with
    an ellipsis.
    """

    header: str
    shrink: int = 0
    min_width: int = 1
    justify: Literal["left", "right"] = "left"
    wrap: bool = False
    cells: list["Text"] = field(default_factory=list)

    @property
    def last(self) -> bool:
        return self.shrink == 1

    @property
    def wraps(self) -> bool:
        return self.wrap or self.last


def add_row(columns: Sequence[Column], *cells: "Text") -> None:
    """One row: a cell for each column, in order."""
    for column, cell in zip(columns, cells, strict=True):
        column.cells.append(cell)


def fitted_table(columns: Sequence[Column], width: int) -> "Table":
    """A borderless table whose columns fit `width` (see `Column` for the order of shrinking)."""
    from rich.cells import cell_len
    from rich.table import Table

    natural = [
        max([cell_len(c.header), *(cell_len(cell.plain) for cell in c.cells)]) for c in columns
    ]
    widths: list[int | None] = list(natural)

    def excess() -> int:
        shown = [w for w in widths if w is not None]
        return sum(shown) + max(len(shown) - 1, 0) - width  # one space between columns

    by_priority = sorted(range(len(columns)), key=lambda i: -columns[i].shrink)
    for last in (False, True):  # the others first, down to their minimum; then the last
        for i in by_priority:
            if columns[i].shrink and columns[i].last is last and excess() > 0:
                current = widths[i] or 0
                widths[i] = max(columns[i].min_width, min(current, current - excess()))
    for i in by_priority:  # still too wide: leave columns out
        if excess() <= 0:
            break
        if columns[i].shrink > 1:
            widths[i] = None
    for i in sorted(by_priority, key=lambda i: not columns[i].last):  # give back what is left
        if widths[i] is not None and excess() < 0:
            widths[i] = min(natural[i], (widths[i] or 0) - excess())
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 0))
    shown = [i for i, w in enumerate(widths) if w is not None]
    for i in shown:
        column = columns[i]
        table.add_column(
            column.header,
            width=widths[i],
            no_wrap=not column.wraps,
            overflow="fold" if column.wraps else "ellipsis",
            justify=column.justify,
        )
    for row in zip(*(c.cells for c in columns), strict=True):
        table.add_row(*(row[i] for i in shown))
    return table
