"""Omnivore's export: items, labels as tags, the saved text, highlights anchored in it.

The export is a zip archive (or the folder it unpacks to) holding:

- `metadata_<a>_to_<b>.json`: lists of items, each with `id`, `slug`, `title`,
  `description`, `author`, `url`, `state` (`Archived`, `Active`), `readingProgress`
  (percent), `labels` (names), `savedAt`, `updatedAt`, `publishedAt` (ISO 8601);
  some exports also give each item its `highlights` (`type` HIGHLIGHT or NOTE, `quote`,
  `prefix`, `suffix`, `annotation`, `labels`, `createdAt`, `updatedAt`);
- `content/<slug>.html`: the item's text as Omnivore's reader showed it;
- `highlights/<slug>.md`: its highlights as Markdown, for items whose metadata has none:
  each `> quote`, then a line of `#labels`, then the note, separated by blank lines; a
  note on the whole item is a paragraph of its own before the first highlight.

An item's text is its content sanitized and turned into plain text as Seek does for a feed
(`pkm.content`), so its highlights are anchored into the text that `pkm sense show` shows.
`Archived` becomes archived, an item read to the end (`readingProgress` 100) read, any
other unread. `open_export` does the reading (I/O); `parse_omnivore` is pure.
"""

import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from pkm._util.text import strip_controls
from pkm.content import decode_html, html_to_text, sanitize_html
from pkm.errors import ImportFileError
from pkm.imports.plan import (
    ImportedAnnotation,
    ImportedItem,
    ImportFormat,
    ImportPlan,
    SkippedEntry,
    clean_tags,
    clean_text,
    decode_text,
    not_web_reason,
    one_line_or_none,
    parse_iso_time,
    web_url,
)
from pkm.models import ItemStatus, TextQuote

# A file of the archive larger than this is refused: an export's page or list of items is
# never near it, and a zip bomb must not fill the memory.
MAX_FILE_BYTES = 64 * 1024 * 1024

_METADATA_RE = re.compile(r"(?:^|/)metadata_(\d+)_to_(\d+)\.json$")


class ExportFiles(Protocol):
    """The files of an export, by their path inside it (`content/slug.html`)."""

    def names(self) -> Sequence[str]: ...

    def read(self, name: str) -> bytes: ...


@dataclass(frozen=True)
class _Zip:
    archive: zipfile.ZipFile

    def names(self) -> Sequence[str]:
        return [i.filename for i in self.archive.infolist() if not i.is_dir()]

    def read(self, name: str) -> bytes:
        info = self.archive.getinfo(name)
        if info.file_size > MAX_FILE_BYTES:
            raise ImportFileError(name, f"larger than {MAX_FILE_BYTES // 2**20} MB")
        try:
            with self.archive.open(info) as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
            raise ImportFileError(name, f"cannot be read from the archive: {e}") from None
        if len(data) > MAX_FILE_BYTES:
            raise ImportFileError(name, f"larger than {MAX_FILE_BYTES // 2**20} MB")
        return data


@dataclass(frozen=True)
class _Folder:
    root: Path
    files: tuple[str, ...]

    def names(self) -> Sequence[str]:
        return self.files

    def read(self, name: str) -> bytes:
        if name not in self.files:  # only what the walk found: no path leaves the folder
            raise KeyError(name)
        path = self.root / name
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ImportFileError(name, f"larger than {MAX_FILE_BYTES // 2**20} MB")
            return path.read_bytes()
        except OSError as e:
            raise ImportFileError(name, f"cannot be read: {e.strerror}") from None


@contextmanager
def open_export(path: Path) -> Iterator[ExportFiles]:
    """The export's files: a zip archive, or the folder it was unpacked to (its regular
    files only; links are not followed). Raises ImportFileError if it is neither."""
    if path.is_dir():
        files = tuple(
            p.relative_to(path).as_posix()
            for p in sorted(path.rglob("*"))
            if p.is_file() and not p.is_symlink()
        )
        yield _Folder(path, files)
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportFileError("the file", "not an Omnivore export: not a zip archive") from None
    except OSError as e:
        raise ImportFileError("the file", f"cannot be read: {e.strerror}") from None
    with archive:
        yield _Zip(archive)


