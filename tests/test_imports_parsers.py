"""The export parsers: each format's file, written from its public description, as a plan.
Pure: no index, no network."""

import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pkm.errors import ImportFileError
from pkm.imports import ImportFormat, read_plan
from pkm.imports.hypothesis import parse_hypothesis
from pkm.imports.kindle import parse_clippings
from pkm.imports.omnivore import open_export, parse_omnivore
from pkm.imports.plan import ImportedItem, ImportPlan
from pkm.imports.pocket import parse_pocket
from pkm.models import ItemStatus, TextPosition, TextQuote
from tests.conftest import DATA

IMPORTS = DATA / "imports"


def by_key(plan: ImportPlan) -> dict[str, ImportedItem]:
    return {i.key: i for i in plan.items}


def unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def error_of(fmt: ImportFormat, path: Path) -> str:
    with pytest.raises(ImportFileError) as caught:
        read_plan(fmt, path)
    return str(caught.value)


# --- Pocket ---------------------------------------------------------------------------------------


def test_pocket_csv_with_a_bom_crlf_and_quoted_commas() -> None:
    data = (IMPORTS / "pocket" / "part_000000.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    plan = parse_pocket(data)
    assert [i.ref for i in plan.items] == ["line 2", "line 3", "line 4", "line 6", "line 7"]
    first = plan.items[0]
    assert first.title == "Gärten, Zürich und die Stadt"
    assert first.url == first.key == "https://example.com/gardens?utm_source=pocket"
    assert first.tags == ("garden", "städte")
    assert (first.saved, first.status) == (unix(1700000000), ItemStatus.UNREAD)
    items = by_key(plan)
    assert items["https://example.org/spaced"].status is ItemStatus.ARCHIVED
    assert items["https://example.jp/books/"].title == "東京の本屋"
    assert items["https://example.net/no-title"].title is None  # Pocket puts the URL there
    [refused] = plan.skipped
    assert (refused.ref, refused.title) == ("line 5", "Bad link")
    assert refused.reason == "not an http(s) URL: 'javascript:alert(1)'"


def test_pocket_csv_favorite_column_stars_and_controls_are_stripped() -> None:
    data = (
        "title,url,time_added,tags,status,favorite\n"
        "\x1b]0;pwned\x07Evil\u009b title,https://example.com/x,1700000000,a|\x1bb,archive,1\n"
        "Plain,https://example.com/y,,,unread,0\n"
    ).encode()
    x, y = parse_pocket(data).items
    assert x.status is ItemStatus.STARRED and x.title == "]0;pwnedEvil title"
    assert x.tags == ("a", "b")
    assert (y.status, y.saved) == (ItemStatus.UNREAD, None)


def test_pocket_html_export() -> None:
    plan = parse_pocket((IMPORTS / "pocket" / "ril_export.html").read_bytes())
    a, b, c = plan.items
    assert (a.title, a.tags, a.status) == ("Café culture", ("reading", "café"), ItemStatus.UNREAD)
    assert (a.saved, a.ref) == (unix(1500000000), "line 11")
    assert b.title is None and b.status is ItemStatus.UNREAD
    assert (c.title, c.status, c.tags) == ("Done & dusted", ItemStatus.ARCHIVED, ("done",))
    [refused] = plan.skipped
    assert refused.ref == "line 18" and "javascript:void(0)" in refused.reason


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "malformed.csv",
            None,
            "malformed.csv: line 4: time_added is not a Unix time: 'yesterday'",
        ),
        ("malformed.html", None, "malformed.html: line 8: time_added is not a Unix time: 'soon'"),
        (
            "quote.csv",
            b'title,url\n"a,https://e.com/1\n',
            "quote.csv: line 2: not CSV: unexpected end of data",
        ),
        (
            "utf8.csv",
            b"title,url\nok,https://e.com/1\n\xff,https://e.com/2\n",
            "utf8.csv: line 3: not UTF-8 text",
        ),
        (
            "nourl.csv",
            b"title,link\nA,https://e.com/1\n",
            "nourl.csv: line 1: not a Pocket CSV export: no url column",
        ),
        ("empty.csv", b"title,url,time_added\nA,,1\n", "empty.csv: line 2: no url"),
        (
            "status.csv",
            b"url,status\nhttps://e.com/1,deleted\n",
            "status.csv: line 2: status must be unread or archive, not 'deleted'",
        ),
        (
            "long.csv",
            b"url\nhttps://e.com/1,extra\n",
            "long.csv: line 2: 2 fields, the header names 1",
        ),
        (
            "page.html",
            b"<html><body><p>hello</p></body></html>",
            "page.html: line 1: not a Pocket export",
        ),
    ],
)
def test_a_malformed_pocket_file_names_the_line(
    tmp_path: Path, name: str, data: bytes | None, message: str
) -> None:
    path = IMPORTS / "pocket" / name if data is None else tmp_path / name
    if data is not None:
        path.write_bytes(data)
    assert error_of(ImportFormat.POCKET, path).startswith(message)


def test_an_empty_pocket_csv_is_an_empty_plan() -> None:
    assert parse_pocket(b"title,url,time_added,tags,status\r\n").items == ()
    assert parse_pocket(b"").items == ()


