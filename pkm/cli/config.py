"""`pkm config`: read and change pkm.toml, every key checked."""

import sys
from typing import Annotated, Any

import typer

from pkm.cli._context import cli_errors
from pkm.cli._options import JsonOption, QuietOption
from pkm.cli._output import emit_json, info

config_app = typer.Typer(
    help="Read and change the settings in pkm.toml (each is documented in the README).",
    no_args_is_help=True,
)

KeyArgument = Annotated[
    str, typer.Argument(metavar="KEY", help="A setting as TABLE.KEY, e.g. seek.max_entries.")
]


def _paths(ctx: typer.Context) -> Any:
    import os

    from pkm.cli._context import RootOptions
    from pkm.config import Paths, resolve_home

    options: RootOptions = ctx.find_root().obj or RootOptions()
    return Paths(resolve_home(options.home, os.environ))


def _settings(ctx: typer.Context) -> Any:
    import os

    from pkm.config import Settings

    return Settings.load(_paths(ctx).config, dict(os.environ))


def _shown(key: str, value: Any) -> Any:
    from pkm.config import SECRET_SETTINGS

    return ("(set)" if value else "") if key in SECRET_SETTINGS else value


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting in effect: pkm.toml, then PKM_<TABLE>_<KEY>, else the default."""
    from pkm.config import get_setting, setting_names

    with cli_errors():
        settings = _settings(ctx)
        values = {k: _shown(k, get_setting(settings, k)) for k in setting_names()}
        if as_json:
            tables: dict[str, dict[str, Any]] = {}
            for key, value in values.items():
                table, _, name = key.partition(".")
                tables.setdefault(table, {})[name] = value
            emit_json(tables)
            return
        import tomlkit

        lines: list[str] = []
        current = ""
        for key, value in values.items():
            table, _, name = key.partition(".")
            if table != current:
                lines.append(("\n" if lines else "") + f"[{table}]")
                current = table
            lines.append(f"{name} = {tomlkit.item(value).as_string()}")
        sys.stdout.write("\n".join(lines) + "\n")


@config_app.command("get")
def config_get(ctx: typer.Context, key: KeyArgument) -> None:
    """Print one setting's value in effect."""
    from pkm.config import get_setting

    with cli_errors():
        sys.stdout.write(f"{_shown(key, get_setting(_settings(ctx), key))}\n")


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: KeyArgument,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new value.")],
    quiet: QuietOption = False,
) -> None:
    """Change one setting in pkm.toml; comments and order in the file are kept."""
    from pkm.config import set_setting

    with cli_errors():
        path = _paths(ctx).config
        stored = set_setting(path, key, value)
        info(f"{key} = {_shown(key, stored)!r} in {path}", quiet)


@config_app.command("path")
def config_path(ctx: typer.Context) -> None:
    """Print where pkm.toml is (it need not exist: defaults apply)."""
    sys.stdout.write(f"{_paths(ctx).config}\n")