def parse_omnivore(files: ExportFiles) -> ImportPlan:
    """The items of an Omnivore export. Raises ImportFileError naming the file and entry
    (`metadata_0_to_20.json[3] (id ...)`) that cannot be read."""
    names = set(files.names())
    metadata = sorted(
        (m.group(0).rsplit("/", 1)[-1], name, int(m.group(1)))
        for name in names
        if (m := _METADATA_RE.search(name))
    )
    if not metadata:
        raise ImportFileError("the archive", "not an Omnivore export: no metadata_*.json file")
    items: list[ImportedItem] = []
    skipped: list[SkippedEntry] = []
    for short, name, _ in sorted(metadata, key=lambda m: (m[1].count("/"), m[2], m[1])):
        folder = str(PurePosixPath(name).parent)
        prefix = "" if folder == "." else folder + "/"
        try:
            entries = json.loads(decode_text(files.read(name)))
        except json.JSONDecodeError as e:
            raise ImportFileError(f"{short}: line {e.lineno}", f"not JSON: {e.msg}") from None
        except ImportFileError as e:
            raise ImportFileError(f"{short}: {e.where}", e.detail) from None
        if not isinstance(entries, list):
            raise ImportFileError(short, "not a list of items")
        for n, entry in enumerate(entries):
            ref = f"{short}[{n}]"
            if not isinstance(entry, dict):
                raise ImportFileError(ref, "not an item (an object)")
            if isinstance(entry.get("id"), str):
                ref += f" (id {one_line_or_none(entry['id'])})"
            found = _item(ref, entry, files, names, prefix)
            (skipped if isinstance(found, SkippedEntry) else items).append(found)  # type: ignore[arg-type]
    return ImportPlan(ImportFormat.OMNIVORE, tuple(items), tuple(skipped))


def _item(
    ref: str, entry: dict[str, Any], files: ExportFiles, names: set[str], prefix: str
) -> ImportedItem | SkippedEntry:
    raw_url = entry.get("url")
    title = one_line_or_none(entry.get("title"))
    if not isinstance(raw_url, str) or not raw_url.strip():
        raise ImportFileError(ref, "no url")
    url = web_url(raw_url)
    if url is None:
        return SkippedEntry(ref, not_web_reason(raw_url), title)
    labels = _labels(ref, entry.get("labels"), "labels")
    state = entry.get("state")
    if state is not None and not isinstance(state, str):
        raise ImportFileError(ref, "state is not a string")
    progress = entry.get("readingProgress")
    if progress is not None and (
        not isinstance(progress, int | float) or isinstance(progress, bool)
    ):
        raise ImportFileError(ref, "readingProgress is not a number")
    saved = _time(ref, entry, "savedAt")
    updated = _time(ref, entry, "updatedAt")
    if (state or "").lower() == "archived":
        status = ItemStatus.ARCHIVED
    elif progress is not None and progress >= 100:
        status = ItemStatus.READ
    else:
        status = ItemStatus.UNREAD
    slug = entry.get("slug")
    html = text = None
    if isinstance(slug, str) and (page := f"{prefix}content/{slug}.html") in names:
        html = sanitize_html(decode_html(files.read(page)), base_url=url)
        text = html_to_text(html)
    annotations: tuple[ImportedAnnotation, ...] = ()
    if entry.get("highlights") is not None:
        annotations = _json_highlights(ref, entry["highlights"])
    elif isinstance(slug, str) and (marks := f"{prefix}highlights/{slug}.md") in names:
        try:
            annotations = _markdown_highlights(ref, decode_text(files.read(marks)))
        except ImportFileError as e:
            raise ImportFileError(f"{marks}: {e.where}", e.detail) from None
    description = entry.get("description")
    return ImportedItem(
        ref=ref,
        key=url,
        url=url,
        title=title,
        author=one_line_or_none(entry.get("author")),
        published=_time(ref, entry, "publishedAt"),
        saved=saved,
        status=status,
        status_at=updated if status is not ItemStatus.UNREAD else None,
        tags=labels,
        summary=clean_text(description) or None if isinstance(description, str) else None,
        content_html=html or None,
        content_text=text or "",
        annotations=annotations,
    )


