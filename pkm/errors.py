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


class LockedError(PkmError):
    """Another pkm run holds the lock on this home."""


class NotFoundError(PkmError):
    """A source, item or note that does not exist."""


class SourceNotFoundError(NotFoundError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no such source: {ref}")
        self.ref = ref


class InvalidInputError(PkmError, ValueError):
    """Input the user gave is malformed (a URL, an OPML file, a query)."""


class FetchError(PkmError):
    """A source could not be retrieved. Recorded per source during `seek`."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{message}: {url}")
        self.url = url
        self.reason = message


class ParseError(FetchError):
    """The body was retrieved but is not a feed (or not a usable page)."""


class ItemNotFoundError(NotFoundError):
    def __init__(self, item_ids: "list[int] | tuple[int, ...]") -> None:
        ids = ", ".join(str(i) for i in item_ids)
        super().__init__(f"no such item: {ids}")
        self.item_ids = tuple(item_ids)


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
