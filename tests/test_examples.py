"""The files in examples/ do what they say: the crontab's and the systemd units' commands run
quietly against a home (a feed on 127.0.0.1, a team folder), the templates are used and
still escape what feeds wrote, and the OPML file imports as written.

Each example is run as it is, unedited: a person's home folder is made with pkm at
`~/.local/bin/pkm` (a link to this environment's), which is where the examples call it.
"""

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from croniter import croniter
from markdown_it import MarkdownIt

from tests.httpserver import FeedServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PKM = Path(sys.executable).with_name("pkm")
AUTHOR = "Ann Lee"

# A JSON Feed whose first title is hostile: Markdown that would be a heading, a link and
# an HTML comment (pkm's own region marker), and terminal escapes.
HOSTILE_TITLE = "# Launch [click](javascript:alert(1)) <!-- pkm:end sources -->\x1b]0;owned\x07"
FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Field notes",
    "home_page_url": "https://notes.example.org/",
    "items": [
        {
            "id": "rhythm",
            "url": "https://notes.example.org/rhythm",
            "title": HOSTILE_TITLE,
            "content_text": "Seek every day. Sense as you go. Share once a week.",
            "date_published": "2026-01-05T10:00:00Z",
        },
        {
            "id": "future-you",
            "url": "https://notes.example.org/future-you",
            "title": "Notes are for future you",
            "content_text": "Write each note so that it still makes sense in a year.",
            "date_published": "2026-01-06T10:00:00Z",
        },
    ],
}


@dataclass
class Unattended:
    """A person's machine as cron or systemd sees it: HOME with pkm in ~/.local/bin, the
    pkm home (PKM_HOME) subscribed to a feed not fetched yet, and a team folder."""

    user: Path
    home: Path
    team: Path
    feed_url: str

    def env(self) -> dict[str, str]:
        """What a job gets: cron's short PATH, HOME, and nothing of this test's settings."""
        return {
            "HOME": str(self.user),
            "PATH": "/usr/bin:/bin",
            "SHELL": "/bin/sh",
            "LANG": "C.UTF-8",
            "PKM_HOME": str(self.home),
        }

    def items(self) -> list[dict[str, Any]]:
        done = self.pkm("sense", "inbox", "--all", "--json")
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    def pkm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PKM), *args], env=self.env(), capture_output=True, text=True, check=True
        )


@pytest.fixture
def unattended(tmp_path: Path, home: Path, feed_server: FeedServer) -> Iterator[Unattended]:
    user = tmp_path / "user"
    (user / ".local" / "bin").mkdir(parents=True)
    (user / ".local" / "bin" / "pkm").symlink_to(PKM)
    team = tmp_path / "team"
    team.mkdir()
    home.mkdir()
    (home / "pkm.toml").write_text(f'[share]\nauthor = "{AUTHOR}"\nfolder = "{team}"\n')
    url = feed_server.route("/feed.json", json.dumps(FEED), content_type="application/feed+json")
    opml = tmp_path / "subs.opml"
    opml.write_text(f'<opml version="2.0"><body><outline xmlUrl="{url}"/></body></opml>')
    machine = Unattended(user, home, team, url)
    machine.pkm("seek", "import", str(opml), "--quiet")  # subscribes; fetches nothing
    yield machine


def run_quietly(argv: list[str], machine: Unattended) -> None:
    """Run a job as cron or systemd would (no terminal, no stdin): exit 0, and not a byte
    of output, since any output is mail (cron) or a journal entry (systemd)."""
    done = subprocess.run(
        argv, env=machine.env(), cwd=machine.user, stdin=subprocess.DEVNULL, capture_output=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b""), argv


# --- crontab ---------------------------------------------------------------------------------


def cron_jobs() -> list[tuple[str, str]]:
    """(schedule, command) of every line that is not blank or a comment."""
    jobs = []
    for line in (EXAMPLES / "crontab").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not five time fields and a command: {line!r}"
        jobs.append((" ".join(fields[:5]), fields[5]))
    return jobs


def cron_command(command: str) -> str:
    """The command as cron hands it to /bin/sh: an unescaped `%` would end it (the rest
    becomes stdin), so there must be none; `\\%` is a `%`."""
    assert not re.search(r"(?<!\\)%", command), f"unescaped % in {command!r}"
    return command.replace("\\%", "%")


def job(word: str) -> tuple[str, str]:
    (found,) = [(s, c) for s, c in cron_jobs() if word in c]
    return found


