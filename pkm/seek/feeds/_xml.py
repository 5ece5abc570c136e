"""XML documents: from decoded text to a raw feed, through `_tree` or `_fallback`.

Owns telling an HTML page or junk from an XML feed, turning the text back into UTF-8
bytes, dropping a DOCTYPE, lossless repairs (HTML entity names, bare `&`, forbidden
control characters), flattening documents nested deeper than lxml allows, and lxml's
strict parse, which never loads DTDs, expands entities or touches the network.
A document that parses goes to the tree walk in `_tree`; one that still does not goes to
feedparser in `_fallback`, unless it is a teammate's shared.atom (pkm's namespace), which
only the tree walk reads in full. Reading the elements themselves is not done here.
"""

import re
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from pkm._util.xml import repair_xml
from pkm.errors import ParseError
from pkm.seek.feeds._encoding import _first_significant
from pkm.seek.feeds._raw import _RawFeed
from pkm.seek.feeds._share import NAMESPACE
from pkm.seek.feeds._tree import _read_tree

_XML_DECL_TEXT_RE = re.compile(
    r"""^(\s*<\?xml\s[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._:-]{1,40}(["'])"""
)
_HTML_PAGE_RE = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])",
    re.I | re.S,
)
_XML_START_RE = re.compile(r"<\?xml|<rss[\s>]|<feed[\s>]|<rdf:RDF[\s>]")
_PROLOG_RE = re.compile(rb"\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*)*", re.S)
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s[^>\[]*(?:\[.*?\]\s*)?>", re.S | re.I)
# Markup tokens of a well-formed document, for counting element depth: sections that may
# contain "<" (CDATA, comments, processing instructions, declarations), end tags, and start
# tags (attribute values may contain ">").
_TOKEN_RE = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<![^>]*>|(</)[^>]*>"
    rb"""|<[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""",
    re.S,
)
_SHARE_NS = NAMESPACE.encode()
# lxml's strict parser (with huge_tree) refuses documents nested deeper than 2048 elements;
# deeper ones are flattened to this depth first (see `_flatten_deep`).
_MAX_DOCUMENT_DEPTH = 1000


def _read_xml(
    utf8_body: bytes | None,
    text: str,
    url: str,
    warnings: list[str],
    *,
    use_lxml: bool,
    max_entries: int,
) -> _RawFeed:
    """Read an XML feed: strict lxml tree if possible, feedparser's loose parser if not.

    `utf8_body` is the body when it already is `text` in UTF-8 (the usual case: no copy).
    """
    if _HTML_PAGE_RE.match(text):
        raise ParseError(url, "not a feed: looks like an HTML page")
    start = _first_significant(text) or 0
    if text[start] != "<":
        junk = _XML_START_RE.search(text, 0, 4096)
        if junk is None:
            raise ParseError(url, "not a feed: neither xml nor json")
        warnings.append("ignored text before the xml document")
        data = _utf8_document(text[junk.start() :])
    elif utf8_body is not None:
        data = utf8_body.lstrip()  # XML allows nothing before the declaration; PHP adds newlines
    else:
        data = _utf8_document(text[start:])
    data = _strip_doctype(data)

    root, error = _strict_parse(data) if use_lxml else (None, "")
    if root is None and use_lxml:
        repaired = repair_xml(data)
        if repaired != data:
            root, error = _strict_parse(repaired)
            if root is not None:
                warnings.append(
                    "repaired xml: undeclared entities, bare ampersands or control characters"
                )
            data = repaired
    if root is None and "depth" in error.lower():
        root, _ = _strict_parse(_flatten_deep(data, _MAX_DOCUMENT_DEPTH))
        if root is not None:
            warnings.append(f"flattened elements nested deeper than {_MAX_DOCUMENT_DEPTH}")
    if root is None:
        if _SHARE_NS in data:
            # A teammate's shared.atom read without its highlights would remove every one
            # the reader holds from it: refused instead, and read again once it is whole
            # (a file caught half-written or half-synced).
            reason = " ".join(error.split()).lower() or "not well-formed"
            raise ParseError(url, f"malformed shared.atom, not read: {reason}")
        # Imported here: feedparser takes 20-40 ms to load, and well-formed feeds (nearly
        # all) never need it.
        from pkm.seek.feeds._fallback import _read_with_feedparser

        return _read_with_feedparser(data, url, max_entries)
    return _read_tree(root, url, max_entries)


def _utf8_document(text: str) -> bytes:
    """The document as UTF-8 bytes, its XML declaration saying so."""
    text = text.lstrip("\ufeff")
    text = _XML_DECL_TEXT_RE.sub(r"\1utf-8\2", text, count=1)
    return text.encode("utf-8", errors="replace")  # errors: lone surrogates from utf-16


def _strip_doctype(data: bytes) -> bytes:
    """Drop a DOCTYPE in the prolog.

    Feeds only use it to declare HTML entities (the RSS 0.91 DTD); we never load DTDs and
    never expand declared entities (billion laughs), and `repair_xml` maps HTML entity names.
    """
    head = data[:4096]
    if b"<!DOCTYPE" not in head and b"<!doctype" not in head.lower():
        return data
    prolog = _PROLOG_RE.match(data)
    pos = prolog.end() if prolog else 0
    match = _DOCTYPE_RE.match(data, pos)
    if match is None:
        return data
    return data[:pos] + data[match.end() :]


def _strict_parse(data: bytes) -> tuple[Any | None, str]:
    """(The root element, "") or (None, why) if the document is not well-formed XML.

    `huge_tree` lifts libxml2's limits on a text node (10 MB) and on depth (256, now
    2048): a long podcast transcript must not send a feed to the slow fallback. Nothing
    it guards against applies here: entities are never expanded, DTDs never loaded, and
    the body's size is capped by the fetcher.
    """
    parser = etree.XMLParser(
        recover=False,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        huge_tree=True,
    )
    try:
        return etree.fromstring(data, parser), ""
    except (etree.LxmlError, ValueError) as exc:
        return None, str(exc)


def _flatten_deep(data: bytes, limit: int) -> bytes:
    """The document with the tags of elements nested deeper than `limit` dropped, their
    text kept in the element at the limit. For a document lxml refused only for its depth
    (so otherwise well-formed): one pass, linear in its size."""
    parts = []
    depth = 0
    pos = 0
    for match in _TOKEN_RE.finditer(data):
        token = match.group(0)
        if token[1:2] in (b"!", b"?"):
            continue  # CDATA, comment, PI or declaration: kept as they are
        if match.group(1):  # an end tag
            depth -= 1
            keep = depth < limit
        else:
            keep = depth < limit
            if not token.endswith(b"/>"):
                depth += 1
        if not keep:
            parts.append(data[pos : match.start()])
            pos = match.end()
    parts.append(data[pos:])
    return b"".join(parts)
