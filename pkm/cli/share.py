"""`pkm share ...`: digests of what you read, highlighted and wrote.

One Typer sub-app, `share_app`, with one function per command; the services are in
`pkm.share`. This module reads TZ (the person's zone) and writes to stdout and stderr.
"""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._complete import complete_note, complete_tag
from pkm.cli._context import cli_errors, get_pkm, get_pkm_refreshing
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import emit_json, info, safe
from pkm.errors import InvalidPeriodError

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.models import Digest, Period
    from pkm.share.publish import PublishResult

share_app = typer.Typer(
    help="Share what you learned: digests of a week or of any days. With no subcommand:"
    " publish the last week to the team folder ([share] folder).",
    invoke_without_command=True,
)

FORMATS = ("md", "html", "atom", "json")

WeekOption = Annotated[
    str | None, typer.Option("--week", metavar="YYYY-Www", help="The ISO week, e.g. 2026-W05.")
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", metavar="DATE", help="First day (YYYY-MM-DD), with --until."),
]
NoCommitOption = Annotated[
    bool, typer.Option("--no-commit", help="Do not commit, even in a git work tree.")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", metavar="DATE", help="Last day, included (YYYY-MM-DD).")
]


def _formats(value: str | None, *, to_stdout: bool) -> list[str]:
    names = [f.strip().lower() for f in (value or "md").split(",") if f.strip()]
    unknown = [f for f in names if f not in FORMATS]
    if unknown or not names:
        raise typer.BadParameter(
            f"unknown format {unknown[0] if unknown else value!r} (use {', '.join(FORMATS)})",
            param_hint="--format",
        )
    names = list(dict.fromkeys(names))
    if to_stdout and len(names) > 1:
        raise typer.BadParameter(
            "one format at a time on stdout; give --out DIR to write several",
            param_hint="--format",
        )
    return names


def _period(week: str | None, since: str | None, until: str | None, pkm: "Pkm") -> "Period":
    from pkm.share.period import choose_period, local_timezone

    hint = "--week" if week is not None else "--since/--until"
    try:
        return choose_period(
            week=week,
            since=since,
            until=until,
            now=pkm.now(),
            tz=local_timezone(os.environ.get("TZ")),
        )
    except InvalidPeriodError as e:
        raise typer.BadParameter(str(e), param_hint=hint) from None


def _dry_run_lines(digest: "Digest", files: list[Path]) -> list[str]:
    from pkm.share.render import period_days

    first, last = period_days(digest.period)
    p = digest.period
    out = [f"digest {p.label} ({first} to {last}, {safe(p.timezone)}) by {safe(digest.author)}"]
    if digest.empty:
        out.append("nothing to share in this period")
    out.append(f"notes ({len(digest.notes)}):")
    for n in digest.notes:
        private = sum(1 for c in n.cites if c is None)
        cites = f"cites {len(n.cites) - private} item(s)" + (
            f", {private} private source(s)" if private else ""
        )
        out.append(f"  {safe(n.path)}  {safe(n.title)}  ({cites})")
    out.append(f"items ({len(digest.items)}):")
    for i in digest.items:
        what = [f"{len(i.highlights)} highlight(s)"] + (["starred"] if i.starred_at else [])
        out.append(
            f"  item {i.item_id}  {safe(i.title or '(untitled)')}  {safe(i.url or '')}"
            f"  ({', '.join(what)})"
        )
        for h in i.highlights:
            shown = safe(h.exact) if h.exact is not None else "(comment) " + safe(h.comment)
            out.append(f"    highlight {h.annotation_id}: {shown[:100]}")
    out.append(f"archive ({len(digest.archive)}):")
    for a in digest.archive:
        out.append(
            f"  highlight {a.highlight.annotation_id} on item {a.item.item_id}:"
            f" {safe(a.highlight.exact)[:100]}"
        )
    if files:
        out.append("would write:")
        out += [f"  {f}" for f in files]
    return out


