"""parse_opml / render_opml: real exporters' files, hostile XML, and the round trip."""

import contextlib
import os
import random
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pkm.errors import InvalidInputError
from pkm.models import OutlineSource
from pkm.seek.opml import parse_opml, render_opml

OPML = Path(__file__).parent / "data" / "opml"
GOOD_FILES = ["newsboat.opml", "feedly.opml", "inoreader.opml", "thunderbird.opml", "nested.opml"]


def parse_file(name: str) -> list[OutlineSource]:
    return parse_opml((OPML / name).read_bytes())


def by_url(sources: list[OutlineSource]) -> list[OutlineSource]:
    return sorted(sources, key=lambda s: s.url)


# -- import: what real exporters write --------------------------------------------------


def test_newsboat_export_flat_outlines() -> None:
    assert parse_file("newsboat.opml") == [
        OutlineSource(
            url="https://notes.example.org/index.xml",
            title="Field Notes",
            site_url="https://notes.example.org/",
        ),
        OutlineSource(
            url="https://news.example.com/feed?format=rss&lang=en",
            title="Smith & Jones Weekly",
            site_url="https://news.example.com/",
        ),
        OutlineSource(
            url="https://kernel.example.net/atom.xml",
            title="Kernel Diaries",
            site_url="https://kernel.example.net/",
        ),
        # Newsboat exports a feed it never fetched with empty title and htmlUrl.
        OutlineSource(url="https://never-fetched.example.org/rss"),
    ]


def test_feedly_export_categories_become_tags_and_duplicates_merge() -> None:
    sources = parse_file("feedly.opml")
    assert [s.url for s in sources] == [
        "https://bytestreet.example.com/rss",
        "https://both.example.net/feed/",  # listed in Tech and Science: kept once, first place
        "https://cafe.example.es/feed/",
        "https://brief.example.com/atom",
    ]
    assert sources[0].tags == ("Tech",)
    assert sources[1].tags == ("Tech", "Science")
    assert sources[2].title == "Café Científico"
    assert sources[3] == OutlineSource(
        url="https://brief.example.com/atom",
        title="Daily Brief <beta>",
        site_url="https://brief.example.com/",
        tags=("Must Read",),
    )


def test_inoreader_export() -> None:
    sources = parse_file("inoreader.opml")
    assert [(s.title, s.tags) for s in sources] == [
        ("Quiet Code", ("Blogs",)),
        ("Garden Log", ("Blogs",)),
        ("Long Form Audio", ("Podcasts",)),
    ]


def test_thunderbird_export_namespaced_attributes_ignored() -> None:
    sources = parse_file("thunderbird.opml")
    assert sources[0] == OutlineSource(
        url="https://kernel.example.net/atom.xml",
        title="Kernel Diaries",
        site_url="https://kernel.example.net/",
        tags=("Linux",),
    )
    assert sources[2].tags == ()


def test_nested_folders_attribute_case_and_category() -> None:
    assert parse_file("nested.opml") == [
        OutlineSource(url="https://tech.example.com/feed", title="General Tech", tags=("Tech",)),
        OutlineSource(
            url="https://django.example.org/rss/",
            title="Django Diary",  # the first occurrence's title wins
            site_url="https://django.example.org/",  # from `htmlurl`
            # folders outermost first, then `category` split on "/" and ",", then the
            # tags of the second occurrence; duplicates ("Web") once
            tags=("Tech", "Python", "Web", "Frameworks", "backend", "Reading", "favourites"),
        ),
        # `XMLURL`, and a title only in `title`
        OutlineSource(
            url="https://pyweekly.example.com/atom.xml",
            title="Python Weekly",
            tags=("Tech", "Python"),
        ),
        # a folder without a name adds no tag; a type="link" outline is not a feed
        OutlineSource(url="https://unnamed.example.net/feed.xml", title="Unnamed Folder Feed"),
    ]


def test_duplicate_fills_missing_title_and_site_url() -> None:
    data = b"""<opml><body>
        <outline xmlUrl="https://a.example/feed"/>
        <outline xmlUrl="https://a.example/feed" text="A" htmlUrl="https://a.example/"/>
    </body></opml>"""
    assert parse_opml(data) == [
        OutlineSource(url="https://a.example/feed", title="A", site_url="https://a.example/")
    ]


def test_title_repeating_the_url_is_no_title() -> None:
    data = b'<opml><body><outline text="https://a.example/feed" xmlUrl="https://a.example/feed"/></body></opml>'
    assert parse_opml(data) == [OutlineSource(url="https://a.example/feed")]


def test_empty_body_is_an_empty_list() -> None:
    assert parse_opml(b'<opml version="2.0"><head/><body/></opml>') == []


# -- import: tolerated sloppiness -------------------------------------------------------

