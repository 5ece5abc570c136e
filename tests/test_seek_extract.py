"""pkm.seek.extract: a page's bytes -> Article. Pure, data-driven from tests/data/pages."""

import contextlib
import random
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkm.content import decode_html
from pkm.errors import ParseError
from pkm.models import Article
from pkm.seek.extract import _tidy_markdown, extract_article

PAGES = Path(__file__).parent / "data" / "pages"
URL = "https://blog.example.com/2025/11/slow-software/index.html"
MD_LINK_RE = re.compile(r"\]\(([^)\s]*)\)")
HTML_URL_RE = re.compile(r"""\b(?:href|src)="([^"]*)\"""")

PARAGRAPHS = (
    "Most slow software is slow because nobody measured it.",
    "None of these habits needs a dedicated performance team.",
    "Keep the measurement running after the first fix.",
)
BOILERPLATE = (
    "SIDEBAR-MARKER",  # <aside>
    "FOOTER-MARKER",  # site footer
    "COMMENT-MARKER",  # comment section
    "SCRIPT-MARKER",  # inline script in the body
    "TRACKING-SCRIPT-MARKER",  # inline script in the head
    "Newsletter signup",  # nav
    "Post comment",  # comment form
)


@pytest.fixture(scope="module")
def article() -> Article:
    return extract_article((PAGES / "article.html").read_bytes(), URL)


def page(body: str, head: str = "") -> str:
    """A small but real-looking page around `body`, long enough to count as an article."""
    filler = "<p>" + " ".join(["This sentence is here to make the article long enough."] * 6)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>T</title>{head}</head>"
        f"<body><article><h1>A headline</h1>{body}{filler}</p></article></body></html>"
    )


def test_metadata(article: Article) -> None:
    assert article.url == URL
    assert article.title == "Why Slow Software Is a Choice"
    assert article.author == "Ada Quill"
    assert article.published == datetime(2025, 11, 3, 7, 15, tzinfo=UTC)
    assert article.site_name == "The Tinkerer's Notebook"


def test_main_text_is_markdown(article: Article) -> None:
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text
    assert "\n## Three habits that keep software fast\n" in article.text
    assert "\n- Measure on the slowest device your users actually own.\n" in article.text
    assert "[latency study by the example lab](https://example.org/research/latency.pdf)" in (
        article.text
    )


@pytest.mark.parametrize("marker", BOILERPLATE)
def test_boilerplate_left_out(article: Article, marker: str) -> None:
    assert marker not in article.text
    assert article.html is not None
    assert marker not in article.html


def test_links_absolute(article: Article) -> None:
    targets = MD_LINK_RE.findall(article.text)
    # path-relative, resolved against the page's folder (not the site root)
    assert "https://blog.example.com/2025/11/2025/measuring-first.html" in targets
    assert all(t.startswith(("https://", "http://")) for t in targets), targets
    assert article.html is not None
    urls = HTML_URL_RE.findall(article.html)
    assert urls
    assert all(u.startswith(("https://", "http://")) for u in urls), urls


def test_html_is_sanitized(article: Article) -> None:
    assert article.html is not None
    assert PARAGRAPHS[0] in article.html
    for bad in ("<script", "onclick", "onload", "javascript:", "alert("):
        assert bad not in article.html
        assert bad not in article.text


def test_base_href_is_honoured() -> None:
    html = page('<p>Read <a href="notes/one.html">the notes</a> first.</p>', head="")
    html = html.replace("<title>", '<base href="https://cdn.example.net/mirror/"><title>')
    result = extract_article(html, "https://example.com/a/b.html")
    assert "[the notes](https://cdn.example.net/mirror/notes/one.html)" in result.text


def test_unsafe_links_become_text() -> None:
    html = page(
        '<p>Please <a href="javascript:alert(1)">click here</a> and <a href="data:text/html,x">here</a>.</p>'
    )
    result = extract_article(html, "https://example.com/a")
    assert "click here" in result.text
    assert "javascript:" not in result.text
    assert "data:" not in result.text


@pytest.mark.parametrize(
    "base",
    [
        "javascript:alert(1)//",
        " javascript:alert(1)//",
        "java&#9;script:alert(1)//",
        "&#106;avascript:alert(1)//",
        "vbscript:msgbox(1)//",
        "data:text/html,<script>alert(1)</script>//",
        "   ",
    ],
)
def test_a_base_that_is_not_http_is_ignored(base: str) -> None:
    html = page(
        '<p>Read <a href="">this</a>, <a href="notes.html">the notes</a> and see <img src="">.</p>'
    )
    html = html.replace("<title>", f'<base href="{base}"><title>')
    result = extract_article(html, "https://example.com/a/b.html")
    assert result.html is not None
    for text in (result.text, result.html):
        for bad in ("javascript", "vbscript", "data:", "alert", "msgbox"):
            assert bad not in text.lower(), text
    assert "(https://example.com/a/notes.html)" in result.text


@pytest.mark.parametrize(
    ("byline", "date", "author"),
    [
        ("By <b>Nathan Willis</b>", "<br/>March 25, 2015", "Nathan Willis"),
        ("By Ana Doe", "Monday, February 3, 2025", "Ana Doe"),
        ("Brian May", "", "Brian May"),  # a name that is a month stays a name
    ],
)
def test_bylines_lose_the_date_glued_to_them(byline: str, date: str, author: str) -> None:
    html = page(
        f'<div class="byline">{byline} {date}</div><p>{" ".join(PARAGRAPHS * 4)}</p>',
        head=f'<meta name="author" content="{byline.replace("<b>", "").replace("</b>", "")} '
        f'{date.split(",")[0].replace("<br/>", "").split(" ")[0]}">',
    )
    assert extract_article(html, "https://example.com/a").author == author


