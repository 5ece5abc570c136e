"""Bytes to text: which character encoding a feed body is in, and C1 fix-ups.

Owns the order of the evidence (byte-order mark, valid UTF-8, XML declaration, HTTP
charset, then a guess) and the mapping of stray C1 control characters to windows-1252.
Knows nothing about feed formats; rewriting the XML declaration to match is `_xml`'s job.
"""

import re

from pkm._util.web import bom_codec, codec_for_label

_XML_DECL_RE = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
# C1 control characters are never meant in feed text: they are windows-1252 bytes that
# went through an iso-8859-1 label. Map them the way browsers do (undefined ones go).
_C1_MAP = {b: (bytes([b]).decode("cp1252", errors="ignore") or None) for b in range(0x80, 0xA0)}
_C1_RE = re.compile("[\x80-\x9f]")


def _try_decode(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):  # LookupError: a bytes-to-bytes codec
        return None


def _decode(body: bytes, http_charset: str | None) -> tuple[str, bool, list[str]]:
    """Decode the body; return (text, whether `body` is exactly that text in UTF-8, warnings).

    Order: a byte-order mark; then UTF-8 if the bytes are valid UTF-8 (text in a legacy
    encoding is practically never valid UTF-8, while mislabelled UTF-8 is common: see
    miniflux's encoding tests); then the XML declaration; then the HTTP charset; then
    UTF-8 with replacement if most non-ASCII bytes form UTF-8, else windows-1252.
    """
    warnings: list[str] = []
    if bom := bom_codec(body):
        return _fix_c1(body[bom[0] :].decode(bom[1], errors="replace")), False, warnings
    if body[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a byte-order mark
        codec = "utf-16-le" if body[0] else "utf-16-be"
        return _fix_c1(body.decode(codec, errors="replace")), False, warnings

    declared_match = _XML_DECL_RE.match(body[:512])
    declared_label = declared_match.group(1).decode("ascii") if declared_match else None
    declared = codec_for_label(declared_label)
    text = _try_decode(body, "utf-8")
    if text is not None:
        if declared not in (None, "utf-8") and not body.isascii():
            warnings.append(f"declared encoding {declared_label} ignored: the bytes are utf-8")
        # b"\xc2" leads every U+0080-U+009F in UTF-8: a cheap test that skips the scan.
        fixed = _fix_c1(text) if b"\xc2" in body else text
        verbatim = fixed is text and (declared_label is None or declared == "utf-8")
        return fixed, verbatim, warnings
    for label in (declared_label, http_charset):
        candidate = codec_for_label(label)
        if candidate in ("utf-8", "utf-16", "utf-32"):
            continue  # already tried, or not what these bytes are
        text = _try_decode(body, candidate)
        if text is not None:
            return _fix_c1(text), False, warnings
    utf8 = body.decode("utf-8", errors="replace")
    bad = utf8.count("\ufffd")
    if sum(1 for ch in utf8 if ord(ch) > 127) > 2 * bad:
        warnings.append("invalid utf-8 bytes replaced")
        return _fix_c1(utf8), False, warnings
    warnings.append("undeclared or wrong encoding: decoded as windows-1252")
    return _fix_c1(body.decode("latin-1")), False, warnings


def _fix_c1(text: str) -> str:
    if _C1_RE.search(text) is None:
        return text
    return text.translate(_C1_MAP)


_SIGNIFICANT_RE = re.compile(r"[^\s\ufeff]")


def _first_significant(text: str) -> int | None:
    match = _SIGNIFICANT_RE.search(text)
    return match.start() if match else None
