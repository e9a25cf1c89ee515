"""`janitor schedule install|remove|show`: the sweep on a timer, as janitor.schedule plans and
installs it.

A typer group declared here (its `-- SWEEP_OPTION` arguments are `janitor sweep`'s, checked by
the sweep command's own parser). May import everything in janitor; heavy modules are imported
inside the commands.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from janitor.cli.declare import handles_errors
from janitor.cli.output import err
from janitor.errors import UsageError

if TYPE_CHECKING:
    from janitor.cli.sweep_options import Options
    from janitor.schedule.model import Changes, Host


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
    from janitor import schedule as schedules
    from janitor.schedule import model, system
    from janitor.uv import finduv, locate

    args = list(sweep_args or [])
    chosen = parse_sweep_options(args)
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
    job = model.Job(model.Every(every.value), model.sweep_command(system.janitor_command(), args))
    host = system.detect_host()
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
    from janitor.schedule.system import detect_host

    host = detect_host()
    _apply(schedules.plan_remove(host), host, dry_run, "removal")


def show() -> None:
    """Show the installed schedule, if any."""
    from janitor.schedule import read_installed
    from janitor.schedule.system import detect_host

    installed = read_installed(detect_host())
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


def _apply(steps: Changes, host: Host, dry_run: bool, action: str) -> None:
    """Carry out `steps`, or print them; either way, first check the machine can carry them out."""
    from janitor.schedule.executor import apply, check
    from janitor.schedule.model import ScheduleError

    if dry_run:
        for line in steps.describe():
            typer.echo(line)
        try:
            check(steps, host)
        except ScheduleError as error:
            raise ScheduleError(f"the {action} would fail: {error}") from None
    else:
        check(steps, host)
        apply(steps)
        err(f"Done ({steps.backend.value})")
    for note in steps.notes:
        err(f"note: {note}")


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    schedule_app.command("install")(handles_errors(install))
    schedule_app.command("remove")(handles_errors(remove))
    schedule_app.command("show")(handles_errors(show))
    app.add_typer(schedule_app, name="schedule")


def parse_sweep_options(args: Sequence[str]) -> Options:
    """Parse sweep options exactly as `janitor sweep` would, without running it."""
    from typer.main import get_command

    from janitor.cli.commands import app
    from janitor.cli.sweep_options import options

    command = get_command(app).commands["sweep"]  # type: ignore[attr-defined]
    try:
        context = command.make_context("sweep", list(args))
    except Exception as error:  # click's UsageError family, with its own message
        unknown = getattr(error, "option_name", None)
        # By name: typer may bring click's exceptions as its own copy, or click's.
        if type(error).__name__ == "NoSuchOption" and unknown:
            # click's "Possible options" would guess among the sweep's options (`--bogus`:
            # `--verbose`), which reads as if schedule had them; name them all instead.
            names = ", ".join(
                "/".join(param.opts)
                for param in command.params
                if param.opts and not getattr(param, "hidden", False)
            )
            raise UsageError(
                f"sweep options: No such option: {unknown} (janitor sweep's options: {names})"
            ) from None
        formatted = getattr(error, "format_message", None)
        message = formatted() if callable(formatted) else str(error)
        raise UsageError(f"sweep options: {message}") from None
    return options(context.params)