# --- Kindle ---------------------------------------------------------------------------------------


def test_kindle_clippings_one_item_per_book() -> None:
    data = (IMPORTS / "kindle" / "My Clippings.txt").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    plan = parse_clippings(data)
    garden, lernen = plan.items
    assert garden.key == "kindle:The Art of Gardening (Jane Doe)" and garden.url is None
    assert (garden.title, garden.author, garden.status) == (
        "The Art of Gardening",
        "Jane Doe",
        ItemStatus.READ,
    )
    # In the order of the book; "Soil first." was extended into the longer highlight, and
    # the identical repeat at 170-172 is kept once (the later one).
    assert garden.content_text == (
        "Soil first, then seeds, then patience.\n\nPlants grow where they are cared for."
    )
    soil, plants, loose = garden.annotations
    assert soil.quote == TextQuote("Soil first, then seeds, then patience.")
    assert soil.position == TextPosition(0, 38) and soil.comment == ""
    assert soil.created == datetime(2023, 3, 6, 9, 1, tzinfo=UTC)
    assert plants.comment == "So true." and plants.ref == "line 37"
    assert plants.created == datetime(2023, 3, 7, 20, 0, tzinfo=UTC)
    assert garden.content_text[plants.position.start : plants.position.end] == plants.quote.exact  # type: ignore[union-attr]
    assert (loose.quote, loose.comment) == (None, "Remember to water.")
    assert garden.saved == datetime(2023, 3, 7, 20, 0, tzinfo=UTC)  # the latest clipping
    assert "<p>Soil first, then seeds, then patience.</p>" in (garden.content_html or "")
    # A German Kindle: kinds and locations read, the date not (the import's time is used).
    assert (lernen.title, lernen.author) == ("Über das Lernen", "Müller, Jürgen")
    [wiederholung] = lernen.annotations
    assert wiederholung.quote == TextQuote("Wiederholung ist die Mutter des Lernens.")
    assert wiederholung.created is None
    assert plan.notes == ("skipped 1 bookmark",)


def test_kindle_times_are_read_in_the_zone_given_and_older_formats() -> None:
    data = (
        b"Old Book\n- Highlight Loc. 1234-56  | Added on Monday, March 21, 2011, 09:21 PM\n\n"
        b"First passage.\n==========\n"
        b"Old Book\n- Note Loc. 1250  | Added on Monday, March 21, 2011, 09:22 PM\n\nMine.\n"
        b"==========\n"
    )
    plus_two = timezone(timedelta(hours=2))
    [book] = parse_clippings(data, plus_two).items
    assert (book.title, book.author) == ("Old Book", None)
    [highlight] = book.annotations
    assert highlight.created == datetime(2011, 3, 21, 19, 21, tzinfo=UTC)
    assert highlight.comment == "Mine."  # 1250 lies in 1234-1256


def test_a_malformed_clippings_file_names_the_line() -> None:
    message = error_of(ImportFormat.KINDLE, IMPORTS / "kindle" / "malformed.txt")
    assert message.startswith("malformed.txt: line 7: not a clipping's '- Your Highlight")


# --- Hypothesis -----------------------------------------------------------------------------------


def test_hypothesis_export_keeps_the_selectors() -> None:
    plan = parse_hypothesis((IMPORTS / "hypothesis" / "export.json").read_bytes())
    essay, garden = plan.items
    assert (essay.url, essay.title, essay.status) == (
        "https://example.com/essay",
        "An essay on memory",
        ItemStatus.READ,
    )
    highlight, page_note = essay.annotations
    assert highlight.quote == TextQuote(
        "Each review resets the curve.", "shows how memory fades. ", " Reviews that come"
    )
    assert highlight.position == TextPosition(120, 149)
    assert highlight.comment == "A key idea — «mémoire»." and highlight.tags == (
        "memory",
        "learning",
    )
    assert highlight.created == datetime(2024, 11, 2, 10, 0, tzinfo=UTC)
    assert highlight.updated == datetime(2024, 11, 2, 10, 5, tzinfo=UTC)
    assert (page_note.quote, page_note.comment, page_note.tags) == (
        None,
        "Worth rereading.",
        ("later",),
    )
    assert essay.saved == highlight.created
    assert garden.title == "日本の庭" and garden.annotations[0].quote == TextQuote("東京の庭園")
    [pdf] = plan.skipped
    assert pdf.ref == "annotations[3] (id hA4)" and "urn:x-pdf" in pdf.reason
    assert (plan.skipped_annotations, plan.notes) == (1, ("skipped 1 reply",))


