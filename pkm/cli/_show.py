"""`pkm sense show` on a terminal: one item as Rich renderables.

The frame (title, source, date, address, tags, enclosures, comments, notes) is Markdown
built here, every value from the network escaped, so a title of `# x` or `[a](b)` reads as
written. The text is the item's `content_text`, the text highlights anchor to, as Rich
`Text`, not Markdown: a highlight is a range of its characters, and a Markdown parser would
re-read `*`, `_` or `#` in it and move what the reader sees away from what was highlighted.
"""

import re
from typing import TYPE_CHECKING

from pkm._util.text import strip_controls
from pkm.cli._output import safe
from pkm.sense import ItemView, highlight_ranges

if TYPE_CHECKING:
    from rich.console import RenderableType

# Shown around a highlight, so it reads without colour too (NO_COLOR, a pipe); the
# Obsidian/Pandoc way of writing a highlight.
MARK = "=="
HIGHLIGHT_STYLE = "bold black on yellow"

# CommonMark lets a backslash escape any ASCII punctuation, and then it is only that.
_PUNCTUATION_RE = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: str | None) -> str:
    """Untrusted text as literal Markdown on one line."""
    return _PUNCTUATION_RE.sub(r"\\\1", safe(text))


def _size(length: int | None) -> str:
    if length is None:
        return ""
    if length < 1000:
        return f"{length} bytes"
    size = float(length)
    for unit in ("KB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


def _frame(view: ItemView) -> str:
    item = view.item
    lines = [f"## {md(item.title or item.url) or '(untitled)'}", ""]
    facts = [md(item.source_title or (item.source_urls[0] if item.source_urls else ""))]
    date = item.date or item.sort_at
    facts += [date.strftime("%Y-%m-%d %H:%M UTC") if date else "", md(item.author)]
    facts.append(item.status.value + (" (marked read now)" if view.marked_read else ""))
    lines += [" · ".join(f for f in facts if f), ""]
    if item.url:
        lines += [md(item.url), ""]
    if item.tags:
        lines += [" ".join(f"\\#{md(t)}" for t in item.tags), ""]
    if item.enclosures:
        lines.append("**Enclosures**")
        lines.append("")
        for e in item.enclosures:
            about = ", ".join(filter(None, [md(e.type), _size(e.length)]))
            lines.append(f"- {md(e.url)}" + (f" ({about})" if about else ""))
        lines.append("")
    return "\n".join(lines)


def _body(view: ItemView) -> "RenderableType":
    from rich.text import Text

    text = view.item.content_text
    body = Text()
    done = 0
    for start, end in highlight_ranges(view):
        body.append(strip_controls(text[done:start]))
        body.append(MARK + strip_controls(text[start:end]) + MARK, style=HIGHLIGHT_STYLE)
        done = end
    body.append(strip_controls(text[done:]))
    if not body.plain.strip():
        body = Text("(no text: `pkm sense open ID` opens it in the browser)", style="dim")
    return body


def _comments(view: ItemView) -> str:
    placed = {a.id for a in view.highlights}
    lines: list[str] = []
    for a in view.own:
        if not a.comment and a.id in placed:
            continue  # a highlight without a comment is shown in the text
        if a.quote is not None:
            where = "" if a.id in placed else " (no longer found in the text)"
            comment = f": {md(a.comment)}" if a.comment else ""
            lines.append(f"- *“{md(a.quote.exact)}”*{where}{comment}")
        else:
            lines.append(f"- {md(a.comment)}")
        if a.tags:
            lines.append("  " + " ".join(f"\\#{md(t)}" for t in a.tags))
    return "### Comments\n\n" + "\n".join(lines) if lines else ""


def _shared(view: ItemView) -> str:
    """A teammate's highlights and comments, one section per teammate: never marked in
    the text as the person's own."""
    sections = []
    for name, annotations in view.shared.items():
        lines = [f"### Shared by {md(name)}", ""]
        for a in annotations:
            comment = md(a.comment)
            if a.quote is not None:
                where = " (not found in your copy)" if a.state.value == "orphaned" else ""
                lines.append(
                    f"- *“{md(a.quote.exact)}”*{where}" + (f": {comment}" if comment else "")
                )
            else:
                lines.append(f"- {comment}")
            if a.tags:
                lines.append("  " + " ".join(f"\\#{md(t)}" for t in a.tags))
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def _cites(view: ItemView) -> str:
    """Of the articles a teammate's note cites (listed in its text), those in the inbox."""
    lines = [
        f"- {md(c.title or c.url)}: item {c.item_id}"
        for c in view.item.cites
        if c.item_id is not None
    ]
    return "### Cited articles in your inbox\n\n" + "\n".join(lines) if lines else ""


def _notes(view: ItemView) -> str:
    if not view.notes:
        return ""
    lines = [f"- {md(n.title)} ({md(n.path)})" for n in view.notes]
    return "### Cited in notes\n\n" + "\n".join(lines)


def item_renderables(view: ItemView) -> list["RenderableType"]:
    from rich.markdown import Markdown
    from rich.text import Text

    parts: list[RenderableType] = [Markdown(_frame(view), hyperlinks=False), Text(""), _body(view)]
    for section in (_comments(view), _shared(view), _cites(view), _notes(view)):
        if section:
            parts += [Text(""), Markdown(section, hyperlinks=False)]
    return parts
