"""Feed parsing (pkm.seek.feeds): data files with expected results, the two XML readers
agreeing, entry identity, authors, dates, encodings, hostile content, and "nothing but
ParseError" for any bytes.

Each tests/data/feeds/X has X.expected.json: the ParsedFeed as JSON (datetimes as ISO
strings), or {"error": reason} when X is not a feed.
"""

import contextlib
import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkm.errors import ParseError
from pkm.models import ParsedEntry, ParsedFeed
from pkm.seek.feeds import _parse, parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
DATA_FILES = sorted(p for p in FEEDS.iterdir() if not p.name.endswith(".expected.json"))
XML_FILES = [p for p in DATA_FILES if p.suffix in (".rss", ".atom", ".xml")]
MEDIA_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".json": "application/feed+json",
    ".html": "text/html",
}


def url_for(path: Path) -> str:
    return f"https://feeds.example.org/{path.name}"


def as_json(feed: ParsedFeed) -> dict[str, Any]:
    def default(value: object) -> str:
        assert isinstance(value, datetime)
        return value.isoformat()

    result: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(feed), default=default))
    # Change detection's own hashes and what they spared (tests/test_seek_update.py): not
    # what a feed holds.
    del result["unchanged_entries"]
    for entry in result.get("entries", ()):
        del entry["fingerprint"]
    # What a teammate's shared.atom adds to an entry (tests/test_share_loop.py) is left out
    # of entries of any other feed, whose expectations were written before it.
    for entry in result.get("entries", ()):
        if entry["kind"] is None:
            for key in ("kind", "shared_by", "highlights", "cites", "answers"):
                del entry[key]
    return result


def parse_or_error(body: bytes, url: str, content_type: str | None = None) -> dict[str, Any]:
    try:
        return as_json(parse_feed(body, url, content_type))
    except ParseError as exc:
        return {"error": exc.reason}


def rss(items: str, channel: str = "", namespaces: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {namespaces}><channel>'
        f"<title>T</title><link>https://site.example/</link>{channel}{items}</channel></rss>"
    ).encode()


def one_entry(body: bytes, url: str = "https://feeds.example.org/feed") -> ParsedEntry:
    feed = parse_feed(body, url)
    assert len(feed.entries) == 1, feed
    return feed.entries[0]


# --- data files ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("transport", ["no content-type", "media type", "charset=utf-8"])
def test_data_file(path: Path, transport: str) -> None:
    """Every file parses to its expectation, whatever the Content-Type says.

    "charset=utf-8" is a common server default, and wrong for latin1.rss: the bytes win.
    """
    content_type = {
        "no content-type": None,
        "media type": MEDIA_TYPES[path.suffix],
        "charset=utf-8": f"{MEDIA_TYPES[path.suffix]}; charset=utf-8",
    }[transport]
    expected = json.loads((FEEDS / f"{path.name}.expected.json").read_text("utf-8"))
    assert parse_or_error(path.read_bytes(), url_for(path), content_type) == expected


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: p.name)
def test_lxml_and_feedparser_readers_agree(path: Path) -> None:
    """A feed that is well-formed today and malformed tomorrow must keep its entries' ids,
    links, text and dates: the forgiving reader gives the same result as the strict one."""
    body, url = path.read_bytes(), url_for(path)

    def run(use_lxml: bool) -> dict[str, Any]:
        try:
            result = as_json(_parse(body, url, None, use_lxml=use_lxml))
        except ParseError as exc:
            return {"error": type(exc).__name__}
        del result["warnings"]  # which repairs were needed differs by design
        return result

    assert run(use_lxml=True) == run(use_lxml=False)


def test_parsing_is_deterministic() -> None:
    for path in DATA_FILES:
        body = path.read_bytes()
        assert parse_or_error(body, url_for(path)) == parse_or_error(body, url_for(path))


# --- formats ------------------------------------------------------------------------------


def test_versions() -> None:
    versions = {
        path.name: parse_feed(path.read_bytes(), url_for(path)).version
        for path in DATA_FILES
        if path.name != "not-a-feed.html"
    }
    assert versions["full.rss"] == "rss20"
    assert versions["rss091.xml"] == "rss091"
    assert versions["rdf.xml"] == "rss10"
    assert versions["full.atom"] == "atom10"
    assert versions["atom03.xml"] == "atom03"
    assert versions["full.json"] == "json11"
    assert versions["v10.json"] == "json10"


