"""Asking the team, end to end with two homes and one team folder: Ana asks, Ben's pkm
brings the question in, Ben answers with an item of his, Ana's pkm brings the answer in
under her question."""

from pathlib import Path

from tests.homes import as_json, cli
from tests.httpserver import FeedServer

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Ben's reading</title>
<link>https://b.example/</link><item><title>The weekly review, step by step</title>
<link>https://b.example/weekly-review</link><guid>wr</guid>
<description>A weekly review empties the inbox, rereads the highlights of the week and
writes one paragraph on what changed.</description></item>
<item><title>Sourdough</title><link>https://b.example/bread</link><guid>sd</guid>
<description>Flour, water and time.</description></item></channel></rss>"""


def test_ask_answer_and_the_answer_comes_back(tmp_path: Path, feed_server: FeedServer) -> None:
    team = tmp_path / "team"
    team.mkdir()
    ana, ben = tmp_path / "ana", tmp_path / "ben"
    for home, name in ((ana, "Ana"), (ben, "Ben")):
        home.mkdir()
        (home / "pkm.toml").write_text(f'[share]\nauthor = "{name}"\nfolder = "{team}"\n')
    asked = as_json(ana, "share", "ask", "How do you run a weekly review?", "-t", "review")
    assert asked["question"]["text"] == "How do you run a weekly review?"
    assert "question" in (team / "ana" / "shared.atom").read_text()

    cli(ben, "seek", "add", feed_server.route("/ben.xml", RSS))
    cli(ben, "seek", "add", str(team))  # follows Ana
    [question] = [i for i in as_json(ben, "sense", "inbox") if i["kind"] == "question"]
    assert question["title"] == "How do you run a weekly review?"
    assert question["author"] == "Ana"
    assert "question: How do you run a weekly review?" in cli(ben, "sense", "inbox").stdout
    related = as_json(ben, "sense", "related", str(question["id"]))
    [review] = [h for h in related["similar"] if h["title"].startswith("The weekly review")]
    cli(ben, "share", "answer", str(question["id"]), "--item", str(review["id"]),
        "--comment", "This is how I do it.", "--quiet")  # fmt: skip
    shared = (team / "ben" / "shared.atom").read_text()
    assert "pkm:answers" in shared and "https://b.example/weekly-review" in shared

    cli(ana, "seek", "add", str(team))  # follows Ben
    [mine] = as_json(ana, "share", "questions")
    [answer] = mine["answers"]
    assert answer["author"] == "Ben" and answer["kind"] == "answer"
    assert "This is how I do it." in answer["content_text"]
    assert answer["answers"] == mine["ref"]
    listed = cli(ana, "share", "questions").stdout
    assert "How do you run a weekly review?" in listed and "from Ben" in listed


def test_answering_something_that_is_not_a_question_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    team = tmp_path / "team"
    team.mkdir()
    (home / "pkm.toml").write_text(f'[share]\nfolder = "{team}"\n')
    assert "no such item: 5" in cli(home, "share", "answer", "5", "--comment", "x", code=3).stderr
    assert "the question is empty" in cli(home, "share", "ask", "  ", code=1).stderr