MINIMAL = '<opml version="1.0"><body><outline text="Caf\u00e9" xmlUrl="https://a.example/feed?x=1&amp;y=2"/></body></opml>'
EXPECTED = [OutlineSource(url="https://a.example/feed?x=1&y=2", title="Café")]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(MINIMAL.encode(), id="no-xml-declaration"),
        pytest.param(b"\xef\xbb\xbf" + MINIMAL.encode(), id="utf8-bom"),
        pytest.param(
            b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n' + MINIMAL.encode(),
            id="bom-and-declaration",
        ),
        pytest.param(MINIMAL.replace(' version="1.0"', "").encode(), id="no-version"),
        pytest.param(
            b'\n\n  <?xml version="1.0" encoding="utf-8"?>' + MINIMAL.encode(),
            id="blank-lines-before-declaration",
        ),
        pytest.param(MINIMAL.replace("Caf\u00e9", "Caf&eacute;").encode(), id="html-named-entity"),
        pytest.param(MINIMAL.replace("&amp;", "&").encode(), id="bare-ampersand-in-url"),
        pytest.param(
            b'<?xml version="1.0" encoding="ISO-8859-1"?>' + MINIMAL.encode("latin-1"),
            id="latin-1",
        ),
        pytest.param(MINIMAL.encode("utf-16"), id="utf-16-with-bom"),
        pytest.param(
            MINIMAL.replace("<body>", "<!-- a comment --><?pi x?><body>").encode(),
            id="comment-and-pi",
        ),
        pytest.param(
            MINIMAL.replace("opml", "OPML")
            .replace("body", "Body")
            .replace("outline", "Outline")
            .encode(),
            id="element-name-case",
        ),
    ],
)
def test_tolerated(data: bytes) -> None:
    assert parse_opml(data) == EXPECTED


def test_unknown_entity_is_kept_as_text() -> None:
    data = b'<opml><body><outline text="R&amp;D &bogus; news" xmlUrl="https://a.example/f"/></body></opml>'
    assert parse_opml(data.replace(b"&amp;", b"&"))[0].title == "R&D &bogus; news"


def test_salvages_an_outline_broken_by_unescaped_html() -> None:
    # Plenary puts feed descriptions into an attribute without escaping them.
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Export</title></head><body>
  <outline text="Before" xmlUrl="https://before.example/feed" type="rss" />
  <outline text="Signal" title="Signal" description="By the makers of <a href="https://b.example" rel="noopener">B</a>." xmlUrl="https://signal.example/feed/" type="rss" />
  <outline text="After" xmlUrl="https://after.example/feed" type="rss" />
