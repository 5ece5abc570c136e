"""Read-later article extraction: the bytes of one web page -> `Article`. Pure.

Owns decoding the page (BOM, HTTP charset, `<meta charset>`), making its links absolute,
and the call into trafilatura for the main text (as Markdown), the article HTML (then
sanitized with `pkm.content.sanitize_html`) and the metadata (title, author, date, site).
Does not fetch: the body comes from `pkm.seek.http`. Nothing here touches the network or
the clock; trafilatura is only ever handed a parsed tree, never a URL it could download.

trafilatura (with lxml, justext, htmldate, dateparser) takes about 0.4 s to import,
so it is imported inside `extract_article`, keeping `pkm --help` fast.
"""

import logging
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from pkm._util.text import strip_controls
from pkm._util.urls import LINK_SCHEMES, is_web_url, url_scheme
from pkm._util.web import HTML_TYPES, XML_TYPES, media_type
from pkm.content import bound_attributes, decode_html, sanitize_html
from pkm.errors import ParseError
from pkm.models import Article

logger = logging.getLogger("pkm.seek.extract")

# trafilatura options, chosen with benchmarks/extraction.py over the shared corpus (181
# scrapinghub article-extraction-benchmark pages + 94 Mozilla Readability test pages):
# - favor_recall: mean token F1 0.956, against 0.954 balanced and 0.956 favor_precision;
#   but compared with balanced, precision mode lost more than a tenth of the article on 6
#   pages (recall mode on 2), and a read-later copy missing paragraphs is worse than one
#   with a stray line of boilerplate. Recall mode is also the fastest of the three.
# - comments are never part of a saved article.
# - links are kept (read-later wants them), tables too (their text is part of the article;
#   without them F1 drops to 0.949). Images are left out: with them F1 drops to 0.948
#   (captions and alt text of decorative pictures), and the Markdown is for reading text.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "output_format": "markdown",
    "include_comments": False,
    "include_links": True,
    "include_tables": True,
    "include_images": False,
    "include_formatting": True,
    "favor_precision": False,
    "favor_recall": True,
    "with_metadata": True,
}
# htmldate: the publication date (not the last update), from markup only; `extensive_search`
# also guesses from dates in free text, which is slower and less often right.
_DATE_PARAMS: dict[str, Any] = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
# With no `now` given there is no clock to bound dates by; any date before this is accepted.
_FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)

# Less text than this is not an article: trafilatura's last-resort fallback returns whatever
# text a page has, which on a login wall or an empty JavaScript shell is its menu, form
# labels or "enable JavaScript". About two sentences; every page of the corpus has more.
_MIN_TEXT_CHARS = 200
_MD_LINK_TARGET_RE = re.compile(r"\]\((?:<[^>]*>|[^)\s]*)\)")

_ABSOLUTE_HTTP_RE = re.compile(r"https?://[^\s]", re.IGNORECASE)
_WHITESPACE_RE = re.compile(r"\s+")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def extract_article(
    html: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    now: datetime | None = None,
) -> Article:
    """Reduce a web page to its article.

    Args:
        html: the page as served (bytes, decoded here) or already decoded text.
        url: the page's final URL: the base for relative links, and `Article.url`.
        content_type: the HTTP Content-Type header, if known. A type that is not text
            is refused; the charset is used as `decode_html` says.
        now: the time of the fetch, if known; dates after it are not taken for the
            publication date.

    Returns:
        The article: `text` is Markdown with absolute links, `html` sanitized HTML,
        `published` aware UTC (or None).

    Raises:
        ParseError: the body is not HTML, or no article text could be found in it.
    """
    mime = media_type(content_type)
    if mime and mime not in HTML_TYPES | XML_TYPES and not mime.startswith("text/"):
        raise ParseError(url, f"not an HTML page ({mime})")
    text = html if isinstance(html, str) else decode_html(html, content_type)
    text = bound_attributes(strip_controls(text))
    if not text.strip():
        raise ParseError(url, "empty page")

    # Heavy: see the module docstring.
    from trafilatura import bare_extraction
    from trafilatura.htmlprocessing import build_html_output
    from trafilatura.metadata import Document
    from trafilatura.utils import load_html
    from trafilatura.xml import xmltotxt

    # trafilatura and its helpers catch their own errors in most places, but a hostile page
    # (deep nesting, odd encodings) can still make lxml raise almost anything. A page we
    # cannot read is a ParseError, like any other unusable page.
    try:
        tree = load_html(text)
        if tree is None:
            raise ParseError(url, "not an HTML page")
        base_url = _absolutize_links(tree, url)
        date_params = {**_DATE_PARAMS, "max_date": _max_date(now)}
        document = bare_extraction(
            tree, url=url, date_extraction_params=date_params, **_TRAFILATURA_OPTIONS
        )
        if not isinstance(document, Document) or document.body is None:
            raise ParseError(url, "no article found in page")
        _clean_targets(document.body, base_url)
        markdown = _tidy_markdown(_nfc(xmltotxt(document.body, include_formatting=True)))
        if _text_length(markdown) < _MIN_TEXT_CHARS:
            raise ParseError(url, "no article found in page")
        # build_html_output rewrites the body in place, so it runs after the Markdown.
        article_html = sanitize_html(build_html_output(document), base_url=base_url)
    except ParseError:
        raise
    except Exception as exc:  # see the comment above the try
        logger.debug("extraction failed for %s", url, exc_info=True)
        raise ParseError(url, f"unreadable page ({type(exc).__name__})") from exc

    return Article(
        url=url,
        title=_clean(document.title),
        author=_clean_author(document.author, text),
        published=_parse_date(document.date),
        text=markdown,
        html=article_html.strip() or None,
        site_name=_clean(document.sitename),
    )