def test_rss_090_and_unversioned_json() -> None:
    rdf = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old</title>'
        b"<link>http://old.example/</link></channel>"
        b"<item><title>One</title><link>http://old.example/1</link></item></rdf:RDF>"
    )
    feed = parse_feed(rdf, "http://old.example/rdf")
    assert (feed.version, feed.title, [e.url for e in feed.entries]) == (
        "rss090",
        "Old",
        ["http://old.example/1"],
    )
    unversioned = b'{"title": "No version", "items": [{"id": "a", "content_text": "x"}]}'
    assert parse_feed(unversioned, "https://j.example/feed").version == "json"


def test_atom_entry_document_is_a_feed_of_one() -> None:
    body = (
        b'<entry xmlns="http://www.w3.org/2005/Atom"><id>urn:e</id><title>Alone</title>'
        b'<link href="https://e.example/1"/><updated>2024-01-01T00:00:00Z</updated></entry>'
    )
    feed = parse_feed(body, "https://e.example/entry")
    assert [(e.entry_id, e.title) for e in feed.entries] == [("urn:e", "Alone")]


def test_json_feed_fields() -> None:
    full = parse_feed((FEEDS / "full.json").read_bytes(), "https://json.example.org/feed.json")
    first, numeric, no_title = full.entries
    assert first.author == "Ann Author, Bob Builder"  # 1.1 "authors"
    assert "<script" not in (first.content_html or "")
    assert first.tags == ("json", "feeds")
    assert numeric.entry_id == "42"  # a number in the wild; a string in pkm
    assert numeric.url == "https://elsewhere.example.com/article"  # external_url
    assert numeric.content_html == (
        "<p>Plain text content.</p><p>Second paragraph with &lt;angle brackets&gt;.</p>"
    )
    assert no_title.title is None
    assert no_title.content_text == "An item without a title (text version)."
    old = parse_feed((FEEDS / "v10.json").read_bytes(), "https://old.example.org/feed.json")
    assert old.entries[0].author == "Item Author"  # 1.0 "author"


def test_ttl() -> None:
    assert parse_feed(rss("", "<ttl> 30 </ttl>"), "https://f.example/").ttl_minutes == 30
    assert parse_feed(rss("", "<ttl>soon</ttl>"), "https://f.example/").ttl_minutes is None
    assert parse_feed(rss("", "<ttl>-5</ttl>"), "https://f.example/").ttl_minutes is None


# --- identity -----------------------------------------------------------------------------


def test_entry_id_is_the_stripped_guid() -> None:
    entry = one_entry(rss("<item><guid isPermaLink='false'>  abc  </guid><title>A</title></item>"))
    assert (entry.entry_id, entry.url) == ("abc", None)


def test_entry_id_falls_back_to_the_absolute_link() -> None:
    entry = one_entry(rss("<item><link>/posts/1</link><title>A</title></item>"))
    assert entry.entry_id == entry.url == "https://feeds.example.org/posts/1"


def test_entry_id_falls_back_to_a_hash_of_title_and_content() -> None:
    item = "<item><title>A</title><description>Body</description></item>"
    first = one_entry(rss(item), "https://one.example/feed")
    again = one_entry(rss(item), "https://two.example/other")
    other = one_entry(rss(item.replace("Body", "Body 2")))
    assert first.entry_id.startswith("sha256:") and len(first.entry_id) == 7 + 64
    assert first.entry_id == again.entry_id  # stable, and independent of the feed URL
    assert other.entry_id != first.entry_id


def test_ids_are_not_resolved_as_urls() -> None:
    """reddit's Atom ids are bare names; feedparser would make them URLs."""
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>r</title><entry><id>t3_abc</id>'
        b"<title>A</title><link href='https://r.example/a'/></entry></feed>"
    )
    for use_lxml in (True, False):
        feed = _parse(body, "https://r.example/.rss", None, use_lxml=use_lxml)
        assert feed.entries[0].entry_id == "t3_abc"


def test_repeated_ids_are_numbered_in_document_order() -> None:
    feed = parse_feed((FEEDS / "dup-guid.rss").read_bytes(), "https://dup.example.org/rss")
    assert [(e.entry_id, e.title) for e in feed.entries] == [
        ("same", "First copy"),
        ("same#3", "Second copy"),  # "same#2" is a real id in this feed
        ("same#2", "Looks like a suffix"),
        ("same#4", "Third copy"),
    ]


