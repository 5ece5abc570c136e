"""URL normalisation: when are two URLs the same article or the same source? Pure.

Feeds link one article in many spellings: http and https, with or without a trailing slash,
with tracking parameters or fragments. `url_key` maps them all to one key, so the same
article arriving through two sources is stored once.
"""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

WEB_SCHEMES = frozenset({"http", "https"})
# What a stored or published link may point to. `data:` is allowed only for images (see
# pkm.content), never for links.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# What a browser drops before it reads a URL's scheme (WHATWG URL: leading and trailing C0
# controls and spaces; tab and newlines anywhere), so "java\tscript:" is "javascript:".
_URL_TRIM = "".join(chr(c) for c in range(0x21))
_URL_TAB_OR_NEWLINE_RE = re.compile("[\t\n\r]")
_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "wt.mc_id",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str) -> str:
    """A comparison key for `url`: scheme-agnostic, lower-case host, no default port,
    no fragment, no trailing slash, no tracking parameters (utm_*, fbclid, gclid, ...),
    remaining query parameters sorted.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url.strip()
    host = (parts.hostname or "").rstrip(".")
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    )
    return urlunsplit(("", host, path, urlencode(query), "")).removeprefix("//")


def is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)


def source_key(ref: str) -> str:
    """What a user may type to name a source (an id, a URL in any spelling, a feed file's
    path) turned into what the index matches against: the id, the URL key or the file URI."""
    if ref.isdigit():
        return ref
    if is_http_url(ref):
        return url_key(ref)
    path = Path(ref).expanduser()
    return path.resolve().as_uri() if path.exists() else ref


def url_scheme(url: str) -> str | None:
    """The scheme a browser would see in `url`, lower-case, or None for a relative URL.

    Read the way browsers read it, not the way `urlsplit` does, so that a value a browser
    would run as `javascript:` is never taken for a relative link.
    """
    cleaned = _URL_TAB_OR_NEWLINE_RE.sub("", url.strip(_URL_TRIM))
    match = _SCHEME_RE.match(cleaned)
    return match.group(1).lower() if match else None


def is_web_url(url: str | None) -> bool:
    """An absolute http(s) URL: the only kind of base URL pkm resolves links against."""
    return bool(url) and url_scheme(url or "") in WEB_SCHEMES


# Schemes some sites and podcast apps use to mean "a feed at this http URL".
_FEED_SCHEMES = ("feed", "rss", "pcast", "itpc")
# "feeds.xml" alone is a mistyped file name far more often than a host.
_FILE_EXTENSIONS = frozenset({"xml", "rss", "atom", "json", "opml", "html", "htm", "txt"})
_HOST_LIKE_RE = re.compile(
    r"^(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*\.?(?::\d{1,5})?(?:[/?#]\S*)?$"
    r"|^localhost(?::\d{1,5})?(?:[/?#]\S*)?$"
    r"|^\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


def normalize_feed_url(text: str) -> str:
    """What a person typing a feed address means, as newsboat and podcast apps read it:
    `feed://host/x` (and `rss:`, `pcast:`, `itpc:`) is `http://host/x`, `feed:https://host/x`
    is `https://host/x`, and a bare `host/x` is `https://host/x`. Anything else is returned
    stripped and otherwise unchanged."""
    text = unwrap_feed_scheme(text.strip())
    scheme = url_scheme(text)
    if (scheme is None or "." in scheme or scheme == "localhost") and _HOST_LIKE_RE.match(text):
        host = re.split(r"[:/?#]", text, maxsplit=1)[0]
        if "/" in text or host.rsplit(".", 1)[-1].lower() not in _FILE_EXTENSIONS:
            return "https://" + text
    return text


def unwrap_feed_scheme(url: str) -> str:
    """`feed://host/x` (`rss:`, `pcast:`, `itpc:`) as `http://host/x`, `feed:https://host/x` as
    `https://host/x`; anything else unchanged."""
    if url_scheme(url) not in _FEED_SCHEMES:
        return url
    rest = url.split(":", 1)[1]
    if url_scheme(rest) in WEB_SCHEMES:
        return rest
    return "http:" + rest if rest.startswith("//") else "http://" + rest
