"""pkm's own vocabulary (`xmlns:pkm="https://pkm.invalid/ns/share/1"`): what a teammate's
`shared.atom` adds to an Atom entry (docs/shared-atom.md).

Owns reading `pkm:kind`, `pkm:answers` (an answer's question), `pkm:highlight` (with its `pkm:exact`, `pkm:prefix`, `pkm:suffix`,
`pkm:comment` and `pkm:tag` children and `id`, `created`, `updated` attributes) and
`pkm:cites` into a `_RawEntry`, as written: texts uncleaned and uncut (the builder does
that, as for every text), dates still strings. `pkm:source` names where the teammate read
the article; the entry's own link is what finds the reader's copy, so it is not read.

Only the strict lxml tree is read this way: a shared.atom that is not well-formed XML is
refused rather than read by feedparser without its highlights (see `_xml`), since reading
it without them would remove every highlight the reader holds from it.
"""

from typing import Any

from pkm.seek.feeds import _elements as el
from pkm.seek.feeds._raw import _join, _RawEntry, _RawHighlight

NAMESPACE = "https://pkm.invalid/ns/share/1"


def read_share(entry: _RawEntry, node: Any, local: str, base: str) -> None:
    """Read one element of pkm's namespace that is a child of an entry."""
    entry.is_shared = True
    if local == "kind":
        entry.kind = el.text(node)
    elif local == "highlight":
        entry.highlights.append(_read_highlight(node))
    elif local == "answers":
        entry.answers = (node.get("ref") or "").strip() or None
    elif local == "cites":
        href = _join(base, node.get("href"))
        if href:
            entry.cites.append((href, node.get("title")))


def _read_highlight(node: Any) -> _RawHighlight:
    highlight = _RawHighlight(
        id=node.get("id"), created=node.get("created"), updated=node.get("updated")
    )
    for child in node:
        key, local = el.split(child)
        if key != el.PKM:
            continue
        # Not stripped: the context around a quote counts its spaces.
        value = "".join(child.itertext())
        if local == "exact":
            highlight.exact = value
        elif local == "prefix":
            highlight.prefix = value
        elif local == "suffix":
            highlight.suffix = value
        elif local == "comment":
            highlight.comment = value
        elif local == "tag":
            highlight.tags.append(value)
    return highlight