def test_entries_without_any_identity_are_skipped_and_all_broken_is_an_error() -> None:
    feed = parse_feed(rss("<item><title>ok</title></item><item><guid> </guid></item>"), "u:")
    assert [e.title for e in feed.entries] == ["ok"]
    assert feed.warnings == ("skipped 1 entry without id, link, title, content or media",)
    with pytest.raises(ParseError, match="no entry has an id"):
        parse_feed(rss("<item></item><item><description> </description></item>"), "u:")


def test_zero_entries_is_fine() -> None:
    assert parse_feed(rss(""), "https://f.example/").entries == ()


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Plain", "Plain"),
        ("  Lots\n  of   space ", "Lots of space"),
        ("Tom &amp;amp; Jerry", "Tom & Jerry"),  # double-escaped, as feeds do
        ("&lt;b&gt;Bold&lt;/b&gt; move", "Bold move"),
        ("a &lt; b", "a < b"),
        ("<![CDATA[<script>alert(1)</script>Safe]]>", "Safe"),
        ("", None),
    ],
)
def test_titles_are_plain_text(raw: str, title: str | None) -> None:
    entry = one_entry(rss(f"<item><guid>g</guid><title>{raw}</title></item>"))
    assert entry.title == title


@pytest.mark.parametrize(
    ("element", "author"),
    [
        ("<author>jo@example.org (Jo Bloggs)</author>", "Jo Bloggs"),
        ("<author>Jo Bloggs &lt;jo@example.org&gt;</author>", "Jo Bloggs"),
        ("<author>jo@example.org</author>", "jo@example.org"),
        ("<dc:creator>Jo Bloggs</dc:creator>", "Jo Bloggs"),
        (
            "<dc:creator>Jo</dc:creator><dc:creator>Al</dc:creator><dc:creator>Jo</dc:creator>",
            "Jo, Al",
        ),
        ("<author><name>Nested Name</name><title>Editor</title></author>", "Nested Name"),
        ("<itunes:author>The Show</itunes:author>", "The Show"),
        ("<dc:creator>Jo</dc:creator><itunes:author>The Show</itunes:author>", "Jo"),
        ("", None),
    ],
)
def test_rss_author_forms(element: str, author: str | None) -> None:
    namespaces = (
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    )
    entry = one_entry(rss(f"<item><guid>g</guid>{element}</item>", namespaces=namespaces))
    assert entry.author == author


def test_atom_author_name_else_email() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>'
        b"<author><email>only@example.org</email></author>"
        b"<author><name>Named</name><email>n@example.org</email></author></entry></feed>"
    )
    assert one_entry(body).author == "only@example.org, Named"


def test_summary_falls_back_to_content_and_is_shortened() -> None:
    long_text = " ".join(["word"] * 300)
    entry = one_entry(rss(f"<item><guid>g</guid><description>{long_text}</description></item>"))
    assert entry.summary is not None and len(entry.summary) <= 500
    assert entry.summary.endswith("…") and entry.content_text == long_text


def test_tags_are_deduplicated_in_order() -> None:
    items = (
        "<item><guid>g</guid><category>b</category><category> a </category>"
        "<category>b</category><dc:subject>c</dc:subject></item>"
    )
    entry = one_entry(rss(items, namespaces='xmlns:dc="http://purl.org/dc/elements/1.1/"'))
    assert entry.tags == ("b", "a", "c")


def test_hostile_markup_is_gone() -> None:
    for use_lxml in (True, False):
        feed = _parse(
            (FEEDS / "script.rss").read_bytes(), "https://x.example/", None, use_lxml=use_lxml
        )
        (entry,) = feed.entries
        html = entry.content_html or ""
        for needle in (
            "<script",
            "alert",
            "onerror",
            "onclick",
            "onmouseover",
            "javascript:",
            "data:",
            "<iframe",
            "<style",
            "<form",
        ):
            assert needle not in html.lower(), needle
        assert "javascript" not in (feed.site_url or "")
        assert entry.title == "Innocent title"


def test_relative_links_resolve_against_xml_base_else_the_entry_link() -> None:
    feed = parse_feed((FEEDS / "relative.atom").read_bytes(), "https://elsewhere.example/feed")
    nested, feed_level = feed.entries
    assert feed.site_url == "https://rel.example.org/blog/"
    assert nested.url == "https://rel.example.org/blog/posts/one.html"
    assert 'href="https://rel.example.org/media/two.html"' in (nested.content_html or "")
    assert 'href="https://cdn.example.net/x"' in (nested.content_html or "")
    assert 'href="https://rel.example.org/blog/four.html"' in (feed_level.content_html or "")
    # Without xml:base, relative links in content are relative to the entry's own page.
    entry = one_entry(
        rss(
            "<item><link>https://blog.example/2024/post/</link>"
            '<description>&lt;img src="pic.png"&gt;</description></item>'
        )
    )
    assert 'src="https://blog.example/2024/post/pic.png"' in (entry.content_html or "")


