"""Publishing a digest into a team folder: decide every file's bytes (a `PublishPlan`),
then, under the folder's lock, write the files that changed (`pkm.share.folder`: all or
none, atomically), and commit them when the folder is in a git work tree. The lock is held
while the team's files are read and rewritten, so two authors publishing at once both end
up in the team page and feed.
"""

import functools
import logging
import pickle
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pkm._util.text import author_slug
from pkm.content import sanitize_html
from pkm.models import (
    Answer,
    Period,
    Publication,
    Question,
    RunKind,
    SharedItem,
    SharedNote,
)
from pkm.share import feeds, team
from pkm.share.digest import public_text
from pkm.share.folder import PlannedFile, check_folder, folder_lock, read_bytes, write_files
from pkm.share.rendered import DIGEST_FORMATS, RenderCache, RenderedDigest

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from pkm.core import Pkm

log = logging.getLogger("pkm.share.publish")

_BODY_RE = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishPlan:
    folder: Path
    author: str
    period: str
    files: tuple[PlannedFile, ...]

    @property
    def changed(self) -> tuple[PlannedFile, ...]:
        return tuple(f for f in self.files if f.changed)


@dataclass(frozen=True)
class PublishResult:
    """What a publish did. Paths are relative to the team folder."""

    folder: str
    author: str
    period: str
    files: tuple[str, ...]
    changed: tuple[str, ...]
    commit: str | None = None
    dry_run: bool = False
    pulled: bool = False
    pushed: bool = False


@dataclass(frozen=True)
class SharedContent:
    """What `shared.atom` carries: the author's shared items and notes, and how to make a
    note's HTML (only the notes that make the feed's cut are read and rendered)."""

    items: tuple[SharedItem, ...]
    notes: tuple[SharedNote, ...] = ()
    note_content: Callable[[SharedNote], str | None] = lambda note: None
    questions: tuple[Question, ...] = ()
    answers: tuple[Answer, ...] = ()
    key: str = ""  # what the feed is made from (see RenderCache.shared)
    ready: bytes | None = None  # the feed as already published from the same key


def html_body(page: str) -> str:
    """The body of an HTML page, sanitized: what a feed entry carries."""
    m = _BODY_RE.search(page)
    return sanitize_html(m.group(1) if m else page)


def plan_publication(
    home: Path,
    folder: Path,
    author: str,
    rendered: RenderedDigest,
    shared: SharedContent,
    *,
    read: Callable[[Path], bytes | None] = read_bytes,
) -> PublishPlan:
    """Every file a publication writes, with its bytes: the digest's files, the author's
    index pages and feeds, and the team's pages and feed. Reads, never writes."""
    slug = author_slug(author)
    period = rendered.period
    label = period.label
    author_dir = folder / slug
    out: dict[Path, bytes] = {}
    for fmt in DIGEST_FORMATS:
        out[author_dir / f"{label}.{fmt}"] = rendered.texts[fmt].encode("utf-8")

    previous = {e.id: e for e in feeds.read_digest_feed(read(author_dir / "feed.atom") or b"")}
    when = rendered.updated
    entry = feeds.DigestEntry(
        author=author,
        folder=slug,
        label=label,
        title=f"{author}: {label}",
        href=f"{label}.html",
        start=period.start,
        end=period.end,
        published=when,
        updated=when,
        summary=rendered.summary,
        content_html="",
    )
    html = out[author_dir / f"{label}.html"]
    old = previous.get(entry.id)
    # The page did not change: its sanitized body is the one in the feed already.
    same_page = old is not None and read(author_dir / f"{label}.html") == html
    entry = replace(
        entry,
        content_html=old.content_html if same_page and old else html_body(html.decode("utf-8")),
    )
    entry = feeds.with_previous(entry, previous.get(entry.id))
    entries = {**previous, entry.id: entry}
    # The author's name is the newest one everywhere (a rename shows on every digest).
    digests = [e if e.author == author else _renamed(e, author) for e in entries.values()]
    feed = feeds.render_digest_feed(
        feed_id=feeds.tag_uri(slug, "digests"),
        title=f"{author}: digests",
        author=author,
        entries=digests,
    )
    out[author_dir / "feed.atom"] = feed
    for name, data in team.author_pages(home, slug, author, digests).items():
        out[author_dir / name] = data
    out[author_dir / "shared.atom"] = shared.ready or feeds.render_shared_feed(
        slug,
        shared.items,
        shared.notes,
        shared.note_content,
        read(author_dir / "shared.atom"),
        name=author,
        questions=shared.questions,
        answers=shared.answers,
    )
    out.update(plan_team(home, folder, read=read, known={slug: feed}))
    return PublishPlan(
        folder=folder,
        author=author,
        period=label,
        files=tuple(PlannedFile(p, data, read(p)) for p, data in out.items()),
    )


