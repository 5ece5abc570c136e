"""How the CLI writes: JSON and product to stdout, everything else to stderr.

JSON is written with `sys.stdout.write`, never through Rich, which would wrap, colour and
read `[...]` in feed titles as markup. Untrusted text shown through Rich goes in `Text`.
"""

import dataclasses
import json
import sys
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from pkm._util.timeutil import to_iso

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


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
    sys.stderr.write(f"pkm: error: {message}\n")


def warn(message: str) -> None:
    sys.stderr.write(f"pkm: {message}\n")


def info(message: str, quiet: bool = False) -> None:
    if not quiet:
        sys.stderr.write(message + "\n")


def table(
    *columns: str,
    wide: tuple[str, ...] = (),
    squeeze: tuple[str, ...] = (),
    numeric: tuple[str, ...] = (),
) -> "Table":
    """A borderless table: `wide` columns share the free width and wrap, `squeeze` columns
    share it too but are cut with an ellipsis (URLs), the others keep their width."""
    from rich.table import Table

    result = Table(box=None, header_style="bold", pad_edge=False)
    for name in columns:
        if name in wide:
            result.add_column(name, min_width=12, overflow="fold")
        elif name in squeeze:
            result.add_column(name, max_width=32, no_wrap=True, overflow="ellipsis")
        else:
            result.add_column(name, no_wrap=True, justify="right" if name in numeric else "left")
    return result
