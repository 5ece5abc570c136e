"""`pkm share ...`: digests of what you read, highlighted and wrote.

One Typer sub-app, `share_app`, with one function per command; the services are in
`pkm.share`. This module reads TZ (the person's zone) and writes to stdout and stderr.
"""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pkm.cli._context import cli_errors, get_pkm, get_pkm_refreshing
from pkm.cli._options import JsonOption
from pkm.cli._output import emit_json, safe
from pkm.errors import InvalidPeriodError

if TYPE_CHECKING:
    from pkm.core import Pkm
    from pkm.models import Digest, Period

share_app = typer.Typer(
    help="Share what you learned: digests of a week or of any days.", no_args_is_help=True
)

FORMATS = ("md", "html", "atom", "json")


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
    week: Annotated[
        str | None,
        typer.Option("--week", metavar="YYYY-Www", help="The ISO week, e.g. 2026-W05."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="First day (YYYY-MM-DD), with --until."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="DATE", help="Last day, included (YYYY-MM-DD)."),
    ] = None,
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
    from pkm.share import build_digest, default_author, record_archive, render_digest
    from pkm.share.render import EXTENSIONS, digest_json

    with cli_errors():
        pkm = get_pkm(ctx) if out is not None and not dry_run else get_pkm_refreshing(ctx)
        period = _period(week, since, until, pkm)
        digest = build_digest(pkm, period, author=default_author(pkm))
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
        record_archive(pkm, digest)
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