def _renamed(entry: feeds.DigestEntry, author: str) -> feeds.DigestEntry:
    return replace(entry, author=author, title=entry.title.replace(entry.author, author, 1))


def plan_team(
    home: Path,
    folder: Path,
    *,
    read: Callable[[Path], bytes | None] = read_bytes,
    known: Mapping[str, bytes] | None = None,
) -> dict[Path, bytes]:
    """The team's index pages and feed, from every author's feed.atom (`known` overrides
    the file of an author by folder name)."""
    members = team.read_members(folder, read, known=known)
    name = folder.resolve().name or "team"
    return {folder / n: data for n, data in team.team_files(home, name, members).items()}


# --- the service --------------------------------------------------------------------------------


def publish(
    home: Path,
    folder: Path,
    author: str,
    rendered: RenderedDigest,
    shared: SharedContent,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    commit: bool = True,
    pull: bool = False,
    push: bool = False,
) -> PublishResult:
    """Write a rendered digest and everything that follows from it into `folder`.

    Raises PublishError when the folder is missing or cannot be written (nothing was
    changed then), GitError when a git step fails (what was written stays).
    """
    from pkm.share.git import find_work_tree

    check_folder(folder)
    slug = author_slug(author)
    tree = find_work_tree(folder, env) if (commit or pull or push) and not dry_run else None
    if dry_run:
        plan = plan_publication(home, folder, author, rendered, shared)
        return _result(plan, slug, dry_run=True)
    with folder_lock(folder):
        if pull and tree is not None:
            tree.pull()
        plan = plan_publication(home, folder, author, rendered, shared)
        write_files(plan.files)
        sha = None
        if commit and tree is not None:
            # Every file of the plan, not only those changed now: a run killed between
            # writing and committing left its files on disk, equal to this plan, and they
            # are committed now (git commits only what differs from HEAD).
            message = f"pkm share: {author} {plan.period}"
            sha = tree.commit([f.path for f in plan.files], message, slug)
        if push and tree is not None:
            tree.push()
    return _result(
        plan,
        slug,
        commit=sha,
        pulled=pull and tree is not None,
        pushed=push and tree is not None,
    )


def refresh_team(home: Path, folder: Path) -> PublishResult:
    """Rewrite the team's pages and feed from the authors' feeds (`pkm share team`)."""
    check_folder(folder)
    with folder_lock(folder):
        files = plan_team(home, folder)
        plan = PublishPlan(
            folder, "", "", tuple(PlannedFile(p, d, read_bytes(p)) for p, d in files.items())
        )
        write_files(plan.files)
    return _result(plan, "")


def _result(plan: PublishPlan, slug: str, **kwargs: object) -> PublishResult:
    def rel(p: Path) -> str:
        return p.relative_to(plan.folder).as_posix()

    return PublishResult(
        folder=str(plan.folder),
        author=slug,
        period=plan.period,
        files=tuple(rel(f.path) for f in plan.files),
        changed=tuple(rel(f.path) for f in plan.changed),
        **kwargs,  # type: ignore[arg-type]
    )


def publish_digest(
    pkm: "Pkm",
    period: Period,
    *,
    folder: Path,
    author: str | None = None,
    env: Mapping[str, str],
    dry_run: bool = False,
    commit: bool = True,
    pull: bool = False,
    push: bool = False,
) -> PublishResult:
    """Build the digest of `period`, publish it into the team folder, and record it for
    `pkm share history` (not on a dry run).

    Args:
        author: the name shown (default: `[share] author`, else the OS user); its slug is
            the author's folder.
        env: the environment git runs in (the CLI's, without GIT_* variables).
        commit, pull, push: the git steps when the folder is in a work tree.

    Raises:
        PublishError: the folder is missing or cannot be written; nothing was changed.
        GitError: a git step failed; the files written stay.
    """
    if dry_run:
        return _publish_digest(pkm, period, folder=folder, author=author, env=env, dry_run=True)
    from pkm.runlog import recorded_run

    with recorded_run(pkm, RunKind.PUBLISH, f"{period.label} {folder}") as run:
        result = _publish_digest(
            pkm, period, folder=folder, author=author, env=env, commit=commit, pull=pull, push=push
        )
        run.detail = f"{result.period} {result.folder}/{result.author}"
        run.count(files=len(result.files), changed=len(result.changed))
    return result


