"""Finding a quote in a text: the exact-match half of anchoring a highlight. Pure.

Shared by Sense (`pkm.sense.anchoring`, which adds re-anchoring and fuzzy matching on top)
and Seek (a teammate's shared highlights are placed in the reader's own copy of the text
when they arrive), which must not import each other.

Quotes are matched with whitespace normalised (a run of spaces, tabs or newlines in the
quote matches any run in the text); positions always index the real text.
"""

import re
from bisect import bisect_right
from functools import lru_cache

from pkm.models import TextPosition, TextQuote

# Characters of context stored either side of a quote (Hypothesis stores 32).
CONTEXT = 32

# How much each agreement counts when choosing between occurrences of the exact quote
# (Hypothesis' weights; the quote itself always matches here). Position counts least: it
# only breaks ties between occurrences whose context agrees equally.
_PREFIX_WEIGHT = 20.0
_SUFFIX_WEIGHT = 20.0
_POSITION_WEIGHT = 2.0

_WORD_RE = re.compile(r"\S+")


def normalise_quote(text: str) -> str:
    """A quote as typed: surrounding whitespace gone, inner runs of whitespace one space."""
    return " ".join(_WORD_RE.findall(text))


@lru_cache(maxsize=16)
def _normalised(text: str) -> tuple[str, list[int], list[int]]:
    """`text` with whitespace normalised, and where each of its words starts there and in
    `text`. Cached: re-anchoring asks it once per highlight of the same item."""
    parts: list[str] = []
    starts: list[int] = []
    original: list[int] = []
    at = 0
    for word in _WORD_RE.finditer(text):
        parts.append(word.group())
        starts.append(at)
        original.append(word.start())
        at += len(parts[-1]) + 1
    return " ".join(parts), starts, original


def find_quote(text: str, quote: str) -> list[TextPosition]:
    """Every occurrence of `quote` in `text`, whitespace normalised, in text order.

    Occurrences may overlap ("aa" occurs twice in "aaa"): each is a place a person could
    have meant. An empty (or all-whitespace) quote occurs nowhere.
    """
    needle = normalise_quote(quote)
    if not needle:
        return []
    flat, starts, original = _normalised(text)

    def in_text(i: int) -> int:  # `i` is in a word (a match never starts or ends on a space)
        k = bisect_right(starts, i) - 1
        return original[k] + i - starts[k]

    found = []
    at = flat.find(needle)
    while at >= 0:
        found.append(TextPosition(in_text(at), in_text(at + len(needle) - 1) + 1))
        at = flat.find(needle, at + 1)
    return found


def find_verbatim(text: str, exact: str) -> list[TextPosition]:
    """Every occurrence of `exact` in `text` as it is (no whitespace normalising)."""
    found = []
    start = text.find(exact) if exact else -1
    while start >= 0:
        found.append(TextPosition(start, start + len(exact)))
        start = text.find(exact, start + 1)
    return found


def quote_at(text: str, position: TextPosition) -> TextQuote:
    """The TextQuoteSelector of `text[start:end]`: the exact text and its context."""
    start, end = position.start, position.end
    return TextQuote(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
    )


def best_occurrence(
    quote: TextQuote, occurrences: list[TextPosition], text: str, hint: int = 0
) -> TextPosition:
    """Of several occurrences of a quote, the one whose prefix and suffix agree best with
    the quote's context, then the nearest to `hint`, then the first."""
    return max(occurrences, key=lambda p: (_context_score(quote, p, text, hint), -p.start))


def place_quote(quote: TextQuote, text: str) -> TextPosition | None:
    """Where `quote` is in `text` (as stored, else whitespace normalised), choosing between
    occurrences by context; None if it is not there."""
    occurrences = find_verbatim(text, quote.exact) or find_quote(text, quote.exact)
    return best_occurrence(quote, occurrences, text) if occurrences else None


def _context_score(quote: TextQuote, at: TextPosition, text: str, hint: int) -> float:
    before = text[max(0, at.start - len(quote.prefix)) : at.start]
    after = text[at.end : at.end + len(quote.suffix)]
    prefix = _common_suffix(quote.prefix, before) / len(quote.prefix) if quote.prefix else 1.0
    suffix = _common_prefix(quote.suffix, after) / len(quote.suffix) if quote.suffix else 1.0
    distance = abs(at.start - hint) / max(len(text), 1)
    return _PREFIX_WEIGHT * prefix + _SUFFIX_WEIGHT * suffix + _POSITION_WEIGHT * (1 - distance)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])