def _time(ref: str, entry: dict[str, Any], name: str) -> Any:
    value = entry.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_iso_time(value)
    except ValueError:
        raise ImportFileError(ref, f"{name} is not an ISO 8601 time: {value!r}") from None


def _labels(ref: str, labels: object, name: str) -> tuple[str, ...]:
    """Label names, given as strings or as objects with a `name`."""
    if labels is None:
        return ()
    if not isinstance(labels, list):
        raise ImportFileError(ref, f"{name} is not a list")
    names = [label.get("name") if isinstance(label, dict) else label for label in labels]
    if not all(isinstance(n, str) for n in names):
        raise ImportFileError(ref, f"{name} holds something that is not a label name")
    return clean_tags(names)


def _json_highlights(ref: str, highlights: object) -> tuple[ImportedAnnotation, ...]:
    if not isinstance(highlights, list):
        raise ImportFileError(ref, "highlights is not a list")
    found = []
    for n, h in enumerate(highlights):
        where = f"{ref} highlights[{n}]"
        if not isinstance(h, dict):
            raise ImportFileError(where, "not a highlight (an object)")
        kind = str(h.get("type") or "HIGHLIGHT").upper()
        if kind == "REDACTION":
            continue
        fields = {k: h.get(k) or "" for k in ("quote", "prefix", "suffix", "annotation")}
        if not all(isinstance(v, str) for v in fields.values()):
            raise ImportFileError(where, "quote, prefix, suffix and annotation must be text")
        quote = clean_text(fields["quote"]) if kind == "HIGHLIGHT" else ""
        comment = clean_text(fields["annotation"])
        if not quote and not comment:
            continue
        created = _time(where, h, "createdAt")
        found.append(
            ImportedAnnotation(
                ref=where,
                quote=TextQuote(
                    quote, strip_controls(fields["prefix"]), strip_controls(fields["suffix"])
                )
                if quote
                else None,
                comment=comment,
                tags=_labels(where, h.get("labels"), "labels"),
                created=created,
                updated=_time(where, h, "updatedAt") or created,
            )
        )
    return tuple(found)


_PARAGRAPHS_RE = re.compile(r"\n[ \t]*\n")


def _markdown_highlights(ref: str, text: str) -> tuple[ImportedAnnotation, ...]:
    """Highlights from Omnivore's `highlights/<slug>.md` (see the module docstring)."""
    found: list[ImportedAnnotation] = []
    quote: str | None = None
    labels: tuple[str, ...] = ()
    notes: list[str] = []
    count = 0

    def flush() -> None:
        if quote is not None:
            found.append(
                ImportedAnnotation(
                    ref=f"{ref} highlight {count}",
                    quote=TextQuote(quote),
                    comment="\n\n".join(notes),
                    tags=labels,
                )
            )

    for paragraph in _PARAGRAPHS_RE.split(text.strip()):
        if not paragraph.strip():
            continue
        if paragraph.startswith(">"):
            flush()
            count += 1
            # Omnivore wrote a blank line of the quote as "> "; other lines as they were.
            lines = [line.removeprefix(">").removeprefix(" ") for line in paragraph.split("\n")]
            quote = clean_text("\n".join(lines))
            labels, notes = (), []
            if not quote:
                quote = None
        elif quote is not None and not labels and not notes and paragraph.startswith("#"):
            labels = clean_tags([t.strip() for t in paragraph.strip()[1:].split(" #")])
        elif quote is not None:
            notes.append(clean_text(paragraph))
        else:  # a note on the whole item, before any highlight
            found.append(
                ImportedAnnotation(ref=f"{ref} note", quote=None, comment=clean_text(paragraph))
            )
    flush()
    return tuple(found)
