"""Reading single elements of a strict lxml tree: which vocabulary an element belongs to,
the `xml:base` in effect, its text, and its inline markup serialized as HTML.

Owns namespace recognition the way feedparser does it, so both readers see the same
elements: URIs compared without case, scheme or trailing slash, known variants accepted
(the RSS Board's Media RSS URI, the old userland RSS namespaces), and for a URI nobody
knows, the conventional prefix (`content:`, `dc:`, `media:` ...) decides. Knows nothing
about what the elements mean; `_entry`, `_extensions` and `_tree` do.
"""

import re
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from pkm._util.web import VOID_TAGS
from pkm.seek.feeds._raw import _rebase

# Vocabulary keys. RSS core (no namespace, RSS 1.0, RSS 0.90) is "".
RSS = ""
ATOM = "atom"
ATOM03 = "atom03"
RDF = "rdf"
CONTENT = "content"
DC = "dc"
DCTERMS = "dcterms"
MEDIA = "media"
ITUNES = "itunes"
XHTML = "xhtml"
PKM = "pkm"  # pkm's own: a teammate's shared.atom (docs/shared-atom.md)
OTHER = "#"  # comments, processing instructions, unknown vocabularies

_KNOWN_URIS = {
    "purl.org/rss/1.0": RSS,
    "my.netscape.com/rdf/simple/0.9": RSS,
    "blogs.law.harvard.edu/tech/rss": RSS,
    "purl.org/rss/1.0/modules/rss091": RSS,
    "www.w3.org/2005/atom": ATOM,
    "purl.org/atom/ns": ATOM03,
    "www.w3.org/1999/02/22-rdf-syntax-ns": RDF,
    "purl.org/rss/1.0/modules/content": CONTENT,
    "purl.org/dc/elements/1.1": DC,
    "purl.org/dc/terms": DCTERMS,
    "search.yahoo.com/mrss": MEDIA,
    "www.rssboard.org/media-rss": MEDIA,
    "www.itunes.com/dtds/podcast-1.0.dtd": ITUNES,
    "www.w3.org/1999/xhtml": XHTML,
    "pkm.invalid/ns/share/1": PKM,
}
# feedparser falls back to the prefix as written when it does not know a namespace URI, so a
# feed declaring xmlns:content="http://purl.org/rss/1.0/modules/content" (no slash) or a
# made-up URI still has its content:encoded read.
_KNOWN_PREFIXES = frozenset({CONTENT, DC, DCTERMS, MEDIA, ITUNES})
_URI_KEYS: dict[str, str | None] = {"": RSS}
_SPLIT_TAGS: dict[str, tuple[str, str]] = {}  # tag -> split(tag), for tags whose URI is known

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

# Inline markup nested deeper than this is flattened to its text: nothing real nests a
# hundred levels, and hostile nesting makes every HTML tree walk downstream slow.
MAX_NESTING = 100
_TAG_RE = re.compile(
    r"<(/?)([A-Za-z][^\s/>]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>|<!--.*?-->", re.S
)


def _uri_key(uri: str) -> str | None:
    key = _URI_KEYS.get(uri, "?")
    if key != "?":
        return key
    plain = uri.strip().lower().removeprefix("http://").removeprefix("https://").rstrip("/#")
    if "backend.userland.com/rss" in plain:
        found: str | None = RSS
    else:
        found = _KNOWN_URIS.get(plain)
    if len(_URI_KEYS) < 1000:  # a hostile feed could declare a namespace per element
        _URI_KEYS[uri] = found
    return found


def split(el: Any) -> tuple[str, str]:
    """(vocabulary key, lower-case local name) of an element; (OTHER, "") for non-elements."""
    tag = el.tag
    found = _SPLIT_TAGS.get(tag)
    if found is not None:
        return found
    if not isinstance(tag, str):
        return OTHER, ""
    if tag[:1] != "{":
        found = RSS, tag.lower()
    else:
        uri, _, local = tag[1:].partition("}")
        key = _uri_key(uri)
        if key is None:  # the prefix decides, so this tag's answer is not cached
            prefix = el.prefix
            return (prefix if prefix in _KNOWN_PREFIXES else OTHER), local.lower()
        found = key, local.lower()
    if len(_SPLIT_TAGS) < 10_000:  # element names are few, unless a feed is hostile
        _SPLIT_TAGS[tag] = found
    return found


def base(el: Any, url: str) -> str:
    """The base URI in effect at `el`: its xml:base chain resolved against the feed URL,
    skipping any base that is not http(s) (see `_raw._rebase`)."""
    values = []
    node = el
    while node is not None:
        value = node.get(XML_BASE)
        if value is not None:
            values.append(value)
        node = node.getparent()
    result = url
    for value in reversed(values):
        result = _rebase(result, value)
    return result


def attr(el: Any, name: str) -> str | None:
    """An attribute whatever its case (`isPermalink`, `filesize`): feedparser lower-cases
    attribute names, and feeds spell them every way."""
    value: str | None = el.get(name)
    if value is not None or not el.attrib:
        return value
    lower = name.lower()
    return next((str(v) for k, v in el.attrib.items() if k.lower() == lower), None)


def text(el: Any) -> str:
    if len(el) == 0:
        return (el.text or "").strip()
    return "".join(el.itertext()).strip()


def markup(el: Any) -> str:
    """The content of `el` as markup: its text plus any child elements serialized.

    Child elements appear when a feed inlines HTML without escaping it (well-formed by luck)
    and in Atom `type="xhtml"`.
    """
    if len(el) == 0:
        return el.text or ""
    # Serialize as HTML, not XML: an HTML parser reads the XML form `<iframe src=".."/>` as
    # an unclosed iframe that swallows the rest of the entry, and `<br></br>` as two breaks.
    # The HTML serializer only knows void elements without a namespace, so drop namespaces
    # (this tree is read once, so changing it in place is safe).
    for node in el.iterdescendants():
        if isinstance(node.tag, str) and node.tag[:1] == "{":
            node.tag = node.tag.rpartition("}")[2]
    parts = [el.text or ""]
    parts.extend(etree.tostring(child, encoding=str, with_tail=True, method="html") for child in el)
    return flatten("".join(parts))


def flatten(html: str, limit: int = MAX_NESTING) -> str:
    """Serialized well-formed markup with every element deeper than `limit` reduced to its
    text. Only for markup that came from XML elements (every non-void element closed):
    escaped HTML is the sanitizer's to repair.
    """
    if html.count("<") <= limit:
        return html  # fewer tags than the limit cannot nest past it
    parts = []
    depth = 0
    pos = 0
    for match in _TAG_RE.finditer(html):
        closing, name, self_closing = match.groups()
        if name is None or self_closing or name.lower() in VOID_TAGS:
            keep = depth < limit  # a comment or an element that holds nothing
        elif closing:
            depth -= 1
            keep = depth < limit
        else:
            keep = depth < limit
            depth += 1
        parts.append(html[pos : match.start()])
        if keep:
            parts.append(match.group(0))
        pos = match.end()
    parts.append(html[pos:])
    return "".join(parts)
