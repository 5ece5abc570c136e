"""Feed parsing: bytes in, `ParsedFeed` out. Pure: no network, no clock, no database.

Owns everything between a fetched body and the entries pkm stores: choosing the
character encoding, telling feeds from things that are not feeds, reading RSS
0.90-2.0, RDF, Atom 0.3/1.0 and JSON Feed 1.0/1.1, entry identity, dates in UTC,
sanitized HTML (through `pkm.content`) and plain text. Does not fetch, store, or decide
what is new.

Three readers feed one builder, so every format comes out the same shape:

* JSON Feed is read with `json` (feedparser cannot read it).
* Well-formed XML is read by walking a strict lxml tree (about 1 ms for a 90 KB feed).
  fastfeedparser was measured as the fast path and rejected: it parses with libxml2's
  recover mode (silently truncating malformed documents instead of failing), drops XHTML
  titles, strips `<...>` from Atom `type="text"` content, leaves relative links and
  `xml:base` unresolved, and falls back to dateutil/dateparser, which fill missing date
  parts from today's date (a clock dependency).
* Anything lxml's strict parser still rejects after a few lossless repairs (and, for a
  document nested deeper than lxml allows, flattening its innermost elements) goes to
  feedparser's forgiving parser (60-90 ms per feed, so only when needed), and the feed
  carries a "recovered from malformed xml" warning.

Dates are parsed in this package (`_dates`), from the raw strings, on both XML paths:
feedparser's own ISO 8601 handler reads the clock and the local timezone.

Layout (read in this order):

* `_encoding`: bytes to text (byte-order mark, UTF-8, XML declaration, HTTP charset).
* `_raw`: the intermediate form every reader produces (`_RawFeed`, `_RawEntry`, `_Text`).
* `_xml`: XML documents: not-a-feed checks, lossless repairs, the strict lxml parse, and
  the choice between `_tree` and `_fallback`.
* `_tree`: the walk over a strict lxml tree for RSS 0.9x/2.0, RDF (RSS 1.0) and Atom:
  formats, feed metadata, which items to read.
* `_entry`: one item or entry of that tree; `_extensions`: its content:, Dublin Core,
  Media RSS, iTunes and XHTML elements, dates, authors and enclosures; `_elements`:
  namespaces, xml:base, text and markup of single elements.
* `_fallback`: feedparser, for XML lxml rejects; `_feedparser`: the adjustments that make
  feedparser read a feed the way the lxml walk does.
* `_json`: JSON Feed.
* `_limits`: `FeedLimits`: the newest entries of a long feed, texts cut to size.
* `_builder`: raw feed to `ParsedFeed`: ids, sanitized HTML, plain text, titles, authors,
  enclosures, control characters removed.
* `_dates`: date strings to aware UTC datetimes.

Both XML readers read the same fields (identity, title, link, dates, authors, content,
enclosures) with the same precedence; `tests/test_corpus_feeds_differential.py` holds
them to it over the shared corpus, with the few disagreements that must stay listed.
"""

from collections.abc import Mapping

from pkm._util.web import charset_label
from pkm.errors import ParseError
from pkm.models import FeedLimits, ParsedFeed
from pkm.seek.feeds._builder import _build
from pkm.seek.feeds._encoding import _decode, _first_significant
from pkm.seek.feeds._json import _read_json
from pkm.seek.feeds._xml import _read_xml

__all__ = ["parse_feed"]


def parse_feed(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    limits: FeedLimits = FeedLimits(),
    held: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """Parse a fetched feed document.

    Args:
        body: the response body, exactly as received (after transfer decoding).
        url: the URL the body came from; relative links resolve against it.
        content_type: the Content-Type header, if any; its charset is one hint among
            the BOM, the XML declaration and the bytes themselves.
        limits: how much of the document is kept. Of a feed with more entries than
            `limits.max_entries`, the newest are kept (by published, else updated;
            undated entries rank after dated ones, and ties go to the earlier entry, as
            feeds list newest first) and the rest are counted in `dropped_entries`
            without being read. Each entry's title, content and summary are cut to
            `limits.max_entry_bytes` UTF-8 bytes before sanitizing, counted in
            `truncated_entries`.
        held: the entries the caller stores already, id -> `ParsedEntry.fingerprint`. An
            entry whose fingerprint is the same is not built again; its id is listed in
            `unchanged_entries` instead (a changed feed usually has one new entry among
            twenty it had before).

    Returns:
        The feed with entries in document order. Deterministic: the same arguments
        always give the same result, because change detection hashes it.

    Raises:
        ParseError: the body is not a usable feed (an HTML page, empty, not XML or JSON,
            JSON that is not a JSON Feed, or a feed whose entries are all unusable).
            Nothing else is raised, for any bytes.
    """
    return _parse(body, url, content_type, use_lxml=True, limits=limits, held=held)


def _parse(
    body: bytes,
    url: str,
    content_type: str | None,
    *,
    use_lxml: bool,
    limits: FeedLimits = FeedLimits(),
    held: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """`parse_feed`, with a switch the tests use to send well-formed XML to feedparser too."""
    text, verbatim, warnings = _decode(body, charset_label(content_type))
    start = _first_significant(text)
    if start is None:
        raise ParseError(url, "not a feed: empty document")
    if text[start] in "{[":
        raw = _read_json(text[start:], url)
    else:
        raw = _read_xml(
            body if verbatim else None,
            text,
            url,
            warnings,
            use_lxml=use_lxml,
            max_entries=limits.max_entries,
        )
    raw.warnings[:0] = warnings
    return _build(raw, url, limits, held)
