"""launchd agents on macOS: the agent's property list, loading it, and reading it back.

Owns the agent's label and file name, `launchd_plist` and `parse_plist`, the `launchctl` calls
that load and unload the agent in the user's GUI domain, and `read`.
May import janitor.schedule.model and janitor.schedule.system.
"""

from __future__ import annotations

import plistlib
from typing import Any

from janitor.schedule.model import (
    Backend,
    Changes,
    Every,
    Host,
    Installed,
    Job,
    RemoveFile,
    RunCommand,
    WriteFile,
)
from janitor.schedule.system import read_definition

LAUNCHD_LABEL = "dev.janitor.sweep"
PLIST_NAME = f"{LAUNCHD_LABEL}.plist"
_HOUR = 3


def launchd_plist(job: Job) -> str:
    """The launchd agent: the sweep as a background, low-priority job."""
    agent: dict[str, Any] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(job.argv),
        "ProcessType": "Background",
        "LowPriorityIO": True,
        "Nice": 19,
        "RunAtLoad": False,
    }
    if job.every is Every.HOURLY:
        agent["StartInterval"] = 3600
    elif job.every is Every.DAILY:
        agent["StartCalendarInterval"] = {"Hour": _HOUR, "Minute": 0}
    else:
        agent["StartCalendarInterval"] = {"Weekday": 0, "Hour": _HOUR, "Minute": 0}
    return plistlib.dumps(agent, sort_keys=False).decode("utf-8")


def parse_plist(data: bytes) -> Installed:
    """What a launchd agent plist schedules (raises ValueError if it is not one)."""
    try:
        agent = plistlib.loads(data)
    except (plistlib.InvalidFileException, ValueError) as error:
        raise ValueError(f"not a property list: {error}") from None
    arguments = agent.get("ProgramArguments") if isinstance(agent, dict) else None
    if not isinstance(arguments, list) or not all(isinstance(arg, str) for arg in arguments):
        raise ValueError("no ProgramArguments list of strings")
    calendar = agent.get("StartCalendarInterval")
    every = None
    if agent.get("StartInterval") == 3600:
        every = Every.HOURLY
    elif isinstance(calendar, dict):
        if "Weekday" in calendar:
            every = Every.WEEKLY
        elif "Hour" in calendar:
            every = Every.DAILY
        elif "Minute" in calendar:
            every = Every.HOURLY
    return Installed(Backend.LAUNCHD, every, tuple(arguments))


def _launchctl_target(host: Host) -> str:
    return f"gui/{host.uid}"


def plan(job: Job, host: Host) -> Changes:
    """Write the agent, then unload any loaded copy and load the new one."""
    plist = host.launch_agents_dir / PLIST_NAME
    return Changes(
        Backend.LAUNCHD,
        (
            WriteFile(plist, launchd_plist(job)),
            # bootstrap refuses a loaded agent: unload first so a reinstall picks up the new file.
            RunCommand(
                ("launchctl", "bootout", f"{_launchctl_target(host)}/{LAUNCHD_LABEL}"),
                may_fail=True,
            ),
            RunCommand(("launchctl", "bootstrap", _launchctl_target(host), str(plist))),
        ),
    )


def unplan(host: Host) -> Changes:
    """Unload the agent, then delete its file."""
    return Changes(
        Backend.LAUNCHD,
        (
            RunCommand(
                ("launchctl", "bootout", f"{_launchctl_target(host)}/{LAUNCHD_LABEL}"),
                may_fail=True,
            ),
            RemoveFile(host.launch_agents_dir / PLIST_NAME),
        ),
    )


def read(host: Host) -> Installed | None:
    """The agent in the user's LaunchAgents, read back, with whether launchd has it loaded."""
    status = ("launchctl", "print", f"{_launchctl_target(host)}/{LAUNCHD_LABEL}")
    return read_definition(host.launch_agents_dir / PLIST_NAME, parse_plist, status)