def _absolutize_links(tree: Any, url: str) -> str:
    """Make the links and image sources of the raw page absolute, honouring `<base href>`,
    and drop `javascript:`-like hrefs so they never reach the Markdown. Returns the base URL.

    This has to happen before trafilatura sees the tree: it resolves links against the
    site root only, which breaks path-relative links (`next.html` on `/blog/post/`).
    Only `<a>` and `<img>` matter to the article, and lxml's `make_links_absolute` (every
    link-bearing attribute, CSS included) costs a third of the time on a 1 MB page.
    """
    base_url = url
    for base in tree.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            joined = _join(url, href)
            # A `javascript:` (or any non-web) base would turn every relative link into a
            # script: such a base is ignored, as for feeds.
            if joined is not None and is_web_url(joined):
                base_url = joined
            break
    for element in tree.iter("a", "img"):
        attr = "href" if element.tag == "a" else "src"
        value = element.get(attr)
        if value is None or _ABSOLUTE_HTTP_RE.match(value):
            continue
        joined = _join(base_url, value)
        if joined is None or not _is_safe_link(joined):
            del element.attrib[attr]
        else:
            element.set(attr, joined)
    return base_url


def _clean_targets(body: Any, base_url: str) -> None:
    """Absolutize what trafilatura took from attributes lxml does not know as links
    (`data-src` of lazy images), and drop unsafe link targets."""
    for element in body.iter("ref", "graphic"):
        attr = "target" if element.tag == "ref" else "src"
        value = element.get(attr)
        if value is None:
            continue
        joined = _join(base_url, value)
        if joined is None or not _is_safe_link(joined):
            del element.attrib[attr]
        else:
            element.set(attr, joined)


def _join(base: str, link: str) -> str | None:
    try:
        return urljoin(base, link.strip())
    except ValueError:  # e.g. an invalid IPv6 host
        return None


def _is_safe_link(link: str) -> bool:
    return url_scheme(link) in LINK_SCHEMES


def _max_date(now: datetime | None) -> str:
    """htmldate's upper bound for a plausible date: the day after `now` (a page's own
    time zone may already be a day ahead), or far in the future without a clock."""
    if now is None:
        return _FAR_FUTURE.strftime("%Y-%m-%d")
    return (now.astimezone(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")


def _parse_date(value: str | None) -> datetime | None:
    """htmldate's answer (`_DATE_PARAMS["outputformat"]`) as aware UTC; a date with no
    offset is taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _tidy_markdown(markdown: str) -> str:
    """Drop the page source's indentation that trafilatura carries into its Markdown.

    Indented by four spaces, a paragraph or heading would turn into a code block; only
    nested list items keep theirs. Code fences are left alone.
    """
    lines: list[str] = []
    in_fence = in_list = after_blank = False
    for line in markdown.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            lines.append(line.strip())
        elif in_fence:
            lines.append(line.rstrip())
        elif not line.strip():
            lines.append("")
            after_blank = True
        else:
            is_item = bool(_LIST_ITEM_RE.match(line))
            if not (is_item and in_list):
                line = line.lstrip()
            # A list runs on across blank lines until a paragraph follows a blank line.
            in_list = is_item or (in_list and not after_blank)
            after_blank = False
            lines.append(line.rstrip())
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def _text_length(markdown: str) -> int:
    """Characters of text in `markdown`, not counting link targets or runs of whitespace."""
    return len(" ".join(_MD_LINK_TARGET_RE.sub("]", markdown).split()))


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = _nfc(_WHITESPACE_RE.sub(" ", value)).strip()
    return value or None


_BY_RE = re.compile(r"^\s*by\s+", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_TRAILING_DATE_WORD_RE = re.compile(rf"^(.+?)\s+({_MONTHS}|{_DAYS})\.?$", re.IGNORECASE)
_DATE_WORD_RE = re.compile(rf"^(?:{_MONTHS}|{_DAYS})\.?$", re.IGNORECASE)
_BETWEEN = r"(?:[\s,.]|<[^>]*>)*"  # what may separate a byline from its date in the page
# What page templates put where a byline goes: never a person.
_NOT_NAMES = frozenset({"username", "follow author", "authority control", "author", "admin"})
_NOT_NAME_PREFIXES = ("last updated", "updated ")


def _clean_author(value: str | None, page: str) -> str | None:
    """The byline without what extraction dragged in: "By", a date's month glued to the name
    ("Nathan Willis March", when the page says "Nathan Willis <br>March 25"), and the same
    name repeated in another case ("Jeffrey Gettleman; JEFFREY GETTLEMAN")."""
    value = _clean(value)
    if value is None:
        return None
    names: list[str] = []
    for part in value.split(";"):
        name = _BY_RE.sub("", part).strip(" ,")
        glued = _TRAILING_DATE_WORD_RE.match(name)
        if glued and re.search(
            re.escape(glued.group(1))
            + _BETWEEN
            + glued.group(2)
            + rf"{_BETWEEN}(?:(?:{_MONTHS}){_BETWEEN})?\d",
            page,
            re.IGNORECASE,
        ):
            name = glued.group(1)
        folded = name.casefold()
        if (
            not name
            or _DATE_WORD_RE.match(name)
            or folded in _NOT_NAMES
            or folded.startswith(_NOT_NAME_PREFIXES)
        ):
            continue
        if folded not in (n.casefold() for n in names):
            names.append(name)
    return "; ".join(names) or None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
