"""What retrieval produced for one source, whatever the transport: HTTP (through
`pkm.seek.http`) or a feed file on disk. Contains no parsing and no decisions."""

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from pkm._util.hashing import bytes_hash
from pkm._util.text import has_controls, one_line

if TYPE_CHECKING:
    from pkm.seek.http import HttpResponse


@dataclass(frozen=True)
class Fetched:
    """One retrieval: the final URL, status, headers (lower-case names) and body."""

    url: str
    status: int | None
    headers: dict[str, str]
    body: bytes | None
    error: str | None = None
    permanent_url: str | None = None
    elapsed: float = 0.0

    @cached_property
    def body_hash(self) -> str:
        """Hashed once per response: deciding whether to parse and storing it both need it."""
        return bytes_hash(self.body or b"")

    @property
    def problem(self) -> str | None:
        """Why there is no usable body (network error or non-2xx status), or None."""
        if self.error or self.status is None:
            return self.error or "no response"
        if not 200 <= self.status < 300:
            return f"HTTP {self.status}"
        return None

    @classmethod
    def from_http(cls, r: "HttpResponse") -> "Fetched":
        # The client refuses such redirects; this keeps a URL with control characters out
        # of the index whatever the client lets through.
        if has_controls(r.url) or has_controls(r.permanent_url or ""):
            return cls(
                url=r.request.url,
                status=None,
                headers={},
                body=None,
                error="redirect location has control characters",
                elapsed=r.elapsed,
            )
        return cls(
            url=r.url,
            status=r.status,
            headers=dict(r.headers),
            body=r.body,
            # The reason can quote what a server sent: one printable line only.
            error=one_line(r.error) if r.error is not None else None,
            permanent_url=r.permanent_url,
            elapsed=r.elapsed,
        )


def read_file_source(url: str) -> Fetched:
    """Read a feed file on disk (a `file:` URI). An unchanged file costs no parsing."""
    path = Path(unquote(urlsplit(url).path))
    started = time.monotonic()
    try:
        body = path.read_bytes()
    except OSError as e:
        return Fetched(
            url=url, status=None, headers={}, body=None, error=f"cannot read file: {e.strerror}"
        )
    return Fetched(url=url, status=200, headers={}, body=body, elapsed=time.monotonic() - started)
