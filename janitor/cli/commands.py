"""The typer application: one module per command, registered here.

Each command lives in a module of its own (`sweep_command`, `report_command`, `why_command`,
`dir_command`, `doctor_command`, `schedule_command`) and is a thin wrapper: it checks its
options, calls a worker module that returns data, and renders it. Progress and summaries go to
stderr, data (`--json`) to stdout. Every command but `schedule` is declared in janitor.cli.options
and built by janitor.cli.declare. Only typer is imported up front; a command imports what it
needs when it runs. May import everything in janitor.
"""

from __future__ import annotations

from typing import Annotated

import typer

from janitor import __version__
from janitor.cli import options, schedule_command
from janitor.cli.declare import register
from janitor.cli.dir_command import dir_command
from janitor.cli.doctor_command import doctor
from janitor.cli.report_command import report
from janitor.cli.sweep_command import sweep
from janitor.cli.why_command import why

app = typer.Typer(
    name="janitor",
    help="Keep uv's cache clean: remove packages in one step, prune what nothing uses.",
    no_args_is_help=True,
    # --install-completion and --show-completion; janitor.entry hands them to this app.
    add_completion=True,
    # Help as click lays it out: paragraphs wrapped to the terminal, no markup to escape (rich
    # markup would swallow a `[default: ...]` in a help text), no Python type names.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# The command list's one line each, short enough for an 80-column terminal (click would cut a
# longer first sentence with "...").
SHORT_HELP = {
    "sweep": "Prune what nothing uses, or remove whole packages (--package).",
    "report": "The cache at a glance: size, what a sweep frees, packages.",
    "why": "What keeps an archive alive: entries and environments.",
    "dir": "The cache directory janitor would use (as `uv cache dir`).",
    "doctor": "What janitor finds here, and what needs attention.",
    "schedule": "Run `janitor sweep` on a timer: install, show, remove.",
}


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


register(app, options.SWEEP, sweep)
register(app, options.REPORT, report)
register(app, options.WHY, why)
register(app, options.DIR, dir_command)
register(app, options.DOCTOR, doctor)
schedule_command.register(app)
for _command in app.registered_commands:
    _command.short_help = SHORT_HELP.get(_command.name or "", _command.short_help)
for _group in app.registered_groups:
    _group.short_help = SHORT_HELP.get(_group.name or "", _group.short_help)


def main() -> None:
    """Run the app (the console script goes through janitor.entry first)."""
    app()