</body></opml>
"""
    assert [(s.url, s.title) for s in parse_opml(data)] == [
        ("https://before.example/feed", "Before"),
        ("https://signal.example/feed/", "Signal"),
        ("https://after.example/feed", "After"),
    ]


# -- import: refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param((OPML / "broken.opml").read_bytes(), "", id="truncated-file"),
        pytest.param(b"", "Document is empty", id="empty"),
        pytest.param(b"   \n", "", id="blank"),
        pytest.param(b"\x00\xff\xfe garbage", "", id="binary"),
        pytest.param(
            b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
            "root element is <rss>",
            id="a-feed",
        ),
        pytest.param(b"<opml><head/></opml>", "no <body> element", id="no-body"),
        pytest.param(
            b"<!DOCTYPE html><html><head><title>x</title></head><body><p>hi<br></body></html>",
            "",
            id="html-page",
        ),
        pytest.param(b"<opml><body><outline xmlUrl='a'></body></opml>", "", id="mismatched-tags"),
    ],
)
def test_not_opml(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_opml(data)
    message = str(info.value)
    assert message.startswith("not an OPML file: ")
    assert reason in message
    assert "\n" not in message


def test_xxe_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="entity declarations are not allowed") as info:
        parse_file("xxe.opml")
    assert "root:" not in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_xxe_target_is_never_opened(tmp_path: Path) -> None:
    # The entity points at a FIFO. Opening its write end blocks until someone opens the
    # read end, so the writer thread reports whether the parser ever tried to read it.
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:
        with open(fifo, "w") as handle:
            opened.set()
            handle.write("SECRET")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    for where in ("<title>&xxe;</title>", '<outline text="&xxe;" xmlUrl="https://a.example/f"/>'):
        data = (
            f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{fifo}">]>'
            f"<opml><head>{where}</head><body>{where}</body></opml>"
        ).encode()
        with pytest.raises(InvalidInputError):
            parse_opml(data)
    was_opened = opened.is_set()
    # Release the writer whatever happened, so the thread ends.
    descriptor = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    thread.join(timeout=5)
    os.close(descriptor)
    assert not was_opened


def test_billion_laughs_is_refused_quickly() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [{entities}]>'
        '<opml><body><outline text="&lol9;" xmlUrl="https://a.example/f">&lol9;</outline></body></opml>'
    ).encode()
    with pytest.raises(InvalidInputError):
        parse_opml(data)


def test_deep_nesting_fails_cleanly() -> None:
    depth = 5000
    data = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline xmlUrl="https://a.example/f"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    try:
        sources = parse_opml(data)
    except InvalidInputError:
        return
    assert [s.url for s in sources] == ["https://a.example/f"]


# -- export ------------------------------------------------------------------------------------


def test_render_shape() -> None:
    sources = [
        OutlineSource(url="https://z.example/feed", title="Zeta", tags=("Tech", "Python")),
        OutlineSource(url="https://loose.example/rss"),
        OutlineSource(
            url="https://a.example/feed?x=1&y=2",
            title='Alpha "A" <b> & co',
            site_url="https://a.example/",
            tags=("Tech",),
        ),
        OutlineSource(url="https://n.example/atom", title="News/World", tags=("news/world",)),
    ]
    assert render_opml(sources, title="Ada's feeds") == (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<opml version="2.0">\n'
        "  <head>\n"
        "    <title>Ada's feeds</title>\n"
        "  </head>\n"
        "  <body>\n"
        '    <outline text="news/world" title="news/world">\n'
        '      <outline type="rss" text="News/World" title="News/World" xmlUrl="https://n.example/atom"/>\n'
        "    </outline>\n"
        '    <outline text="Tech" title="Tech">\n'
        '      <outline type="rss" text="Alpha &quot;A&quot; &lt;b&gt; &amp; co"'
        ' title="Alpha &quot;A&quot; &lt;b&gt; &amp; co" xmlUrl="https://a.example/feed?x=1&amp;y=2"'
        ' htmlUrl="https://a.example/" category="/Tech"/>\n'
        '      <outline type="rss" text="Zeta" title="Zeta" xmlUrl="https://z.example/feed"'
        ' category="/Tech,/Python"/>\n'
        "    </outline>\n"
        '    <outline type="rss" text="https://loose.example/rss" xmlUrl="https://loose.example/rss"/>\n'
        "  </body>\n"
        "</opml>\n"
    )


def test_render_is_deterministic() -> None:
    sources = parse_file("nested.opml") + parse_file("feedly.opml") + parse_file("newsboat.opml")
    shuffled = sources[:]
    random.Random(4).shuffle(shuffled)
    assert render_opml(shuffled) == render_opml(sources)


def test_render_date_created_only_with_now() -> None:
    assert "dateCreated" not in render_opml([])
    now = datetime(2026, 2, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert "<dateCreated>Mon, 02 Feb 2026 09:00:00 GMT</dateCreated>" in render_opml([], now=now)
    with pytest.raises(ValueError, match="naive"):
        render_opml([], now=datetime(2026, 2, 2))


def test_render_drops_characters_xml_cannot_carry() -> None:
    text = render_opml([OutlineSource(url="https://a.example/f", title="bell\x07 and\x00 nul")])
    assert parse_opml(text.encode()) == [
        OutlineSource(url="https://a.example/f", title="bell and nul")
    ]


def test_render_keeps_a_first_tag_with_a_slash_whole() -> None:
    source = OutlineSource(url="https://a.example/f", title="A", tags=("News/World", "daily"))
    assert parse_opml(render_opml([source]).encode()) == [source]


@pytest.mark.parametrize("name", GOOD_FILES)
def test_round_trip_of_imports(name: str) -> None:
    sources = parse_file(name)
    assert by_url(parse_opml(render_opml(sources).encode())) == by_url(sources)


# -- properties ----------------------------------------------------------------------------

# Text as pkm stores it: no control characters or surrogates, no surrounding blanks.
_text = (
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
_tag = _text.filter(lambda t: "," not in t and "/" not in t)
_url = st.from_regex(r"https://[a-z]{1,8}\.example/[A-Za-z0-9/_.~?=&%+-]{0,20}", fullmatch=True)
_source = st.builds(
    OutlineSource,
    url=_url,
    title=st.none() | _text,
    site_url=st.none() | _url,
    tags=st.lists(_tag, unique=True, max_size=4).map(tuple),
)


@given(st.lists(_source, unique_by=lambda s: s.url, max_size=12))
def test_round_trip_property(sources: list[OutlineSource]) -> None:
    assume(all(s.title != s.url for s in sources))
    assert by_url(parse_opml(render_opml(sources).encode())) == by_url(sources)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_invalid_input(data: bytes) -> None:
    with contextlib.suppress(InvalidInputError):
        parse_opml(data)


@given(st.text(max_size=120), st.sampled_from(["<head>", "<body>", 'text="', "xmlUrl=", "</opml>"]))
def test_corrupted_opml_raises_only_invalid_input(noise: str, where: str) -> None:
    document = MINIMAL.replace("<body>", "<head></head><body>")
    data = document.replace(where, where + noise, 1).encode("utf-8", errors="replace")
    try:
        sources = parse_opml(data)
    except InvalidInputError:
        return
    assert all(isinstance(s, OutlineSource) and s.url for s in sources)


def test_an_outline_with_thousands_of_attributes_costs_nothing() -> None:
    flood = " ".join(f'a{n}="x"' for n in range(5000))
    data = (
        f'<opml version="2.0"><body><outline xmlUrl="https://a.example/f" {flood}/>'
        '<outline xmlUrl="https://b.example/f"/></body></opml>'
    ).encode()
    assert [s.url for s in parse_opml(data)] == ["https://b.example/f"]
