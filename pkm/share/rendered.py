"""A digest's rendered files, and the cache that reuses them when the same digest is
published again (`pkm share publish` with nothing changed renders nothing)."""

import contextlib
import logging
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pkm.models import Digest, Period
from pkm.share.digest import DigestInputs
from pkm.share.folder import read_bytes

log = logging.getLogger("pkm.share.rendered")

DIGEST_FORMATS = ("md", "html", "json")


@dataclass(frozen=True)
class RenderedDigest:
    """A digest's files, and what its feed entry says of it, decided before the folder is
    touched (or taken from `RenderCache` without building the digest again)."""

    period: Period
    updated: datetime  # Digest.updated
    summary: str  # "3 notes, 12 items, 40 highlights"
    archive_ids: tuple[int, ...]  # the archive highlights it shows (`record_archive`)
    texts: Mapping[str, str]  # format -> text

    @classmethod
    def of(cls, digest: Digest, texts: Mapping[str, str]) -> "RenderedDigest":
        return cls(digest.period, digest.updated, digest_summary(digest), digest.archive_ids, texts)


def digest_summary(digest: Digest) -> str:
    s = digest.summary
    return (
        f"{_count(s.notes, 'note')}, {_count(s.items, 'item')}, {_count(s.highlights, 'highlight')}"
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class RenderCache:
    """The digest's files as last published, reused when a digest is published again from
    the same inputs (the same rows of the index, author, templates and pkm), so that a
    republish with nothing changed neither decides nor renders 5,000 items again. Keyed by
    a hash of the pickled `DigestInputs` (frozen dataclasses: every field), the author's
    name, pkm's version and the templates' names, sizes and mtimes; the published files are
    reused only if their bytes are still the ones recorded. The record is
    HOME/cache/share/<author folder>.json; losing it costs one render."""

    def __init__(self, home: Path, author_dir: Path, author: str, inputs: DigestInputs) -> None:
        import hashlib

        from pkm import __version__

        self.path = home / "cache" / "share" / f"{author_dir.name}.json"
        self.label = inputs.period.label
        self.author_dir = author_dir
        h = hashlib.sha256(f"{__version__}\n{author}\n".encode())
        h.update(pickle.dumps(inputs, protocol=5))
        for folder in (home / "templates", Path(__file__).parents[1] / "templates"):
            with contextlib.suppress(OSError):
                for p in sorted(folder.iterdir()):
                    st = p.stat()
                    h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        self.key = h.hexdigest()

    def _load(self) -> dict[str, Any]:
        import json

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def rendered(self, period: Period) -> RenderedDigest | None:
        """The digest as published from the same inputs, if its files are unchanged."""
        import hashlib

        from pkm._util.timeutil import from_iso

        entry = self._load().get(self.label)
        if not isinstance(entry, dict) or entry.get("key") != self.key:
            return None
        texts = {}
        for fmt in DIGEST_FORMATS:
            data = read_bytes(self.author_dir / f"{self.label}.{fmt}")
            if data is None or hashlib.sha256(data).hexdigest() != entry.get(fmt):
                return None
            texts[fmt] = data.decode("utf-8")
        try:
            updated = from_iso(entry["updated"])
            summary, ids = str(entry["summary"]), tuple(int(i) for i in entry["archive"])
        except (KeyError, TypeError, ValueError):
            return None
        if updated is None:
            return None
        return RenderedDigest(period, updated, summary, ids, texts)

    def save(self, rendered: RenderedDigest) -> None:
        import hashlib

        from pkm._util.timeutil import to_iso

        data = self._load()
        entry: dict[str, Any] = {"key": self.key}
        for fmt in DIGEST_FORMATS:
            entry[fmt] = hashlib.sha256(rendered.texts[fmt].encode("utf-8")).hexdigest()
        entry.update(
            updated=to_iso(rendered.updated),
            summary=rendered.summary,
            archive=list(rendered.archive_ids),
        )
        if data.get(self.label) == entry:
            return
        data[self.label] = entry
        self._write(data)

    def shared(self, key: str) -> bytes | None:
        """shared.atom as published, if it was made from the same `key` and is unchanged."""
        import hashlib

        entry = self._load().get("shared.atom")
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        data = read_bytes(self.author_dir / "shared.atom")
        if data is None or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            return None
        return data

    def save_shared(self, key: str, data: bytes) -> None:
        import hashlib

        record = self._load()
        entry = {"key": key, "sha256": hashlib.sha256(data).hexdigest()}
        if record.get("shared.atom") != entry:
            record["shared.atom"] = entry
            self._write(record)

    def _write(self, data: dict[str, Any]) -> None:
        import json

        from pkm._util.fsutil import atomic_write_text

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        except OSError as e:  # a cache: never a reason to fail a publish
            log.warning("cannot write %s: %s", self.path, e)