def test_a_byline_repeated_in_capitals_is_one_name() -> None:
    html = page(
        f"<p>{' '.join(PARAGRAPHS * 4)}</p>",
        head='<meta name="author" content="Jeffrey Gettleman; JEFFREY GETTLEMAN">',
    )
    assert extract_article(html, "https://example.com/a").author == "Jeffrey Gettleman"


def test_str_input() -> None:
    text = (PAGES / "article.html").read_text(encoding="utf-8")
    assert extract_article(text, URL).text == extract_article(text.encode(), URL).text


def test_windows_1252_page() -> None:
    result = extract_article((PAGES / "latin1.html").read_bytes(), "https://example.fr/cafe")
    assert result.title == "Le café de la gare"
    assert result.author == "Renée Lefèvre"
    assert "Le café coûte 2 € depuis l’été dernier" in result.text  # noqa: RUF001
    assert "“c’est le prix de la qualité”" in result.text  # noqa: RUF001
    assert "un œuf dur" in result.text
    assert "\ufffd" not in result.text


def test_http_charset_beats_meta() -> None:
    body = "<html><head><meta charset='windows-1252'></head><body>Привет</body></html>"
    decoded = decode_html(body.encode("koi8_r"), "text/html; charset=KOI8-R")
    assert "Привет" in decoded


def test_valid_utf8_beats_a_wrong_label() -> None:
    body = "<html><head><meta charset='iso-8859-1'></head><body>café</body></html>"
    assert "café" in decode_html(body.encode("utf-8"), "text/html; charset=iso-8859-1")


def test_bom_and_unknown_labels() -> None:
    assert decode_html("\ufeff<p>é</p>".encode("utf-16-le")) == "<p>é</p>"
    assert decode_html(b"<meta charset='no-such-charset'><p>caf\xe9</p>").endswith("café</p>")


def test_published_is_bounded_by_now() -> None:
    text = (PAGES / "article.html").read_text(encoding="utf-8").replace("2025-11-03", "2030-01-02")
    now = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    result = extract_article(text, URL, now=now)
    assert result.published is None or result.published <= now
    assert extract_article(text, URL).published == datetime(2030, 1, 2, 7, 15, tzinfo=UTC)


def test_no_date() -> None:
    result = extract_article(page("<p>Undated.</p>"), "https://example.com/a")
    assert result.published is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n\t ",
        "",
        b"<html></html>",
        b"<!DOCTYPE html><html><head><title>Loading</title></head><body><div id=root></div>"
        b"<noscript>You need to enable JavaScript to run this app.</noscript></body></html>",
        b"\x1f\x8b\x08\x00 not really gzip",
        b"\x00" * 100,
        "https://example.com/an/url/only",  # must never be fetched
        random.Random(7).randbytes(20_000),
    ],
    ids=[
        "empty",
        "blank",
        "empty-str",
        "bare-html",
        "js-shell",
        "fake-gzip",
        "nul",
        "url",
        "random",
    ],
)
def test_parse_error(body: bytes | str) -> None:
    with pytest.raises(ParseError, match=re.escape("https://example.com/a")):
        extract_article(body, "https://example.com/a")


def test_login_wall_is_no_article() -> None:
    with pytest.raises(ParseError, match="no article found"):
        extract_article((PAGES / "no-article.html").read_bytes(), URL)


def test_not_html_content_type() -> None:
    with pytest.raises(ParseError, match="not an HTML page"):
        extract_article((PAGES / "article.html").read_bytes(), URL, content_type="image/png")
    html_type = "application/xhtml+xml; charset=utf-8"
    assert extract_article((PAGES / "article.html").read_bytes(), URL, content_type=html_type)


def test_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("extract_article touched the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    extract_article((PAGES / "article.html").read_bytes(), URL)
    with pytest.raises(ParseError):
        extract_article("http://example.com/", URL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000)))
def test_only_parse_error_for_arbitrary_input(body: bytes | str) -> None:
    with contextlib.suppress(ParseError):
        extract_article(body, "https://example.com/a")


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<div>",
                "<a href='x'>",
                "</a>",
                "<ul><li>",
                "word ",
                "<script>",
                "<!--",
                "<table><tr><td>",
                "\x00",
                "é",
            ]
        ),
        max_size=400,
    )
)
def test_only_parse_error_for_tag_soup(parts: list[str]) -> None:
    with contextlib.suppress(ParseError):
        extract_article("<html><body>" + "".join(parts), "https://example.com/a")


def test_tidy_markdown_drops_source_indentation() -> None:
    markdown = (
        "        ## A heading\n"
        "                text that would be a code block\n"
        "   \n"
        "- item\n"
        "   \n"
        "  - nested item\n"
        "- item two\n"
        "\n\n\n"
        "```\n    code keeps its indent\n```"
    )
    assert _tidy_markdown(markdown) == (
        "## A heading\n"
        "text that would be a code block\n"
        "\n"
        "- item\n"
        "\n"
        "  - nested item\n"
        "- item two\n"
        "\n"
        "```\n    code keeps its indent\n```"
    )


def test_import_is_lazy() -> None:
    """trafilatura is heavy: importing the module must not import it (`pkm --help`)."""
    code = "import sys, pkm.seek.extract; print('trafilatura' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_element_with_thousands_of_attributes_is_read_without_them() -> None:
    flood = " ".join(f'data-a{n}="x"' for n in range(5000))
    html = page(f"<p {flood}>{' '.join(PARAGRAPHS * 4)}</p>")
    article = extract_article(html, "https://example.com/a")
    assert PARAGRAPHS[0] in article.text and "data-a1" not in (article.html or "")