def test_xhtml_content_keeps_what_follows_an_empty_element() -> None:
    """XML writes an empty iframe as <iframe/>; read as HTML that would swallow the rest."""
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><content type="xhtml">'
        b'<div xmlns="http://www.w3.org/1999/xhtml"><p>one<br/>two</p>'
        b'<iframe src="https://v.example/"/><p>after</p></div></content></entry></feed>'
    )
    for use_lxml in (True, False):
        (entry,) = _parse(body, "https://f.example/", None, use_lxml=use_lxml).entries
        assert entry.content_html == "<p>one<br>two</p><p>after</p>"


def test_media_description_is_the_summary_of_youtube_entries() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
        b"<entry><id>yt:video:1</id><title>Video</title>"
        b'<link rel="alternate" href="https://www.youtube.com/watch?v=1"/><media:group>'
        b"<media:description>What the video is about.</media:description></media:group>"
        b"</entry></feed>"
    )
    entry = one_entry(body)
    assert entry.summary == entry.content_text == "What the video is about."


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("Mon, 05 Feb 2024 07:30:00 -0500", "2024-02-05T12:30:00+00:00"),
        ("Mon, 05 Feb 2024 07:30:00 GMT", "2024-02-05T07:30:00+00:00"),
        ("5 Feb 2024 07:30 EST", "2024-02-05T12:30:00+00:00"),
        ("Mon, 05 Feb 24 07:30:00 +0100", "2024-02-05T06:30:00+00:00"),
        ("Mon, 05 Feb 2024 07:30:00 XYZ", "2024-02-05T07:30:00+00:00"),  # unknown zone: UTC
        ("2024-02-05T07:30:00Z", "2024-02-05T07:30:00+00:00"),
        ("2024-02-05T07:30:00+05:30", "2024-02-05T02:00:00+00:00"),
        ("2024-02-05T07:30:00.123456789-01:00", "2024-02-05T08:30:00.123456+00:00"),
        ("2024-02-05 07:30:00", "2024-02-05T07:30:00+00:00"),  # no zone: UTC
        ("2024-02-05", "2024-02-05T00:00:00+00:00"),
        ("2024-02", "2024-02-01T00:00:00+00:00"),
        ("Mon Feb  5 07:30:00 2024", "2024-02-05T07:30:00+00:00"),  # asctime
        ("2020/1/10 14:33:00", "2020-01-10T14:33:00+00:00"),  # feedparser: 1 December
        ("2020-1-5", "2020-01-05T00:00:00+00:00"),
        ("2020.01.10 09:00 +0100", "2020-01-10T08:00:00+00:00"),
        ("2024/13/40", None),
        ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T22:42:40+00:00"),  # Portuguese
        ("mar, 05 feb 2024 10:00:00 +0100", "2024-02-05T09:00:00+00:00"),  # Spanish
        ("Mi, 05 Okt 2022 10:00:00 +0200", "2022-10-05T08:00:00+00:00"),  # German
        ("5 mars 2024 10:00 GMT", "2024-03-05T10:00:00+00:00"),  # French
        ("Monday", None),  # would need today's date
        ("yesterday", None),
        ("Mon, 31 Feb 2024 07:30:00 GMT", None),
        ("0001-01-01T00:00:00+01:00", None),  # before year 1 in UTC
        ("", None),
    ],
)
def test_dates_are_aware_utc(raw: str, utc: str | None) -> None:
    entry = one_entry(rss(f"<item><guid>g</guid><pubDate>{raw}</pubDate></item>"))
    assert (entry.published.isoformat() if entry.published else None) == utc


def test_dates_never_come_from_the_feed() -> None:
    channel = "<pubDate>Mon, 05 Feb 2024 07:30:00 GMT</pubDate><lastBuildDate>Mon, 05 Feb 2024 07:30:00 GMT</lastBuildDate>"
    entry = one_entry(rss("<item><guid>g</guid></item>", channel))
    assert (entry.published, entry.updated) == (None, None)


# --- encodings ----------------------------------------------------------------------------


