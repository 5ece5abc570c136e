"""Fields both XML readers must read alike: titles from every element feedparser takes them
from, summary and content precedence, namespaces spelled every way, authors, dates.

Each test runs on both paths (`use_lxml` True: the strict lxml walk; False: feedparser), since
a feed that turns malformed tomorrow must read the same as today.
"""

import base64

import pytest

from pkm.errors import ParseError
from pkm.models import ParsedEntry, ParsedFeed
from pkm.seek.feeds import _parse

PATHS = pytest.mark.parametrize("use_lxml", [True, False], ids=["lxml", "feedparser"])
NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:atom="http://www.w3.org/2005/Atom"'
)
URL = "https://feeds.example.org/feed"


def rss(items: str, channel: str = "", namespaces: str = NAMESPACES) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {namespaces}><channel>'
        f"<title>T</title><link>https://site.example/</link>{channel}{items}</channel></rss>"
    ).encode()


def atom(entries: str) -> bytes:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<title>T</title>{entries}</feed>"
    ).encode()


def parse(body: bytes, use_lxml: bool) -> ParsedFeed:
    return _parse(body, URL, None, use_lxml=use_lxml)


def one(body: bytes, use_lxml: bool) -> ParsedEntry:
    (entry,) = parse(body, use_lxml).entries
    return entry


# --- titles ---------------------------------------------------------------------------------


@PATHS
def test_a_feed_of_entries_titled_only_by_dc_title_is_a_feed(use_lxml: bool) -> None:
    feed = parse(rss("<item><dc:title>Only DC</dc:title></item>"), use_lxml)
    assert [e.title for e in feed.entries] == ["Only DC"]
    assert feed.entries[0].entry_id.startswith("sha256:")


@PATHS
def test_the_first_of_title_and_dc_title_is_the_title(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><dc:title>DC</dc:title><title>Own</title></item>"
    assert one(rss(item), use_lxml).title == "DC"  # the first of the two, as feedparser
    item = "<item><guid>g</guid><title>Own</title><dc:title>DC</dc:title></item>"
    assert one(rss(item), use_lxml).title == "Own"


@PATHS
def test_media_title_is_the_title_only_when_there_is_no_other(use_lxml: bool) -> None:
    group = "<media:group><media:title>From the group</media:title></media:group>"
    item = f"<item><guid>g</guid>{group}</item>"
    assert one(rss(item), use_lxml).title == "From the group"
    item = f"<item><guid>g</guid>{group}<title>Real title</title></item>"
    assert one(rss(item), use_lxml).title == "Real title"


@PATHS
def test_base64_atom_title_and_content(use_lxml: bool) -> None:
    """feedparser decodes a text construct whose type is neither text/* nor XML."""
    title = base64.b64encode(b"Bonjour, monde").decode()
    content = base64.b64encode("<p>Corps &amp; âme</p>".encode()).decode()
    entry = one(
        atom(
            f'<entry><id>urn:1</id><title type="application/octet-stream">{title}</title>'
            f'<content type="application/octet-stream">{content}</content></entry>'
        ),
        use_lxml,
    )
    assert (entry.title, entry.content_text) == ("Bonjour, monde", "Corps & âme")


def test_base64_that_is_not_text_is_dropped() -> None:
    """feedparser keeps undecodable base64 as the text itself; a picture's bytes as base64 is
    not a title, so the fast path keeps none (listed as a known disagreement)."""
    picture = base64.b64encode(bytes(range(256))).decode()
    entry = one(
        atom(
            f'<entry><id>urn:1</id><title type="image/png">{picture}</title>'
            "<summary>s</summary></entry>"
        ),
        True,
    )
    assert entry.title is None


@PATHS
def test_a_title_that_is_only_a_picture_is_its_alt_text(use_lxml: bool) -> None:
    img = '&lt;img src="/sunset.jpg" alt="Sunset &amp;amp; sea"&gt;'
    body = atom(f'<entry><id>urn:1</id><title type="html">{img}</title></entry>')
    assert one(body, use_lxml).title == "Sunset & sea"
    body = atom(
        '<entry><id>urn:1</id><title type="html">&lt;img src="/x.jpg"&gt;</title>'
        '<link href="https://site.example/x"/></entry>'
    )
    assert one(body, use_lxml).title is None  # no alt text: no title, still an entry


# --- summary and content --------------------------------------------------------------------


@PATHS
def test_dc_description_is_a_summary(use_lxml: bool) -> None:
    body = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<channel rdf:about="https://s.example/"><title>R</title></channel>'
        b'<item rdf:about="https://s.example/1"><title>One</title>'
        b"<dc:description>Said in Dublin Core.</dc:description></item></rdf:RDF>"
    )
    entry = one(body, use_lxml)
    assert (entry.summary, entry.content_text) == ("Said in Dublin Core.", "Said in Dublin Core.")


