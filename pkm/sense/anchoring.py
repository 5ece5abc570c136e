"""Where a highlight sits in an item's plain text, and where it went when the text changed.

Pure: functions of a quote, a position and a text. No store, no clock. It follows the W3C
Web Annotation selectors as Hypothesis uses them (`hypothesis/client`,
`src/annotator/anchoring/match-quote.ts`): a highlight is described twice, by a
TextQuoteSelector (the exact text plus up to `CONTEXT` characters either side) and a
TextPositionSelector (start, end) in characters of `content_text`. When the text changes,
the two are tried in order: the old position, then the exact quote (the occurrence whose
prefix and suffix agree best and that lies nearest the old position), then an approximate
match. A highlight none of them places is an orphan: it keeps its last quote and position,
and is never dropped.

Quotes are matched with whitespace normalised (a run of spaces, tabs or newlines in the
quote matches any run in the text), because what a person pastes from a browser rarely has
the line breaks of the stored text. The stored exact text is always the text as it is in
the item, so positions index the real text.
"""

import re
from bisect import bisect_right
from functools import lru_cache

from pkm.models import Anchor, AnnotationState, TextPosition, TextQuote

__all__ = ["CONTEXT", "FUZZY_THRESHOLD", "Anchor", "find_quote", "quote_at", "reanchor"]

# Characters of context stored either side of a quote (Hypothesis stores 32).
CONTEXT = 32

# The least `rapidfuzz.fuzz.partial_ratio` score (0-100) at which an approximate match is
# taken: the best window of the new text must be 80 % the same as the quote by Indel
# similarity (roughly one character in ten inserted, deleted or replaced). Lower, and a
# short quote starts matching unrelated passages; higher, and a corrected typo or a changed
# word in a sentence-long quote makes an orphan.
FUZZY_THRESHOLD = 80.0

# How much each agreement counts when choosing between occurrences of the exact quote
# (Hypothesis' weights; the quote itself always matches here). Position counts least: it
# only breaks ties between occurrences whose context agrees equally.
_PREFIX_WEIGHT = 20.0
_SUFFIX_WEIGHT = 20.0
_POSITION_WEIGHT = 2.0

# How far (in characters) a fuzzy match's ends may be moved to fit the passage: it bounds
# the spans tried, so a page-long quote costs milliseconds, not seconds.
_FIT_REACH = 64


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


def _find_verbatim(text: str, exact: str) -> list[TextPosition]:
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


def reanchor(quote: TextQuote, position: TextPosition | None, text: str) -> Anchor:
    """Place a highlight, last seen as `quote` at `position`, in the new `text`.

    In order:
    1. `anchored`: the exact text is still at the old position.
    2. `moved`: the exact quote (whitespace normalised) is elsewhere; of several
       occurrences, the one whose prefix and suffix agree best with the stored context,
       then the nearest to the old position, then the first.
    3. `fuzzy`: the window of the new text most like the quote, if its
       `fuzz.partial_ratio` score is at least `FUZZY_THRESHOLD`.
    4. `orphaned`: the old quote and position, unchanged.

    The quote's prefix and suffix are taken afresh from the new text whenever it is placed,
    so the next change is compared with the text as it is now.
    """
    exact = quote.exact
    if position is not None and text[position.start : position.end] == exact and exact:
        return Anchor(AnnotationState.ANCHORED, quote_at(text, position), position)
    hint = position.start if position is not None else 0
    # The quote as stored first, then with whitespace normalised.
    occurrences = _find_verbatim(text, exact) or find_quote(text, exact)
    if occurrences:
        best = max(occurrences, key=lambda p: (_context_score(quote, p, text, hint), -p.start))
        return Anchor(AnnotationState.MOVED, quote_at(text, best), best)
    fuzzy = _fuzzy(exact, text)
    if fuzzy is not None:
        return Anchor(AnnotationState.FUZZY, quote_at(text, fuzzy), fuzzy)
    return Anchor(
        AnnotationState.ORPHANED, quote, position or TextPosition(hint, hint + len(exact))
    )


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


def _fuzzy(exact: str, text: str) -> TextPosition | None:
    if not exact.strip() or not text.strip():
        return None
    from rapidfuzz import fuzz

    found = fuzz.partial_ratio_alignment(exact, text, score_cutoff=FUZZY_THRESHOLD)
    if found is None:
        return None
    return _fit(exact, text, found.dest_start, found.dest_end)


def _fit(exact: str, text: str, start: int, end: int) -> TextPosition | None:
    """The span near [start, end) most like `exact`.

    `partial_ratio` compares windows as long as the quote, so when the passage has grown
    or shrunk the window starts or ends in the wrong place (". Spaced repetition works
    since ... memory" for "Spaced repetition works because ... memory."). Word boundaries
    within a quarter of the quote's length (at most `_FIT_REACH` characters) of the
    window's ends are tried as the span's ends, and the span whose `fuzz.ratio` with the
    quote is highest is kept.
    """
    from rapidfuzz import fuzz

    reach = min(max(8, len(exact) // 4), _FIT_REACH)
    starts = {start} | {
        i
        for i in range(max(0, start - reach), min(len(text), start + reach + 1))
        if not text[i].isspace() and (i == 0 or text[i - 1].isspace())
    }
    ends = {end} | {
        j
        for j in range(max(1, end - reach), min(len(text), end + reach) + 1)
        if not text[j - 1].isspace() and (j == len(text) or text[j].isspace())
    }
    spans = [(s, e) for s in starts for e in ends if s < e]
    if not spans:
        return None
    best_start, best_end = max(
        spans,
        key=lambda se: (
            fuzz.ratio(exact, text[se[0] : se[1]]),
            -abs(se[0] - start) - abs(se[1] - end),
        ),
    )
    # A window may still begin or end on whitespace the quote does not have.
    while best_start < best_end and text[best_start].isspace():
        best_start += 1
    while best_end > best_start and text[best_end - 1].isspace():
        best_end -= 1
    return TextPosition(best_start, best_end) if best_start < best_end else None
