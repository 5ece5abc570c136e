"""Text from strangers made safe to store and print. Pure, stdlib only.

Feeds, pages and HTTP servers can put terminal control sequences in any text they send: an
ESC starts a sequence that sets the window title, writes the clipboard (OSC 52) or clears
the screen, and C1 characters (U+0080-U+009F) do the same on some terminals. Every text
that comes from the network passes through `strip_controls` before it is stored, and the
CLI passes what it prints through it once more.
"""

import re

# C0 controls except tab and newline, DEL, and C1 controls. ESC (U+001B) is among the C0.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEWLINES_RE = re.compile("\r\n?")
_ASCII_CONTROLS = bytes([*range(0x09), *range(0x0B, 0x20), 0x7F])


def strip_controls(text: str) -> str:
    """`text` without control characters; tab and newline stay, a CR becomes a newline.

    A CR on its own would let a line overwrite what the terminal showed before it. Most
    texts have none, so that is checked first: on a long text, a scan of its UTF-8 bytes
    (C1 characters all start with 0xC2 there) is several times quicker than the pattern.
    """
    if len(text) < 256:
        if _CONTROLS_RE.search(text) is None:
            return text
    else:
        data = text.encode("utf-8", errors="surrogatepass")
        if b"\xc2" not in data and len(data.translate(None, _ASCII_CONTROLS)) == len(data):
            return text
    return _CONTROLS_RE.sub("", _NEWLINES_RE.sub("\n", text))


def has_controls(text: str) -> bool:
    """Whether `text` holds a character `strip_controls` would remove (tab and newline count)."""
    return _CONTROLS_RE.search(text) is not None or "\t" in text or "\n" in text


def one_line(text: str) -> str:
    """`text` as one printable line: controls gone, every run of whitespace one space."""
    return " ".join(strip_controls(text).split())
