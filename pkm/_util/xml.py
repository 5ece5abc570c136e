"""Lossless repairs for the ways real XML files (feeds, OPML exports) are not XML. Pure.

Outside CDATA sections: HTML entity names (`&nbsp;`) become character references, an
unknown entity becomes literal text, a bare `&` (as in an unescaped query string) becomes
`&amp;`, control characters XML forbids are dropped, as literals or as references (a
reference to a surrogate or NUL becomes U+FFFD), and blanks before the XML declaration
go. Only byte-oriented, ASCII-compatible encodings are touched: in UTF-16 or UTF-32 a `&`
byte is not an ampersand.
"""

import re
from html.entities import html5

_CDATA_SPLIT_RE = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)
# An `&` that starts a well-formed reference, or a bare one (group 1 is then None).
_REFERENCE_RE = re.compile(
    rb"&(?:(#[0-9]{1,10}|#[xX][0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9._-]{0,31});)?"
)
_XML_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_XML_ILLEGAL_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def repair_xml(data: bytes) -> bytes:
    """`data` with the repairs of the module docstring; unchanged when none applies."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        return data
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    parts = _CDATA_SPLIT_RE.split(data[len(bom) :].lstrip())
    for i in range(0, len(parts), 2):
        parts[i] = _XML_ILLEGAL_RE.sub(b"", _REFERENCE_RE.sub(_fix_reference, parts[i]))
    return bom + b"".join(parts)


def _fix_reference(match: "re.Match[bytes]") -> bytes:
    name = match.group(1)
    if name is None:
        return b"&amp;"
    if name.startswith(b"#"):
        code = int(name[2:], 16) if name[1:2] in (b"x", b"X") else int(name[1:])
        return match.group(0) if is_xml_char(code) else b"&#xFFFD;"
    if name in _XML_PREDEFINED:
        return match.group(0)
    chars = html5.get(name.decode("ascii") + ";")
    if chars is None:
        return b"&amp;" + name + b";"  # unknown: keep it as the text it was
    return b"".join(b"&#%d;" % ord(ch) for ch in chars)


def is_xml_char(code: int) -> bool:
    """Whether XML 1.0 allows this code point in a document."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
