"""The closed vocabularies the command line offers as choices (StrEnums). Stdlib only.

Apart from pkm.models, which re-exports them, because Typer needs an option's enum to build
the command tree, which every `--help` does: importing pkm.models (some fifty dataclasses)
would cost each `pkm ... --help` about a fifth of its time.
"""

from enum import StrEnum


class ItemStatus(StrEnum):
    UNREAD = "unread"
    READ = "read"
    STARRED = "starred"
    ARCHIVED = "archived"
    # A tombstone: the row stays so the entry never comes back, but no listing shows it.
    DELETED = "deleted"
