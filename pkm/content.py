"""HTML hygiene for everything pkm stores: sanitizing, absolute links, plain text. Pure.

All HTML from the network passes through `sanitize_html` before it is stored, so the
database, the terminal and later published digests never carry scripts, event handlers,
`javascript:` links or relative URLs that would break once the item leaves its feed.
`html_to_text` gives the stable plain text that search and (later) highlights anchor to;
`decode_html` turns the bytes of a page into text the way a browser would.
"""

import re
import threading
from collections import Counter
from functools import cache
from html import unescape
from typing import overload
from urllib.parse import urljoin

import nh3

from pkm._util.text import strip_controls
from pkm._util.urls import LINK_SCHEMES, is_web_url, url_scheme
from pkm._util.web import SNIFF_BYTES, VOID_TAGS, bom_codec, charset_label, codec_for_label

_CLEAN_CONTENT_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
# nh3's defaults, but for `cite` (on blockquote, q, del, ins): a URL no browser shows or
# follows, and the one URL attribute nh3 would not check itself.
_ATTRIBUTES = {
    **{tag: set(attrs) - {"cite"} for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
}
# The URL attributes `_ATTRIBUTES` allows (nh3 checks the schemes of these, and of no other).
_URL_ATTRIBUTES = frozenset({"href", "src"})

# html5ever, under nh3, scans the stack of open elements for many start and end tags, so
# its cost grows with the number of tags times the nesting depth: 100,000 nested <div>
# take 40 s. Below this many tags that product stays small (about 50 ms at worst), and
# above it the nesting is cut to _MAX_DEPTH first. Browsers stop nesting at 512 (Chromium).
_DEPTH_CHECK_MIN_TAGS = 5000
_MAX_DEPTH = 256
# html5ever also checks each attribute against the element's others: 100,000 attributes on
# one element take seconds. An element with more than this many loses them all.
_MAX_ATTRIBUTES = 1000
# Start tags shorter than this are cheap, however many attributes they hold; longer ones are
# looked at (a document cut by a cap may end inside one).
_LONG_TAG = 8192
_LONG_TAG_PATTERN = rf"<([a-zA-Z][a-zA-Z0-9:._-]*)[^>]{{{_LONG_TAG},}}(?:>|\Z)"
_LONG_TAG_RE = re.compile(_LONG_TAG_PATTERN)
_LONG_TAG_BYTES_RE = re.compile(_LONG_TAG_PATTERN.encode())
_TAG_TOKEN_RE = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*>")
# Elements whose start tag closes an open one of the same name (<p>, <li> without end tags).
_IMPLIED_END_TAGS = frozenset(
    [
        "dd",
        "dt",
        "li",
        "optgroup",
        "option",
        "p",
        "rb",
        "rp",
        "rt",
        "rtc",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
    ]
)

_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")

# Elements after which plain text needs a line break, so words of adjacent blocks never merge.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_CELL_TAGS = frozenset({"td", "th"})
# A tag (its group: the name, with "/" if it closes) or a comment (no group).
_TAG_RE = re.compile(r"<(/?[a-zA-Z][a-zA-Z0-9]*)[^>]*>|<!--.*?-->", re.S)
_BLANK_LINES_RE = re.compile(r"\n\s*\n\s*\n+")
# Every character str.split() splits on (str.isspace), except space and newline.
_SPACES = str.maketrans(
    dict.fromkeys(
        "\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
        "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000",
        " ",
    )
)


# The base URL of the `sanitize_html` call running on this thread. nh3 calls its callbacks
# on the calling thread, so one shared Cleaner serves every base URL; building a Cleaner
# per call (per entry link) would cost more than cleaning a typical entry.
_CURRENT = threading.local()


def _resolve_relative(value: str) -> str | None:
    """nh3's callback for a relative URL (one its URL parser finds no scheme in, the way a
    browser's finds none): resolved against the base, and checked again once resolved.

    Absolute URLs never come here: nh3 checks their schemes itself, in Rust, which spares
    the Python call per attribute that `_filter_attribute` costs (a third of cleaning).
    """
    value = _as_stored(value)
    scheme = url_scheme(value)
    if scheme is not None:  # relative only while it held a control ("java\x1bscript:")
        return value if scheme in LINK_SCHEMES else None
    base_url: str | None = getattr(_CURRENT, "base_url", None)
    if not base_url:
        return value  # stays relative: harmless, wherever it is shown
    try:
        resolved = urljoin(base_url, value)
    except ValueError:  # e.g. "//[oops" (an invalid IPv6 host)
        return None
    return resolved if url_scheme(resolved) in LINK_SCHEMES else None


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """nh3 attribute filter, for documents that may hold `data:` images: resolve URL
    attributes against the base, then allow only http(s) and mailto, and `data:image/` on
    images, checked on the resolved URL.

    nh3 checks schemes before this filter runs and never again, so a relative link under a
    `javascript:` base would pass it: the check that counts is here, after resolving.
    Never raises: nh3 would only report the error through `sys.unraisablehook` and drop the
    attribute, so a malformed URL is dropped here explicitly instead.
    """
    if attr not in _URL_ATTRIBUTES:
        return value
    value = _as_stored(value)
    head = value[:8].lower()
    if head.startswith(("http://", "https://")):
        # Already absolute; skipping urljoin here halves the cost of cleaning a typical entry.
        return value
    scheme = url_scheme(value)
    if scheme is None:
        base_url: str | None = getattr(_CURRENT, "base_url", None)
        if not base_url:
            return value  # stays relative: harmless, wherever it is shown
        try:
            value = urljoin(base_url, value)
        except ValueError:  # e.g. "http://[oops" (an invalid IPv6 host) in either URL
            return None
        scheme = url_scheme(value)
    if scheme in LINK_SCHEMES:
        return value
    if scheme == "data" and tag == "img" and attr == "src" and _is_data_image(value):
        return value
    return None


def _as_stored(url: str) -> str:
    """A URL as the stored HTML will hold it, which is what its scheme is checked on: the
    controls a browser's URL parser keeps (an ESC, even written `&#27;`, makes
    "java\x1bscript:" a path) are stripped from everything pkm stores."""
    return strip_controls(url).strip()


def _is_data_image(value: str) -> bool:
    return value.split(":", 1)[1].lstrip().lower().startswith("image/")


@cache
def _cleaner(data_images: bool) -> nh3.Cleaner:
    """The Cleaner for documents without `data:` URLs, or the slower one that keeps
    `data:` images (a scheme nh3 would allow on every URL attribute or on none)."""
    if not data_images:
        return nh3.Cleaner(
            attributes=_ATTRIBUTES,
            url_schemes=set(LINK_SCHEMES),
            url_relative=_resolve_relative,
            clean_content_tags=set(_CLEAN_CONTENT_TAGS),
            link_rel="noopener noreferrer nofollow",
        )
    return nh3.Cleaner(
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        # Also checked after resolving, in _filter_attribute; this is nh3's first pass.
        url_schemes={*LINK_SCHEMES, "data"},
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        link_rel="noopener noreferrer nofollow",
    )


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return `html` with only safe markup left and every link made absolute against `base_url`.

    A base that is not http(s) is ignored (a `javascript:` xml:base or `<base href>` would
    otherwise turn `href=""` into a script). Every URL is checked after it is resolved:
    only http(s) and mailto links survive, and `data:` only as an image source (inline
    pictures are common in feeds). Control characters are removed, and very deep nesting
    and elements with thousands of attributes are cut first, so that no document costs more
    than a fraction of a second.
    """
    _CURRENT.base_url = base_url if is_web_url(base_url) else None
    try:
        # Only a document that may hold a `data:` URL needs the slower cleaner (written out:
        # an encoded one is dropped, as is any other scheme that is not allowed). Lower-case
        # and look: a case-blind pattern took a fifth as long as cleaning.
        cleaner = _cleaner("data:" in html.lower())
        return strip_controls(cleaner.clean(bound_depth(bound_attributes(html))))
    finally:
        _CURRENT.base_url = None


@overload
def bound_attributes(html: str) -> str: ...
@overload
def bound_attributes(html: bytes) -> bytes: ...
def bound_attributes(html: str | bytes) -> str | bytes:
    """`html` (or XML) where an element with more than 1,000 attributes has lost them all:
    parsers (html5ever, libxml2) check each attribute against the others, which 100,000
    attributes turn into minutes."""
    if len(html) < _LONG_TAG:
        return html
    if isinstance(html, bytes):
        return _LONG_TAG_BYTES_RE.sub(_bare_tag_bytes, html)
    return _LONG_TAG_RE.sub(_bare_tag, html)


def _bare_tag(match: re.Match[str]) -> str:
    return _bare(match.group(1), match.group(0))


def _bare_tag_bytes(match: re.Match[bytes]) -> bytes:
    name, tag = match.group(1).decode("latin-1"), match.group(0).decode("latin-1")
    return _bare(name, tag).encode("latin-1")


def _bare(name: str, tag: str) -> str:
    if tag.count("=") <= _MAX_ATTRIBUTES:
        return tag
    return f"<{name}/>" if tag.endswith("/>") else f"<{name}>"


def bound_depth(html: str, max_depth: int = _MAX_DEPTH) -> str:
    """`html` with start tags nested deeper than `max_depth` (and their end tags) removed,
    text kept; unchanged when it has few tags. An estimate of the nesting a browser would
    build (void elements and implied end tags counted as HTML does), which is enough to
    bound the sanitizer's work."""
    if html.count("<") <= _DEPTH_CHECK_MIN_TAGS:
        return html
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    spans: list[tuple[int, int]] = []  # tags to remove

    def close(name: str) -> None:
        """Pop the open elements up to and including the last `name`."""
        while True:
            top = stack.pop()
            open_count[top] -= 1
            if top == name:
                return

    for match in _TAG_TOKEN_RE.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in VOID_TAGS:
            continue
        if closing:
            if dropped[name]:
                dropped[name] -= 1
                spans.append(match.span())
            elif open_count[name]:
                close(name)
            continue
        if name in _IMPLIED_END_TAGS and open_count[name]:
            close(name)
        if len(stack) >= max_depth:
            dropped[name] += 1
            spans.append(match.span())
            continue
        stack.append(name)
        open_count[name] += 1
    if not spans:
        return html
    parts = []
    pos = 0
    for start, end in spans:
        parts.append(html[pos:start])
        pos = end
    parts.append(html[pos:])
    return "".join(parts)


class _TagSeparators(dict[str | None, str]):
    """What a tag becomes in plain text, by its `_TAG_RE` group: a line break for a block,
    a space after a table cell, else nothing. Filled as tag spellings are met (a few
    hundred at most in honest HTML; past `LIMIT`, they are worked out without keeping them).
    """

    LIMIT = 4096

    def __missing__(self, tag: str | None) -> str:
        name = (tag or "").lstrip("/").lower()
        if name in _BLOCK_TAGS:
            separator = "\n"
        else:
            separator = " " if name in _CELL_TAGS and tag and tag[0] == "/" else ""
        if len(self) < self.LIMIT:
            self[tag] = separator
        return separator


_TAG_SEPARATORS = _TagSeparators()


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: one line per block, whitespace collapsed, entities decoded.

    One regular-expression split rather than a DOM parse: it runs for every stored item,
    and on sanitized HTML (balanced, no scripts) it gives the same text several times
    faster. The tags are then replaced through a dict's own lookup, with no Python call
    per tag (a `re.sub` callback took half as long again). Whitespace is collapsed with
    `str.translate` and `str.replace` (the same result as `" ".join(line.split())` per
    line, at half the cost; a regular expression was several times slower), so every
    Unicode space counts as one.
    """
    parts = _TAG_RE.split(html)  # text, tag, text, tag, ..., text
    parts[1::2] = map(_TAG_SEPARATORS.__getitem__, parts[1::2])
    text = unescape("".join(parts)).translate(_SPACES)
    while "  " in text:
        text = text.replace("  ", " ")
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def text_to_summary(text: str, limit: int = 500) -> str:
    """Shorten plain text to at most `limit` characters, cutting at a word boundary."""
    # Collapse only the head when that is enough: an entry's text can be 100 KB, and a
    # collapsed head longer than `limit` starts exactly like the whole text collapsed.
    head = " ".join(text[: 4 * limit].split())
    text = head if len(head) > limit else " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode a page: BOM, then valid UTF-8, then the HTTP charset, then the page's own
    `<meta charset>` (or XML declaration), then windows-1252.

    A declared charset that does not fit the bytes is skipped rather than trusted, and the
    last resort replaces undecodable bytes, so this never fails.
    """
    if bom := bom_codec(body):
        return body[bom[0] :].decode(bom[1], errors="replace")

    # Valid UTF-8 wins over a declared charset: a server that labels everything
    # iso-8859-1 while serving UTF-8, or a page converted to UTF-8 that kept its old
    # <meta>, is far more common than a legacy page whose bytes happen to be valid UTF-8.
    # Pure ASCII still goes by the declaration (7-bit encodings such as ISO-2022-JP).
    if not body.isascii():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass

    labels = [charset_label(content_type)]
    head = body[:SNIFF_BYTES]
    for pattern in (_XML_ENCODING_RE, _META_CHARSET_RE):
        if declared := pattern.search(head):
            labels.append(declared.group(1).decode("ascii"))
    labels.append("utf-8")

    for label in labels:
        codec = codec_for_label(label)
        if codec is None:
            continue
        if codec.startswith("utf-16"):
            codec = "utf-8"  # a page that could be read far enough to find this is not UTF-16
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue  # the page does not decode as its declared charset
    return body.decode("cp1252", errors="replace")
