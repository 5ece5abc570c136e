"""How the CLI writes: JSON and product to stdout, everything else to stderr.

JSON is written with `sys.stdout.write`, never through Rich, which would wrap, colour and
read `[...]` in feed titles as markup. Text from the network reaches Rich only as `Text`,
and only after `safe()`, so no stored title can move the cursor or retitle the terminal.
"""

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pkm._util.text import one_line
from pkm.serialize import to_jsonable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


def safe(text: str | None) -> str:
    """Untrusted text as one printable line (controls removed, whitespace collapsed)."""
    return one_line(text or "")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


def stdout_console() -> "Console":
    """A console for tables on stdout; piped, it is wide so that lines are not cut (scripts
    should prefer --json)."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)
    return console


def stderr_console() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False)


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

    `shrink` orders who gives up width when the table is too wide: the highest first; 0
    never shrinks. A column that would get less than `min_width` is left out. `wrap`
    columns fold onto more lines instead of being cut with an ellipsis.
    """

    header: str
    shrink: int = 0
    min_width: int = 1
    wrap: bool = False
    justify: Literal["left", "right"] = "left"
    cells: list["Text"] = field(default_factory=list)


def fitted_table(columns: Sequence[Column], width: int) -> "Table":
    """A borderless table whose columns fit `width`, shrinking and dropping by priority."""
    from rich.cells import cell_len
    from rich.table import Table

    natural = [
        max([cell_len(c.header), *(cell_len(cell.plain) for cell in c.cells)]) for c in columns
    ]
    widths: list[int | None] = list(natural)
    order = sorted((i for i, c in enumerate(columns) if c.shrink), key=lambda i: -columns[i].shrink)

    def excess() -> int:
        shown = [w for w in widths if w is not None]
        return sum(shown) + max(len(shown) - 1, 0) - width  # one space between columns

    for i in order:
        over = excess()
        if over <= 0:
            break
        current = widths[i]
        assert current is not None
        target = current - over
        widths[i] = target if target >= columns[i].min_width else None
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 0))
    shown = [i for i, w in enumerate(widths) if w is not None]
    for i in shown:
        column = columns[i]
        table.add_column(
            column.header,
            width=widths[i],
            no_wrap=not column.wrap,
            overflow="fold" if column.wrap else "ellipsis",
            justify=column.justify,
        )
    for row in zip(*(c.cells for c in columns), strict=True):
        table.add_row(*(row[i] for i in shown))
    return table