@share_app.command("digest")
def share_digest(
    ctx: typer.Context,
    week: WeekOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMATS",
            help="md, html, atom or json; several, comma-separated, with --out. Default: md.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write DIR/<period>.<format> files (and remember the archive highlights shown).",
            file_okay=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be shared; write nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Make the digest of a week (default: the last complete one) or of a range of days."""
    formats = _formats(fmt, to_stdout=out is None and not dry_run)
    from pkm.share import build_digest, record_archive, render_digest
    from pkm.share.render import EXTENSIONS, digest_json

    with cli_errors():
        pkm = get_pkm(ctx) if out is not None and not dry_run else get_pkm_refreshing(ctx)
        period = _period(week, since, until, pkm)
        digest = build_digest(pkm, period, author=pkm.author)
        files = [out / f"{period.label}.{EXTENSIONS[f]}" for f in formats] if out else []
        if dry_run:
            if as_json:
                emit_json({"digest": digest_json(digest), "files": [str(f) for f in files]})
            else:
                sys.stdout.write("\n".join(_dry_run_lines(digest, files)) + "\n")
            return
        if out is None:
            if as_json:
                sys.stdout.write(render_digest(pkm, digest, "json"))
            else:
                sys.stdout.write(render_digest(pkm, digest, formats[0]))
            return
        from pkm._util.fsutil import atomic_write_text
        from pkm.errors import ConfigError

        texts = [render_digest(pkm, digest, f) for f in formats]
        try:
            out.mkdir(parents=True, exist_ok=True)
            for file, text in zip(files, texts, strict=True):
                atomic_write_text(file, text)
        except OSError as e:
            raise ConfigError(f"cannot write the digest to {out}: {e.strerror or e}") from None
        record_archive(pkm, digest.period, digest.archive_ids)
        if as_json:
            emit_json(
                {
                    "period": period.label,
                    "files": [str(f) for f in files],
                    "empty": digest.empty,
                    "archive": [a.highlight.annotation_id for a in digest.archive],
                }
            )
        else:
            sys.stdout.write("".join(f"{f}\n" for f in files))


# --- publishing to a team folder --------------------------------------------------------------

ToOption = Annotated[
    Path | None,
    typer.Option(
        "--to",
        metavar="DIR",
        help="The team folder. Default: [share] folder in pkm.toml.",
        file_okay=False,
        show_default=False,
    ),
]


def _team_folder(to: Path | None, pkm: "Pkm") -> Path:
    folder = to or pkm.team_folder
    if folder is None:
        raise typer.BadParameter(
            "no team folder: give --to DIR or set [share] folder in pkm.toml", param_hint="--to"
        )
    return folder


def _publish_lines(r: "PublishResult") -> list[str]:
    verb = "would change" if r.dry_run else "changed"
    lines = [f"  {f}" for f in r.changed]
    head = f"{r.author} {r.period}: {verb} {len(r.changed)} of {len(r.files)} files in {r.folder}"
    if r.commit:
        head += f"; committed {r.commit[:12]}"
    if r.pushed:
        head += "; pushed"
    return [head, *lines]


def _publish(
    ctx: typer.Context,
    *,
    to: Path | None,
    week: str | None,
    since: str | None,
    until: str | None,
    dry_run: bool,
    no_commit: bool,
    pull: bool,
    push: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    from pkm.share.publish import publish_digest

    with cli_errors():
        pkm = get_pkm(ctx)
        folder = _team_folder(to, pkm)
        period = _period(week, since, until, pkm)
        result = publish_digest(
            pkm,
            period,
            folder=folder,
            env=dict(os.environ),
            dry_run=dry_run,
            commit=not no_commit,
            pull=pull,
            push=push,
        )
        if as_json:
            emit_json(result)
        else:
            for line in _publish_lines(result):
                info(safe(line), quiet)


@share_app.callback()
def share_run(ctx: typer.Context) -> None:
    """Publish the last week's digest to the team folder ([share] folder in pkm.toml)."""
    if ctx.invoked_subcommand is not None:
        return
    _publish(
        ctx,
        to=None,
        week=None,
        since=None,
        until=None,
        dry_run=False,
        no_commit=False,
        pull=False,
        push=False,
        as_json=False,
        quiet=False,
    )


@share_app.command("publish")
def share_publish(
    ctx: typer.Context,
    to: ToOption = None,
    week: WeekOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show which files would change; write nothing.")
    ] = False,
    no_commit: NoCommitOption = False,
    pull: Annotated[
        bool, typer.Option("--pull", help="git pull --rebase the team folder first.")
    ] = False,
    push: Annotated[bool, typer.Option("--push", help="git push after committing.")] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Publish a digest (default: the last complete week) into DIR/<author>/."""
    _publish(
        ctx,
        to=to,
        week=week,
        since=since,
        until=until,
        dry_run=dry_run,
        no_commit=no_commit,
        pull=pull,
        push=push,
        as_json=as_json,
        quiet=quiet,
    )


@share_app.command("team")
def share_team(
    ctx: typer.Context, to: ToOption = None, as_json: JsonOption = False, quiet: QuietOption = False
) -> None:
    """Rebuild the team page and feed (DIR/index.html, index.md, feed.atom)."""
    from pkm.share.publish import refresh_team

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        result = refresh_team(pkm.paths.home, _team_folder(to, pkm))
        if as_json:
            emit_json(result)
        else:
            info(f"team: changed {len(result.changed)} of {len(result.files)} files", quiet)


@share_app.command("history")
def share_history(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", min=1, help="Show at most N.")
    ] = 50,
    as_json: JsonOption = False,
) -> None:
    """List what was published: when, where, which files changed, which commit."""
    with cli_errors():
        from pkm.share.publish import list_publications

        publications = list_publications(get_pkm_refreshing(ctx), limit=limit)
        if as_json:
            emit_json(publications)
            return
        from rich.text import Text

        from pkm._util.timeutil import to_iso
        from pkm.cli._output import Column, add_row, fitted_table, stdout_console

        console = stdout_console()
        columns = [
            Column("published"),
            Column("author", shrink=3, min_width=6),
            Column("period"),
            Column("changed", justify="right"),
            Column("commit"),
            Column("folder", shrink=1, min_width=10),
        ]
        for p in publications:
            add_row(
                columns,
                Text(to_iso(p.published_at) or ""),
                Text(safe(p.author)),
                Text(safe(p.period)),
                Text(str(p.changed)),
                Text((p.commit or "")[:12]),
                Text(safe(p.folder)),
            )
        console.print(fitted_table(columns, console.width))


@share_app.command("email")
def share_email(
    ctx: typer.Context,
    to: Annotated[
        list[str],
        typer.Option("--to", metavar="ADDRESS", help="Send to this address (repeatable)."),
    ],
    week: WeekOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    quiet: QuietOption = False,
) -> None:
    """E-mail a digest (default: the last complete week) as text and HTML over SMTP.

    The server is set in pkm.toml ([share] smtp_host, smtp_port, smtp_security, smtp_user);
    the password is best given as PKM_SHARE_SMTP_PASSWORD in the environment.
    """
    from pkm.share.email import email_digest

    with cli_errors():
        pkm = get_pkm_refreshing(ctx)
        period = _period(week, since, until, pkm)
        mail = email_digest(pkm, period, to)
        info(f"sent the digest {period.label} to {safe(', '.join(mail.to))}", quiet)


@share_app.command("ask")
def share_ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(metavar="QUESTION", help="What you want to know.")],
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", metavar="TAG", help="Tag (repeatable).", autocompletion=complete_tag
        ),
    ] = None,
    to: ToOption = None,
    no_commit: NoCommitOption = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Ask the team: the question goes into your shared.atom, and teammates' pkm brings it
    in; their answers come back with your next `pkm seek` (see `pkm share questions`)."""
    from pkm.share.ask import ask_team

    with cli_errors():
        pkm = get_pkm(ctx)
        asked, result = ask_team(
            pkm,
            question,
            tags=tag or (),
            folder=_team_folder(to, pkm),
            env=dict(os.environ),
            commit=not no_commit,
        )
        if as_json:
            emit_json({"question": asked, "published": result})
        else:
            info(f"asked the team (question {asked.id}) in {safe(result.folder)}", quiet)


@share_app.command("answer")
def share_answer(
    ctx: typer.Context,
    question_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, help="The question: an item of your inbox.")
    ],
    note: Annotated[
        str | None,
        typer.Option(
            "--note", metavar="NOTE", help="Answer with this note.", autocompletion=complete_note
        ),
    ] = None,
    item: Annotated[
        list[int] | None,
        typer.Option("--item", metavar="ID", help="Answer with this item (repeatable)."),
    ] = None,
    comment: Annotated[str, typer.Option("--comment", metavar="TEXT", help="Your words.")] = "",
    to: ToOption = None,
    no_commit: NoCommitOption = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Answer a teammate's question with a note, items or a comment; it goes into your
    shared.atom, and the asker's next `pkm seek` brings it in under the question."""
    from pkm.share.ask import answer_question

    with cli_errors():
        pkm = get_pkm(ctx)
        answer, result = answer_question(
            pkm,
            question_id,
            note=note,
            item_ids=item or (),
            comment=comment,
            folder=_team_folder(to, pkm),
            env=dict(os.environ),
            commit=not no_commit,
        )
        if as_json:
            emit_json({"answer": answer, "published": result})
        else:
            info(f"answered question {question_id} in {safe(result.folder)}", quiet)


@share_app.command("questions")
def share_questions(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Your questions to the team, newest first, each with the answers that arrived."""
    from pkm.share.ask import asked_questions

    with cli_errors():
        asked = asked_questions(get_pkm_refreshing(ctx))
        if as_json:
            from pkm.serialize import item_json

            emit_json(
                [
                    {
                        "question": a.question,
                        "ref": a.ref,
                        "answers": [item_json(i) for i in a.answers],
                    }
                    for a in asked
                ]
            )
            return
        from rich.text import Text

        from pkm.cli._output import stdout_console

        console = stdout_console()
        for a in asked:
            console.print(
                Text(f"{a.question.id:>4} {safe(a.question.text)}", style="bold"), no_wrap=False
            )
            if not a.answers:
                console.print(Text("       no answer yet", style="dim"))
            for i in a.answers:
                console.print(Text(f"       item {i.id} from {safe(i.author)}: {safe(i.title)}"))