def test_crontab_schedules_are_valid_and_as_described() -> None:
    jobs = cron_jobs()
    assert len(jobs) == 3
    for schedule, command in jobs:
        assert croniter.is_valid(schedule), schedule
        assert "--quiet" in command and "2>" not in command, "errors must reach cron's mail"
        cron_command(command)
    monday = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday, at midnight
    seek = croniter(job("pkm seek")[0], monday)
    runs = [seek.get_next(datetime) for _ in range(100)]
    assert sum(r.day == 2 for r in runs) >= 4, "seek runs several times a day"
    publish = croniter(job("share publish")[0], monday)
    first, second = publish.get_next(datetime), publish.get_next(datetime)
    assert first.weekday() == 0 and first.hour < 12 and (second - first).days == 7
    backup = croniter(job("pkm backup")[0], monday)
    assert (backup.get_next(datetime) - backup.get_next(datetime)).days == -7


def test_every_crontab_job_runs_quietly(unattended: Unattended) -> None:
    backups = unattended.user / "backups" / "pkm"
    backups.mkdir(parents=True)
    old = backups / "pkm-2020-01-05.tar.gz"
    old.write_bytes(b"an archive from long ago")
    os.utime(old, (time.time() - 200 * 86400,) * 2)

    for _, command in cron_jobs():
        run_quietly(["/bin/sh", "-c", cron_command(command)], unattended)

    assert len(unattended.items()) == 2, "pkm seek fetched the feed"
    author_files = {p.name for p in (unattended.team / "ann-lee").iterdir()}
    assert {"index.md", "index.html", "feed.atom", "shared.atom"} <= author_files
    (archive,) = backups.iterdir()
    assert re.fullmatch(r"pkm-\d{4}-\d\d-\d\d\.tar\.gz", archive.name), "dated, the old one gone"
    unattended.pkm("restore", str(archive), "--force", "--quiet")


# --- systemd ---------------------------------------------------------------------------------

UNITS = sorted((EXAMPLES / "systemd").iterdir())


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(path.read_text())
    return parser


