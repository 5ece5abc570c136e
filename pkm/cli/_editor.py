"""The person's editor: which one, opening a note or a template in it, and the annotation
templates read back (pure functions, so they are tested without an editor)."""

import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pkm.errors import PkmError


class EditorError(PkmError):
    """The editor could not be started, or failed."""


def on_terminal() -> bool:
    """Whether a person is at the keyboard: stdin and stdout are both a terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def editor_command(configured: str) -> list[str]:
    """`[sense] editor`, else $VISUAL, else $EDITOR, else vi; split as a shell would
    (`code --wait` is a command and an option)."""
    for value in (configured, os.environ.get("VISUAL", ""), os.environ.get("EDITOR", "")):
        if value.strip():
            return shlex.split(value)
    return ["vi"]


def edit_file(path: Path, configured_editor: str) -> None:
    """Open `path` in the editor and wait for it to close.

    Raises:
        EditorError: the editor is missing or exited with an error.
    """
    command = editor_command(configured_editor)
    try:
        done = subprocess.run([*command, str(path)], check=False)
    except OSError as e:
        raise EditorError(f"cannot start the editor {command[0]}: {e.strerror}") from None
    if done.returncode != 0:
        raise EditorError(f"the editor {command[0]} exited with status {done.returncode}")


def edit_text(text: str, configured_editor: str) -> str:
    """Open `text` in the editor and return what was saved.

    Raises:
        EditorError: the editor is missing or exited with an error.
    """
    fd, name = tempfile.mkstemp(prefix="pkm-annotation-", suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            edit_file(path, configured_editor)
        except EditorError as e:
            raise EditorError(f"{e}; nothing saved") from None
        return path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Draft:
    """What a person wrote in the annotate template."""

    highlight: str = ""
    comment: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.highlight.strip() or self.comment.strip() or self.tags)


_SECTIONS = ("highlight", "comment", "tags")
_SECTION_RE = re.compile(r"^(highlight|comment|tags):[ \t]*(.*)$", re.IGNORECASE)


def annotate_template(item_id: int, title: str) -> str:
    return (
        f"# Annotate item {item_id}: {title}\n"
        "# Under highlight: paste the passage to highlight (leave it empty to comment on the\n"
        "# whole item); under comment: what you think; under tags: tags, separated by commas.\n"
        "# Lines starting with # are ignored. Leave every section empty to cancel.\n"
        "\nhighlight:\n\n\ncomment:\n\n\ntags:\n"
    )


def parse_annotate_template(text: str) -> Draft:
    """The sections of a filled-in `annotate_template`; text before the first is ignored."""
    parts: dict[str, list[str]] = {name: [] for name in _SECTIONS}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        header = _SECTION_RE.match(line)
        if header:
            current = parts[header.group(1).lower()]
            if header.group(2).strip():
                current.append(header.group(2))
        elif current is not None:
            current.append(line)
    tags = [t.strip() for t in ",".join(parts["tags"]).replace("\n", ",").split(",")]
    return Draft(
        highlight="\n".join(parts["highlight"]).strip(),
        comment="\n".join(parts["comment"]).strip(),
        tags=[t for t in tags if t],
    )


def comment_template(annotation_id: int, comment: str, quote: str | None) -> str:
    about = f'on "{" ".join(quote.split())[:60]}"' if quote else "on the whole item"
    return (
        f"{comment}\n"
        f"# The comment of annotation {annotation_id} ({about}).\n"
        "# Lines starting with # are ignored; an empty comment clears it.\n"
    )


def parse_comment_template(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()
