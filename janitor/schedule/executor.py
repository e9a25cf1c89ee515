"""Carrying out a plan: each step in order, stopping at the first that fails.

Owns `apply`: files are written atomically (a partial file, then a rename), removing a file that
is gone is fine, a command's failure is an error unless the step may fail, and a crontab edit goes
through janitor.schedule.cron. May import janitor.schedule.model, janitor.schedule.system and
janitor.schedule.cron.
"""

from __future__ import annotations

import os

from janitor.schedule import cron
from janitor.schedule.model import Plan, RemoveFile, RunCommand, ScheduleError, Step, WriteFile
from janitor.schedule.system import failure, run


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


def apply(plan: Plan) -> None:
    """Carry out `plan`'s steps in order; raises ScheduleError at the first that fails."""
    for step in plan.steps:
        _apply_step(step)
