"""Values for shell completion: sources, tags and notes, read off the index as it is.

A Tab press runs pkm once, and waits for it: so the index is opened read-only through
`Store.peek`, never created, never migrated, no lock taken, no pkm.toml read, the vault
not walked (notes as the index last saw them). A home without an index, an index that is
damaged or waits for an upgrade, completes nothing rather than failing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pkm.config import Paths
from pkm.errors import PkmError
from pkm.models import SchemaState

if TYPE_CHECKING:
    from pkm.store import Store

T = TypeVar("T")

# A Tab press waits at most this long for another process's lock on the index.
BUSY_TIMEOUT = 0.5


@dataclass(frozen=True)
class Choice:
    """One completion: the value put on the command line, and what the shell may show
    beside it (zsh and fish do; bash shows values only)."""

    value: str
    help: str = ""


def _read(home: Path, read: "Callable[[Store], T]") -> T | None:
    """What `read` finds in the home's index, or None when there is no usable index."""
    from pkm.store import Store

    path = Paths(home).db
    if not path.is_file():
        return None
    try:
        store = Store.peek(path, busy_timeout=BUSY_TIMEOUT)
    except PkmError:
        return None
    try:
        if store.schema_status().state is not SchemaState.CURRENT:
            return None
        return read(store)
    except PkmError:  # locked past the timeout, damaged
        return None
    finally:
        store.close()


def source_choices(home: Path, incomplete: str, *, tags: bool = False) -> list[Choice]:
    """Subscriptions a `URL|ID` option or argument may name: by URL, by id once a digit
    is typed, and (with `tags`) tags, for `--only`. Values start with what was typed (the
    shells, and Typer before them, keep only those)."""
    found = _read(home, lambda store: (store.source_names(), store.tag_names() if tags else []))
    sources, tag_names = found or ([], [])
    choices: list[Choice] = []
    for source_id, url, title in sources:
        if incomplete.isdigit() and str(source_id).startswith(incomplete):
            choices.append(Choice(str(source_id), f"{title or ''} {url}".strip()))
        elif url.startswith(incomplete):
            choices.append(Choice(url, title or ""))
    choices += [Choice(t, "tag") for t in tag_names if t.startswith(incomplete)]
    return choices


def tag_choices(home: Path, incomplete: str) -> list[Choice]:
    """Tags something carries (a source, an item, a highlight, a note)."""
    names = _read(home, lambda store: store.tag_names()) or []
    return [Choice(t) for t in names if t.startswith(incomplete)]


def note_choices(home: Path, incomplete: str) -> list[Choice]:
    """Notes, by the name a wikilink gives them (the file name; `folder/name` where two
    notes share a name, or once a `/` is typed), their titles shown beside them."""
    notes = _read(home, lambda store: store.note_names()) or []
    counts: dict[str, int] = {}
    for _, name, _ in notes:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    choices = []
    for path, name, title in notes:
        by_path = "/" in incomplete or counts[name.casefold()] > 1
        value = path.removesuffix(".md") if by_path else name
        if value.startswith(incomplete):
            choices.append(Choice(value, title))
    return choices
