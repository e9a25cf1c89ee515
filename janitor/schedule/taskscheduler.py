"""Windows Task Scheduler: the task's XML definition, Windows command lines, and reading it back.

Owns the task's name and definition file, `task_xml` and `parse_task_xml`, `windows_split` (the
C runtime's splitting, the inverse of `subprocess.list2cmdline`), the `schtasks` calls that
register and delete the task, and `read`. May import janitor.schedule.model and
janitor.schedule.system.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

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
from janitor.schedule.system import read_definition

TASK_NAME = JOB_NAME
TASK_XML_NAME = f"{JOB_NAME}.xml"
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
_INTERVAL = {Every.HOURLY: "PT1H", Every.DAILY: "P1D", Every.WEEKLY: "P7D"}
# Spread machines' runs a little so a fleet does not sweep at the same second.
_DELAY = {Every.HOURLY: "PT5M", Every.DAILY: "PT1H", Every.WEEKLY: "PT1H"}
# A fixed past start (a Sunday, 03:00 local time) keeps the task XML a pure function of the job.
_START = "2024-01-07T03:00:00"


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
    _element(repetition, "Interval", _INTERVAL[job.every])
    _element(repetition, "StopAtDurationEnd", "false")
    _element(trigger, "StartBoundary", _START)
    _element(trigger, "Enabled", "true")
    _element(trigger, "RandomDelay", _DELAY[job.every])
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
    every = next((key for key, value in _INTERVAL.items() if value == interval), None)
    argv = (command, *windows_split(found.get("Arguments", "")))
    return Installed(Backend.TASK_SCHEDULER, every, argv)


def plan(job: Job, host: Host) -> Changes:
    """Write the definition to janitor's data dir, then register it with `schtasks /Create`."""
    definition = host.data_dir / TASK_XML_NAME
    create = ("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(definition), "/F")
    return Changes(
        Backend.TASK_SCHEDULER,
        (
            # schtasks reads task XML as UTF-16; the file also lets `show` read the task back.
            WriteFile(definition, task_xml(job), encoding="utf-16"),
            RunCommand(create, windows=True),
        ),
        notes=("Task Scheduler runs the sweep while you are logged on",),
    )


def unplan(host: Host) -> Changes:
    """Delete the task, then its definition file."""
    return Changes(
        Backend.TASK_SCHEDULER,
        (
            RunCommand(
                ("schtasks", "/Delete", "/TN", TASK_NAME, "/F"), may_fail=True, windows=True
            ),
            RemoveFile(host.data_dir / TASK_XML_NAME),
        ),
    )


def read(host: Host) -> Installed | None:
    """The definition in janitor's data dir, read back, with whether Task Scheduler has it."""
    status = ("schtasks", "/Query", "/TN", TASK_NAME)
    return read_definition(host.data_dir / TASK_XML_NAME, parse_task_xml, status)
