"""Publishing into a team folder that is a git work tree: commit exactly what was written,
pull --rebase, push, and a failed step named in one line with the files kept."""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pkm.core import Pkm
from pkm.errors import GitError
from pkm.share.period import week_period
from pkm.share.publish import publish_digest
from tests.sensedata import add_annotation, add_item

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

W05 = week_period("2026-W05", __import__("datetime").UTC)
# No identity anywhere (pkm drops GIT_* variables, so an empty HOME it is): pkm's
# fallback must supply one.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1"}


@pytest.fixture(autouse=True)
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-home"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(bare), str(seed)], check=True, capture_output=True)
    (seed / "README").write_text("team folder\n")
    git(seed, "add", "README")
    git(seed, "commit", "-q", "-m", "start")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return bare


def clone(remote: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(where)], check=True, capture_output=True)
    return where


def fill(pkm: Pkm, title: str = "An article") -> int:
    item = add_item(pkm, title, url="https://a.example/1")
    return add_annotation(pkm, item, "a quote")


def env() -> dict[str, str]:
    return dict(os.environ) | GIT_ENV


def publish(pkm: Pkm, folder: Path, author: str = "ann", **kwargs: Any) -> Any:
    return publish_digest(pkm, W05, folder=folder, author=author, env=env(), **kwargs)


def test_publish_commits_exactly_the_files_it_wrote(pkm: Pkm, remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    (work / "notes-of-someone.txt").write_text("not pkm's\n")  # untracked: left alone
    (work / "staged.txt").write_text("staged by hand\n")
    git(work, "add", "staged.txt")
    fill(pkm)
    result = publish(pkm, work / ".")
    assert result.commit
    committed = git(work, "show", "--name-only", "--format=%s%n%an", "HEAD").split("\n")
    assert committed[0] == "pkm share: ann 2026-W05"
    assert committed[1] == "ann"  # the fallback identity: no user.name is configured
    assert sorted(f for f in committed[2:] if f) == sorted(result.changed)
    status = git(work, "status", "--porcelain")
    assert "A  staged.txt" in status and "?? notes-of-someone.txt" in status
    # Nothing changed: no new commit.
    again = publish(pkm, work)
    assert again.changed == () and again.commit is None
    assert git(work, "rev-parse", "HEAD").strip() == result.commit
    # --no-commit writes without committing.
    sql = "UPDATE annotations SET comment = 'new', updated_at = '2026-01-31T00:00:00Z'"
    with pkm.store.transaction():
        pkm.store.db.execute(sql)
    skipped = publish(pkm, work, commit=False)
    assert skipped.changed and skipped.commit is None
    assert git(work, "rev-parse", "HEAD").strip() == result.commit


def test_files_a_killed_publish_left_uncommitted_are_committed_by_the_next(
    pkm: Pkm, remote: Path, tmp_path: Path
) -> None:
    """A publish killed between writing and committing leaves its files on disk (some of
    them staged, if `git add` ran): the next publish finds nothing to write, and commits
    them."""
    work = clone(remote, tmp_path / "work")
    (work / "staged.txt").write_text("staged by hand\n")
    git(work, "add", "staged.txt")
    fill(pkm)
    left = publish(pkm, work, commit=False)  # the files of a run killed before its commit
    git(work, "add", "--", "ann/2026-W05.md")  # killed between `git add` and `git commit`
    again = publish(pkm, work)
    assert again.changed == () and again.commit
    committed = git(work, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == sorted(left.changed)
    status = git(work, "status", "--porcelain").splitlines()
    assert status == ["A  staged.txt", "?? .pkm-publish.lock"]  # staged.txt: still staged


def test_pull_and_push_between_two_clones(pkm: Pkm, remote: Path, tmp_path: Path) -> None:
    from pkm.core import open_pkm

    one = clone(remote, tmp_path / "one")
    two = clone(remote, tmp_path / "two")
    fill(pkm)
    first = publish(pkm, one, push=True)
    assert first.pushed
    other = open_pkm(tmp_path / "home-bob")
    try:
        fill(other, "Bob's article")
        second = publish_digest(
            other, W05, folder=two, author="bob", env=env(), pull=True, push=True
        )
    finally:
        other.close()
    assert second.pulled and second.pushed
    # bob's clone got ann's files by the pull, and the team page lists both.
    index = (two / "index.html").read_text()
    assert "ann/index.html" in index and "bob/index.html" in index
    log = git(remote, "log", "--format=%s", "main")
    assert "pkm share: ann 2026-W05" in log and "pkm share: bob 2026-W05" in log
    tree = git(remote, "ls-tree", "-r", "--name-only", "main")
    assert "ann/shared.atom" in tree and "bob/shared.atom" in tree and "index.html" in tree
    assert ".pkm-publish.lock" not in tree


def test_a_failed_push_is_one_line_and_the_files_stay(run: Any, home: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")  # no remote to push to
    r = run("share", "publish", "--to", str(work), "--week", "2026-W05", "--push", code=1)
    assert r.stderr.startswith("pkm: error: git push failed: ") and r.stderr.count("\n") == 1
    assert (work / "index.html").is_file()
    assert "pkm share:" in git(work, "log", "--format=%s")  # committed before the push failed


def test_a_failed_pull_names_the_step(pkm: Pkm, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    fill(pkm)
    with pytest.raises(GitError, match=r"^git pull failed: "):
        publish(pkm, work, pull=True)


def test_a_folder_outside_git_is_not_committed(pkm: Pkm, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    fill(pkm)
    result = publish(pkm, folder, push=True)
    assert result.commit is None and not result.pushed and result.changed
