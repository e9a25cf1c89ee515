"""systemd user timers: the service and timer units, `ExecStart=` quoting, and reading them back.

Owns the unit names and contents, `systemd_quote` and its inverse `systemd_split`, the plan that
installs and removes the units with `systemctl --user`, and `read`, which finds them in the user's
unit directory. May import janitor.errors, janitor.schedule.model and janitor.schedule.system.
"""

from __future__ import annotations

import dataclasses
import re

from janitor.errors import EXIT_BUSY
from janitor.schedule.model import (
    DESCRIPTION,
    JOB_NAME,
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
from janitor.schedule.system import parsed, read_file, succeeds

SERVICE_NAME = f"{JOB_NAME}.service"
TIMER_NAME = f"{JOB_NAME}.timer"
# Spread machines' runs a little so a fleet does not sweep at the same second.
_DELAY = {Every.HOURLY: "5m", Every.DAILY: "1h", Every.WEEKLY: "1h"}
_SAFE = re.compile(r"[A-Za-z0-9_@%$+=:,./-]+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", ";": ";"}


def systemd_quote(arg: str) -> str:
    """One argument for an `ExecStart=` line: specifiers and variables escaped, quoted if needed."""
    if arg == ";":
        return "\\;"
    text = arg.replace("%", "%%").replace("$", "$$")
    if _SAFE.fullmatch(arg):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'


def systemd_split(line: str) -> list[str]:
    """The arguments of an `ExecStart=` value, undoing `systemd_quote`."""
    words: list[str] = []
    index, size = 0, len(line)
    while True:
        while index < size and line[index] in " \t":
            index += 1
        if index >= size:
            return words
        word: list[str] = []
        quote: str | None = None
        while index < size:
            char, following = line[index], line[index + 1 : index + 2]
            if quote is None and char in " \t":
                break
            if char == "\\" and following:
                word.append(_ESCAPES.get(following, following))
                index += 2
            elif quote is None and char in "\"'":
                quote = char
                index += 1
            elif char == quote:
                quote = None
                index += 1
            elif char in "%$" and following == char:
                word.append(char)
                index += 2
            else:
                word.append(char)
                index += 1
        words.append("".join(word))


def systemd_service(job: Job) -> str:
    """The `janitor-sweep.service` unit: one low-priority run of the sweep."""
    exec_start = " ".join(systemd_quote(arg) for arg in job.argv)
    return (
        "# Written by `janitor schedule install`; `janitor schedule remove` deletes it.\n"
        "[Unit]\n"
        f"Description={DESCRIPTION}\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={exec_start}\n"
        "Nice=19\n"
        "IOSchedulingClass=idle\n"
        "CPUSchedulingPolicy=idle\n"
        f"# Exit status {EXIT_BUSY}: the cache was busy and the sweep yielded; the next run\n"
        "# tries again, so it is not a failure.\n"
        f"SuccessExitStatus={EXIT_BUSY}\n"
    )


def systemd_timer(every: Every) -> str:
    """The `janitor-sweep.timer` unit that starts the service `every` hour, day or week."""
    return (
        "# Written by `janitor schedule install`; `janitor schedule remove` deletes it.\n"
        "[Unit]\n"
        f"Description=Run janitor sweep {every.value}\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar={every.value}\n"
        "Persistent=true\n"
        f"RandomizedDelaySec={_DELAY[every]}\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def _unit_settings(text: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;[" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        settings[key.strip()] = value.strip()
    return settings


def parse_systemd_units(service: str, timer: str | None) -> Installed:
    """What the service and timer units schedule (raises ValueError without an ExecStart)."""
    exec_start = _unit_settings(service).get("ExecStart")
    if not exec_start:
        raise ValueError(f"no ExecStart= in {SERVICE_NAME}")
    every = None
    if timer is not None:
        every = _every(_unit_settings(timer).get("OnCalendar", ""))
    return Installed(Backend.SYSTEMD, every, tuple(systemd_split(exec_start.lstrip("-@:+!"))))


def _every(value: str) -> Every | None:
    try:
        return Every(value)
    except ValueError:
        return None


def _systemctl(*args: str, may_fail: bool = False) -> RunCommand:
    return RunCommand(("systemctl", "--user", *args), may_fail=may_fail)


def plan(job: Job, host: Host) -> Changes:
    """Write both units, then reload systemd and enable and start the timer."""
    units = host.systemd_unit_dir
    return Changes(
        Backend.SYSTEMD,
        (
            WriteFile(units / SERVICE_NAME, systemd_service(job)),
            WriteFile(units / TIMER_NAME, systemd_timer(job.every)),
            _systemctl("daemon-reload"),
            _systemctl("enable", "--now", TIMER_NAME),
        ),
        notes=(
            "systemd runs user timers only while you are logged in, unless lingering is on "
            "(loginctl enable-linger)",
        ),
    )


def unplan(host: Host) -> Changes:
    """Stop and disable the timer, delete both units, then reload systemd."""
    units = host.systemd_unit_dir
    return Changes(
        Backend.SYSTEMD,
        (
            _systemctl("disable", "--now", TIMER_NAME, may_fail=True),
            RemoveFile(units / TIMER_NAME),
            RemoveFile(units / SERVICE_NAME),
            _systemctl("daemon-reload"),
        ),
    )


def read(host: Host) -> Installed | None:
    """The units in the user's unit directory, read back, with whether the timer is active."""
    service_path = host.systemd_unit_dir / SERVICE_NAME
    timer_path = host.systemd_unit_dir / TIMER_NAME
    service, timer = read_file(service_path), read_file(timer_path)
    if service is None:
        return None
    timer_text = None if timer is None else timer.decode("utf-8", "replace")

    def parse(data: bytes) -> Installed:
        return parse_systemd_units(data.decode("utf-8", "replace"), timer_text)

    installed = parsed(service_path, parse, service)
    files = (service_path,) if timer is None else (service_path, timer_path)
    active = succeeds(("systemctl", "--user", "is-active", "--quiet", TIMER_NAME))
    return dataclasses.replace(installed, files=files, active=active)