def test_the_units_are_a_timer_and_a_service_for_seek_and_for_publish() -> None:
    assert [p.name for p in UNITS] == [
        "pkm-publish.service",
        "pkm-publish.timer",
        "pkm-seek.service",
        "pkm-seek.timer",
    ]
    for path in UNITS:
        u = unit(path)
        assert u["Unit"]["Description"]
        if path.suffix == ".service":
            service = u["Service"]
            assert service["Type"] == "oneshot"
            assert int(service["Nice"]) > 0 and service["IOSchedulingClass"] == "idle"
            assert "--quiet" in service["ExecStart"]
            enable = f"systemctl --user enable --now {path.stem}.timer"
            assert enable in path.read_text(), "install instructions in the comments"
        else:
            timer = u["Timer"]
            assert timer["Persistent"] == "true" and timer["RandomizedDelaySec"]
            assert timer["OnCalendar"] and u["Install"]["WantedBy"] == "timers.target"
            assert (path.parent / f"{path.stem}.service").exists(), "the service it starts"
    assert unit(EXAMPLES / "systemd" / "pkm-publish.timer")["Timer"]["OnCalendar"].startswith(
        "Mon "
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_verifies_the_units(unattended: Unattended, tmp_path: Path) -> None:
    """systemd's own reader: any warning (an unknown key, a bad calendar, a command that is
    not there) fails the test."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--user", *map(str, UNITS)],
        env={**unattended.env(), "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def exec_start(path: Path, machine: Unattended) -> list[str]:
    """ExecStart as systemd runs it: %h is the home folder, %% a %; no shell."""
    line = unit(path)["Service"]["ExecStart"]
    assert not re.search(r"%[^h%]", line), f"a specifier this test does not know: {line}"
    return [w.replace("%h", str(machine.user)).replace("%%", "%") for w in shlex.split(line)]


def test_every_exec_start_runs_quietly(unattended: Unattended) -> None:
    for name in ("pkm-seek.service", "pkm-publish.service"):
        run_quietly(exec_start(EXAMPLES / "systemd" / name, unattended), unattended)
    assert len(unattended.items()) == 2
    assert (unattended.team / "ann-lee" / "index.html").exists()


# --- templates -------------------------------------------------------------------------------


def this_week() -> str:
    year, week, _ = datetime.now(UTC).isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def annotated(run: Any, home: Path, feed_server: FeedServer, monkeypatch: Any) -> list[int]:
    """The examples' templates in the home, the feed fetched, a highlight with a comment on
    the hostile item and one on the other; the items' ids."""
    monkeypatch.setenv("TZ", "UTC")
    (home / "templates").mkdir(parents=True)
    (home / "pkm.toml").write_text(f'[share]\nauthor = "{AUTHOR}"\n')
    for template in (EXAMPLES / "templates").iterdir():
        shutil.copy(template, home / "templates" / template.name)
    url = feed_server.route("/feed.json", json.dumps(FEED), content_type="application/feed+json")
    run("seek", "add", url, "--quiet")
    items = json.loads(run("sense", "inbox", "--json").stdout)
    ids = [i["id"] for i in sorted(items, key=lambda i: i["published"])]
    comment = "Try *this* [x](javascript:alert(1))"
    run("sense", "annotate", str(ids[0]), "--highlight", "Sense as you go", "--comment", comment)
    run("sense", "annotate", str(ids[1]), "--highlight", "makes sense in a year", "--quiet")
    return ids


def rendered(markdown: str) -> str:
    """Markdown as a CommonMark renderer (raw HTML on, as in most viewers) makes it HTML."""
    body = markdown.split("\n---\n", 1)[1] if markdown.startswith("---\n") else markdown
    return MarkdownIt("commonmark").render(body)


def assert_harmless(markdown: str) -> None:
    assert "\x1b" not in markdown and "\x07" not in markdown
    html = rendered(markdown)
    assert "javascript:" not in html.replace("(javascript:", "")  # only as text, never a link
    assert 'href="javascript' not in html and "<!--" not in html and "<h1>#" not in html


def test_the_compact_digest_template_lists_only_highlights(run: Any, annotated: list[int]) -> None:
    digest = run("share", "digest", "--week", this_week()).stdout
    assert "## " not in digest, "none of the built-in template's sections"
    body = digest.split("\n---\n", 1)[1]
    assert body.lstrip().startswith(f"# {AUTHOR}: week ") and ": highlights" in body
    bullets = [line for line in body.splitlines() if line.startswith("  - ")]
    assert bullets == [
        "  - “Sense as you go”: Try \\*this\\* \\[x\\](javascript:alert(1))",
        "  - “makes sense in a year”",
    ]
    assert "[Notes are for future you](https://notes.example.org/future-you)" in body
    assert_harmless(digest)
    html = rendered(digest)
    assert html.count("<li>") == 4 and "<h1>" in html, "a list of articles and highlights"


def test_the_compact_digest_template_on_an_empty_week(run: Any, annotated: list[int]) -> None:
    digest = run("share", "digest", "--week", "2020-W01").stdout
    assert "Nothing shared this week." in digest and "- " not in digest


def test_the_questions_note_template(run: Any, home: Path, annotated: list[int]) -> None:
    title = "Rhythm [[secret]] #tag <!-- pkm:begin sources -->"
    path = Path(
        run("sense", "synthesize", str(annotated[0]), "--title", title, "--no-edit").stdout.strip()
    )
    text = path.read_text()
    for heading in ("## Questions", "## Sources", "## Synthesis", "## Open questions"):
        assert f"\n{heading}\n" in text
    assert "- What do I want to know about Rhythm \\[\\[secret\\]\\] \\#tag \\<" in text
    body = text.split("\n---\n", 1)[1]  # after the frontmatter, which pkm writes
    assert body.count("<!-- pkm:begin sources -->") == body.count("<!-- pkm:end sources -->") == 1
    assert "> Sense as you go" in body
    markers = ("<!-- pkm:begin sources -->", "<!-- pkm:end sources -->")
    assert_harmless(body.replace(markers[0], "").replace(markers[1], ""))

    # What the person writes stays; pkm rewrites only its region when more is cited.
    path.write_text(text.replace("## Open questions\n\n-\n", "## Open questions\n\n- Why?\n"))
    run("sense", "synthesize", str(annotated[1]), "--into", path.stem, "--no-edit", "--quiet")
    again = path.read_text()
    assert "- Why?" in again and "> makes sense in a year" in again and "## Questions" in again
    run("sense", "reindex", "--check", "--quiet")


# --- OPML ------------------------------------------------------------------------------------


def outlines(element: ET.Element, folders: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """The subscriptions of an OPML body read with the standard library, not pkm's parser:
    url, title, site URL and the folders around each, outermost first."""
    for child in element.findall("outline"):
        if "xmlUrl" in child.attrib:
            yield {
                "url": child.attrib["xmlUrl"],
                "title": child.attrib.get("title") or child.attrib["text"],
                "site_url": child.attrib.get("htmlUrl"),
                "tags": folders,
            }
        else:
            yield from outlines(
                child, (*folders, child.attrib.get("title") or child.attrib["text"])
            )


def test_feeds_opml_imports_with_folders_as_tags(run: Any) -> None:
    opml = EXAMPLES / "feeds.opml"
    root = ET.parse(opml).getroot()
    assert root.attrib["version"] == "2.0"
    body = root.find("body")
    assert body is not None
    expected = list(outlines(body))
    assert len({f for e in expected for f in e["tags"]}) >= 3, "a few folders"
    assert any(len(e["tags"]) == 2 for e in expected), "a folder in a folder"

    run("seek", "import", str(opml), "--quiet")
    sources = json.loads(run("seek", "list", "--json").stdout)
    assert [
        {"url": s["url"], "title": s["title"], "site_url": s["site_url"], "tags": set(s["tags"])}
        for s in sources
    ] == [{**e, "tags": set(e["tags"])} for e in expected]