@PATHS
@pytest.mark.parametrize(
    "namespaces",
    [
        'xmlns:content="http://purl.org/rss/1.0/modules/content"',  # no trailing slash
        'xmlns:content="https://purl.org/rss/1.0/modules/content/"',
        'xmlns:content="http://example.com/made-up"',  # the prefix decides, as in feedparser
    ],
)
def test_content_encoded_in_any_spelling_of_its_namespace(use_lxml: bool, namespaces: str) -> None:
    item = "<item><guid>g</guid><description>Short</description>"
    item += "<content:encoded>&lt;p&gt;The full text&lt;/p&gt;</content:encoded></item>"
    entry = one(rss(item, namespaces=namespaces), use_lxml)
    assert (entry.summary, entry.content_text) == ("Short", "The full text")


@PATHS
def test_media_rss_in_the_rss_boards_namespace(use_lxml: bool) -> None:
    namespaces = 'xmlns:media="http://www.rssboard.org/media-rss"'
    item = '<item><guid>g</guid><media:content url="https://cdn.example/a.mp3"/></item>'
    assert [e.url for e in one(rss(item, namespaces=namespaces), use_lxml).enclosures] == [
        "https://cdn.example/a.mp3"
    ]


@PATHS
def test_an_empty_content_encoded_falls_back_to_the_description(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><description>The text</description>"
    item += "<content:encoded><![CDATA[]]></content:encoded></item>"
    assert one(rss(item), use_lxml).content_text == "The text"


@PATHS
def test_a_second_description_is_the_content(use_lxml: bool) -> None:
    """Podcast feeds put show notes in itunes:summary beside a short description."""
    item = "<item><guid>g</guid><description>Short</description>"
    item += "<itunes:summary>The longer show notes</itunes:summary></item>"
    entry = one(rss(item), use_lxml)
    assert (entry.summary, entry.content_text) == ("Short", "The longer show notes")


@PATHS
def test_content_encoded_wins_over_a_second_description_before_it(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><description>Short</description>"
    item += "<itunes:summary>Notes</itunes:summary>"
    item += "<content:encoded>&lt;p&gt;Everything&lt;/p&gt;</content:encoded></item>"
    entry = one(rss(item), use_lxml)
    assert (entry.summary, entry.content_text) == ("Short", "Everything")


@PATHS
def test_a_later_description_does_not_replace_the_summary(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><description>First words</description>"
    item += "<content:encoded>Body</content:encoded>"
    item += "<itunes:summary>Later words</itunes:summary></item>"
    entry = one(rss(item), use_lxml)
    assert (entry.summary, entry.content_text) == ("First words", "Body")


@PATHS
def test_the_channels_descriptions_do_not_count_for_its_first_item(use_lxml: bool) -> None:
    channel = "<itunes:summary>About the show</itunes:summary><description>Show</description>"
    item = "<item><guid>g</guid><description>Short</description>"
    item += "<itunes:summary>Notes of the first episode</itunes:summary></item>"
    entry = one(rss(item, channel), use_lxml)
    assert (entry.summary, entry.content_text) == ("Short", "Notes of the first episode")


@PATHS
def test_a_media_description_is_a_caption_not_the_content(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><description>The story</description>"
    item += '<media:content url="https://cdn.example/p.jpg">'
    item += "<media:description>A caption</media:description></media:content></item>"
    entry = one(rss(item), use_lxml)
    assert (entry.summary, entry.content_text) == ("The story", "The story")


@PATHS
def test_plain_text_that_is_html_is_read_as_html(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><description>Short</description>"
    item += "<itunes:summary>Tom &amp;amp; Jerry &lt;br/&gt; again</itunes:summary></item>"
    assert one(rss(item), use_lxml).content_text == "Tom & Jerry\nagain"


# --- links, authors, dates ------------------------------------------------------------------


@PATHS
def test_an_empty_link_href_is_no_link(use_lxml: bool) -> None:
    """feedparser resolves href="" to the feed's own URL, for every such entry."""
    body = atom('<entry><id>https://site.example/?p=1</id><title>A</title><link href=""/></entry>')
    assert one(body, use_lxml).url == "https://site.example/?p=1"


@PATHS
def test_itunes_author_only_when_nobody_else_is_named(use_lxml: bool) -> None:
    item = "<item><guid>g</guid><dc:creator>Marco</dc:creator><itunes:author>ATP</itunes:author>"
    assert one(rss(item + "</item>"), use_lxml).author == "Marco"
    item = "<item><guid>g</guid><itunes:author>ATP</itunes:author></item>"
    assert one(rss(item), use_lxml).author == "ATP"


@PATHS
@pytest.mark.parametrize(
    ("element", "author"),
    [
        ("<author>Jeffrey Gettleman; JEFFREY GETTLEMAN</author>", "Jeffrey Gettleman"),
        ("<dc:creator>Taverncast</dc:creator><author>TavernCast</author>", "Taverncast"),
        ("<dc:creator>Ann; Bob ;ann</dc:creator>", "Ann, Bob"),
        ("<author>jonas@insanity.industries (Jonas Große)</author>", "Jonas Große"),
        ("<author>Simon (mailto:simon@example.org)</author>", "Simon"),
        ("<dc:creator>Conan O&amp;#8217;Brien</dc:creator>", "Conan O\u2019Brien"),
    ],
)
def test_author_lists_are_clean(use_lxml: bool, element: str, author: str) -> None:
    assert one(rss(f"<item><guid>g</guid>{element}</item>"), use_lxml).author == author


@PATHS
@pytest.mark.parametrize(
    ("element", "published", "updated"),
    [
        ("<modified>2017-10-17T22:17:32+00:00</modified>", None, "2017-10-17T22:17:32+00:00"),
        ("<PubDate>Tue, 17 Oct 2017 22:17:00 +0000</PubDate>", "2017-10-17T22:17:00+00:00", None),
        ("<atom:updated>2017-10-17T22:17:32Z</atom:updated>", None, "2017-10-17T22:17:32+00:00"),
        ("<dc:date>2017-10-17</dc:date>", None, "2017-10-17T00:00:00+00:00"),
        ("<pubDate>2020/1/10 14:33:00</pubDate>", "2020-01-10T14:33:00+00:00", None),
        ("<pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate>", "2018-09-24T22:42:40+00:00", None),
        ("<pubDate></pubDate><pubDate>2020-01-02</pubDate>", "2020-01-02T00:00:00+00:00", None),
    ],
)
def test_every_date_element_lands_in_a_date(
    use_lxml: bool, element: str, published: str | None, updated: str | None
) -> None:
    entry = one(rss(f"<item><guid>g</guid>{element}</item>"), use_lxml)
    assert (
        entry.published.isoformat() if entry.published else None,
        entry.updated.isoformat() if entry.updated else None,
    ) == (published, updated)


def test_a_feed_with_nothing_in_its_entries_is_still_refused() -> None:
    with pytest.raises(ParseError, match="not a usable feed"):
        parse(rss("<item><dc:title> </dc:title><media:title/></item>"), True)
