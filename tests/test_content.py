"""pkm.content: the sanitizer every stored and published piece of HTML goes through."""

import re
from html import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pkm._util.urls import url_scheme
from pkm.content import bound_depth, html_to_text, sanitize_html

URL_ATTR_RE = re.compile(r"""\b(?:href|src|cite)="([^"]*)\"""")

BAD_BASES = [
    "javascript:alert(1)//",
    " javascript:alert(1)//",
    "\tjava\nscript:alert(1)//",
    "JaVaScRiPt:alert(1)//",
    "vbscript:msgbox(1)//",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==//",
    "data:,x",
    "   ",
    "",
    "relative/base/",
]
BAD_VALUES = [
    "javascript:alert(1)",
    "  javascript:alert(1)",
    "java&#9;script:alert(1)",
    "java&#x0A;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "javascript&colon;alert(1)",
    "&#0;javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "livescript:alert(1)",
    "java\x1bscript:alert(1)",  # a control a browser's parser keeps (not a scheme then)...
    "java&#27;script:alert(1)",  # ...and that pkm strips from what it stores
    "java\x9bscript:alert(1)",
    "&#x1b;javascript:alert(1)",
]


def urls(html: str) -> list[str]:
    return URL_ATTR_RE.findall(html)


@pytest.mark.parametrize("base", BAD_BASES)
def test_a_base_that_is_not_http_is_ignored(base: str) -> None:
    html = sanitize_html(
        '<a href="">x</a><img src=""><a href="page.html">p</a><blockquote cite="q">q</blockquote>',
        base,
    )
    assert all(u in ("", "page.html", "q") for u in urls(html)), html


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("attribute", ["a href", "img src", "blockquote cite", "q cite"])
def test_unsafe_urls_are_dropped_whatever_the_spelling(value: str, attribute: str) -> None:
    tag, attr = attribute.split()
    html = sanitize_html(f'<{tag} {attr}="{value}">x</{tag}>', "https://feed.example/posts/")
    # Dropped, or (when a browser would read it as a path, "\ufffdjavascript:...") resolved.
    for url in urls(html):
        assert url.startswith("https://feed.example/"), html


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("attribute", ["a href", "img src"])
def test_unsafe_urls_are_dropped_without_a_base_too(value: str, attribute: str) -> None:
    """With no base, a relative URL stays as it is: it must not become a script once the
    controls in it are stripped ("java\x1bscript:" is a path to a browser, but stored as
    "javascript:")."""
    tag, attr = attribute.split()
    html = sanitize_html(f'<{tag} {attr}="{value}">x</{tag}>')
    for url in urls(html):
        assert url_scheme(unescape(url)) is None, html


def test_relative_urls_resolve_against_an_http_base_and_are_checked_after() -> None:
    html = sanitize_html(
        '<a href="../a.html">a</a><a href="//cdn.example/b">b</a><img src="/c.png">'
        '<a href="mailto:jo@example.org">mail</a>',
        "https://feed.example/posts/one/",
    )
    assert urls(html) == [
        "https://feed.example/posts/a.html",
        "https://cdn.example/b",
        "https://feed.example/c.png",
        "mailto:jo@example.org",
    ]


def test_a_data_image_changes_nothing_else_in_the_document() -> None:
    """Documents with a `data:` URL go through a slower cleaner: the same links either way."""
    doc = (
        '<a href="../a.html">a</a><a href=" //cdn.example/b ">b</a><img src="/c.png">'
        '<a href="java&#27;script:x">j</a><a href="http://[oops/">v</a><a href="?q#f">q</a>'
        '<a href="mailto:jo@example.org">m</a><blockquote cite="/q">q</blockquote>'
    )
    image = '<img src="data:image/png;base64,iVBORw0KGgo=">'
    for base in ("https://feed.example/posts/one/", None):
        assert sanitize_html(doc + image, base) == sanitize_html(doc, base) + image


def test_data_urls_survive_only_as_images() -> None:
    html = sanitize_html(
        '<img src="data:image/png;base64,iVBORw0KGgo="><a href="data:image/png;base64,iVB">x</a>'
        '<img src="data:text/html,hi">'
    )
    assert urls(html) == ["data:image/png;base64,iVBORw0KGgo="]


def test_scripts_handlers_and_styles_are_gone() -> None:
    html = sanitize_html(
        '<p onclick="alert(1)" style="x:expression(alert(1))">t</p><script>alert(2)</script>'
        '<svg><a xlink:href="javascript:alert(3)">s</a></svg><iframe src="https://x/"></iframe>'
        '<form action="javascript:alert(4)"><button formaction="javascript:alert(5)">b</button></form>'
    )
    assert "alert" not in html and "onclick" not in html and "style" not in html


