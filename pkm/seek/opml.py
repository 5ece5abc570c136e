"""OPML subscription lists: `parse_opml` (import) and `render_opml` (export). Pure.

Owns the mapping between OPML outlines and `OutlineSource`: which outline is a feed, how
folders and `category` attributes become tags, and how tags are written back. Does not
read or write files and does not touch the database; the seek services do that.

Parsing is strict XML through lxml with entity expansion, DTD loading and network access
off, and any document that declares entities is refused (defusedxml's rule), so neither
XXE nor "billion laughs" can work. When strict parsing fails, the habits of real exports
are repaired and parsing is tried again: HTML entities such as `&eacute;`, bare `&` in
URLs (`?a=1&b=2`), blanks before the XML declaration, and (last) one-line outline tags
broken by unescaped HTML in an attribute. Anything still malformed is refused whole,
never half-imported. URLs are returned as written; whether they are usable feed URLs is
the caller's decision.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree  # type: ignore[import-untyped]

from pkm._util.text import strip_controls
from pkm._util.xml import repair_xml
from pkm.content import bound_attributes
from pkm.errors import InvalidInputError
from pkm.models import OutlineSource

__all__ = ["parse_opml", "render_opml"]

# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML_CHAR_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# OPML 2.0 `category`: comma-separated, slash-delimited category strings ("/Tech/Python,news").
_CATEGORY_SEPARATORS_RE = re.compile(r"[,/]")
# A self-closing outline tag on one line (the unit `_salvage_outlines` repairs) and the
# attributes worth keeping from a broken one.
_ONE_LINE_OUTLINE_RE = re.compile(rb"<outline\b(?:(?!<outline\b)[^\n])*?/>", re.IGNORECASE)
_SALVAGE_ATTRIBUTE_RE = re.compile(
    rb'(?<=\s)(xmlUrl|htmlUrl|title|text|category)\s*=\s*"([^"<]*)"', re.IGNORECASE
)


def parse_opml(data: bytes) -> list[OutlineSource]:
    """Read the subscriptions out of an OPML file.

    Every `<outline>` with an `xmlUrl` attribute (any letter case) is a subscription. Its
    title is the `title` attribute, else `text`; its site URL is `htmlUrl`. Its tags are the
    names of the folder outlines around it, outermost first, followed by the values of its
    `category` attribute split on commas and slashes. A URL listed twice is kept once, at
    its first position, with the tags of both places (and a title or site URL the first one
    lacked). A title that merely repeats the feed URL counts as no title.

    Args:
        data: The file's bytes, in whatever encoding its XML declaration names.

    Returns:
        The subscriptions in document order (possibly none).

    Raises:
        InvalidInputError: `data` is not well-formed XML, declares entities, or its root
            element is not `<opml>` with a `<body>`.
    """
    root = _parse_xml(data)
    if _local_name(root) != "opml":
        raise InvalidInputError(f"not an OPML file: root element is <{_local_name(root)}>")
    body = next((child for child in _elements(root) if _local_name(child) == "body"), None)
    if body is None:
        raise InvalidInputError("not an OPML file: no <body> element")

    found: dict[str, _Found] = {}
    for attributes, folders in _outlines(body):
        url = _attr(attributes, "xmlurl")
        if url is None:
            continue
        title = _attr(attributes, "title") or _attr(attributes, "text")
        tags = [*folders, *_split_category(attributes.get("category", ""))]
        if url not in found:
            found[url] = _Found(title=None if title == url else title)
        entry = found[url]
        entry.title = entry.title or (None if title == url else title)
        entry.site_url = entry.site_url or _attr(attributes, "htmlurl")
        entry.tags.extend(tag for tag in tags if tag not in entry.tags)
    return [
        OutlineSource(url=url, title=f.title, site_url=f.site_url, tags=tuple(f.tags))
        for url, f in found.items()
    ]


def render_opml(
    sources: Iterable[OutlineSource],
    *,
    title: str = "pkm subscriptions",
    now: datetime | None = None,
) -> str:
    """Write subscriptions as an OPML 2.0 document that feed readers can import.

    Each source sits in a folder outline named after its first tag (untagged sources come
    after the folders, at the top level) and carries all its tags in the OPML 2.0
    `category` attribute (`category="/Tech,/Python"`), so `parse_opml` gives back exactly
    the tags it was given. A tag containing "," or "/" cannot be written into `category`
    unsplit; only as the first tag (the folder name) does it survive whole.

    Output is deterministic: folders sorted by name, sources by title then URL, attributes
    in a fixed order, characters XML cannot carry (control characters) dropped.

    Args:
        sources: The subscriptions; written as given, duplicates included.
        title: The document's `<head><title>`.
        now: When given (an aware datetime), written as `<dateCreated>` in RFC 822 form.

    Returns:
        The document, with an XML declaration naming UTF-8 and a final newline.
    """
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    if now is not None:
        if now.tzinfo is None:
            raise ValueError("naive datetime")
        date = format_datetime(now.astimezone(UTC), usegmt=True)
        etree.SubElement(head, "dateCreated").text = date
    body = etree.SubElement(opml, "body")

    folders: dict[str, list[OutlineSource]] = {}
    loose: list[OutlineSource] = []
    for source in sources:
        (folders.setdefault(source.tags[0], []) if source.tags else loose).append(source)
    for name in sorted(folders, key=lambda n: (n.casefold(), n)):
        folder = etree.SubElement(body, "outline", text=_xml_text(name), title=_xml_text(name))
        for source in sorted(folders[name], key=_source_order):
            _add_source(folder, source)
    for source in sorted(loose, key=_source_order):
        _add_source(body, source)

    etree.indent(opml, space="  ")
    document: bytes = etree.tostring(opml, encoding="UTF-8", xml_declaration=True)
    return document.decode("utf-8") + "\n"


@dataclass
class _Found:
    """A subscription being collected by `parse_opml` (mutable until the end)."""

    title: str | None
    site_url: str | None = None
    tags: list[str] = field(default_factory=list)


def _parse_xml(data: bytes) -> "etree._Element":
    """Parse strictly; on failure retry with `repair_xml`, then with `_salvage_outlines` too."""
    data = bound_attributes(data)
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as error:
        root = None
        repaired = repair_xml(data)
        tried = {data}
        for attempt in (repaired, _salvage_outlines(repaired)):
            if attempt in tried:
                continue
            tried.add(attempt)
            try:
                root = etree.fromstring(attempt, _safe_parser())
                break
            except etree.XMLSyntaxError:
                continue
        if root is None:
            # Report the problem in the file as given, not in our repaired copy.
            raise InvalidInputError(f"not an OPML file: {_describe(error)}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InvalidInputError("not an OPML file: entity declarations are not allowed")
    return root


def _safe_parser() -> "etree.XMLParser":
    # A fresh parser per call: lxml parsers keep state and must not be shared across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _describe(error: "etree.XMLSyntaxError") -> str:
    """lxml's message ("Premature end of data in tag body line 3, line 9, column 1"), one line."""
    lines = str(error.msg or error).splitlines()
    return lines[0] if lines else "malformed XML"


