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


class ItemNotFoundError(NotFoundError):
    """Items named by id that do not exist. Exit 3, as for a batch: the command names what
    it could not find, and did what it could with the rest."""

    exit_code = 3

    def __init__(self, ref: str) -> None:
        super().__init__(f"no such item: {ref}")
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
