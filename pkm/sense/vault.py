"""The vault's Markdown files: finding them, reading them, and editing only what pkm owns.

Owns the file formats (YAML frontmatter as Obsidian shows it as properties, `[[wikilinks]]`
resolved the way Obsidian resolves them, pkm's marked regions) and the file writes of
Sense. Contains no SQL and no policy about what a note says: `pkm.sense.notes` decides
that. Everything here but `walk_vault`, `read_note_file` and the writers is a pure
function of text.

pkm writes only files it created and, in any note, only its own regions (between
`<!-- pkm:begin NAME -->` and `<!-- pkm:end NAME -->`, which Obsidian's reading view hides)
and the frontmatter keys it owns. Every other byte of the file is kept as it was: edits
are made on the text, never by re-serialising the person's YAML.
"""

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from pkm._util.fsutil import atomic_write_text, is_disk_full, remove_stale_temp_files
from pkm._util.text import strip_controls
from pkm.errors import DiskFullError, NoteError
from pkm.models import NoteRecord, NoteSource, NoteStat, WikiLink

NOTE_SUFFIX = ".md"
# Folders never indexed: Obsidian's settings and trash, and every other dot-folder (.git).
SKIPPED_FOLDERS = frozenset({".obsidian", ".trash"})


# --- the stat walk -------------------------------------------------------------------------------


