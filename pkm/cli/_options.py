"""Options every command group shares, spelled and explained once."""

from typing import Annotated

import typer

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable result on stdout.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing unless something failed.")
]