CURLY = "It\u2019s \u201cquoted\u201d"  # windows-1252 bytes 0x92, 0x93, 0x94


def xml_in(encoding: str, declare: bool = True, title: str = "") -> bytes:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    return (
        f'{declaration}<rss version="2.0"><channel><title>{title}</title>'
        f"<item><guid>g</guid><title>{title}</title></item></channel></rss>"
    ).encode(encoding)


@pytest.mark.parametrize(
    ("body", "content_type", "title"),
    [
        (xml_in("koi8-r", title="Привет, мир"), None, "Привет, мир"),
        (xml_in("windows-1251", title="Здравствуйте"), None, "Здравствуйте"),
        (
            xml_in("windows-1251", declare=False, title="Здравствуйте"),
            "text/xml; charset=windows-1251",
            "Здравствуйте",
        ),
        (
            xml_in("gb18030", title="中文标题 镕").replace(b"gb18030", b"gb2312"),
            None,
            "中文标题 镕",
        ),  # GBK-only 镕
        (xml_in("iso-8859-7", title="Καλημέρα"), None, "Καλημέρα"),
        (xml_in("iso-8859-1", title="Grüße"), "application/rss+xml; charset=utf-8", "Grüße"),
        (
            xml_in("utf-8", title="Grüße").replace(b"utf-8", b"iso-8859-1"),
            None,
            "Grüße",
        ),  # utf-8 mislabelled
        (b"\xef\xbb\xbf" + xml_in("utf-8", title="BOM ✓"), None, "BOM ✓"),
        (xml_in("utf-16", title="sixteen ✓"), None, "sixteen ✓"),
        (xml_in("cp1252", declare=False, title=CURLY), None, CURLY),
    ],
    ids=[
        "koi8-r",
        "cp1251",
        "cp1251-http",
        "gb2312-gbk",
        "greek",
        "latin1-http-utf8",
        "utf8-as-latin1",
        "bom",
        "utf16",
        "cp1252-undeclared",
    ],
)
def test_encodings(body: bytes, content_type: str | None, title: str) -> None:
    feed = parse_feed(body, "https://enc.example/feed", content_type)
    assert feed.title == feed.entries[0].title == title


def test_utf8_with_a_few_bad_bytes_stays_utf8() -> None:
    body = xml_in("utf-8", title="Grüße und Küsse").replace("Küsse".encode(), b"K\xfcsse")
    feed = parse_feed(body, "https://enc.example/feed")
    assert feed.entries[0].title == "Grüße und K\ufffdsse"
    assert "invalid utf-8 bytes replaced" in feed.warnings


# --- not feeds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a feed: empty document"),
        (b" \n\t ", "not a feed: empty document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a feed: neither xml nor json"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "not a feed: looks like an HTML page"),
        (
            b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
            "not a feed: looks like an HTML page",
        ),
        (b"<note><to>you</to></note>", "not a feed: unknown root element <note>"),
        (b'{"name": "not a feed"}', "not a feed: json that is not a json feed"),
        (b"[1, 2, 3]", "not a feed: json that is not a json feed"),
        (b'{"items": [', "not a feed: invalid json"),
    ],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_feed(body, "https://nf.example/x")
    assert excinfo.value.reason == reason
    assert excinfo.value.url == "https://nf.example/x"


