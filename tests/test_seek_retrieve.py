"""pkm.seek.retrieve: what retrieval hands to the decision, for HTTP and files."""

from pathlib import Path

from pkm.seek.http import HttpRequest, HttpResponse
from pkm.seek.retrieve import Fetched, read_file_source


def response(url: str, permanent: str | None = None, error: str | None = None) -> HttpResponse:
    return HttpResponse(
        request=HttpRequest(url="https://feed.example/f"),
        url=url,
        status=None if error else 200,
        headers={},
        body=None if error else b"<rss/>",
        redirects=(),
        permanent_url=permanent,
        error=error,
        elapsed=0.1,
    )


def test_a_url_with_control_characters_never_gets_through() -> None:
    bad = "https://feed.example/\x1b]0;OWNED\x07"
    for r in (response(bad), response(bad, permanent=bad)):
        fetched = Fetched.from_http(r)
        assert fetched.url == "https://feed.example/f" and fetched.permanent_url is None
        assert fetched.error == "redirect location has control characters"


def test_a_network_reason_is_one_printable_line() -> None:
    fetched = Fetched.from_http(response("https://feed.example/f", error="bad\x1b[2J\nheader"))
    assert fetched.error == "bad[2J header"


def test_a_missing_file_is_a_reason(tmp_path: Path) -> None:
    fetched = read_file_source((tmp_path / "gone.xml").as_uri())
    assert (fetched.status, fetched.error) == (None, "cannot read file: No such file or directory")
