"""Share: what a person shares with a team, digests of a period, questions and answers."""

from dataclasses import dataclass
from datetime import datetime

from pkm.vocabulary import ItemStatus


@dataclass(frozen=True)
class SharedHighlight:
    """One of the author's own highlights (or comments on a whole item: `exact` None) as
    `shared.atom` carries it; never a private one, never a teammate's."""

    annotation_id: int
    exact: str | None
    prefix: str
    suffix: str
    comment: str
    tags: tuple[str, ...]
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class SharedItem:
    """An item the author starred or highlighted, not private, with its public highlights."""

    item_id: int
    title: str | None
    url: str | None
    source_title: str | None
    source_url: str | None
    tags: tuple[str, ...]
    starred_at: datetime | None
    highlights: tuple[SharedHighlight, ...]

    @property
    def published(self) -> datetime:
        """When it was first shared: the earliest of its star and highlights."""
        times = [h.created for h in self.highlights]
        if self.starred_at is not None:
            times.append(self.starred_at)
        return min(times)

    @property
    def updated(self) -> datetime:
        """The latest change of what is shared of it (a highlight added or edited, the star)."""
        times = [h.updated for h in self.highlights]
        if self.starred_at is not None:
            times.append(self.starred_at)
        return max(times)


@dataclass(frozen=True)
class SharedCite:
    """An item a shared note cites (never a private one)."""

    url: str | None
    title: str | None


@dataclass(frozen=True)
class SharedNote:
    """A note of the vault, not private, as `shared.atom` carries it. `updated` comes from
    its frontmatter (else its creation, else the file's modification time)."""

    note_id: int
    path: str
    title: str
    tags: tuple[str, ...]
    created: datetime | None
    updated: datetime
    cites: tuple[SharedCite, ...] = ()
    content_hash: str = ""  # of the file, as the note index last read it


@dataclass(frozen=True)
class Publication:
    """One `pkm share publish` run, as `pkm share history` lists it. `files` are the paths
    (relative to the team folder) whose bytes changed; `commit` the git commit made."""

    id: int
    author: str
    period: str
    folder: str
    published_at: datetime
    files: tuple[str, ...]
    changed: int
    commit: str | None


# --- share: digests of a period ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end) a digest covers, in aware UTC; `label` names
    it (`2026-W48`, or `2026-11-01..2026-11-30`) and `timezone` is the zone its days were
    counted in (an IANA name, or a UTC offset such as `+01:00`), stated in the digest."""

    start: datetime
    end: datetime
    label: str
    timezone: str


@dataclass(frozen=True)
class ShareableItem:
    """An item as a digest reads it from the index: what it shows, and the tags (its own and
    its sources') that decide whether it may be shown at all."""

    id: int
    title: str | None
    url: str | None
    status: ItemStatus
    status_changed_at: datetime | None
    summary: str | None
    tags: tuple[str, ...]
    source_title: str | None = None  # of its first source
    source_url: str | None = None
    source_tags: tuple[str, ...] = ()  # of all its sources


@dataclass(frozen=True)
class DigestHighlight:
    """A highlight or comment as a digest shares it: the quote with its W3C context, so a
    reader's tools can re-anchor it."""

    annotation_id: int
    exact: str | None  # None: a comment on the whole item
    prefix: str
    suffix: str
    comment: str
    tags: tuple[str, ...]
    created: datetime
    updated: datetime | None = None  # its last edit (None: never edited, or not known)


@dataclass(frozen=True)
class DigestItem:
    """An item starred or annotated in the period, with what the author did with it."""

    item_id: int
    title: str | None
    url: str | None
    source_title: str | None
    source_url: str | None
    starred: bool
    tags: tuple[str, ...]
    highlights: tuple[DigestHighlight, ...]
    changed: datetime  # the latest of its star and highlights in the period
    content_html: str | None = None  # sanitized, for the HTML digest's excerpt
    starred_at: datetime | None = None  # when it was starred, if that was in the period


@dataclass(frozen=True)
class DigestNote:
    """A note created or updated in the period. `cites` holds the items it cites: an item
    id, or None for a private source (shown as "a private source")."""

    note_id: int
    path: str
    title: str
    excerpt: str  # its Synthesis section, else the start of its text
    tags: tuple[str, ...]
    created: datetime | None
    updated: datetime | None
    cites: tuple[DigestItem | None, ...] = ()
    links: tuple[str, ...] = ()  # titles of the (public) notes it links to, in text order


@dataclass(frozen=True)
class ArchiveHighlight:
    """An older highlight the digest resurfaces ("from the archive")."""

    item: DigestItem
    highlight: DigestHighlight


@dataclass(frozen=True)
class DigestSummary:
    notes: int
    items: int
    highlights: int
    top_tags: tuple[tuple[str, int], ...]  # (tag, count), most used first


@dataclass(frozen=True)
class Digest:
    """Everything one author shares for one period: pure data, built from the index by
    `pkm.share.build_digest` and rendered by `pkm.share.render_digest`. The same index,
    period and author always give the same digest (no clock inside)."""

    author: str
    period: Period
    notes: tuple[DigestNote, ...]
    items: tuple[DigestItem, ...]
    archive: tuple[ArchiveHighlight, ...]
    summary: DigestSummary

    @property
    def empty(self) -> bool:
        return not (self.notes or self.items)

    @property
    def archive_ids(self) -> tuple[int, ...]:
        return tuple(a.highlight.annotation_id for a in self.archive)

    @property
    def updated(self) -> datetime:
        """The latest change of what the digest shares (the end of the period when it
        shares nothing): what a feed's `updated` says, taken from the data, never the clock."""
        times = [i.changed for i in self.items]
        for n in self.notes:
            times += [t for t in (n.created, n.updated) if t is not None]
        return max(times, default=self.period.end)


@dataclass(frozen=True)
class Question:
    """A question the person asked the team (`pkm share ask`); `shared.atom` carries it."""

    id: int
    text: str
    tags: tuple[str, ...]
    asked_at: datetime


@dataclass(frozen=True)
class AnswerCite:
    """An item an answer points to: what a teammate needs to find it."""

    item_id: int
    title: str | None
    url: str | None


@dataclass(frozen=True)
class Answer:
    """The person's answer to a teammate's question (`pkm share answer`): a note of theirs
    and/or items, and a comment. `question_ref` is the question's entry id."""

    id: int
    question_ref: str
    question_text: str
    note_path: str | None
    note_title: str | None
    items: tuple[AnswerCite, ...]
    comment: str
    answered_at: datetime
