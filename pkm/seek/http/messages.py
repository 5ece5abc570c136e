"""What goes into the HTTP client and what comes out: `HttpRequest` and `HttpResponse`.

Plain frozen values, no behaviour beyond reading them; every other module of the package
builds or passes these, so they sit below all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pkm._util.text import one_line

NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True)
class HttpRequest:
    """One URL to retrieve, with the validators stored from its last retrieval."""

    url: str
    etag: str | None = None  # sent back verbatim as If-None-Match
    last_modified: str | None = None  # sent back verbatim as If-Modified-Since
    key: object = None  # opaque, handed back on the response


@dataclass(frozen=True)
class HttpResponse:
    """What became of one `HttpRequest`.

    `error` is set (and `status` is None) when there is no usable response: the network failed,
    the URL or a redirect was unacceptable, or the body was too big or broken. Otherwise `status`
    is the final status; `body` is the decoded body for 2xx and None for anything else (304, 404,
    410, 429, 5xx, whose headers, such as Retry-After, are still there).
    """

    request: HttpRequest
    url: str  # final URL after redirects (where the failure happened, on error)
    status: int | None
    headers: Mapping[str, str]  # the final response's headers, lower-case names
    body: bytes | None
    redirects: tuple[tuple[int, str], ...]  # every hop: (status, absolute target URL)
    permanent_url: str | None  # final URL if there were hops and EVERY hop was 301/308
    error: str | None
    elapsed: float  # seconds from the first byte sent to the last byte read, all hops

    @property
    def ok(self) -> bool:
        """A 2xx response with its body."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        """The stored validators still hold (304)."""
        return self.error is None and self.status == 304


def failed(
    request: HttpRequest, url: str, redirects: list[tuple[int, str]], error: str, elapsed: float
) -> HttpResponse:
    """The response for a request that got no usable answer.

    `error` may quote the network (a header value, a server's words in an exception): it is
    made one line, without control characters, here, where every error passes.
    """
    return HttpResponse(
        request=request,
        url=url,
        status=None,
        headers=NO_HEADERS,
        body=None,
        redirects=tuple(redirects),
        permanent_url=None,
        error=one_line(error),
        elapsed=elapsed,
    )
