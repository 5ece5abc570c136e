"""The PkmError tree. Stdlib only.

Every error a user can fix is a PkmError; the CLI prints it as one line and exits with
`exit_code`. Anything else is a bug and is allowed to show its traceback.
"""


class PkmError(Exception):
    """Root of pkm's errors: `str(e)` is the one-line message shown to the user."""

    exit_code = 1


class ConfigError(PkmError):
    """Unusable home folder or broken pkm.toml."""


class StoreError(PkmError):
    """The database cannot be used: locked, read-only, corrupt, not a pkm database."""


class DiskFullError(PkmError):
    """No space left where pkm writes: the index, a note, the team folder, a backup.

    What pkm writes is all or nothing (a transaction, a renamed temporary file), so what
    was there before is intact; the same command succeeds once there is room again.
    """

    def __init__(self, path: object) -> None:
        super().__init__(
            f"disk full: {path}: no space left on its file system;"
            " free some space and run the command again"
        )
        self.path = str(path)


class DamagedIndexError(StoreError):
    """The index file is not a sound SQLite database (damaged, truncated, empty, or some
    other file under its name). pkm never writes to it then: restoring a backup or
    `pkm doctor` is the person's decision."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            f"damaged index: {path}: {reason}; see `pkm doctor`, or restore a backup"
            " with `pkm restore FILE`"
        )
        self.path = str(path)
        self.reason = reason


class LockedError(PkmError):
    """Another pkm run holds the lock on this home."""


class NotFoundError(PkmError):
    """A source, item or note that does not exist."""


class SourceNotFoundError(NotFoundError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no such source: {ref}")
        self.ref = ref


class ItemNotFoundError(NotFoundError):
    """Items named by id that do not exist. Exit 3, as for a batch: the command names what
    it could not find, and did what it could with the rest."""

    exit_code = 3

    def __init__(self, ref: "int | str | list[int] | tuple[int, ...]") -> None:
        shown = ", ".join(str(i) for i in ref) if isinstance(ref, list | tuple) else str(ref)
        super().__init__(f"no such item: {shown}")
        self.ref = ref


class AnnotationNotFoundError(NotFoundError):
    exit_code = 3

    def __init__(self, annotation_id: int) -> None:
        super().__init__(f"no such annotation: {annotation_id}")
        self.annotation_id = annotation_id


class InvalidInputError(PkmError, ValueError):
    """Input the user gave is malformed (a URL, an OPML file, a query)."""


class QuoteNotFoundError(InvalidInputError):
    """A highlight whose text is not in the item's plain text."""

    def __init__(self, item_id: int, quote: str) -> None:
        shown = quote if len(quote) <= 60 else quote[:57] + "..."
        super().__init__(f"the highlight is not in the text of item {item_id}: {shown!r}")
        self.item_id = item_id
        self.quote = quote


class AmbiguousQuoteError(InvalidInputError):
    """A highlight found more than once, with no (or an out of range) occurrence chosen."""

    def __init__(self, item_id: int, count: int, occurrence: int | None = None) -> None:
        if occurrence is None:
            detail = f"the highlight occurs {count} times in item {item_id}"
        else:
            detail = f"there is no occurrence {occurrence}: the highlight occurs {count} times in item {item_id}"
        super().__init__(f"{detail}; choose one with --occurrence 1..{count}")
        self.item_id = item_id
        self.count = count


class FetchError(PkmError):
    """A source could not be retrieved. Recorded per source during `seek`."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{message}: {url}")
        self.url = url
        self.reason = message


class ParseError(FetchError):
    """The body was retrieved but is not a feed (or not a usable page)."""


class QueryError(InvalidInputError):
    """A search query FTS5 cannot read: a usage error."""

    exit_code = 2


class InvalidPeriodError(InvalidInputError):
    """A digest period that cannot be read (`--week`, `--since`/`--until`): a usage error."""

    exit_code = 2


class NoteNotFoundError(NotFoundError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no such note: {ref}")
        self.ref = ref


class NoteError(PkmError):
    """A note pkm will not write: broken frontmatter, broken pkm markers, or a file that kept
    changing while pkm tried to merge into it. The file is left as it is."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class PublishError(PkmError):
    """A digest could not be published: the team folder is missing or not writable, or a
    file could not be written (nothing was changed then)."""


class GitError(PublishError):
    """A git step of a publication failed (`git commit: ...`); the files written stay."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"git {step} failed: {detail}")
        self.step = step


class ImportFileError(InvalidInputError):
    """An export file pkm cannot import (`pkm import`): nothing of it is stored. `where`
    names the line (CSV, clippings) or the entry (JSON) that is wrong."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail
