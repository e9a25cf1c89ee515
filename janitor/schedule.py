"""`janitor sweep` on a timer: systemd user timers, cron, launchd agents and Task Scheduler.

Owns the files and the crontab line janitor installs and how to read them back. Planning is pure:
`plan_install` and `plan_remove` return a `Plan` whose steps carry every file's content and every
command, so `--dry-run` can show it; `apply` carries a plan out and `read_installed` reports what
is there. Only `apply`, `read_installed`, `detect_host` and `janitor_command` touch the system.
The host (platform, home and config dirs) is a value, so every backend plans on any OS.
Imports janitor.errors.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeAlias

import platformdirs

from janitor.errors import EXIT_BUSY, JanitorError

APP_NAME = "janitor"
JOB_NAME = "janitor-sweep"
SERVICE_NAME = f"{JOB_NAME}.service"
TIMER_NAME = f"{JOB_NAME}.timer"
LAUNCHD_LABEL = "dev.janitor.sweep"
PLIST_NAME = f"{LAUNCHD_LABEL}.plist"
TASK_NAME = JOB_NAME
TASK_XML_NAME = f"{JOB_NAME}.xml"
CRON_MARKER = f"# {JOB_NAME}"
DESCRIPTION = "Clean uv's package cache (janitor sweep)"
# A scheduled run never waits for a busy cache and prints only errors.
SWEEP_PREFIX = ("sweep", "--wait", "0", "--quiet")
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
_COMMAND_TIMEOUT = 60


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


# Spread machines' runs a little so a fleet does not sweep at the same second.
_SYSTEMD_DELAY = {Every.HOURLY: "5m", Every.DAILY: "1h", Every.WEEKLY: "1h"}
_CRON_SPEC = {Every.HOURLY: "@hourly", Every.DAILY: "@daily", Every.WEEKLY: "@weekly"}
_TASK_INTERVAL = {Every.HOURLY: "PT1H", Every.DAILY: "P1D", Every.WEEKLY: "P7D"}
_TASK_DELAY = {Every.HOURLY: "PT5M", Every.DAILY: "PT1H", Every.WEEKLY: "PT1H"}
# A fixed past start (a Sunday, 03:00 local time) keeps the task XML a pure function of the job.
_TASK_START = "2024-01-07T03:00:00"
_LAUNCHD_HOUR = 3


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
class Plan:
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


# --- the command line -------------------------------------------------------------------------


def janitor_command(executable: str | None = None) -> tuple[str, ...]:
    """The absolute command that runs this janitor: its Python with `-m janitor`."""
    python = executable if executable is not None else sys.executable
    if not python:
        raise ScheduleError("cannot tell which Python runs janitor, so cannot schedule it")
    # abspath, not resolve: a venv's python is a symlink whose target is outside the venv.
    return (os.path.abspath(python), "-m", APP_NAME)


def sweep_command(janitor: Sequence[str], sweep_args: Sequence[str] = ()) -> tuple[str, ...]:
    """The scheduled command line: janitor, `sweep --wait 0 --quiet`, then the sweep options."""
    return (*janitor, *SWEEP_PREFIX, *sweep_args)


def _check_job(job: Job, platform: str) -> None:
    if not job.argv:
        raise ValueError("a scheduled job needs a command")
    program = PureWindowsPath(job.argv[0]) if platform == "win32" else PurePosixPath(job.argv[0])
    if not program.is_absolute():
        raise ValueError(f"the scheduled command must be absolute, got {job.argv[0]!r}")
    for arg in job.argv:
        if any(char in arg for char in "\n\r\0"):
            raise ScheduleError(f"cannot schedule an argument with a line break or NUL: {arg!r}")


# --- systemd ----------------------------------------------------------------------------------

_SYSTEMD_SAFE = re.compile(r"[A-Za-z0-9_@%$+=:,./-]+")
_SYSTEMD_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", ";": ";"}


def systemd_quote(arg: str) -> str:
    """One argument for an `ExecStart=` line: specifiers and variables escaped, quoted if needed."""
    if arg == ";":
        return "\\;"
    text = arg.replace("%", "%%").replace("$", "$$")
    if _SYSTEMD_SAFE.fullmatch(arg):
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
                word.append(_SYSTEMD_ESCAPES.get(following, following))
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
        f"RandomizedDelaySec={_SYSTEMD_DELAY[every]}\n"
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


def _plan_systemd(job: Job, host: Host) -> Plan:
    units = host.systemd_unit_dir
    return Plan(
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


def _unplan_systemd(host: Host) -> Plan:
    units = host.systemd_unit_dir
    return Plan(
        Backend.SYSTEMD,
        (
            _systemctl("disable", "--now", TIMER_NAME, may_fail=True),
            RemoveFile(units / TIMER_NAME),
            RemoveFile(units / SERVICE_NAME),
            _systemctl("daemon-reload"),
        ),
    )


# --- cron -------------------------------------------------------------------------------------


def _crontab_lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _is_janitor_line(line: str) -> bool:
    body = line.rstrip()
    return body == CRON_MARKER or body.endswith(" " + CRON_MARKER)


def cron_line(job: Job, host: Host) -> str:
    """janitor's crontab line: the schedule, the niced command, then the marker comment."""
    if any("\\%" in arg for arg in job.argv):
        # cron offers no way to write a backslash followed by a literal percent sign.
        raise ScheduleError("cron cannot run an argument that contains a backslash before a %")
    prefix: list[str] = []
    if host.nice:
        prefix += [host.nice, "-n", "19"]
    if host.ionice:
        prefix += [host.ionice, "-c3"]
    # cron turns an unescaped % into a newline, even inside the shell's quotes.
    command = shlex.join([*prefix, *job.argv]).replace("%", "\\%")
    return f"{_CRON_SPEC[job.every]} {command} {CRON_MARKER}"


def crontab_with(text: str, line: str) -> str:
    """`text` with janitor's line set to `line` (in place of an old one); other lines unchanged."""
    kept: list[str] = []
    placed = False
    for existing in _crontab_lines(text):
        if not _is_janitor_line(existing):
            kept.append(existing)
        elif not placed:
            kept.append(line + "\n")
            placed = True
    if not placed:
        if kept and not kept[-1].endswith("\n"):
            kept[-1] += "\n"
        kept.append(line + "\n")
    return "".join(kept)


def crontab_without(text: str) -> str:
    """`text` without janitor's line; every other line byte for byte."""
    return "".join(line for line in _crontab_lines(text) if not _is_janitor_line(line))


def _drop_nice(argv: list[str]) -> list[str]:
    """The command without the `nice -n N` and `ionice -cN` that `cron_line` puts before it."""
    if argv and PurePosixPath(argv[0]).name == "nice":
        argv = argv[3:] if argv[1:2] == ["-n"] else argv[1:]
    if argv and PurePosixPath(argv[0]).name == "ionice":
        argv = argv[1:]
        while argv and argv[0].startswith("-"):
            argv = argv[2:] if argv[0] in ("-c", "-n") else argv[1:]
    return argv


def parse_crontab(text: str) -> Installed | None:
    """janitor's active crontab line in `text`, read back; None if there is none."""
    for raw in _crontab_lines(text):
        line = raw.strip()
        if not _is_janitor_line(line) or line.startswith("#"):
            continue
        body = line[: -len(CRON_MARKER)].strip()
        fields = 1 if body.startswith("@") else 5
        parts = body.split(None, fields)
        if len(parts) <= fields:
            raise ValueError(f"janitor's crontab line has no command: {line!r}")
        spec = " ".join(parts[:fields])
        every = next((key for key, value in _CRON_SPEC.items() if value == spec), None)
        command = re.sub(r"\\%", "%", parts[fields])
        argv = _drop_nice(shlex.split(command))
        return Installed(Backend.CRON, every, tuple(argv), active=True)
    return None


# --- launchd ----------------------------------------------------------------------------------


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
        agent["StartCalendarInterval"] = {"Hour": _LAUNCHD_HOUR, "Minute": 0}
    else:
        agent["StartCalendarInterval"] = {"Weekday": 0, "Hour": _LAUNCHD_HOUR, "Minute": 0}
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


def _plan_launchd(job: Job, host: Host) -> Plan:
    plist = host.launch_agents_dir / PLIST_NAME
    return Plan(
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


def _unplan_launchd(host: Host) -> Plan:
    return Plan(
        Backend.LAUNCHD,
        (
            RunCommand(
                ("launchctl", "bootout", f"{_launchctl_target(host)}/{LAUNCHD_LABEL}"),
                may_fail=True,
            ),
            RemoveFile(host.launch_agents_dir / PLIST_NAME),
        ),
    )


# --- Windows Task Scheduler -------------------------------------------------------------------


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    child.text = text
    return child


def task_xml(job: Job) -> str:
    """The Task Scheduler definition: a time trigger repeating `job.every`, at low priority."""
    task = ET.Element("Task", {"version": "1.2", "xmlns": TASK_NAMESPACE})
    info = _element(task, "RegistrationInfo")
    _element(info, "Description", f"{DESCRIPTION}, {job.every.value}")
    _element(info, "URI", f"\\{TASK_NAME}")
    trigger = _element(_element(task, "Triggers"), "TimeTrigger")
    repetition = _element(trigger, "Repetition")
    _element(repetition, "Interval", _TASK_INTERVAL[job.every])
    _element(repetition, "StopAtDurationEnd", "false")
    _element(trigger, "StartBoundary", _TASK_START)
    _element(trigger, "Enabled", "true")
    _element(trigger, "RandomDelay", _TASK_DELAY[job.every])
    principal = _element(_element(task, "Principals"), "Principal", id="Author")
    _element(principal, "LogonType", "InteractiveToken")
    _element(principal, "RunLevel", "LeastPrivilege")
    settings = _element(task, "Settings")
    _element(settings, "MultipleInstancesPolicy", "IgnoreNew")
    _element(settings, "DisallowStartIfOnBatteries", "true")
    _element(settings, "StopIfGoingOnBatteries", "false")
    _element(settings, "StartWhenAvailable", "true")
    idle = _element(settings, "IdleSettings")
    _element(idle, "StopOnIdleEnd", "false")
    _element(idle, "RestartOnIdle", "false")
    _element(settings, "Enabled", "true")
    _element(settings, "ExecutionTimeLimit", "PT2H")
    # 10 is the idle priority class, the counterpart of Nice=19 and the idle I/O class.
    _element(settings, "Priority", "10")
    action = _element(_element(task, "Actions", Context="Author"), "Exec")
    _element(action, "Command", job.argv[0])
    if len(job.argv) > 1:
        _element(action, "Arguments", subprocess.list2cmdline(job.argv[1:]))
    ET.indent(task, space="  ")
    body = ET.tostring(task, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-16"?>\n{body}\n'


def windows_split(arguments: str) -> list[str]:
    """Split a Windows command line the way the C runtime does; inverse of list2cmdline."""
    words: list[str] = []
    word: list[str] = []
    in_word = quoted = False
    index, size = 0, len(arguments)
    while index < size:
        char = arguments[index]
        if char == "\\":
            end = index
            while end < size and arguments[end] == "\\":
                end += 1
            count = end - index
            if end < size and arguments[end] == '"':
                word.append("\\" * (count // 2))
                if count % 2:
                    word.append('"')
                    end += 1
            else:
                word.append("\\" * count)
            in_word = True
            index = end
        elif char == '"':
            if quoted and arguments[index + 1 : index + 2] == '"':
                word.append('"')
                index += 2
            else:
                quoted = not quoted
                index += 1
            in_word = True
        elif char in " \t" and not quoted:
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            index += 1
        else:
            word.append(char)
            in_word = True
            index += 1
    if in_word:
        words.append("".join(word))
    return words


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse_task_xml(data: bytes) -> Installed:
    """What a Task Scheduler definition runs, and how often (raises ValueError if unreadable)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ValueError(f"not a task definition: {error}") from None
    found = {_local(element.tag): (element.text or "").strip() for element in root.iter()}
    command = found.get("Command")
    if not command:
        raise ValueError("no Exec Command in the task definition")
    interval = found.get("Interval", "")
    every = next((key for key, value in _TASK_INTERVAL.items() if value == interval), None)
    argv = (command, *windows_split(found.get("Arguments", "")))
    return Installed(Backend.TASK_SCHEDULER, every, argv)


def _plan_task(job: Job, host: Host) -> Plan:
    definition = host.data_dir / TASK_XML_NAME
    create = ("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(definition), "/F")
    return Plan(
        Backend.TASK_SCHEDULER,
        (
            # schtasks reads task XML as UTF-16; the file also lets `show` read the task back.
            WriteFile(definition, task_xml(job), encoding="utf-16"),
            RunCommand(create, windows=True),
        ),
        notes=("Task Scheduler runs the sweep while you are logged on",),
    )


def _unplan_task(host: Host) -> Plan:
    return Plan(
        Backend.TASK_SCHEDULER,
        (
            RunCommand(
                ("schtasks", "/Delete", "/TN", TASK_NAME, "/F"), may_fail=True, windows=True
            ),
            RemoveFile(host.data_dir / TASK_XML_NAME),
        ),
    )


# --- planning ---------------------------------------------------------------------------------


def choose_backend(host: Host) -> Backend:
    """launchd on macOS, Task Scheduler on Windows, else systemd if usable, else cron."""
    if host.platform == "darwin":
        return Backend.LAUNCHD
    if host.platform == "win32":
        return Backend.TASK_SCHEDULER
    return Backend.SYSTEMD if host.systemd else Backend.CRON


def plan_install(job: Job, host: Host, backend: Backend | None = None) -> Plan:
    """The steps that install `job` (replacing any earlier schedule of janitor's)."""
    chosen = backend or choose_backend(host)
    _check_job(job, "win32" if chosen is Backend.TASK_SCHEDULER else "posix")
    if chosen is Backend.SYSTEMD:
        return _plan_systemd(job, host)
    if chosen is Backend.CRON:
        return Plan(Backend.CRON, (EditCrontab(cron_line(job, host)),))
    if chosen is Backend.LAUNCHD:
        return _plan_launchd(job, host)
    return _plan_task(job, host)


def plan_remove(host: Host, backend: Backend | None = None) -> Plan:
    """The steps that remove janitor's schedule; harmless when there is none."""
    chosen = backend or choose_backend(host)
    if chosen is Backend.SYSTEMD:
        return _unplan_systemd(host)
    if chosen is Backend.CRON:
        return Plan(Backend.CRON, (EditCrontab(None),))
    if chosen is Backend.LAUNCHD:
        return _unplan_launchd(host)
    return _unplan_task(host)


# --- the system -------------------------------------------------------------------------------


def _systemd_usable(run_dir: Path) -> bool:
    if not run_dir.is_dir() or shutil.which("systemctl") is None:
        return False
    try:
        probe = subprocess.run(
            ("systemctl", "--user", "show-environment"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def detect_host(
    environ: Mapping[str, str] | None = None, run_systemd: Path = Path("/run/systemd/system")
) -> Host:
    """This machine: platform, home and config dirs, and whether systemd and ionice are there."""
    env = os.environ if environ is None else environ
    home = Path.home()
    xdg = env.get("XDG_CONFIG_HOME", "")
    config_home = Path(xdg) if os.path.isabs(xdg) else home / ".config"
    linux = sys.platform.startswith("linux")
    return Host(
        platform=sys.platform,
        home=home,
        config_home=config_home,
        data_dir=platformdirs.user_data_path(APP_NAME, appauthor=False),
        uid=os.getuid() if hasattr(os, "getuid") else 0,
        systemd=linux and _systemd_usable(run_systemd),
        nice=shutil.which("nice") if sys.platform != "win32" else None,
        ionice=shutil.which("ionice") if linux else None,
    )


def _run(argv: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            list(argv),
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ScheduleError(f"{argv[0]} not found; it is needed to manage the schedule") from None
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ScheduleError(f"cannot run {shlex.join(argv)}: {error}") from None


def _failure(argv: Sequence[str], result: subprocess.CompletedProcess[bytes]) -> ScheduleError:
    output = (result.stderr or result.stdout).decode("utf-8", "replace").strip().splitlines()
    detail = f": {output[-1].strip()}" if output else ""
    return ScheduleError(f"{shlex.join(argv)} failed with exit status {result.returncode}{detail}")


def read_crontab() -> str:
    """The user's crontab (`crontab -l`); empty when there is none."""
    result = _run(("crontab", "-l"))
    if result.returncode != 0:
        if b"no crontab" in result.stderr.lower():
            return ""
        raise _failure(("crontab", "-l"), result)
    return result.stdout.decode("utf-8", "surrogateescape")


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
            result = _run(step.argv)
        except ScheduleError:
            if step.may_fail:
                return
            raise
        if result.returncode != 0 and not step.may_fail:
            raise _failure(step.argv, result)
    else:
        current = read_crontab()
        edited = crontab_without(current) if step.line is None else crontab_with(current, step.line)
        if edited != current:
            result = _run(("crontab", "-"), edited.encode("utf-8", "surrogateescape"))
            if result.returncode != 0:
                raise _failure(("crontab", "-"), result)


def apply(plan: Plan) -> None:
    """Carry out `plan`'s steps in order; raises ScheduleError at the first that fails."""
    for step in plan.steps:
        _apply_step(step)


def _succeeds(argv: Sequence[str]) -> bool | None:
    try:
        return _run(argv).returncode == 0
    except ScheduleError:
        return None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise ScheduleError(f"cannot read {path}: {error.strerror or error}") from None


def _parsed(path: Path, parse: Callable[[bytes], Installed], data: bytes) -> Installed:
    try:
        return parse(data)
    except ValueError as error:
        raise ScheduleError(f"{path}: {error}") from None


def _read_systemd(host: Host) -> Installed | None:
    service_path = host.systemd_unit_dir / SERVICE_NAME
    timer_path = host.systemd_unit_dir / TIMER_NAME
    service, timer = _read(service_path), _read(timer_path)
    if service is None:
        return None
    timer_text = None if timer is None else timer.decode("utf-8", "replace")

    def parse(data: bytes) -> Installed:
        return parse_systemd_units(data.decode("utf-8", "replace"), timer_text)

    installed = _parsed(service_path, parse, service)
    files = (service_path,) if timer is None else (service_path, timer_path)
    active = _succeeds(("systemctl", "--user", "is-active", "--quiet", TIMER_NAME))
    return dataclasses.replace(installed, files=files, active=active)


def read_installed(host: Host, backend: Backend | None = None) -> Installed | None:
    """janitor's schedule on this machine as read back, with whether the scheduler has it."""
    chosen = backend or choose_backend(host)
    if chosen is Backend.SYSTEMD:
        return _read_systemd(host)
    if chosen is Backend.CRON:
        try:
            return parse_crontab(read_crontab())
        except ValueError as error:
            raise ScheduleError(f"crontab: {error}") from None
    path: Path
    status: tuple[str, ...]
    parse: Callable[[bytes], Installed]
    if chosen is Backend.LAUNCHD:
        path = host.launch_agents_dir / PLIST_NAME
        status = ("launchctl", "print", f"{_launchctl_target(host)}/{LAUNCHD_LABEL}")
        parse = parse_plist
    else:
        path = host.data_dir / TASK_XML_NAME
        status = ("schtasks", "/Query", "/TN", TASK_NAME)
        parse = parse_task_xml
    data = _read(path)
    if data is None:
        return None
    installed = _parsed(path, parse, data)
    return dataclasses.replace(installed, files=(path,), active=_succeeds(status))
