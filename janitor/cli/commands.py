"""The typer application: one module per command, registered here.

Each command lives in a module of its own (`sweep`, `report`, `why`, `dir`, `doctor`,
`schedule`) and is a thin wrapper: it checks its options, calls a worker module that returns
data, and renders it. Progress and summaries go to stderr, data (`--json`) to stdout. Only typer
is imported up front; a command imports what it needs when it runs. May import everything in
janitor.
"""

from __future__ import annotations

from typing import Annotated

import typer

from janitor import __version__
from janitor.cli import dir as dir_command
from janitor.cli import doctor, report, schedule, sweep, why

app = typer.Typer(
    name="janitor",
    help="Keep uv's cache clean: remove packages in one step, prune what nothing uses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"janitor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Keep uv's cache clean."""


for _module in (sweep, report, why, dir_command, doctor, schedule):
    _module.register(app)


def main() -> None:
    """Run the app (the console script goes through janitor.entry first)."""
    app()
