"""What a schedule is: the job, the host it is planned for, a plan's steps and what is installed.

Owns the names every backend shares (the job name, the description, the sweep's fixed options and
the crontab marker), the enums, the `Host`, `Job`, the four kinds of step, `Changes` (the steps
of an install or a removal) and `Installed`.
Pure values only: no I/O. Imports janitor.errors.
"""

from __future__ import annotations

import enum
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from janitor.errors import JanitorError

JOB_NAME = "janitor-sweep"
CRON_MARKER = f"# {JOB_NAME}"
DESCRIPTION = "Clean uv's package cache (janitor sweep)"
# A scheduled run never waits for a busy cache and prints only errors.
SWEEP_PREFIX = ("sweep", "--wait", "0", "--quiet")


class ScheduleError(JanitorError):
    """The OS scheduler refused a step, or what is installed cannot be read."""


class Every(str, enum.Enum):
    """How often the scheduled sweep runs."""

    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


class Backend(str, enum.Enum):
    """The OS scheduler that runs the sweep."""

    SYSTEMD = "systemd"
    CRON = "cron"
    LAUNCHD = "launchd"
    TASK_SCHEDULER = "task-scheduler"


@dataclass(frozen=True)
class Host:
    """What planning needs to know about the machine; `detect_host()` reads the real one."""

    platform: str
    home: Path
    config_home: Path
    data_dir: Path
    uid: int = 0
    systemd: bool = False
    nice: str | None = None
    ionice: str | None = None

    @property
    def systemd_unit_dir(self) -> Path:
        """Where systemd looks for this user's units."""
        return self.config_home / "systemd" / "user"

    @property
    def launch_agents_dir(self) -> Path:
        """Where launchd looks for this user's agents."""
        return self.home / "Library" / "LaunchAgents"


@dataclass(frozen=True)
class Job:
    """A sweep to schedule: how often, and the absolute command line that runs it."""

    every: Every
    argv: tuple[str, ...]


def sweep_command(janitor: Sequence[str], sweep_args: Sequence[str] = ()) -> tuple[str, ...]:
    """The scheduled command line: janitor, `sweep --wait 0 --quiet`, then the sweep options."""
    return (*janitor, *SWEEP_PREFIX, *sweep_args)


@dataclass(frozen=True)
class WriteFile:
    """Create or replace a file with `text` in `encoding`."""

    path: Path
    text: str
    encoding: str = "utf-8"

    def describe(self) -> list[str]:
        """The step as lines for --dry-run, the content indented."""
        return [f"write {self.path}", *(f"    {line}" for line in self.text.splitlines())]


@dataclass(frozen=True)
class RemoveFile:
    """Delete a file; one already gone is fine."""

    path: Path

    def describe(self) -> list[str]:
        """The step as lines for --dry-run."""
        return [f"remove {self.path}"]


@dataclass(frozen=True)
class RunCommand:
    """Run a command; `may_fail` for undoing something that may not be there."""

    argv: tuple[str, ...]
    may_fail: bool = False
    windows: bool = False

    def describe(self) -> list[str]:
        """The step as lines for --dry-run."""
        shown = subprocess.list2cmdline(self.argv) if self.windows else shlex.join(self.argv)
        return [f"run {shown}" + (" (a failure is ignored)" if self.may_fail else "")]


@dataclass(frozen=True)
class EditCrontab:
    """Put `line` in place of janitor's crontab line, or drop that line when `line` is None."""

    line: str | None

    def describe(self) -> list[str]:
        """The step as lines for --dry-run."""
        if self.line is None:
            return [f"remove the crontab line ending in {CRON_MARKER!r}"]
        return ["add or replace janitor's crontab line:", f"    {self.line}"]


Step: TypeAlias = WriteFile | RemoveFile | RunCommand | EditCrontab


@dataclass(frozen=True)
class Changes:
    """The steps that install or remove the schedule, in order, and notes for the user."""

    backend: Backend
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        """Every step as text, for --dry-run."""
        return [line for step in self.steps for line in step.describe()]


@dataclass(frozen=True)
class Installed:
    """A schedule found on the machine, as read back from its files or crontab line."""

    backend: Backend
    every: Every | None
    argv: tuple[str, ...]
    files: tuple[Path, ...] = ()
    active: bool | None = None

    @property
    def sweep_args(self) -> tuple[str, ...] | None:
        """The sweep options after janitor's fixed prefix, or None if the command differs."""
        for start in range(len(self.argv) - len(SWEEP_PREFIX) + 1):
            if self.argv[start : start + len(SWEEP_PREFIX)] == SWEEP_PREFIX:
                return self.argv[start + len(SWEEP_PREFIX) :]
        return None
