"""Rendering Markdown from Jinja2 templates: the note templates of Sense, the digests of Share.

Templates are looked up in HOME/templates/ first, so a person can override any of them by
copying it there, then in the package (`pkm/templates/`). Contains no I/O but the
template loading, and knows nothing of notes or items: callers hand it plain values.

Markdown has no autoescape of its own, so this module makes one: every `{{ value }}` a
template prints is escaped as inline Markdown unless it is already `Markup` (the filters
below return it), because titles, quotes and URLs come from feeds and must not become
headings, links, tags, Obsidian comments or pkm's own region markers.
"""

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from pkm._util.text import one_line, strip_controls
from pkm.errors import ConfigError

if TYPE_CHECKING:
    import jinja2

TEMPLATES_FOLDER = "templates"

# ASCII punctuation that means something inline in CommonMark or Obsidian (`#tag`, `%%`,
# `==mark==`, `^block`, `$math$`, `<!-- -->`, `[[link]]`, `|` in tables, `&entity;`).
_INLINE_RE = re.compile(r"([\\`*_\[\]<>#|%~=$!&^{}])")
# What starts a block at the beginning of a line: a list item, a numbered item, a quote, a
# heading (the `#` is escaped anyway), a thematic break or setext underline.
_LINE_START_RE = re.compile(r"^(\s*)(\d{1,9})?([-+.)])")


def _block_start(line: str) -> str:
    """`line` with a list or numbered-item marker at its start escaped (`\\-`, `1\\.`)."""
    m = _LINE_START_RE.match(line)
    if m is None or (m.group(2) is None and m.group(3) in ".)"):
        return line
    return line[: m.start(3)] + "\\" + line[m.start(3) :]


def md(value: Any) -> Markup:
    """Untrusted text as one line of inline Markdown that renders as the text itself."""
    text = _INLINE_RE.sub(r"\\\1", one_line(str(value)))
    return Markup(_block_start(text))


def md_quote(value: Any) -> Markup:
    """Untrusted text, line by line, as a Markdown blockquote of that text."""
    lines = strip_controls(str(value)).strip("\n").split("\n")
    out = []
    for line in lines:
        text = _block_start(_INLINE_RE.sub(r"\\\1", " ".join(line.split())))
        out.append(f"> {text}" if text else ">")
    return Markup("\n".join(out))


def md_text(value: Any) -> Markup:
    """A person's own Markdown (a comment they wrote), kept as Markdown but unable to open
    or close an HTML comment, and so unable to forge or hide pkm's region markers."""
    text = strip_controls(str(value)).strip("\n")
    return Markup(text.replace("<!--", "&lt;!--").replace("-->", "--&gt;"))


# A Markdown link or image whose destination has a scheme: `[x](javascript:...)`.
_MD_LINK_RE = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([A-Za-z][A-Za-z0-9+.\-]*):")


def md_shared_text(value: Any) -> Markup:
    """A person's Markdown as it leaves for others (a comment in a digest): as `md_text`,
    with raw HTML shown as text and links to anything but http(s) and mailto as text, so no
    teammate's Markdown viewer runs what a comment holds."""
    from pkm._util.urls import LINK_SCHEMES

    text = str(md_text(value)).replace("<", "&lt;")

    def link(m: re.Match[str]) -> str:
        if m.group(3).lower() in LINK_SCHEMES:
            return m.group(0)
        return m.group(0).replace("[", "\\[").replace("](", "\\](", 1)

    return Markup(_MD_LINK_RE.sub(link, text))


_URL_UNSAFE_RE = re.compile(r"[\s<>()\[\]\"'`|\\^{}]")


def md_url(value: Any) -> Markup:
    """A URL fit for `[text](url)`: http(s) only (an empty Markup otherwise, so no
    `javascript:` link), with what could end the link percent-encoded."""
    url = strip_controls(str(value or "")).strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return Markup("")
    if scheme not in ("http", "https"):
        return Markup("")
    return Markup(_URL_UNSAFE_RE.sub(lambda m: quote(m.group(), safe=""), url))


def md_link(url: Any, text: Any) -> Markup:
    """`[text](url)`, or the escaped text alone when the URL is not a web URL."""
    safe_url = md_url(url)
    label = md(text)
    return Markup(f"[{label}]({safe_url})") if safe_url else label


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return md(value)


@cache
def _environment(home_templates: str) -> "jinja2.Environment":
    import jinja2

    env = jinja2.Environment(
        loader=_loader(home_templates),
        autoescape=False,  # Markdown, not HTML: `_finalize` escapes instead
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        md=md, quote=md_quote, text=md_text, shared_text=md_shared_text, url=md_url, link=md_link
    )
    return env


def _loader(home_templates: str) -> "jinja2.BaseLoader":
    import jinja2

    return jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(home_templates),
            jinja2.PackageLoader("pkm", TEMPLATES_FOLDER),
        ]
    )


def html_url(value: Any) -> str:
    """A URL fit for an `href`: http(s) only (empty otherwise, so no `javascript:`)."""
    url = strip_controls(str(value or "")).strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


def html_paragraphs(value: Any) -> Markup:
    """Plain text (a person's Markdown, shown as it is written) as escaped HTML paragraphs,
    one per blank-line-separated block, line breaks kept."""
    text = strip_controls(str(value or "")).strip("\n")
    blocks = [b.strip("\n") for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(block.split("\n"))) for block in blocks
    )


@cache
def _html_environment(home_templates: str) -> "jinja2.Environment":
    import jinja2

    env = jinja2.Environment(
        loader=_loader(home_templates),
        autoescape=True,  # every value is escaped unless it is Markup
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(url=html_url, paragraphs=html_paragraphs)
    return env


def render(
    home: Path,
    name: str,
    context: Mapping[str, Any],
    *,
    html: bool = False,
    filters: Mapping[str, Any] | None = None,
) -> str:
    """Render template `name` (HOME/templates/NAME if the person has one) with `context`.

    Markdown templates escape every value as inline Markdown; with `html`, the template
    is HTML and every value is HTML-escaped (Jinja2's autoescape). `filters` are added to
    what the template may use (for this call's context only).

    ConfigError names the template when it is broken (a person's override can be).
    """
    import jinja2

    folder = str(home / TEMPLATES_FOLDER)
    env = _html_environment(folder) if html else _environment(folder)
    if filters:
        env = env.overlay()
        env.filters.update(filters)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as e:
        where = f"{e.filename}:{e.lineno}: " if isinstance(e, jinja2.TemplateSyntaxError) else ""
        raise ConfigError(f"template {name}: {where}{e}") from None
