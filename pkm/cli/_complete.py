"""Shell completion of what the index knows: sources where a `URL|ID` is taken, tags where
a tag is, notes where a note is. Passed as `autocompletion=` to options and arguments.

Typer's completion (`pkm --install-completion`, `--show-completion`) runs pkm with
`_PKM_COMPLETE` set and the words typed so far; click parses them without running any
command, so the home is the `--home` typed on that command line when there is one, else
`PKM_HOME`, else the default. Whatever goes wrong (no home, a broken index) completes
nothing: a traceback in the middle of a command line being typed helps nobody, so these
callbacks, unlike commands, catch every exception.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pkm.cli._output import safe

if TYPE_CHECKING:
    from pkm.completion import Choice

Completions = list[tuple[str, str]]


def _home(ctx: typer.Context) -> Path:
    from pkm.config import resolve_home

    typed = ctx.find_root().params.get("home")
    return resolve_home(typed if isinstance(typed, str) and typed.strip() else None, os.environ)


def _complete(ctx: typer.Context, find: "Callable[[Path], list[Choice]]") -> Completions:
    try:
        return [(safe(c.value), safe(c.help)) for c in find(_home(ctx))]
    except Exception:  # anything: see the module docstring
        return []


def complete_source(ctx: typer.Context, incomplete: str) -> Completions:
    """A source's URL or id."""
    from pkm.completion import source_choices

    return _complete(ctx, lambda home: source_choices(home, incomplete))


def complete_source_or_tag(ctx: typer.Context, incomplete: str) -> Completions:
    """A source's URL or id, or a tag (`--only`)."""
    from pkm.completion import source_choices

    return _complete(ctx, lambda home: source_choices(home, incomplete, tags=True))


def complete_tag(ctx: typer.Context, incomplete: str) -> Completions:
    from pkm.completion import tag_choices

    return _complete(ctx, lambda home: tag_choices(home, incomplete))


def complete_note(ctx: typer.Context, incomplete: str) -> Completions:
    """A note's name (or `folder/name`), its title shown beside it."""
    from pkm.completion import note_choices

    return _complete(ctx, lambda home: note_choices(home, incomplete))
