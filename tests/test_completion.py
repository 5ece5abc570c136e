"""Shell completion through the protocol the generated scripts speak, in subprocesses of the
installed `pkm` (its name is what the scripts call and what names `_PKM_COMPLETE`), and
the scripts themselves loaded by bash, zsh and fish (zsh and fish when installed)."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PKM = str(Path(sys.executable).parent / "pkm")
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<item><title>One</title><link>https://x.example/{n}</link><guid>{n}</guid>
<description>Text.</description></item></channel></rss>"""


@pytest.fixture
def library(run, home: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Sources 1 (Garden, tagged garden) and 2 (Bees), a highlight tagged soil, and notes
    garden.md, ideas/plan.md, ideas/seeds.md and work/plan.md (two notes named plan)."""
    for n, title in ((1, "Garden"), (2, "Bees")):
        feed = tmp_path / f"feed{n}.xml"
        feed.write_text(FEED.format(title=title, n=n))
        run("seek", "add", str(feed), *(["--tag", "garden"] if n == 1 else []), "-q")
    run("sense", "annotate", "1", "--highlight", "Text", "--tag", "soil", "-q")
    notes = home / "notes"
    for path, title in (
        ("garden.md", "Garden plans"),
        ("ideas/plan.md", "A plan"),
        ("ideas/seeds.md", "Seeds"),
        ("work/plan.md", "Work plan"),
    ):
        (notes / path).parent.mkdir(parents=True, exist_ok=True)
        (notes / path).write_text(f"---\ntitle: {title}\n---\ntext\n")
    run("sense", "notes")
    return home


def complete(shell: str, line: str, *, env: dict[str, str] | None = None) -> list[str]:
    """What `pkm` answers the `shell` script for the command line typed so far (`line`, up
    to the cursor), one completion per line."""
    variables = {**os.environ, **(env or {}), "_PKM_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        words = line.split(" ")
        variables |= {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    else:
        variables["_TYPER_COMPLETE_ARGS"] = line
        if shell == "fish":
            variables["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    done = subprocess.run([PKM], env=variables, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_sources_tags_and_notes(library: Path) -> None:
    home = f"pkm --home {library}"
    urls = [f"file://{library.parent}/feed1.xml", f"file://{library.parent}/feed2.xml"]
    assert complete("bash", f"{home} seek remove ") == urls
    assert complete("bash", f"{home} sense inbox --source 2") == ["2"]
    assert complete("bash", f"{home} seek --only ") == [*urls, "garden", "soil"]
    assert complete("bash", f"{home} seek list --only g") == ["garden"]
    assert complete("bash", f"{home} sense tag 1 --add s") == ["soil"]
    assert complete("bash", f"{home} sense annotations --tag ") == ["garden", "soil"]
    assert complete("bash", f"{home} sense note show ") == [
        "garden",
        "ideas/plan",
        "seeds",
        "work/plan",
    ]
    assert complete("bash", f"{home} sense related wo") == ["work/plan"]
    assert complete("bash", f"{home} sense synthesize --into gar") == ["garden"]
    assert complete("bash", f"{home} share answer 1 --note se") == ["seeds"]
    assert complete("bash", f"{home} share answer 1 --note ideas/") == ["ideas/plan", "ideas/seeds"]


def test_zsh_gets_values_with_their_help(library: Path) -> None:
    assert complete("zsh", f"pkm --home {library} sense note edit g") == [
        """_arguments '*: :(("garden":"Garden plans"))'"""
    ]
    url = f"file\\\\://{library.parent}/feed2.xml"  # zsh's escaped colon
    assert complete("zsh", f"pkm --home {library} sense search x --source 2") == [
        f"""_arguments '*: :(("2":"Bees file\\\\://{library.parent}/feed2.xml"))'"""
    ]
    assert url in complete("zsh", f"pkm --home {library} seek remove f")[1]


def test_fish_gets_values_with_their_help(library: Path) -> None:
    assert complete("fish", f"pkm --home {library} share ask Q --tag so") == ["soil"]
    assert complete("fish", f"pkm --home {library} sense notes --tag ") == ["garden", "soil"]
    assert complete("fish", f"pkm --home {library} sense note show ideas") == ["ideas/plan\tA plan"]


def test_the_home_is_pkm_home_without_home_on_the_line(library: Path) -> None:
    assert complete("bash", "pkm sense inbox --tag g", env={"PKM_HOME": str(library)}) == ["garden"]
    other = library.parent / "other"
    assert (
        complete("bash", f"pkm --home {other} sense inbox --tag g", env={"PKM_HOME": str(library)})
        == []
    )


def test_no_home_or_a_broken_index_completes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert complete("bash", f"pkm --home {missing} seek remove ") == []
    assert not missing.exists()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pkm.db").write_bytes(b"not an index" * 50)
    assert complete("fish", f"pkm --home {broken} sense note show ") == []


def test_a_stale_index_is_not_upgraded_by_a_tab(run, library: Path) -> None:  # type: ignore[no-untyped-def]
    db = sqlite3.connect(library / "pkm.db")
    from pkm.store._db import SCHEMA_VERSION

    db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [SCHEMA_VERSION])
    db.commit()
    db.close()
    before = (library / "pkm.db").read_bytes()
    assert complete("bash", f"pkm --home {library} seek remove ") == []
    assert (library / "pkm.db").read_bytes() == before


def test_commands_and_options_still_complete(library: Path) -> None:
    assert "doctor" in complete("bash", "pkm ")
    assert complete("bash", "pkm doctor --f") == ["--fix"]


def script(shell: str) -> str:
    done = subprocess.run(
        [PKM],
        env={**os.environ, "_PKM_COMPLETE": f"source_{shell}"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_scripts_are_the_ones_show_completion_prints() -> None:
    for shell in ("bash", "zsh", "fish"):
        shown = subprocess.run(
            [PKM, "--show-completion", shell],
            env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
            capture_output=True,
            text=True,
        )
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip() == script(shell).strip()


def shell_run(tmp_path: Path, shell: str, code: str, library: Path) -> str:
    path = tmp_path / f"pkm.{shell}"
    path.write_text(script(shell))
    env = {
        **os.environ,
        "PKM_HOME": str(library),
        "PATH": f"{Path(PKM).parent}:{os.environ['PATH']}",
    }
    done = subprocess.run(
        [shell, "-c", code.replace("SCRIPT", str(path))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bash_loads_the_script_and_completes(tmp_path: Path, library: Path) -> None:
    code = (
        "source SCRIPT; complete -p pkm;"
        ' COMP_WORDS=(pkm sense inbox --tag ""); COMP_CWORD=4; _pkm_completion pkm;'
        ' printf "%s\\n" "${COMPREPLY[@]}"'
    )
    assert shell_run(tmp_path, "bash", code, library).splitlines() == [
        "complete -o default -F _pkm_completion pkm",
        "garden",
        "soil",
    ]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_the_script(tmp_path: Path, library: Path) -> None:
    code = "autoload -Uz compinit; compinit -u -D; source SCRIPT; print -r -- $_comps[pkm]"
    assert shell_run(tmp_path, "zsh", code, library).strip() == "_pkm_completion"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_loads_the_script_and_completes(tmp_path: Path, library: Path) -> None:
    code = 'source SCRIPT; complete -C "pkm sense note show g"; complete -C "pkm seek remove 1"'
    assert shell_run(tmp_path, "fish", code, library).splitlines() == [
        "garden\tGarden plans",
        f"1\tGarden file://{library.parent}/feed1.xml",
    ]
