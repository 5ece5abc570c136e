"""The CLI as users and cron see it: exit codes, stdout JSON, stderr messages."""

import json
from pathlib import Path

from typer.testing import CliRunner

from pkm.cli import app
from pkm.core import open_pkm
from tests.feeds import rss
from tests.httpserver import FeedServer

DATA = Path(__file__).parent / "data"


def test_add_then_seek_json(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    added = json.loads(run("seek", "add", url, "--tag", "news", "--json").stdout)
    assert added[0]["created"] is True and added[0]["new_items"] == 1
    summary = json.loads(run("seek", "--json").stdout)
    assert summary["ok"] is True
    [source] = summary["sources"]
    assert source["outcome"] == "not_due"
    assert set(source) >= {
        "url",
        "outcome",
        "http_status",
        "error",
        "error_count",
        "next_due_at",
        "retry_after_at",
    }
    again = json.loads(run("seek", "--all", "--json").stdout)
    assert again["sources"][0]["outcome"] == "unchanged"


def test_adding_an_existing_source_is_a_noop(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    run("seek", "add", url)
    result = run("seek", "add", url + "/")
    assert "already subscribed" in result.stderr
    assert len(json.loads(run("seek", "list", "--json").stdout)) == 1


def test_autodiscovery_says_which_feed_it_took(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    feed_server.route("/main.xml", rss(("1", "One")), content_type="application/rss+xml")
    feed_server.route("/comments.xml", rss(("c", "A comment")), content_type="application/rss+xml")
    page = feed_server.route(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">'
        '<link rel="alternate" type="application/rss+xml" title="Posts" href="main.xml"></head><body>hi</body></html>',
        content_type="text/html",
    )
    result = run("seek", "add", page)
    assert f"using {feed_server.url('/main.xml')}" in result.stderr
    assert json.loads(run("seek", "list", "--json").stdout)[0]["url"] == feed_server.url(
        "/main.xml"
    )


def test_partial_failure_exits_3_and_reports_on_stderr(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    good = feed_server.route("/good", rss(("1", "One")))
    bad = feed_server.route("/bad", rss(("1", "Bad")))
    run("seek", "add", good, bad)
    feed_server.route("/bad", "", status=500)
    result = run("seek", "--all", "--quiet", code=3)
    assert result.stdout == ""
    assert result.stderr.strip() == f"pkm: error: {bad}: HTTP 500"
    listed = {s["url"]: s for s in json.loads(run("seek", "list", "--json").stdout)}
    assert listed[bad]["error_count"] == 1 and listed[bad]["health"] == "backing_off"


def test_quiet_success_prints_nothing(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    run("seek", "add", url, "--quiet")
    result = run("seek", "--all", "--quiet")
    assert (result.stdout, result.stderr) == ("", "")


def test_add_bad_inputs(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    page = feed_server.route(
        "/page", "<html><body>no feeds here</body></html>", content_type="text/html"
    )
    result = run("seek", "add", page, "not a url", feed_server.url("/missing"), code=3)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("pkm: error: ") for line in lines)
    assert "Traceback" not in result.stderr


def test_inbox_json_contract(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    run("seek", "add", url, "--tag", "news")
    [item] = json.loads(run("sense", "inbox", "--json").stdout)
    assert set(item) >= {
        "id",
        "source_url",
        "guid",
        "url",
        "title",
        "author",
        "published",
        "summary",
        "content_text",
        "status",
        "tags",
    }
    assert (item["source_url"], item["guid"], item["status"], item["tags"]) == (
        url,
        "1",
        "unread",
        ["news"],
    )
    assert item["published"] == "2026-01-01T12:00:00Z"
    assert (item["source_title"], item["enclosures"], item["updated"]) == ("Test feed", [], None)
    assert json.loads(run("sense", "inbox", "--json", "--source", url).stdout) == [item]


def test_an_item_dated_only_by_its_update_has_that_date(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>A</title><id>urn:a</id><updated>2026-01-05T00:00:00Z</updated>"
        b"<entry><id>urn:a:1</id><title>Updated only</title>"
        b"<updated>2026-01-03T08:00:00Z</updated></entry>"
        b"<entry><id>urn:a:2</id><title>Both</title><published>2026-01-01T08:00:00Z</published>"
        b"<updated>2026-01-04T08:00:00Z</updated></entry></feed>"
    )
    run("seek", "add", feed_server.route("/a", atom, content_type="application/atom+xml"))
    items = json.loads(run("sense", "inbox", "--json").stdout)
    assert [(i["title"], i["published"], i["updated"]) for i in items] == [
        ("Updated only", "2026-01-03T08:00:00Z", "2026-01-03T08:00:00Z"),
        ("Both", "2026-01-01T08:00:00Z", "2026-01-04T08:00:00Z"),
    ]


def test_import_export_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("seek", "import", str(DATA / "opml" / "feedly.opml"))
    exported = run("seek", "export").stdout
    before = json.loads(run("seek", "list", "--json").stdout)
    path = tmp_path / "export.opml"
    path.write_text(exported)
    other = tmp_path / "other"
    runner = CliRunner()
    result = runner.invoke(
        app, ["--home", str(other), "seek", "import", str(path)], catch_exceptions=False
    )
    assert result.exit_code == 0
    after = json.loads(runner.invoke(app, ["--home", str(other), "seek", "list", "--json"]).stdout)
    assert sorted((s["url"], s["title"], s["tags"]) for s in after) == sorted(
        (s["url"], s["title"], s["tags"]) for s in before
    )
    assert run("seek", "export").stdout == exported


def test_import_broken_opml_is_one_line(run) -> None:  # type: ignore[no-untyped-def]
    result = run("seek", "import", str(DATA / "opml" / "broken.opml"), code=1)
    assert result.stderr.startswith("pkm: error: not an OPML file")
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("seek", "import", str(DATA / "nope.opml"), code=1)
    assert "cannot read" in result.stderr


def test_remove_several_by_id_or_url_and_unknown(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    a = feed_server.route("/a", rss(("1", "One")))
    b = feed_server.route("/b", rss(("2", "Two")))
    c = feed_server.route("/c", rss(("3", "Three")))
    run("seek", "add", a, b, c, "--tag", "news")
    removed = json.loads(run("seek", "remove", "1", b + "/", "--json").stdout)
    assert [(r["source_url"], r["source_id"], r["items_deleted"]) for r in removed] == [
        (a, 1, 1),
        (b, 2, 1),
    ]
    result = run("seek", "remove", "news", a, "3", code=3)  # a tag is not a source to remove
    assert result.stderr.splitlines() == [
        "pkm: error: no such source: news",
        f"pkm: error: no such source: {a}",
        f"removed {c} (1 items deleted, 0 kept)",
    ]
    assert json.loads(run("seek", "list", "--json").stdout) == []


def test_save_extracts_the_article(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    page = feed_server.serve_file("/article.html", DATA / "pages" / "article.html")
    [saved] = json.loads(run("seek", "save", page, "--tag", "later", "--json").stdout)
    assert saved["created"] and saved["item_id"]
    [item] = json.loads(run("sense", "inbox", "--json").stdout)
    assert item["tags"] == ["later"] and item["title"] and len(item["content_text"]) > 200
    assert "already saved" in run("seek", "save", page).stderr


def test_lock_held_exits_1_without_touching_the_database(run, home: Path) -> None:  # type: ignore[no-untyped-def]
    pkm = open_pkm(home)
    with pkm.lock():
        result = run("seek", code=1)
    assert "another pkm run is in progress" in result.stderr
    assert not (home / "pkm.db").exists()


def test_broken_config_and_unusable_home(run, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home.mkdir(parents=True)
    (home / "pkm.toml").write_text("[seek]\nworkers = 3\n")
    assert "unknown setting" in run("seek", "list", code=1).stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["--home", str(blocker), "seek", "list"])
    assert result.exit_code == 1
    assert result.stderr == f"pkm: error: the home folder is a file, not a folder: {blocker}\n"
    result = CliRunner().invoke(app, ["--home", str(blocker / "home"), "seek", "add", "x.example"])
    assert result.exit_code == 1 and result.stderr.startswith("pkm: error: cannot create the home")


def test_usage_errors_exit_2(run) -> None:  # type: ignore[no-untyped-def]
    assert run("seek", "--bogus", code=2).exit_code == 2
    assert run("seek", "add", code=2).exit_code == 2
    assert (
        "a tag cannot be empty"
        in run("seek", "add", "--tag", " ", "https://a.example/", code=2).stderr
    )


def test_only_takes_an_id_url_or_tag_in_the_run_and_the_list(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    a = feed_server.route("/a", rss(("1", "One")))
    b = feed_server.route("/b", rss(("2", "Two")))
    run("seek", "add", a)
    run("seek", "add", b, "--tag", "news")
    for only, expected in (("1", [1]), (b + "/", [2]), ("news", [2]), ("2", [2])):
        ran = json.loads(run("seek", "--all", "--only", only, "--json").stdout)
        assert [s["source_id"] for s in ran["sources"]] == expected, only
        listed = json.loads(run("seek", "list", "--only", only, "--json").stdout)
        assert [s["id"] for s in listed] == expected, only
    assert "Test feed #news" in run("seek", "list", "--only", "2").stdout


def test_an_unknown_only_is_the_same_error_everywhere(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    run("seek", "add", feed_server.route("/a", rss(("1", "One"))))
    expected = "pkm: error: no such source: 7, nothing\n"
    assert run("seek", "--only", "1", "--only", "7", "--only", "nothing", code=1).stderr == expected
    assert run("seek", "list", "--only", "7", "--only", "nothing", code=1).stderr == expected


def test_list_shows_gone_and_redirected_at_a_glance(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    gone = feed_server.route("/gone", rss(("1", "One")))
    old = feed_server.route("/old", rss(("1", "Two")))
    run("seek", "add", gone, old)
    feed_server.route("/gone", "", status=410)
    new = feed_server.route("/new", rss(("1", "Two")))
    feed_server.redirect("/old", "/new", status=301)
    summary = run("seek", "--all").stderr
    assert f"permanently redirected: {old} -> {new}" in summary
    listed = {s["id"]: s for s in json.loads(run("seek", "list", "--json").stdout)}
    assert listed[1]["health"] == "gone" and listed[1]["next_due_at"]
    assert (listed[2]["health"], listed[2]["url"], listed[2]["previous_url"]) == (
        "redirected",
        new,
        old,
    )
    table = run("seek", "list").stdout
    assert "gone" in table and f"redirected from {old}" in table


def test_quiet_run_still_says_when_a_feed_died(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    run("seek", "add", url)
    feed_server.route("/f", "", status=410)
    result = run("seek", "--all", "--quiet")
    assert (result.stdout, result.stderr) == (
        "",
        f"pkm: {url}: gone (HTTP 410), no longer fetched\n",
    )
    assert run("seek", "--all", "--quiet").stderr == ""  # said once, not on every run


def test_verbose_logs_each_decision_on_stderr(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    run("seek", "add", url, "-q")
    feed_server.route("/f", rss(("1", "One"), ("2", "Two")))
    result = run("-v", "seek", "--all", "--json")
    assert json.loads(result.stdout)["new_items"] == 1
    assert f"INFO pkm.seek.update: {url}: new (HTTP 200, 1 new, 0 updated)" in result.stderr
    assert run("seek", "--all", "-q").stderr == ""


def test_the_inbox_table_shows_a_page_and_json_shows_all(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(*[(str(n), f"Entry {n}") for n in range(60)]))
    run("seek", "add", url, "-q")
    table = run("sense", "inbox")
    assert len(table.stdout.splitlines()) == 51  # the header and one page of 50
    assert table.stderr == "… and 10 more: --limit N shows more, --json lists all\n"
    assert len(json.loads(run("sense", "inbox", "--json").stdout)) == 60
    assert len(json.loads(run("sense", "inbox", "--json", "--limit", "5").stdout)) == 5
    assert run("sense", "inbox", "--limit", "60").stderr == ""


def test_feed_urls_are_read_as_http(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.route("/f", rss(("1", "One")))
    [added] = json.loads(run("seek", "add", url.replace("http://", "feed://"), "--json").stdout)
    assert (added["source_url"], added["created"]) == (url, True)
    [again] = json.loads(run("seek", "add", "feed:" + url, "--json").stdout)
    assert (again["source_url"], again["message"]) == (url, "already subscribed")
    removed = json.loads(run("seek", "remove", url.replace("http://", "feed://"), "--json").stdout)
    assert removed[0]["source_id"] == 1


def test_podcast_enclosures_reach_the_inbox(run, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        b"<channel><title>Pod</title><link>https://pod.example/</link>"
        b'<item><enclosure url="/ep1.mp3" type="audio/MPEG" length="1234"/></item>'
        b"<item><guid>2</guid><title>Two</title>"
        b'<media:content url="https://cdn.example/ep2.mp4" type="video/mp4" fileSize="99"/></item>'
        b"</channel></rss>"
    )
    url = feed_server.route("/pod.xml", body)
    [added] = json.loads(run("seek", "add", url, "--json").stdout)
    assert added["new_items"] == 2  # an entry that is only an enclosure is an entry
    items = {i["guid"]: i for i in json.loads(run("sense", "inbox", "--json").stdout)}
    assert items[feed_server.url("/ep1.mp3")]["enclosures"] == [
        {"url": feed_server.url("/ep1.mp3"), "type": "audio/mpeg", "length": 1234}
    ]
    assert items["2"]["enclosures"] == [
        {"url": "https://cdn.example/ep2.mp4", "type": "video/mp4", "length": 99}
    ]
