"""git for a team folder that is a work tree: find it, pull, commit exactly the files
pkm wrote, push. Runs the `git` program (no library), with a clean environment.

The environment is the caller's minus every `GIT_*` variable (a publish run from a git
hook must not commit into the hook's repository), with prompts off (cron has no
terminal: a push that needs a password fails instead of hanging) and messages in English.
Each failure is a GitError naming the step; nothing here undoes what was written.
"""

import logging
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pkm.errors import GitError

log = logging.getLogger("pkm.share.git")

GIT_TIMEOUT = 120.0  # seconds for one git command (a push over a slow network included)


def clean_env(env: Mapping[str, str]) -> dict[str, str]:
    cleaned = {k: v for k, v in env.items() if not k.startswith("GIT_")}
    cleaned.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
    return cleaned


@dataclass(frozen=True)
class WorkTree:
    """A git work tree holding the team folder."""

    root: Path
    env: Mapping[str, str]

    def run(self, step: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["git", *args]
        log.info("git %s", " ".join(args))
        try:
            done = subprocess.run(
                command,
                cwd=self.root,
                env=dict(self.env),
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitError(step, "the git program is not installed") from None
        except subprocess.TimeoutExpired:
            raise GitError(step, f"no answer in {GIT_TIMEOUT:.0f} s") from None
        if check and done.returncode != 0:
            raise GitError(
                step, _last_line(done.stderr or done.stdout) or f"exit {done.returncode}"
            )
        return done

    def identity_options(self, author: str) -> list[str]:
        """`-c user.name=... -c user.email=...` when git has no identity configured, so a
        first commit on a fresh machine does not fail; the person's own identity wins."""
        options = []
        for key, fallback in (("user.name", author), ("user.email", f"{author}@pkm.invalid")):
            if self.run("config", "config", "--get", key, check=False).returncode != 0:
                options += ["-c", f"{key}={fallback}"]
        return options

    def pull(self) -> None:
        self.run("pull", "pull", "--rebase", "--autostash")

    def commit(self, paths: Sequence[Path], message: str, author: str) -> str | None:
        """Commit exactly `paths` (never `git add -A`); other staged changes stay staged and
        out of the commit. Returns the commit's hash, or None when nothing differed."""
        if not paths:
            return None
        root = self.root.resolve()
        names = [str(p.resolve().relative_to(root)) for p in paths]
        self.run("add", "add", "--", *names)
        staged = self.run("diff", "diff", "--cached", "--quiet", "--", *names, check=False)
        if staged.returncode == 0:
            return None
        self.run(
            "commit",
            *self.identity_options(author),
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            message,
            "--only",
            "--",
            *names,
        )
        return self.run("rev-parse", "rev-parse", "HEAD").stdout.strip()

    def push(self) -> None:
        self.run("push", "push", "--quiet")


def find_work_tree(folder: Path, env: Mapping[str, str]) -> WorkTree | None:
    """The work tree `folder` is in, or None (not in one, or git is not installed)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder,
            env=clean_env(env),
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (FileNotFoundError, NotADirectoryError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return WorkTree(Path(done.stdout.strip()), clean_env(env))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # git's most telling line is usually its `fatal:`/`error:` one, else the last.
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else ""