def test_control_characters_are_removed() -> None:
    html = sanitize_html("<p>A\x1b]0;OWNED\x07B\x1b[2J\x9b31m</p>")
    assert html == "<p>A]0;OWNEDB[2J31m</p>"


def test_deep_nesting_is_cut_to_a_bounded_depth() -> None:
    deep = "<div>" * 100_000 + "deep text" + "</div>" * 100_000
    html = sanitize_html(deep)
    assert html.count("<div>") == 256 and "deep text" in html


def test_many_shallow_tags_are_left_alone() -> None:
    html = "<p>" + "</p><p>".join(f"para {n} <b>bold</b> <i>it</i>" for n in range(3000)) + "</p>"
    assert bound_depth(html) == html
    unclosed = "".join(f"<li>item {n}" for n in range(6000))  # implied end tags
    assert bound_depth(unclosed) == unclosed


def test_bounding_keeps_text_and_balance() -> None:
    deep = "<section>" * 300 + "<p>x</p>" * 10 + "</section>" * 300
    cut = bound_depth(deep * 20, max_depth=50)
    assert html_to_text(sanitize_html(cut)) == html_to_text(sanitize_html(deep * 20))
    assert cut.count("<section>") == cut.count("</section>")


@given(st.text())
def test_sanitized_html_never_carries_a_script_url(text: str) -> None:
    html = sanitize_html(f'<a href="{text}">x</a><img src="{text}">', "https://feed.example/")
    for url in urls(html):
        assert url.startswith(("https://", "http://", "mailto:", "data:image/")), url


def test_an_element_with_thousands_of_attributes_loses_them() -> None:
    flood = "<p " + " ".join(f'a{n}="x"' for n in range(5000)) + ' title="t">text</p>'
    assert sanitize_html(flood) == "<p>text</p>"
    assert sanitize_html(flood[:30_000]) == "<p></p>"  # cut inside the tag, as a cap cuts
    image = '<img src="data:image/png;base64,' + "A" * 100_000 + '" alt="a long one">'
    assert sanitize_html(image) == image  # one long attribute is fine


@given(st.text(), st.sampled_from(["", "x" * 300]))
def test_strip_controls_gives_the_same_text_short_or_long(text: str, padding: str) -> None:
    """Long texts take a quicker path; it must remove exactly what the short one does."""
    from pkm._util.text import _CONTROLS_RE, strip_controls

    stripped = strip_controls(padding + text)
    assert _CONTROLS_RE.search(stripped) is None
    assert stripped == padding + strip_controls(text)


def _text_by_callback(html: str) -> str:
    """html_to_text as it was written first, one `re.sub` callback per tag: the reference
    its faster form must agree with."""
    from pkm import content

    def replace(match: re.Match[str]) -> str:
        tag = match.group(1) or ""
        name = tag.lstrip("/").lower()
        if name in content._BLOCK_TAGS:
            return "\n"
        if name in content._CELL_TAGS:
            return " " if tag.startswith("/") else ""
        return ""

    text = content.unescape(content._TAG_RE.sub(replace, html)).translate(content._SPACES)
    while "  " in text:
        text = text.replace("  ", " ")
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    return content._BLANK_LINES_RE.sub("\n\n", text).strip()


_MARKUP = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<P class=x>",
                "<td>",
                "</TD>",
                "<th>",
                "</th>",
                "<br/>",
                "<li>",
                "</Div>",
                "<pre>",
                "<a title='<p>'>",
                "<!-- <p> -->",
                "<!--",
                "-->",
                "<",
                ">",
                "&amp;",
                "&nbsp;",
                "&lt;p&gt;",
                "\n",
                "\u00a0",
                "  ",
                "\t",
                "<span>",
                "</tr>",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@given(_MARKUP)
def test_plain_text_is_what_one_callback_per_tag_gave(html: str) -> None:
    assert html_to_text(html) == _text_by_callback(html)


def test_plain_text_of_many_tag_spellings_keeps_no_table_of_them_all() -> None:
    from pkm import content

    html = "".join(f"<x{i}>{i}</x{i}>" for i in range(10_000)) + "<P>end</p>"
    assert html_to_text(html) == _text_by_callback(html)
    assert len(content._TAG_SEPARATORS) <= content._TagSeparators.LIMIT