def _salvage_outlines(data: bytes) -> bytes:
    """Rebuild one-line `<outline .../>` tags that are broken on their own.

    Some exporters paste a feed's HTML description into an attribute unescaped
    (`description="... <a href="https://...">...</a>"`, Plenary does), which breaks the
    whole document. Such a tag is rewritten from the attributes pkm reads, so the other
    outlines and the folder structure still count. Feeder's importer does the same with a
    regex that keeps only `xmlUrl`; this keeps titles, site URL and categories too.
    """
    return _ONE_LINE_OUTLINE_RE.sub(_rebuild_outline, data)


def _rebuild_outline(match: "re.Match[bytes]") -> bytes:
    tag = match.group(0)
    try:
        etree.fromstring(tag, _safe_parser())
        return tag
    except etree.XMLSyntaxError:
        pass
    kept: dict[bytes, bytes] = {}
    for name, value in _SALVAGE_ATTRIBUTE_RE.findall(tag):
        kept.setdefault(name.lower(), name + b'="' + value + b'"')
    if b"xmlurl" not in kept:
        return tag
    return b"<outline " + b" ".join(kept.values()) + b"/>"


def _outlines(body: "etree._Element") -> Iterator[tuple[dict[str, str], tuple[str, ...]]]:
    """Every outline under `body` in document order, with the names of the folders around it.

    A folder is an outline without `xmlUrl`; its name is `text`, else `title` (Flym writes
    only `title`). Iterative rather than recursive, so deep nesting cannot exhaust the stack.
    """
    stack: list[tuple[etree._Element, tuple[str, ...]]] = [
        (child, ()) for child in reversed(_outline_children(body))
    ]
    while stack:
        outline, folders = stack.pop()
        attributes = _attributes(outline)
        yield attributes, folders
        inner: tuple[str, ...] = folders
        if _attr(attributes, "xmlurl") is None:
            name = _attr(attributes, "text") or _attr(attributes, "title")
            inner = (*folders, name) if name else folders
        stack.extend((child, inner) for child in reversed(_outline_children(outline)))


def _outline_children(parent: "etree._Element") -> list["etree._Element"]:
    return [child for child in _elements(parent) if _local_name(child) == "outline"]


def _elements(parent: "etree._Element") -> Iterator["etree._Element"]:
    # Comments, processing instructions and entity references have a non-str `tag`.
    return (child for child in parent if isinstance(child.tag, str))


def _local_name(element: "etree._Element") -> str:
    return str(etree.QName(element).localname).lower()


def _attributes(element: "etree._Element") -> dict[str, str]:
    """Un-namespaced attributes with lower-cased names (`xmlUrl`, `xmlurl`, `XMLURL` alike)."""
    attributes: dict[str, str] = {}
    for name, value in element.attrib.items():
        if not str(name).startswith("{"):
            # Titles and folder names are printed: no terminal control characters in them.
            attributes.setdefault(str(name).lower(), strip_controls(str(value)))
    return attributes


def _attr(attributes: dict[str, str], name: str) -> str | None:
    value = attributes.get(name, "").strip()
    return value or None


def _split_category(category: str) -> list[str]:
    return [part.strip() for part in _CATEGORY_SEPARATORS_RE.split(category) if part.strip()]


def _source_order(source: OutlineSource) -> tuple[str, str, str]:
    label = source.title or source.url
    return (label.casefold(), label, source.url)


def _add_source(parent: "etree._Element", source: OutlineSource) -> None:
    label = _xml_text(source.title or source.url)
    outline = etree.SubElement(parent, "outline", type="rss", text=label)
    if source.title:
        outline.set("title", label)
    outline.set("xmlUrl", _xml_text(source.url))
    if source.site_url:
        outline.set("htmlUrl", _xml_text(source.site_url))
    # The first tag travels as the folder name; it goes into `category` too (for importers
    # that read only that), unless splitting it there would turn one tag into several.
    categories = [
        tag
        for position, tag in enumerate(source.tags)
        if position > 0 or not _CATEGORY_SEPARATORS_RE.search(tag)
    ]
    if categories:
        outline.set("category", ",".join(f"/{_xml_text(tag)}" for tag in categories))


def _xml_text(text: str) -> str:
    """Text XML can hold, without control characters (the file is read by people too)."""
    return _NOT_XML_CHAR_RE.sub("", strip_controls(text))