def test_a_hypothesis_export_with_a_bom_and_crlf_line_ends() -> None:
    data = (IMPORTS / "hypothesis" / "export.json").read_bytes()
    plan = parse_hypothesis(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert plan == parse_hypothesis(data)


def test_other_peoples_annotations_in_a_group_export_are_skipped() -> None:
    document = json.loads((IMPORTS / "hypothesis" / "export.json").read_text())
    document["annotations"][0]["user"] = "acct:ben@hypothes.is"
    plan = parse_hypothesis(json.dumps(document).encode())
    [essay, _] = plan.items
    assert [a.comment for a in essay.annotations] == ["Worth rereading."]
    assert plan.notes == ("skipped 1 reply", "skipped 1 annotation by other people")
    assert plan.skipped_annotations == 2


def test_hypothesis_api_rows_and_a_bare_list_are_read_too() -> None:
    rows = json.loads((IMPORTS / "hypothesis" / "export.json").read_text())["annotations"]
    from_rows = parse_hypothesis(json.dumps({"total": len(rows), "rows": rows}).encode())
    from_list = parse_hypothesis(json.dumps(rows).encode())

    def summary(plan: ImportPlan) -> list[tuple[str, str | None, int]]:
        return [(i.key, i.title, len(i.annotations)) for i in plan.items]

    assert summary(from_rows) == summary(from_list) and len(from_list.items) == 2
    assert from_rows.skipped[0].ref == "rows[3] (id hA4)"


def test_malformed_hypothesis_exports_name_the_entry(tmp_path: Path) -> None:
    message = error_of(ImportFormat.HYPOTHESIS, IMPORTS / "hypothesis" / "malformed.json")
    assert message == (
        "malformed.json: annotations[1] (id hA2): TextPositionSelector start and end must be"
        " 0 <= start <= end"
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"annotations": [\n  {"id": "x",\n  "uri": }\n]}')
    assert error_of(ImportFormat.HYPOTHESIS, broken).startswith("broken.json: line 3: not JSON")
    other = tmp_path / "other.json"
    other.write_text('{"items": []}')
    assert error_of(ImportFormat.HYPOTHESIS, other) == (
        "other.json: the file: not a Hypothesis export: no list of annotations"
    )


# --- Omnivore -------------------------------------------------------------------------------------


def zipped(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return dest


def test_omnivore_export_folder_and_zip_give_the_same_plan(tmp_path: Path) -> None:
    folder = IMPORTS / "omnivore" / "export"
    with open_export(folder) as files:
        plan = parse_omnivore(files)
    with open_export(zipped(folder, tmp_path / "omnivore.zip")) as files:
        assert parse_omnivore(files) == plan
    compost, baeume = plan.items
    assert (compost.title, compost.author, compost.tags) == (
        "The joy of compost",
        "Ana Lima",
        ("garden", "soil"),
    )
    assert compost.status is ItemStatus.READ  # read to the end
    assert compost.status_at == datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    assert compost.saved == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert compost.published == datetime(2024, 2, 28, tzinfo=UTC)
    assert compost.summary == "Why compost matters."
    html = compost.content_html or ""
    assert "<script" not in html and "onclick" not in html and "alert" not in html
    assert "Worms do most of the work, quietly." in compost.content_text
    # From highlights/<slug>.md: quote, labels, note; a quote over two lines.
    worms, pile = compost.annotations
    assert worms.quote == TextQuote("Worms do most of the work, quietly.")
    assert (worms.tags, worms.comment) == (("soil", "worms"), "They never rest.")
    assert pile.quote == TextQuote("Turn the pile every\nweek.")
    # From the metadata's own highlights: a highlight with its context, and a note.
    assert baeume.status is ItemStatus.ARCHIVED and baeume.title == "Über Bäume"
    trees, note = baeume.annotations
    assert trees.quote == TextQuote("Bäume sprechen miteinander.", "Im Wald: ", " Das ist")
    assert (trees.comment, trees.tags) == ("Wirklich?", ("wald",))
    assert (note.quote, note.comment) == (None, "Lesenswert.")
    [evil] = plan.skipped
    assert evil.ref == "metadata_0_to_3.json[2] (id o3)"


def test_malformed_omnivore_exports_name_the_file_and_entry(tmp_path: Path) -> None:
    assert error_of(ImportFormat.OMNIVORE, IMPORTS / "omnivore" / "malformed") == (
        "malformed: metadata_0_to_1.json[0] (id m1): savedAt is not an ISO 8601 time:"
        " 'last tuesday'"
    )
    not_zip = tmp_path / "export.zip"
    not_zip.write_bytes(b"PK\x03\x04 but not really")
    assert error_of(ImportFormat.OMNIVORE, not_zip) == (
        "export.zip: the file: not an Omnivore export: not a zip archive"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no metadata_*.json file" in error_of(ImportFormat.OMNIVORE, empty)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "metadata_0_to_1.json").write_text('[{"id": "a",\n "url": https://x}]')
    assert error_of(ImportFormat.OMNIVORE, broken).startswith(
        "broken: metadata_0_to_1.json: line 2: not JSON"
    )


def test_an_omnivore_folder_is_read_without_following_links(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "content").mkdir(parents=True)
    secret = tmp_path / "secret.html"
    secret.write_text("<p>private words</p>")
    (folder / "content" / "a.html").symlink_to(secret)
    (folder / "metadata_0_to_1.json").write_text(
        json.dumps([{"id": "a", "slug": "a", "url": "https://e.com/a", "savedAt": None}])
    )
    [item] = read_plan(ImportFormat.OMNIVORE, folder).items
    assert item.content_text == "" and item.saved is None
