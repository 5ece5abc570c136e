"""Which URLs the HTTP client will fetch, and the origin each one counts against.

Only absolute http(s) URLs are fetched, whether the caller asked for them or a redirect
pointed at them: content from the network can never make pkm read a local file. The origin
(scheme, host, port) is the unit of the per-host limit. A URL holding control characters is
refused: they would reach the store, the logs and terminals (`pkm._util.text`).
"""

from __future__ import annotations

from typing import Final

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from pkm._util.text import has_controls

Origin = tuple[str, str, int]  # scheme, host, port

DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | str:
    """(scheme, host, port) of an absolute http(s) URL, or why it is not one."""
    if has_controls(url):
        return "url has control characters"
    try:
        u = parse_url(url)
    except (LocationParseError, ValueError):
        return "invalid url"
    scheme = (u.scheme or "").lower()
    if not scheme:
        return "invalid url"
    if scheme not in DEFAULT_PORTS:
        return f"unsupported scheme: {scheme}"
    if not u.host:
        return "invalid url"
    return (scheme, u.host.lower(), u.port or DEFAULT_PORTS[scheme])
