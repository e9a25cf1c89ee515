"""Carrying out a plan: each step in order, stopping at the first that fails.

Owns `check`, which finds out without changing anything whether this machine has what a plan
needs (what `--dry-run` and the real run both ask first), and `apply`: files are written
atomically (a partial file, then a rename), removing a file that is gone is fine, a command's
failure is an error unless the step may fail, and a crontab edit goes through
janitor.schedule.cron. May import janitor.schedule.model, janitor.schedule.system and
janitor.schedule.cron.
"""

from __future__ import annotations

import os
import shutil

from janitor.schedule import cron
from janitor.schedule.model import (
    Backend,
    Changes,
    EditCrontab,
    Host,
    RemoveFile,
    RunCommand,
    ScheduleError,
    Step,
    WriteFile,
)
from janitor.schedule.system import failure, run


def check(plan: Changes, host: Host) -> None:
    """Raise ScheduleError, in one line, if carrying out `plan` here would fail for want of a
    program or a scheduler; reads, never writes.

    A systemd plan needs the user's systemd manager; every command a step must run needs its
    program on PATH; a crontab edit needs `crontab -l` to answer, as every edit starts with it.
    """
    if plan.backend is Backend.SYSTEMD and not host.systemd:
        raise ScheduleError("no systemd user manager answers here (systemctl --user)")
    for step in plan.steps:
        if isinstance(step, RunCommand) and not step.may_fail:
            if shutil.which(step.argv[0]) is None:
                raise ScheduleError(
                    f"{step.argv[0]} not found; it is needed to manage the schedule"
                )
        elif isinstance(step, EditCrontab):
            if shutil.which("crontab") is None:
                instead = (
                    " (and no systemd user manager to use instead)" if not host.systemd else ""
                )
                raise ScheduleError(
                    f"crontab not found{instead}; it is needed to manage the schedule"
                )
            cron.read_crontab()


def _write_file(step: WriteFile) -> None:
    data = step.text.encode(step.encoding)
    partial = step.path.with_name(f".{step.path.name}.partial")
    try:
        step.path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, step.path)
    except OSError as error:
        raise ScheduleError(f"cannot write {step.path}: {error.strerror or error}") from None


def _apply_step(step: Step) -> None:
    if isinstance(step, WriteFile):
        _write_file(step)
    elif isinstance(step, RemoveFile):
        try:
            step.path.unlink(missing_ok=True)
        except OSError as error:
            raise ScheduleError(f"cannot remove {step.path}: {error.strerror or error}") from None
    elif isinstance(step, RunCommand):
        try:
            result = run(step.argv)
        except ScheduleError:
            if step.may_fail:
                return
            raise
        if result.returncode != 0 and not step.may_fail:
            raise failure(step.argv, result)
    else:
        cron.edit_crontab(step.line)


def apply(plan: Changes) -> None:
    """Carry out `plan`'s steps in order; raises ScheduleError at the first that fails."""
    for step in plan.steps:
        _apply_step(step)
