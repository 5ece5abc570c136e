"""Enclosures (RSS `<enclosure>`, Atom `<link rel="enclosure">`, Media RSS `<media:content>`,
JSON Feed attachments) and the entries that are nothing but media, on both XML paths."""

import hashlib
import json

import pytest

from pkm.models import Enclosure
from pkm.seek.feeds import parse_feed
from tests.test_seek_feeds_fields import PATHS, atom, one, parse, rss

MP3 = "https://cdn.example/ep1.mp3"


@PATHS
def test_rss_enclosure(use_lxml: bool) -> None:
    item = f'<item><guid>g</guid><enclosure url="{MP3}" type="Audio/MPEG" length=" 1234 "/></item>'
    assert one(rss(item), use_lxml).enclosures == (Enclosure(MP3, "audio/mpeg", 1234),)


@PATHS
def test_atom_enclosure_link(use_lxml: bool) -> None:
    body = atom(
        '<entry><id>urn:1</id><link rel="alternate" href="https://site.example/1"/>'
        f'<link rel="enclosure" href="{MP3}" type="audio/mpeg" length="99"/></entry>'
    )
    entry = one(body, use_lxml)
    assert (entry.url, entry.enclosures) == (
        "https://site.example/1",
        (Enclosure(MP3, "audio/mpeg", 99),),
    )


@PATHS
def test_media_content_alone_and_in_groups(use_lxml: bool) -> None:
    item = (
        '<item><guid>g</guid><media:content url="https://cdn.example/a.jpg" type="image/jpeg"/>'
        '<media:group><media:content url="https://cdn.example/v.mp4" fileSize="42"/>'
        '<media:content url="https://cdn.example/v.webm" filesize="7" type="video/webm"/>'
        "</media:group></item>"
    )
    assert one(rss(item), use_lxml).enclosures == (
        Enclosure("https://cdn.example/a.jpg", "image/jpeg", None),
        Enclosure("https://cdn.example/v.mp4", None, 42),
        Enclosure("https://cdn.example/v.webm", "video/webm", 7),
    )


def test_relative_enclosures_resolve_against_the_xml_base_in_effect() -> None:
    body = atom(
        '<entry xml:base="https://media.example/show/"><id>urn:1</id>'
        '<link rel="enclosure" href="ep1.mp3"/>'
        '<media:content xml:base="/other/" url="pic.jpg"/></entry>'
    )
    assert [e.url for e in one(body, True).enclosures] == [
        "https://media.example/show/ep1.mp3",
        "https://media.example/other/pic.jpg",
    ]


@PATHS
def test_relative_enclosures_resolve_against_the_feed_url(use_lxml: bool) -> None:
    item = '<item><guid>g</guid><enclosure url="/files/ep1.mp3"/></item>'
    assert [e.url for e in one(rss(item), use_lxml).enclosures] == [
        "https://feeds.example.org/files/ep1.mp3"
    ]


@PATHS
def test_only_web_enclosures_are_kept(use_lxml: bool) -> None:
    item = "<item><guid>g</guid>" + "".join(
        f'<enclosure url="{url}"/>'
        for url in ("ftp://f.example/a.mp3", "javascript:alert(1)", "data:audio/mp3;base64,AA", MP3)
    )
    assert one(rss(item + "</item>"), use_lxml).enclosures == (Enclosure(MP3),)


@PATHS
def test_one_enclosure_per_url_first_the_enclosures_then_media(use_lxml: bool) -> None:
    """The same file as `media:content` (before) and `enclosure` (after, with its size):
    one enclosure, the RSS one first, knowing what either says."""
    item = (
        f'<item><guid>g</guid><media:content url="{MP3}" type="audio/mpeg"/>'
        '<media:content url="https://cdn.example/cover.jpg" type="image/jpeg"/>'
        f'<enclosure url="{MP3}" length="2519606"/><enclosure url="{MP3}" length="1"/></item>'
    )
    assert one(rss(item), use_lxml).enclosures == (
        Enclosure(MP3, "audio/mpeg", 2519606),
        Enclosure("https://cdn.example/cover.jpg", "image/jpeg", None),
    )


@PATHS
@pytest.mark.parametrize(
    ("length", "expected"),
    [("0", 0), ("-1", None), ("unknown", None), ("1.5e6", None), ("", None), ("9" * 30, None)],
)
def test_enclosure_length_is_a_byte_count_or_none(
    use_lxml: bool, length: str, expected: int | None
) -> None:
    item = f'<item><guid>g</guid><enclosure url="{MP3}" length="{length}"/></item>'
    assert one(rss(item), use_lxml).enclosures[0].length == expected


def test_json_feed_attachments() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {
                "id": "1",
                "content_text": "x",
                "attachments": [
                    {"url": "/a.mp3", "mime_type": "Audio/MPEG", "size_in_bytes": 10},
                    {"url": "https://cdn.example/b.m4a", "size_in_bytes": "big"},
                    {"url": "javascript:alert(1)"},
                    "junk",
                ],
            }
        ],
    }
    (entry,) = parse_feed(json.dumps(doc).encode(), "https://j.example/feed.json").entries
    assert entry.enclosures == (
        Enclosure("https://j.example/a.mp3", "audio/mpeg", 10),
        Enclosure("https://cdn.example/b.m4a", None, None),
    )


# --- entries that are only media -----------------------------------------------------------


@PATHS
def test_an_entry_that_is_only_an_enclosure_is_known_by_it(use_lxml: bool) -> None:
    feed = parse(rss(f'<item><enclosure url="{MP3}" type="audio/mpeg"/></item>'), use_lxml)
    assert [(e.entry_id, e.title, e.url) for e in feed.entries] == [(MP3, None, None)]


@PATHS
def test_an_entry_that_is_only_a_picture_is_an_entry(use_lxml: bool) -> None:
    items = "".join(
        f"<item><description>&lt;img src='https://cdn.example/{name}.jpg'&gt;</description></item>"
        for name in ("one", "two")
    )
    feed = parse(rss(items), use_lxml)
    ids = [e.entry_id for e in feed.entries]
    assert [e.content_text for e in feed.entries] == ["", ""]
    assert all(i.startswith("sha256:") for i in ids) and ids[0] != ids[1]
    assert 'src="https://cdn.example/one.jpg"' in (feed.entries[0].content_html or "")


def test_ids_of_entries_with_text_are_the_hash_they_always_were() -> None:
    """The HTML joins the hash only when there is no text: stored ids stay valid."""
    entry = one(
        rss("<item><title>A</title><description>&lt;b&gt;Body&lt;/b&gt;</description></item>"), True
    )
    assert entry.entry_id == "sha256:" + hashlib.sha256(b"A\nBody").hexdigest()


def test_the_guid_and_the_link_come_before_the_enclosure() -> None:
    item = f'<item><link>https://site.example/1</link><enclosure url="{MP3}"/></item>'
    assert one(rss(item), True).entry_id == "https://site.example/1"
    item = f'<item><guid isPermaLink="false">ep-1</guid><enclosure url="{MP3}"/></item>'
    assert one(rss(item), True).entry_id == "ep-1"
