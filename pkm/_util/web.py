"""What servers say about what they send: media types, charsets, byte-order marks, and the
WHATWG reading of encoding labels. One home for the rules the feed parser, autodiscovery and
article extraction share. Pure, stdlib only.
"""

import codecs
import re

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# HTML elements that have no end tag (and the obsolete ones parsers still treat so).
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "image",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
XML_TYPES = frozenset({"application/xml", "text/xml"})
# How far into a body a declaration (<meta charset>, the XML declaration) or a page's first
# tags are looked for. The HTML standard's prescan reads 1024 bytes; real pages put a long
# <head> first, so a little further.
SNIFF_BYTES = 4096

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)
# Labels browsers (WHATWG Encoding) read as a superset; decoding with the superset never
# breaks a document that is really in the subset.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "cp1252": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}


def media_type(content_type: object) -> str:
    """`Application/RSS+XML; charset=utf-8` -> `application/rss+xml` ("" when there is none)."""
    return str(content_type or "").split(";", 1)[0].strip().lower()


def charset_label(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type, as written."""
    match = _CHARSET_RE.search(content_type or "")
    return match.group(1) if match else None


def codec_for_label(label: str | None) -> str | None:
    """Python's codec for an encoding label, read as browsers read it; None for labels
    Python has no text codec for."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def bom_codec(data: bytes) -> tuple[int, str] | None:
    """(length, codec) of the byte-order mark `data` starts with, or None."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return len(bom), codec
    return None
