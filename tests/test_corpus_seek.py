"""Every real-world feed of ../shared/corpus/feeds, served over HTTP on 127.0.0.1, through the
whole seek path (`seek add`, then `seek --all` twice): no traceback, every failure a one-line
reason, everything that parses stored, and a second fetch all conditional (304).
Run with `pytest -m corpus tests/test_corpus_seek.py`.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pkm.cli import app
from tests.httpserver import FeedServer
from tests.test_corpus_feeds import CORPUS, FEED_FILES

pytestmark = pytest.mark.corpus


def test_every_corpus_feed_ingests_over_http(home: Path) -> None:
    runner = CliRunner()

    def pkm(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    with FeedServer() as server:
        urls = {
            server.serve_file(f"/{n}", CORPUS / path): path for n, path in enumerate(FEED_FILES)
        }
        code, out, err = pkm("seek", "add", "--json", *urls)
        assert code in (0, 3), err
        added = json.loads(out)
        assert len(added) == len(urls)
        failed = {urls[r["input"]]: r["error"] for r in added if r["error"]}
        for path, reason in failed.items():
            assert "\n" not in reason, path
        assert len(failed) <= 12, failed  # the corpus's non-feeds: HTML, empty, invalid JSON...
        subscribed = len(urls) - len(failed)

        code, out, err = pkm("seek", "--all", "--json")
        assert code == 0, err
        summary = json.loads(out)
        assert summary["outcomes"]["unchanged"] == subscribed

        code, out, _ = pkm("sense", "inbox", "--all", "--json")
        items = json.loads(out)
        assert len(items) > 1000
        assert all(item["guid"] for item in items)