def walk_vault(vault: Path) -> dict[str, tuple[int, int]]:
    """Every note of the vault by path (relative, `/`-separated), with its size and mtime
    in nanoseconds: plain tuples, so that a vault that has not changed is told by one
    comparison of two dicts (see `sync_notes`).

    `os.scandir` with one `stat` per file and no reading: on a vault that has not changed,
    this and one query are the whole cost of keeping the index current. Dot-folders and
    dot-files are skipped, symlinked folders are not followed (no loops, no notes counted
    twice); a vault that does not exist is empty.
    """
    found: dict[str, tuple[int, int]] = {}
    stack: list[tuple[str, str]] = [(os.fspath(vault), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{prefix}{name}/"))
                elif name.endswith(NOTE_SUFFIX) and entry.is_file():
                    st = entry.stat()
                    found[prefix + name] = (st.st_size, st.st_mtime_ns)
            except OSError:  # vanished, or a broken symlink
                continue
    return found


def note_name(path: str) -> str:
    """The name wikilinks use: the file name without `.md`."""
    return path.rsplit("/", 1)[-1][: -len(NOTE_SUFFIX)]


def hash_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# --- reading a note (pure) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Frontmatter:
    """Where a note's frontmatter block is: `text[start:end]` is the YAML between the `---`
    lines, `body_start` is where the text after the closing line begins. No block: all 0."""

    start: int = 0
    end: int = 0
    body_start: int = 0

    @property
    def present(self) -> bool:
        return self.body_start > 0


_OPEN_RE = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")
_CLOSE_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


def find_frontmatter(text: str) -> Frontmatter:
    """The YAML block that opens the note: a first line `---`, up to the next `---` (or
    `...`) line, as python-frontmatter and Obsidian read it. An unclosed block is text."""
    opening = _OPEN_RE.match(text)
    if opening is None:
        return Frontmatter()
    closing = _CLOSE_RE.search(text, opening.end())
    if closing is None:
        return Frontmatter()
    return Frontmatter(opening.end(), closing.start(), closing.end())


class FrontmatterError(ValueError):
    """The frontmatter is not YAML, or not a mapping."""


def load_yaml(text: str) -> dict[str, Any]:
    """A frontmatter block as a mapping (PyYAML's C loader when built, as python-frontmatter
    uses it); FrontmatterError when it is not valid YAML or not a mapping."""
    import yaml
    from frontmatter.default_handlers import SafeLoader

    try:
        value = yaml.load(text, Loader=SafeLoader)  # a safe loader
    except yaml.YAMLError as e:
        raise FrontmatterError(" ".join(str(e).split())) from None
    except (ValueError, OverflowError) as e:  # a value YAML reads but Python cannot hold
        raise FrontmatterError(f"a value cannot be read: {e}") from None  # (2026-01-32)
    except RecursionError:
        raise FrontmatterError("nested too deeply") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FrontmatterError(f"not a mapping of keys but a {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def dump_yaml(values: Mapping[str, Any]) -> str:
    """YAML for frontmatter keys, in the given order, block style, unicode as it is."""
    import yaml
    from frontmatter.default_handlers import SafeDumper

    if not values:
        return ""
    text: str = yaml.dump(
        dict(values),
        Dumper=SafeDumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        width=1_000_000,  # one line per value: a long title is not folded
    )
    return text


# Code is not scanned for links or tags: `[[x]]` in a code block is text, as in Obsidian.
_CODE_RE = re.compile(
    r"^(`{3,}|~{3,})[^\n]*\n.*?(?:^\1[ \t]*$|\Z)|`[^`\n]+`", re.MULTILINE | re.DOTALL
)
# Both patterns start with a literal, which `re` scans for quickly (an embed's `!` is not
# needed: an embed links the same way).
_WIKILINK_RE = re.compile(r"\[\[([^\[\]|#\n]*)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]*))?\]\]")
_TAG_RE = re.compile(r"#(?<![\w/&#\\]#)([\w/-]*[^\W\d][\w/-]*)")
_HEADING_RE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# An Obsidian comment (%% ... %%) and an HTML comment (pkm's markers) hold no links or tags.
# pkm's region markers: kept out of the text a note is searched by.
_MARKER_LINE_RE = re.compile(r"^<!-- pkm:(?:begin|end) [^>]*-->\n?", re.MULTILINE)
_COMMENT_RE = re.compile(r"%%.*?%%|<!--.*?-->", re.DOTALL)


def _masked(text: str) -> str:
    """`text` with code and comments blanked out, keeping every offset where it was."""

    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    # Most notes have neither code nor comments: then there is nothing to blank.
    if "`" in text or "~~~" in text:
        text = _CODE_RE.sub(blank, text)
    if "%%" in text or "<!--" in text:
        text = _COMMENT_RE.sub(blank, text)
    return text


def parse_links(text: str, offset: int = 0, *, masked: str | None = None) -> tuple[WikiLink, ...]:
    """The wikilinks (and embeds) of a note's body, in order; `offset` is added to positions.
    `masked` is the body with code and comments blanked, when the caller has it already."""
    if "[[" not in text:
        return ()
    links = []
    for m in _WIKILINK_RE.finditer(_masked(text) if masked is None else masked):
        target, heading, alias = m.group(1), m.group(2), m.group(3)
        target = target.strip()
        if target.lower().endswith(NOTE_SUFFIX):
            target = target[: -len(NOTE_SUFFIX)]
        if not target and heading is None:
            continue
        links.append(
            WikiLink(
                target=target,
                heading=heading.strip() if heading is not None else None,
                alias=alias.strip() if alias is not None else None,
                position=offset + m.start(),
            )
        )
    return tuple(links)


def parse_note(stat: NoteStat, data: bytes) -> NoteRecord:
    """What the index keeps of one file: pure, from its bytes.

    A file whose frontmatter cannot be read (not UTF-8, not YAML, not a mapping) is still a
    note, with its name as title and `error` saying why, so that listings show it and pkm
    never rewrites it.
    """
    name = note_name(stat.path)
    digest = hash_bytes(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return NoteRecord(
            stat.path, name, name, stat.size, stat.mtime_ns, digest, error=f"not UTF-8: {e.reason}"
        )
    fm = find_frontmatter(text)
    body = text[fm.body_start :]
    meta: dict[str, Any] = {}
    error = None
    if fm.present:
        try:
            meta = load_yaml(text[fm.start : fm.end])
        except FrontmatterError as e:
            error = f"broken frontmatter: {e}"
    masked = _masked(body)
    links = parse_links(body, fm.body_start, masked=masked)
    title = _text(meta.get("title"))
    if not title:
        heading = _HEADING_RE.search(masked)
        title = heading.group(1).strip() if heading else name
    tags = dict.fromkeys(
        [*tag_list(meta.get("tags", meta.get("tag"))), *inline_tags(body, masked=masked)]
    )
    return NoteRecord(
        path=stat.path,
        name=name,
        size=stat.size,
        mtime_ns=stat.mtime_ns,
        title=strip_controls(title),
        content_hash=digest,
        tags=tuple(tags),
        aliases=tuple(_strings(meta.get("aliases", meta.get("alias")))),
        created=_when(meta.get("created")),
        updated=_when(meta.get("updated")),
        error=error,
        body=_MARKER_LINE_RE.sub("", body) if "<!-- pkm:" in body else body,
        links=links,
        sources=parse_sources(meta.get("sources")),
    )


def inline_tags(body: str, *, masked: str | None = None) -> list[str]:
    """`#tags` in the text, as Obsidian finds them (not in code, not a `#` heading, not all
    digits)."""
    if "#" not in body:
        return []
    return [m.group(1) for m in _TAG_RE.finditer(_masked(body) if masked is None else masked)]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, int | float | date) and not isinstance(value, bool):
        return str(value)
    return ""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [t for t in (_text(v) for v in value) if t]


def tag_list(value: Any) -> list[str]:
    """Tags as Obsidian accepts them: a list, or one string of tags separated by commas or
    spaces; a leading `#` is not part of the tag."""
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    return [t.lstrip("#") for t in _strings(value) if t.lstrip("#")]


def _when(value: Any) -> datetime | None:
    """A frontmatter date: YAML gives a datetime or a date for an unquoted one, a string for
    a quoted one; a naive time is taken as UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def parse_sources(value: Any) -> tuple[NoteSource, ...]:
    """The `sources` frontmatter: entries with `item_id` (pkm wrote them), or a URL alone
    (a person wrote them; a plain string is a URL). Anything else in the list is ignored."""
    if not isinstance(value, list):
        return ()
    sources = []
    for entry in value:
        if isinstance(entry, str) and entry.strip():
            sources.append(NoteSource(url=entry.strip()))
            continue
        if not isinstance(entry, dict):
            continue
        raw_id = entry.get("item_id")
        item_id = None
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            item_id = raw_id
        elif isinstance(raw_id, str) and raw_id.strip().isdigit():
            item_id = int(raw_id)
        url = _text(entry.get("url")) or None
        if item_id is None and url is None:
            continue
        sources.append(
            NoteSource(
                item_id=item_id,
                url=url,
                title=_text(entry.get("title")) or None,
                source_url=_text(entry.get("source_url")) or None,
            )
        )
    return tuple(sources)


# --- resolving wikilinks -------------------------------------------------------------------------


class LinkResolver:
    """Finds the note a wikilink points to, as Obsidian does: by file name without case,
    or by a vault path (`folder/name`, matched from the end). Among notes of the same name,
    the one in the linking note's folder wins, then the one with the shortest path."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._by_name: dict[str, list[str]] = {}
        self._by_stem: dict[str, str] = {}
        for path in paths:
            stem = path[: -len(NOTE_SUFFIX)].casefold()
            self._by_stem[stem] = path
            self._by_name.setdefault(note_name(path).casefold(), []).append(path)
        for candidates in self._by_name.values():
            candidates.sort(key=lambda p: (p.count("/"), len(p), p))

    def resolve(self, target: str, from_path: str = "") -> str | None:
        key = target.strip().strip("/").casefold()
        if key.endswith(NOTE_SUFFIX):
            key = key[: -len(NOTE_SUFFIX)]
        if not key:
            return from_path or None
        if "/" in key:
            if key in self._by_stem:
                return self._by_stem[key]
            candidates = self._by_name.get(key.rsplit("/", 1)[1], [])
            matches = [
                p for p in candidates if p[: -len(NOTE_SUFFIX)].casefold().endswith("/" + key)
            ]
            return matches[0] if matches else None
        candidates = self._by_name.get(key, [])
        if not candidates:
            return None
        folder = from_path.rsplit("/", 1)[0] + "/" if "/" in from_path else ""
        for path in candidates:
            if folder and path.startswith(folder) and "/" not in path[len(folder) :]:
                return path
        return candidates[0]

    @staticmethod
    def is_attachment(target: str) -> bool:
        """A link to a file that is not a note (`[[diagram.png]]`): not checked."""
        last = target.rsplit("/", 1)[-1]
        return (
            "." in last
            and not last.lower().endswith(NOTE_SUFFIX)
            and len(last.rsplit(".", 1)[1]) <= 5
        )


# --- pkm's regions -------------------------------------------------------------------------------


def begin_marker(region: str) -> str:
    return f"<!-- pkm:begin {region} -->"


def end_marker(region: str) -> str:
    return f"<!-- pkm:end {region} -->"


def wrap_region(region: str, content: str) -> str:
    """A region as pkm writes it: the markers on their own lines around `content`, with a
    blank line before the end marker (so no Markdown block can run on into it)."""
    content = content.strip("\n")
    inner = f"{content}\n\n" if content else ""
    return f"{begin_marker(region)}\n{inner}{end_marker(region)}\n"


def _marker_lines(text: str, marker: str) -> list[re.Match[str]]:
    return list(re.finditer(rf"^[ \t]*{re.escape(marker)}[ \t]*(?:\r?\n|\Z)", text, re.MULTILINE))


def region_span(text: str, region: str, path: str = "") -> tuple[int, int] | None:
    """Where a region's content is (`text[start:end]`, between the marker lines), or None
    when the note has no such region. NoteError when its markers are not one begin followed
    by one end: pkm then cannot tell its own text from the person's, so it writes nothing."""
    begins = _marker_lines(text, begin_marker(region))
    ends = _marker_lines(text, end_marker(region))
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        raise NoteError(
            path, f"the pkm markers of the {region} region are broken; fix them by hand"
        )
    return begins[0].end(), ends[0].start()


def region_text(text: str, region: str, path: str = "") -> str | None:
    span = region_span(text, region, path)
    return None if span is None else text[span[0] : span[1]]


def replace_region(text: str, region: str, content: str, path: str = "") -> str:
    """`text` with the region's content replaced; a note without the region gets it at its
    end. Nothing outside the region changes."""
    nl = "\r\n" if "\r\n" in text else "\n"
    content = content.strip("\n")
    inner = (content + "\n\n").replace("\n", nl) if content else ""
    span = region_span(text, region, path)
    if span is None:
        joiner = (
            "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        )
        return text + joiner.replace("\n", nl) + wrap_region(region, content).replace("\n", nl)
    return text[: span[0]] + inner + text[span[1] :]


# --- pkm's frontmatter keys ----------------------------------------------------------------------

_KEY_RE = re.compile(
    r"""^(?:"([^"\n]+)"|'([^'\n]+)'|([^\s#"'\-?:,\[\]{}&*!|>%@`][^:\n]*?))[ \t]*:(?=\s|$)"""
)


def _key_chunks(block: str) -> list[tuple[str | None, str]]:
    """The frontmatter block cut into top-level entries: (key, its lines) for each key, and
    (None, lines) for comments and blank lines between them, so each can be kept or swapped."""
    chunks: list[tuple[str | None, list[str]]] = []
    for line in block.splitlines(keepends=True):
        m = _KEY_RE.match(line)
        if m:
            chunks.append((m.group(1) or m.group(2) or m.group(3), [line]))
        elif (
            chunks
            and chunks[-1][0] is not None
            and (line[:1] in (" ", "\t", "-") or not line.strip())
        ):
            chunks[-1][1].append(line)
        else:
            chunks.append((None, [line]))
    # Blank lines that end a key's entry are the person's spacing, not the value.
    out: list[tuple[str | None, str]] = []
    for key, lines in chunks:
        trailing: list[str] = []
        while key is not None and len(lines) > 1 and not lines[-1].strip():
            trailing.insert(0, lines.pop())
        out.append((key, "".join(lines)))
        if trailing:
            out.append((None, "".join(trailing)))
    return out


def set_frontmatter(text: str, updates: Mapping[str, Any], path: str = "") -> str:
    """`text` with the frontmatter keys in `updates` set (a key mapped to None is left out
    if absent, removed if present); every other key keeps its exact bytes, comments and
    order. A note without frontmatter gets a block.

    The edit is made on the text and then checked by parsing the result: if any other key
    would read differently, nothing is written (NoteError), rather than risk the person's
    YAML.
    """
    nl = "\r\n" if "\r\n" in text else "\n"
    fm = find_frontmatter(text)
    if not fm.present:
        added = {k: v for k, v in updates.items() if v is not None}
        if not added:
            return text
        return "---\n" + dump_yaml(added).replace("\n", nl) + "---" + nl + text
    block = text[fm.start : fm.end]
    try:
        before = load_yaml(block)
    except FrontmatterError as e:
        raise NoteError(path, f"broken frontmatter, not rewritten: {e}") from None
    chunks = _key_chunks(block)
    pending = dict(updates)
    parts: list[str] = []
    for key, chunk in chunks:
        if key is not None and key in pending:
            value = pending.pop(key)
            if value is not None:
                parts.append(dump_yaml({key: value}).replace("\n", nl))
        else:
            parts.append(chunk)
    new_block = "".join(parts)
    extra = {k: v for k, v in pending.items() if v is not None}
    if extra:
        if new_block and not new_block.endswith("\n"):
            new_block += nl
        new_block += dump_yaml(extra).replace("\n", nl)
    try:
        after = load_yaml(new_block)
    except FrontmatterError as e:  # pragma: no cover (a bug in the chunking)
        raise NoteError(path, f"could not edit the frontmatter safely: {e}") from None
    expected = {k: v for k, v in before.items() if k not in updates}
    expected.update(load_yaml(dump_yaml({k: v for k, v in updates.items() if v is not None})))
    if after != expected:
        raise NoteError(path, "could not edit the frontmatter safely; not rewritten")
    return text[: fm.start] + new_block + text[fm.end :]


def frontmatter_values(text: str, path: str = "") -> dict[str, Any]:
    """The parsed frontmatter of a note's text ({} when it has none); NoteError if broken."""
    fm = find_frontmatter(text)
    if not fm.present:
        return {}
    try:
        return load_yaml(text[fm.start : fm.end])
    except FrontmatterError as e:
        raise NoteError(path, f"broken frontmatter, not rewritten: {e}") from None


def new_note_text(meta: Mapping[str, Any], body: str) -> str:
    """A new note: its frontmatter, then its body."""
    return "---\n" + dump_yaml(meta) + "---\n" + body


# --- reading and writing files -------------------------------------------------------------------


@dataclass(frozen=True)
class NoteFile:
    """A note's text as read, with what identifies that version of the file."""

    path: str
    text: str
    size: int
    mtime_ns: int
    content_hash: str


def read_note_file(vault: Path, path: str) -> NoteFile:
    """Read a note. NoteError when it cannot be read or is not UTF-8 (pkm never rewrites
    such a file)."""
    full = vault / path
    try:
        with open(full, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
    except FileNotFoundError:
        raise NoteError(path, "the file is gone") from None
    except OSError as e:
        raise NoteError(path, f"cannot read: {e.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError(path, "not UTF-8 text; not rewritten") from None
    return NoteFile(path, text, st.st_size, st.st_mtime_ns, hash_bytes(data))


class _ChangedMeanwhile(Exception):
    pass


def _unchanged_since(vault: Path, seen: NoteFile) -> Callable[[], None]:
    def check() -> None:
        full = vault / seen.path
        try:
            st = full.stat()
            if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
                raise _ChangedMeanwhile
            if hash_bytes(full.read_bytes()) != seen.content_hash:
                raise _ChangedMeanwhile
        except FileNotFoundError:
            raise NoteError(seen.path, "the file was removed meanwhile; not rewritten") from None

    return check


# How often a merge is tried again on a note that keeps changing under it.
MERGE_ATTEMPTS = 5


def update_note_file(vault: Path, path: str, transform: Callable[[NoteFile], str]) -> bool:
    """Rewrite a note with `transform(current file) -> new text`, never blind.

    Just before the new text replaces the file, the file is compared (size, mtime, hash)
    with what `transform` read; if someone saved it meanwhile, it is read again and the
    merge is made again, up to MERGE_ATTEMPTS times. Returns False when the text is
    unchanged (nothing is written). Under the Sense lock.
    """
    remove_stale_notes_temp_files((vault / path).parent)
    for _ in range(MERGE_ATTEMPTS):
        current = read_note_file(vault, path)
        new = transform(current)
        if new == current.text:
            return False
        try:
            atomic_write_text(vault / path, new, check=_unchanged_since(vault, current))
        except _ChangedMeanwhile:
            continue
        except OSError as e:
            if is_disk_full(e):
                raise DiskFullError(vault / path) from None
            raise NoteError(path, f"cannot write: {e.strerror}") from None
        return True
    raise NoteError(path, "the note kept changing while pkm merged into it; try again")


def create_note_file(vault: Path, path: str, text: str) -> None:
    """Write a new note; FileExistsError if the name was taken meanwhile. Under the Sense
    lock (see `remove_stale_notes_temp_files`)."""
    full = vault / path
    full.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_notes_temp_files(full.parent)
    atomic_write_text(full, text, create=True)


def remove_stale_notes_temp_files(folder: Path) -> int:
    """Remove what a pkm killed while writing a note of `folder` left: the temporary files
    of `atomic_write_text` for notes (`.NAME.md.XXXXXXXX.tmp`, the name cut at 40
    characters). Every pkm that writes a note holds the Sense lock, as the caller must."""
    return remove_stale_temp_files(
        folder, lambda name: name.endswith(NOTE_SUFFIX) or len(name) == 40
    )
