"""find_feed_links / looks_like_html: which feeds a page advertises, in which order."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pkm.models import FeedLink
from pkm.seek.discover import find_feed_links, looks_like_html

PAGES = Path(__file__).parent / "data" / "pages"
PAGE_URL = "https://example.com/blog/2026/02/post.html"


def page(head: str, *, body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


def urls(html: str | bytes, base_url: str = PAGE_URL) -> list[str]:
    return [link.url for link in find_feed_links(html, base_url)]


# -- the data files --------------------------------------------------------------------------


def test_page_with_alternates() -> None:
    html = (PAGES / "page-with-alternate.html").read_bytes()
    assert find_feed_links(html, PAGE_URL) == [
        # The main feed in three formats (titles differ only in format words): Atom first,
        # then RSS, then JSON Feed. Relative hrefs resolve against <base href>.
        FeedLink(
            url="https://cdn.example.com/blog/atom.xml",
            type="application/atom+xml",
            title="Example Blog Atom",
        ),
        FeedLink(
            url="https://cdn.example.com/blog/feed.xml",
            type="application/rss+xml",
            title="Example Blog RSS",
        ),
        FeedLink(
            url="https://cdn.example.com/blog/feed.json",
            type="application/feed+json",
            title="Example Blog JSON Feed",
        ),
        # A different feed keeps its place in the page; rel="feed alternate", type with
        # parameters and odd case.
        FeedLink(
            url="https://cdn.example.com/photos/atom", type="application/atom+xml", title="Photos"
        ),
        # The comment feed came first in the page but goes last.
        FeedLink(
            url="https://cdn.example.com/blog/comments/feed/",
            type="application/rss+xml",
            title="Example Blog » Comments Feed",
        ),
    ]
    # Not there: the stylesheet, hreflang and oEmbed alternates, WordPress's REST API link
    # (application/json), javascript:, a text/xml sitemap, the duplicate of feed.xml with a
    # fragment, and the <a href="/feed/"> in the body.


def test_page_without_feeds() -> None:
    html = (PAGES / "page-without-feeds.html").read_bytes()
    assert find_feed_links(html, "https://shop.example.com/contact") == []
    assert looks_like_html(html, "text/html; charset=windows-1252")


def test_text_and_bytes_agree() -> None:
    html = (PAGES / "page-with-alternate.html").read_bytes()
    assert find_feed_links(html.decode("utf-8"), PAGE_URL) == find_feed_links(html, PAGE_URL)


# -- which links count ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "found"),
    [
        ('<link rel="alternate" type="application/rss+xml" href="/f">', True),
        ('<link rel="ALTERNATE" type="APPLICATION/RSS+XML" href="/f">', True),
        ('<link rel="home alternate" type="application/atom+xml" href="/f">', True),
        ('<link rel="feed" type="application/atom+xml" href="/f">', True),
        ('<link rel="alternate" type="application/rdf+xml" href="/index.rdf">', True),
        ('<link rel="alternate" type="application/feed+json" href="/f">', True),
        # Hugo themes write these non-standard types (reader accepts them too)
        ('<link rel="alternate" type="application/rss" href="/index.xml">', True),
        ('<link rel="alternate" type="application/atom" href="/atom.xml">', True),
        # application/json only when it looks like a feed
        ('<link rel="alternate" type="application/json" href="/feed.json">', True),
        ('<link rel="alternate" type="application/json" title="JSON Feed" href="/j">', True),
        (
            '<link rel="alternate" type="application/json" title="JSON" href="/wp-json/wp/v2/posts/1">',
            False,
        ),
        ('<link rel="alternate" type="application/json" href="/data.json">', False),
        # generic XML only when the href looks like a feed
        ('<link rel="alternate" type="text/xml" href="/rss.xml">', True),
        ('<link rel="alternate" type="application/xml" href="/?feed=atom">', True),
        ('<link rel="alternate" type="text/xml" href="/sitemap.xml">', False),
        (
            '<link rel="alternate" type="text/xml+oembed" href="/oembed?url=x&amp;format=xml">',
            False,
        ),
        # not feeds at all
        ('<link rel="alternate" href="/rss.xml">', False),
        ('<link rel="alternate" hreflang="de" href="/de/">', False),
        ('<link rel="alternate stylesheet" type="text/css" href="/dark.css">', False),
        ('<link rel="stylesheet" type="application/rss+xml" href="/f">', False),
        ('<link rel="alternate" type="application/rss+xml">', False),
        ('<link rel="alternate" type="application/rss+xml" href="  ">', False),
        ('<link rel="alternate" type="application/rss+xml" href="javascript:void(0)">', False),
        (
            '<link rel="alternate" type="application/rss+xml" href="data:text/xml,&lt;rss/&gt;">',
            False,
        ),
    ],
)
def test_which_links_count(link: str, found: bool) -> None:
    assert bool(urls(page(link))) is found


def test_link_in_body_counts() -> None:
    html = page("", body='<p><link rel="alternate" type="application/rss+xml" href="/f"></p>')
    assert urls(html) == ["https://example.com/f"]


def test_title_whitespace_collapsed_and_empty_title_is_none() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="  Main\n   feed " href="/a">'
        '<link rel="alternate" type="application/rss+xml" title=" " href="/b">'
    )
    assert [link.title for link in find_feed_links(html, PAGE_URL)] == ["Main feed", None]


# -- URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<link rel="alternate" type="application/rss+xml" href="feed.xml">',
            "https://example.com/blog/2026/02/feed.xml",
        ),
        (
            '<link rel="alternate" type="application/rss+xml" href="//cdn.example.net/f">',
            "https://cdn.example.net/f",
        ),
        (
            '<base href="/sub/"><link rel="alternate" type="application/rss+xml" href="f">',
            "https://example.com/sub/f",
        ),
        (
            '<base target="_blank"><base href="https://other.example/x/"><base href="/ignored/">'
            '<link rel="alternate" type="application/rss+xml" href="f">',
            "https://other.example/x/f",
        ),
        (
            '<link rel="alternate" type="application/rss+xml" href=" /f#section ">',
            "https://example.com/f",
        ),
        (
            '<link rel="alternate" type="application/rss+xml" href="feed://example.org/rss">',
            "http://example.org/rss",
        ),
        (
            '<link rel="alternate" type="application/rss+xml" href="feed:https://example.org/rss">',
            "https://example.org/rss",
        ),
        (
            '<link rel="alternate" type="application/rss+xml" href="/f?a=1&amp;b=2">',
            "https://example.com/f?a=1&b=2",
        ),
    ],
)
def test_url_resolution(head: str, expected: str) -> None:
    assert urls(page(head)) == [expected]


def test_file_links_only_from_local_pages() -> None:
    html = page(
        '<link rel="alternate" type="application/atom+xml" href="file:///home/me/feed.atom">'
    )
    assert urls(html) == []
    assert urls(html, "file:///home/me/index.html") == ["file:///home/me/feed.atom"]
    relative = page('<link rel="alternate" type="application/atom+xml" href="feed.atom">')
    assert urls(relative, "file:///home/me/index.html") == ["file:///home/me/feed.atom"]


def test_bad_url_is_skipped() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="http://[::1/f">'
        '<link rel="alternate" type="application/rss+xml" href="/ok">'
    )
    assert urls(html) == ["https://example.com/ok"]


def test_first_link_to_a_url_wins() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="First" href="/f">'
        '<link rel="alternate" type="application/atom+xml" title="Second" href="https://example.com/f">'
    )
    assert find_feed_links(html, PAGE_URL) == [
        FeedLink(url="https://example.com/f", type="application/rss+xml", title="First")
    ]


# -- ranking -------------------------------------------------------------------------------------


def test_page_order_kept_for_different_feeds() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="The Atlantic" href="/all">'
        '<link rel="alternate" type="application/atom+xml" title="Best of The Atlantic" href="/best">'
    )
    assert urls(html) == ["https://example.com/all", "https://example.com/best"]


def test_same_feed_in_several_formats_atom_first() -> None:
    # No titles at all (as on cowboyprogrammer.org): the same feed three ways.
    html = page(
        '<link rel="alternate" type="application/rss" href="/index.xml">'
        '<link rel="alternate" type="application/json" href="/feed.json">'
        '<link rel="alternate" type="application/atom" href="/atom.xml">'
    )
    assert urls(html) == [
        "https://example.com/atom.xml",
        "https://example.com/index.xml",
        "https://example.com/feed.json",
    ]


def test_format_group_keeps_its_first_position() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="Posts RSS" href="/posts.rss">'
        '<link rel="alternate" type="application/rss+xml" title="Events" href="/events.rss">'
        '<link rel="alternate" type="application/atom+xml" title="Posts (Atom 1.0)" href="/posts.atom">'
    )
    assert urls(html) == [
        "https://example.com/posts.atom",
        "https://example.com/posts.rss",
        "https://example.com/events.rss",
    ]


@pytest.mark.parametrize(
    "comments",
    [
        '<link rel="alternate" type="application/rss+xml" title="Blog » Comments Feed" href="/c1">',
        '<link rel="alternate" type="application/rss+xml" title="Kommentare" href="/c1">',
        '<link rel="alternate" type="application/rss+xml" href="/comments/feed/">',
        '<link rel="alternate" type="application/rss+xml" href="/?feed=comments-rss2">',
        '<link rel="alternate" type="application/atom+xml" href="/post/42/comments.atom">',
    ],
)
def test_comment_feeds_go_last(comments: str) -> None:
    html = page(
        comments + '<link rel="alternate" type="application/rss+xml" title="Blog" href="/main">'
    )
    assert urls(html)[0] == "https://example.com/main"
    assert len(urls(html)) == 2


def test_commentary_is_not_a_comment_feed() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="Commentary Magazine" href="/a">'
        '<link rel="alternate" type="application/rss+xml" title="Other" href="/b">'
    )
    assert urls(html) == ["https://example.com/a", "https://example.com/b"]


# -- encodings and garbage -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "codec", "encoding"),
    [
        pytest.param(b'<meta charset="windows-1251">', "cp1251", None, id="meta-charset"),
        pytest.param(
            b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
            "koi8-r",
            None,
            id="meta-http-equiv",
        ),
        pytest.param(b'<meta charset="gb2312">', "gb2312", None, id="meta-gb2312"),
        pytest.param(b"", "cp1251", "windows-1251", id="http-charset"),
        pytest.param(b'<meta charset="utf-8">', "cp1251", "windows-1251", id="http-beats-meta"),
        pytest.param(b"\xff\xfe", "utf-16-le", None, id="utf-16-bom"),
        pytest.param(b"\xef\xbb\xbf", "utf-8", "iso-8859-1", id="bom-beats-http"),
        pytest.param(b"", "utf-8", None, id="utf-8-undeclared"),
    ],
)
def test_encodings(prefix: bytes, codec: str, encoding: str | None) -> None:
    link = '<link rel="alternate" type="application/rss+xml" title="Новости" href="/rss">'
    content_type = f"text/html; charset={encoding}" if encoding else None
    [found] = find_feed_links(prefix + link.encode(codec), PAGE_URL, content_type=content_type)
    assert found.title == "Новости"


def test_undeclared_legacy_bytes_fall_back_to_windows_1252() -> None:
    html = b'<link rel="alternate" type="application/rss+xml" title="Caf\xe9 \x93news\x94" href="/rss">'
    [found] = find_feed_links(html, PAGE_URL)
    assert found.title == "Café “news”"


def test_unknown_or_odd_charset_labels_are_ignored() -> None:
    link = '<link rel="alternate" type="application/rss+xml" title="é" href="/rss">'
    for label in ("no-such-charset", "rot13", "hex"):
        assert (
            find_feed_links(
                f'<meta charset="{label}">{link}'.encode(),
                PAGE_URL,
                content_type=f"text/html; charset={label}",
            )[0].title
            == "é"
        )


def test_xhtml_with_xml_declaration_as_text() -> None:
    html = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head>'
        '<link rel="alternate" type="application/atom+xml" title="Café" href="/atom"/></head></html>'
    )
    assert find_feed_links(html, PAGE_URL)[0].title == "Café"
    assert find_feed_links(html.encode("latin-1"), PAGE_URL)[0].title == "Café"


@pytest.mark.parametrize(
    "data",
    [b"", "", b"   ", b"\x00\x00\x00", b"<", b"<<<>>>", b"\xff\xfe\x00", b"%PDF-1.4\n\x00\x01"],
)
def test_garbage_gives_no_links(data: bytes | str) -> None:
    assert find_feed_links(data, PAGE_URL) == []


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert isinstance(find_feed_links(data, PAGE_URL), list)


@given(st.text(max_size=200))
def test_arbitrary_text_around_a_link_never_raises(noise: str) -> None:
    html = page(noise + '<link rel="alternate" type="application/rss+xml" href="/f">' + noise)
    for link in find_feed_links(html, PAGE_URL):
        assert link.url.startswith("https://")


# -- looks_like_html ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<!DOCTYPE html><html><head>", None, True),
        (b"\xef\xbb\xbf\n  <!doctype HTML>", "application/octet-stream", True),
        (b"<html lang=en>", "text/plain", True),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">',
            None,
            True,
        ),
        (b"<!-- generated --><head><title>x", None, True),
        (b"<title>bare</title><p>hello", None, True),
        (b"<title>bare</title><p>hello", "text/html; charset=utf-8", True),
        (b"some text", "TEXT/HTML", True),
        # feeds, whatever the server calls them
        (b'<?xml version="1.0"?><rss version="2.0">', "text/html", False),
        (
            b'<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="s.xsl"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
            "text/html",
            False,
        ),
        (b"<!-- hi -->\n<rdf:RDF xmlns:rdf=", None, False),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN">', None, False),
        (b'  {"version": "https://jsonfeed.org/version/1.1"}', "text/html", False),
        ("<feed>".encode("utf-16"), None, False),
        # unclear bodies: the content type decides
        (b"", "text/html", True),
        (b"", None, False),
        (b"hello", "application/rss+xml", False),
        (b"hello", "application/vnd.custom+xml", False),
        (b'<?xml version="1.0"?><note><body>x</body></note>', None, False),
        (b"plain words", None, False),
    ],
)
def test_looks_like_html(body: bytes, content_type: str | None, expected: bool) -> None:
    assert looks_like_html(body, content_type) is expected


def test_a_link_with_thousands_of_attributes_is_ignored() -> None:
    flood = " ".join(f'a{n}="x"' for n in range(5000))
    page = (
        f'<html><head><link rel="alternate" type="application/rss+xml" href="/bad" {flood}>'
        '<link rel="alternate" type="application/atom+xml" href="/good"></head></html>'
    ).encode()
    assert [link.url for link in find_feed_links(page, "https://a.example/")] == [
        "https://a.example/good"
    ]
