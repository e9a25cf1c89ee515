"""`janitor schedule install|remove|show`: the sweep on a timer.

May import everything in janitor; heavy modules are imported inside the commands.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from janitor.cli._common import handles_errors
from janitor.cli.output import err

if TYPE_CHECKING:
    from janitor import schedule as schedules


class Every(str, enum.Enum):
    """How often (the schedule package's `Every`, named here to keep it off start-up)."""

    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


schedule_app = typer.Typer(
    help="Run `janitor sweep` on a timer (systemd, cron, launchd or Task Scheduler).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def install(
    every: Annotated[Every, typer.Option("--every", help="How often the sweep runs.")] = (
        Every.DAILY
    ),
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            "-n",
            help="Print what would be written and run, and check that it can be; change nothing.",
        ),
    ] = False,
    sweep_args: Annotated[
        list[str] | None,
        # Described in the docstring: click would list it with a Python type name.
        typer.Argument(metavar="-- SWEEP_OPTION", hidden=True, show_default=False),
    ] = None,
) -> None:
    """Install (or replace) the scheduled sweep; idempotent.

    Options of `janitor sweep` go after --, as in `janitor schedule install --every weekly --
    --older-than 30d --max-size 10GiB`. They are checked now, as `janitor sweep` parses them, and
    so is what the scheduler needs (a user systemd, a crontab command, launchctl or schtasks). A
    timer sees neither the shell's UV_CACHE_DIR nor its PATH, so the cache and the uvs found now
    are written into the command unless the options name them.
    """
    from janitor import finduv, locate
    from janitor import schedule as schedules
    from janitor.cli.commands import app
    from janitor.cli.sweep import parse_args

    args = list(sweep_args or [])
    chosen = parse_args(app, args)
    uvs = finduv.find(chosen.uv) if chosen.cache != "hf" else []
    if not chosen.uv:
        args += [arg for uv in uvs for arg in ("--uv", str(uv.path))]
    # A timer sees neither the shell's UV_CACHE_DIR nor HF_HOME: the cache found now is named.
    if chosen.cache_dir is None and chosen.cache == "uv":
        args += ["--cache-dir", str(locate.locate(None, uvs=uvs).path)]
    elif chosen.cache_dir is None and chosen.cache == "hf":
        from janitor.hf.locate import locate as locate_hub

        args += ["--cache-dir", str(locate_hub(None)[0])]
    elif chosen.cache == "all":
        err("note: the scheduled `sweep all` finds both caches at their default places")
    job = schedules.Job(
        schedules.Every(every.value), schedules.sweep_command(schedules.janitor_command(), args)
    )
    host = schedules.detect_host()
    _apply(schedules.plan_install(job, host), host, dry_run, "install")
    if not uvs and chosen.cache != "hf":
        err("note: no uv found: the scheduled sweep keeps the newest bucket of every kind")


def remove(
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            "-n",
            help="Print what would be removed and run, and check that it can be; change nothing.",
        ),
    ] = False,
) -> None:
    """Remove the scheduled sweep; nothing installed is fine."""
    from janitor import schedule as schedules

    host = schedules.detect_host()
    _apply(schedules.plan_remove(host), host, dry_run, "removal")


def show() -> None:
    """Show the installed schedule, if any."""
    from janitor import schedule as schedules

    installed = schedules.read_installed(schedules.detect_host())
    if installed is None:
        typer.echo("No janitor schedule is installed")
        return
    typer.echo(f"backend: {installed.backend.value}")
    typer.echo(f"every: {installed.every.value if installed.every else 'unknown'}")
    typer.echo(f"command: {' '.join(installed.argv)}")
    for path in installed.files:
        typer.echo(f"file: {path}")
    if installed.active is not None:
        typer.echo(f"active: {'yes' if installed.active else 'no'}")


def _apply(steps: schedules.Plan, host: schedules.Host, dry_run: bool, action: str) -> None:
    """Carry out `steps`, or print them; either way, first check the machine can carry them out."""
    from janitor import schedule as schedules

    if dry_run:
        for line in steps.describe():
            typer.echo(line)
        try:
            schedules.check(steps, host)
        except schedules.ScheduleError as error:
            raise schedules.ScheduleError(f"the {action} would fail: {error}") from None
    else:
        schedules.check(steps, host)
        schedules.apply(steps)
        err(f"Done ({steps.backend.value})")
    for note in steps.notes:
        err(f"note: {note}")


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    schedule_app.command("install")(handles_errors(install))
    schedule_app.command("remove")(handles_errors(remove))
    schedule_app.command("show")(handles_errors(show))
    app.add_typer(schedule_app, name="schedule")
