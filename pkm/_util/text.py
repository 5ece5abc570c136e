"""Text from strangers made safe to store and print. Pure, stdlib only.

Feeds, pages and HTTP servers can put terminal control sequences in any text they send: an
ESC starts a sequence that sets the window title, writes the clipboard (OSC 52) or clears
the screen, and C1 characters (U+0080-U+009F) do the same on some terminals. Every text
that comes from the network passes through `strip_controls` before it is stored, and the
CLI passes what it prints through it once more.
"""

import re

from pkm.errors import InvalidInputError

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


# --- file names ----------------------------------------------------------------------------------

# Names Windows refuses for a file whatever its extension (a vault synced to Windows must open).
_RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{p}{n}" for p in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)
SLUG_MAX_BYTES = 100
SLUG_FALLBACK = "untitled"


def slugify(title: str, *, max_bytes: int = SLUG_MAX_BYTES) -> str:
    """A file name stem for `title`: lower-case words joined by hyphens, safe on every system.

    Letters, digits and combining marks of any script are kept (a Hindi or Greek title stays
    readable; marks are needed by Indic scripts); everything else (path separators, dots,
    punctuation, symbols, emoji, controls) separates words. So the result never contains
    `/`, `\\`, `..` or a leading dot, and is never a Windows reserved name (a suffix is
    added). It is at most `max_bytes` of UTF-8, cut at a character boundary; a title with
    nothing left gets `untitled`. `slugify(slugify(t)) == slugify(t)`.
    """
    import unicodedata

    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", title).lower())
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if unicodedata.category(ch)[0] in "LNM":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    slug = unicodedata.normalize("NFC", "-".join(words))
    slug = _cut_utf8(slug, max_bytes).strip("-")
    if not slug or unicodedata.category(slug[0])[0] == "M":
        slug = (SLUG_FALLBACK + "-" + slug).strip("-") if slug else SLUG_FALLBACK
        slug = _cut_utf8(slug, max_bytes).strip("-")
    if slug.upper() in _RESERVED_NAMES:
        slug += "-note"
    return slug


def _cut_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def unique_slug(
    slug: str, taken: "set[str] | frozenset[str]", *, max_bytes: int = SLUG_MAX_BYTES
) -> str:
    """`slug`, or `slug-2`, `slug-3`, ...: the first whose case-folded form is not in `taken`
    (case-folded names: two files that differ only in case are one file on macOS and
    Windows, and one note name for Obsidian). The suffix never pushes it past `max_bytes`."""
    if slug.casefold() not in taken:
        return slug
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = _cut_utf8(slug, max_bytes - len(suffix)).rstrip("-") + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def author_slug(name: str) -> str:
    """The author's folder name: a safe slug of `name` (no separators, no `..`, never
    empty). InvalidInputError for a name with no letter or digit."""
    if not any(ch.isalnum() for ch in name):
        raise InvalidInputError(f"the author name cannot be made a folder name: {name!r}")
    return slugify(name)
