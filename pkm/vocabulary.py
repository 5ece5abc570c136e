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


class RunKind(StrEnum):
    """The runs the run log records: the commands that change a lot at once, often from cron."""

    SEEK = "seek"
    SYNTHESIZE = "synthesize"
    PUBLISH = "publish"
    IMPORT = "import"


class RunOutcome(StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # done, but some of its work failed (a source, a URL)
    FAILED = "failed"  # stopped by an error
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM
    RUNNING = "running"  # started, not ended, its process still alive
    DIED = "died"  # started, never ended, its process gone (killed, power cut)


class ImportFormat(StrEnum):
    """The tools pkm imports from (`pkm import FORMAT FILE`)."""

    POCKET = "pocket"  # the CSV export (2025) or the older ril_export.html
    OMNIVORE = "omnivore"  # the export .zip, or the folder it unpacks to
    KINDLE = "kindle"  # My Clippings.txt
    HYPOTHESIS = "hypothesis"  # the JSON export of annotations