def _publish_digest(
    pkm: "Pkm",
    period: Period,
    *,
    folder: Path,
    author: str | None,
    env: Mapping[str, str],
    dry_run: bool = False,
    commit: bool = True,
    pull: bool = False,
    push: bool = False,
) -> PublishResult:
    from pkm.share.digest import assemble_digest, read_digest_inputs, record_archive
    from pkm.share.render import render_digest

    name = (author or pkm.author).strip()
    slug = author_slug(name)  # a bad name fails before any work
    check_folder(folder)
    inputs = read_digest_inputs(pkm, period)
    cache = RenderCache(pkm.paths.home, folder / slug, name, inputs)
    rendered = cache.rendered(period)
    if rendered is None:
        digest = assemble_digest(inputs, author=name)
        texts = {fmt: render_digest(pkm, digest, fmt) for fmt in DIGEST_FORMATS}
        rendered = RenderedDigest.of(digest, texts)
    shared = shared_content(pkm, slug, name)
    shared = replace(shared, ready=cache.shared(shared.key))
    result = publish(
        pkm.paths.home,
        folder,
        name,
        rendered,
        shared,
        env=env,
        dry_run=dry_run,
        commit=commit,
        pull=pull,
        push=push,
    )
    if not dry_run:
        cache.save(rendered)
        written = read_bytes(folder / slug / "shared.atom")
        if written is not None:
            cache.save_shared(shared.key, written)
        record_archive(pkm, period, rendered.archive_ids)
        pkm.store.add_publication(
            author=result.author,
            period=result.period,
            folder=result.folder,
            published_at=pkm.now(),
            files=result.changed,
            commit=result.commit,
        )
    return result


def list_publications(pkm: "Pkm", *, limit: int | None = None) -> "list[Publication]":
    """What was published (`pkm share history`), newest first."""
    return pkm.store.get_publications(limit=limit)


def shared_content(pkm: "Pkm", slug: str = "", name: str = "") -> SharedContent:
    """The author's shared items and notes, private ones left out (see pkm.store.publish)."""
    private = pkm.settings.share.private_tag.strip()
    items = pkm.store.get_shared_items(private)
    shared_notes = pkm.store.get_shared_notes(private)
    public = {n.path for n in shared_notes}
    private_names = frozenset(
        name.casefold()
        for n in pkm.store.get_notes()
        if n.path not in public
        for name in (n.name, n.path.removesuffix(".md"))
    )  # every note not shared: private, broken, or not in this period
    vault = pkm.vault
    questions, answers = pkm.store.get_questions(), pkm.store.get_answers()
    import hashlib

    from pkm import __version__

    key = hashlib.sha256(
        pickle.dumps(
            (
                __version__,
                slug,
                name,
                items,
                shared_notes,
                sorted(private_names),
                questions,
                answers,
            ),
            protocol=5,
        )
    ).hexdigest()
    return SharedContent(
        tuple(items),
        tuple(shared_notes),
        lambda note: note_html(vault, note, private_names),
        key=key,
        questions=tuple(questions),
        answers=tuple(answers),
    )


# --- shared.atom's notes ------------------------------------------------------------------------


def note_html(
    vault: Path, note: SharedNote, private_names: frozenset[str] = frozenset()
) -> str | None:
    """A note's Markdown as sanitized HTML, without its frontmatter and without pkm's
    sources region (the highlights it lists travel as their items' entries, where the
    private ones are left out; the note's public sources are its `pkm:cites`). None when
    the file cannot be read."""
    from pkm.errors import NoteError
    from pkm.sense import vault as v
    from pkm.sense.synthesize import SOURCES_REGION

    try:
        text = v.read_note_file(vault, note.path).text
        body = text[v.find_frontmatter(text).body_start :]
        span = v.region_span(body, SOURCES_REGION, note.path)
    except NoteError as e:
        log.warning("%s: left out of shared.atom: %s", note.path, e)
        return None
    if span is not None:
        begin = body.rfind("\n", 0, max(span[0] - 1, 0)) + 1
        end_line = body.find("\n", span[1])
        body = body[:begin] + body[len(body) if end_line < 0 else end_line + 1 :]
    html = _markdown().render(public_text(body, private_names))
    return sanitize_html(html)


@functools.cache
def _markdown() -> "MarkdownIt":
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def publish_shared(
    pkm: "Pkm", *, folder: Path, env: Mapping[str, str], commit: bool = True, what: str = ""
) -> PublishResult:
    """Rewrite only the author's `shared.atom` (a question or answer was added), under the
    folder lock, and commit it in a git work tree (message: `pkm share: AUTHOR WHAT`)."""
    from pkm.share.git import find_work_tree

    name = pkm.author
    slug = author_slug(name)
    check_folder(folder)
    shared = shared_content(pkm, slug, name)
    path = folder / slug / "shared.atom"
    tree = find_work_tree(folder, env) if commit else None
    with folder_lock(folder):
        data = feeds.render_shared_feed(
            slug,
            shared.items,
            shared.notes,
            shared.note_content,
            read_bytes(path),
            name=name,
            questions=shared.questions,
            answers=shared.answers,
        )
        plan = PublishPlan(folder, name, what, (PlannedFile(path, data, read_bytes(path)),))
        write_files(plan.files)
        sha = None
        if tree is not None:  # shared.atom as a killed run may have left it, uncommitted
            sha = tree.commit([path], f"pkm share: {name} {what}", slug)
    return _result(plan, slug, commit=sha)
