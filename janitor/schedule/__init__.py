"""`janitor sweep` on a timer: systemd user timers, cron, launchd agents and Task Scheduler.

The choice of backend, and what is asked of it. Planning is pure: `plan_install` and
`plan_remove` return a `Changes` whose steps carry every file's content and every command, so
`--dry-run` can show it; `executor.check` finds out whether the machine has what a plan needs,
`executor.apply` carries a plan out and `read_installed` reports what is there. Only those,
`system.detect_host` and `system.janitor_command` touch the system. The host
(platform, home and config dirs) is a value, so every backend plans on any OS.

Each backend owns its files, their format and how they are read back: `systemd`, `cron`,
`launchd` and `taskscheduler`. `model` holds the values they share, `system` the commands and
reads that touch the machine, and `executor` carries out a plan's steps.
May import every module of janitor.schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath, PureWindowsPath
from typing import NamedTuple

from janitor.schedule import cron, launchd, systemd, taskscheduler
from janitor.schedule.model import Backend, Changes, Host, Installed, Job, ScheduleError


def _check_job(job: Job, platform: str) -> None:
    if not job.argv:
        raise ValueError("a scheduled job needs a command")
    program = PureWindowsPath(job.argv[0]) if platform == "win32" else PurePosixPath(job.argv[0])
    if not program.is_absolute():
        raise ValueError(f"the scheduled command must be absolute, got {job.argv[0]!r}")
    for arg in job.argv:
        if any(char in arg for char in "\n\r\0"):
            raise ScheduleError(f"cannot schedule an argument with a line break or NUL: {arg!r}")


def choose_backend(host: Host) -> Backend:
    """launchd on macOS, Task Scheduler on Windows, else systemd if usable, else cron."""
    if host.platform == "darwin":
        return Backend.LAUNCHD
    if host.platform == "win32":
        return Backend.TASK_SCHEDULER
    return Backend.SYSTEMD if host.systemd else Backend.CRON


class _Calls(NamedTuple):
    """What a backend does: plan an install, plan a removal, read back what is installed."""

    plan: Callable[[Job, Host], Changes]
    unplan: Callable[[Host], Changes]
    read: Callable[[Host], Installed | None]


_BACKENDS = {
    Backend.SYSTEMD: _Calls(systemd.plan, systemd.unplan, systemd.read),
    Backend.CRON: _Calls(cron.plan, lambda host: cron.unplan(), lambda host: cron.read()),
    Backend.LAUNCHD: _Calls(launchd.plan, launchd.unplan, launchd.read),
    Backend.TASK_SCHEDULER: _Calls(taskscheduler.plan, taskscheduler.unplan, taskscheduler.read),
}


def plan_install(job: Job, host: Host, backend: Backend | None = None) -> Changes:
    """The steps that install `job` (replacing any earlier schedule of janitor's)."""
    chosen = backend or choose_backend(host)
    _check_job(job, "win32" if chosen is Backend.TASK_SCHEDULER else "posix")
    return _BACKENDS[chosen].plan(job, host)


def plan_remove(host: Host, backend: Backend | None = None) -> Changes:
    """The steps that remove janitor's schedule; harmless when there is none."""
    return _BACKENDS[backend or choose_backend(host)].unplan(host)


def read_installed(host: Host, backend: Backend | None = None) -> Installed | None:
    """janitor's schedule on this machine as read back, with whether the scheduler has it."""
    return _BACKENDS[backend or choose_backend(host)].read(host)
