import pytest

from pkm._util.urls import is_http_url, url_key


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://example.com/post/", "http://example.com/post"),
        ("https://Example.COM/post#comments", "https://example.com/post"),
        ("https://example.com/post?utm_source=rss&utm_medium=feed", "https://example.com/post"),
        ("https://example.com/p?id=3&fbclid=x&gclid=y", "https://example.com/p?id=3"),
        ("https://example.com:443/p?b=2&a=1", "https://example.com/p?a=1&b=2"),
    ],
)
def test_same_article_same_key(a: str, b: str) -> None:
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://example.com/p?id=3", "https://example.com/p?id=4"),
        ("https://example.com:8080/p", "https://example.com/p"),
        ("https://example.com/a", "https://example.org/a"),
    ],
)
def test_different_articles_different_keys(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


def test_is_http_url() -> None:
    assert is_http_url("https://example.com/feed")
    assert not is_http_url("file:///etc/passwd")
    assert not is_http_url("/tmp/feed.xml")
    assert not is_http_url("http://")