def test_unencodable_characters_become_replacement_characters() -> None:
    """A lone surrogate is valid in JSON ("\\ud800") and as an XML character reference,
    but cannot be encoded; nh3 and hashing would fail on it."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t\\ud800", "items": '
        b'[{"id": "a\\udc00", "content_html": "<p>\\ud800</p>", "tags": ["\\ud800"]}]}'
    )
    feed = parse_feed(body, "https://j.example/feed")
    entry = feed.entries[0]
    assert (feed.title, entry.entry_id, entry.content_html, entry.tags) == (
        "t\ufffd",
        "a\ufffd",
        "<p>\ufffd</p>",
        ("\ufffd",),
    )
    xml = rss("<item><guid>g</guid><title>a&#xD800;b&#0;c&#x110000;d&#x41;</title></item>")
    assert one_entry(xml).title == "a\ufffdb\ufffdc\ufffddA"


def test_entities_are_never_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">'
        b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><item><guid>g</guid><title>&x;&b;</title></item>'
        b"</channel></rss>"
    )
    entry = one_entry(body)
    assert "root:" not in (entry.title or "") and "aaaa" not in (entry.title or "")


# --- any bytes ----------------------------------------------------------------------------

SEEDS = [path.read_bytes()[:3000] for path in DATA_FILES]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_feed_or_parse_error(body: bytes) -> None:
    with contextlib.suppress(ParseError):  # anything else fails the test
        parse_feed(body, "https://any.example/feed")


ANY_TEXT = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40)
JSON_VALUES = st.one_of(ANY_TEXT, st.integers(), st.floats(), st.booleans(), st.none())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT, value=JSON_VALUES, version=st.sampled_from(["1", "1.1", "x"]))
def test_any_json_feed_gives_a_feed_or_parse_error(text: str, value: Any, version: str) -> None:
    item = {"id": value, "url": text, "title": text, "content_html": text, "summary": value}
    item |= {"date_published": text, "tags": [text, value], "authors": [{"name": text}]}
    doc = {"version": f"https://jsonfeed.org/version/{version}", "title": value, "items": [item]}
    with contextlib.suppress(ParseError):  # anything else fails the test
        parse_feed(json.dumps(doc).encode(), "https://any.example/feed.json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=60), other=st.text(max_size=30))
def test_any_text_in_an_rss_item_gives_a_feed_or_parse_error(text: str, other: str) -> None:
    item = f"<item><guid>{other}</guid><title>{text}</title><link>{other}</link>"
    item += (
        f"<description>{text}</description><pubDate>{other}</pubDate><author>{text}</author></item>"
    )
    with contextlib.suppress(ParseError):  # anything else fails the test
        parse_feed(rss(item), "https://any.example/feed")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 40), st.binary(max_size=8)), max_size=6
    ),
    content_type=st.sampled_from(
        [None, "text/xml", "text/html; charset=koi8-r", "x; charset=base64"]
    ),
)
def test_damaged_feeds_give_a_feed_or_parse_error(
    seed: bytes, cuts: list[tuple[int, int, bytes]], content_type: str | None
) -> None:
    body = seed
    for start, length, insert in cuts:
        body = body[:start] + insert + body[start + length :]
    with contextlib.suppress(ParseError):  # anything else fails the test
        parse_feed(body, "https://any.example/feed", content_type)


def test_a_json_item_with_a_script_url_resolves_its_links_against_the_feed() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "1", "url": "javascript:alert(1)", "content_html": '<img src="x.png">'}
            ],
        }
    ).encode()
    [entry] = parse_feed(body, "https://feeds.example.org/feed.json").entries
    assert entry.url is None
    assert entry.content_html == '<img src="https://feeds.example.org/x.png">'


# --- entries held already ---------------------------------------------------------------------


def _held(feed: ParsedFeed) -> dict[str, str]:
    return {e.entry_id: e.fingerprint for e in feed.entries if e.fingerprint}


def test_entries_held_unchanged_are_not_built_again() -> None:
    url = "https://feeds.example.org/feed"
    item = "<item><guid>{0}</guid><title>{1}</title><description>&lt;p&gt;{1}&lt;/p&gt;</description></item>"
    first = parse_feed(rss(item.format("a", "One") + item.format("b", "Two")), url)
    body = rss(item.format("a", "One") + item.format("b", "Two, edited") + item.format("c", "3"))
    second = parse_feed(body, url, held=_held(first))
    assert second.unchanged_entries == ("a",)
    assert [e.entry_id for e in second.entries] == ["b", "c"]
    # Nothing held, or held from another URL (relative links would resolve elsewhere):
    # every entry is built, to the same result.
    assert parse_feed(body, url).entries[1:] == second.entries
    elsewhere = parse_feed(body, "https://other.example/feed", held=_held(first))
    assert elsewhere.unchanged_entries == ()


def test_a_feed_of_entries_all_held_is_still_a_feed() -> None:
    body = rss("<item><guid>a</guid><title>One</title></item>")
    first = parse_feed(body, "https://feeds.example.org/feed")
    again = parse_feed(body, "https://feeds.example.org/feed", held=_held(first))
    assert (again.entries, again.unchanged_entries) == ((), ("a",))


def test_repeated_ids_are_always_built() -> None:
    body = rss("<item><guid>a</guid><title>One</title></item>" * 2)
    first = parse_feed(body, "https://feeds.example.org/feed")
    assert [e.entry_id for e in first.entries] == ["a", "a#2"]
    again = parse_feed(body, "https://feeds.example.org/feed", held=_held(first))
    assert again.unchanged_entries == ()
    assert again.entries == first.entries
