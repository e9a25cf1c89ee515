"""cron: janitor's crontab line, editing it among the user's own lines, and reading it back.

Owns the line's format (schedule, niced command, marker comment) and cron's `%` escaping,
`crontab_with` and `crontab_without`, which leave every other line byte for byte, and the
`crontab -l` and `crontab -` calls that read and replace the user's crontab.
May import janitor.schedule.model and janitor.schedule.system.
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath

from janitor.schedule.model import (
    CRON_MARKER,
    Backend,
    Changes,
    EditCrontab,
    Every,
    Host,
    Installed,
    Job,
    ScheduleError,
)
from janitor.schedule.system import failure, run

_SPEC = {Every.HOURLY: "@hourly", Every.DAILY: "@daily", Every.WEEKLY: "@weekly"}


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
    return f"{_SPEC[job.every]} {command} {CRON_MARKER}"


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
        every = next((key for key, value in _SPEC.items() if value == spec), None)
        command = re.sub(r"\\%", "%", parts[fields])
        argv = _drop_nice(shlex.split(command))
        return Installed(Backend.CRON, every, tuple(argv), active=True)
    return None


def plan(job: Job, host: Host) -> Changes:
    """Add janitor's line to the crontab, or replace the one there."""
    return Changes(Backend.CRON, (EditCrontab(cron_line(job, host)),))


def unplan() -> Changes:
    """Drop janitor's line from the crontab."""
    return Changes(Backend.CRON, (EditCrontab(None),))


def read_crontab() -> str:
    """The user's crontab (`crontab -l`); empty when there is none."""
    result = run(("crontab", "-l"))
    if result.returncode != 0:
        if b"no crontab" in result.stderr.lower():
            return ""
        raise failure(("crontab", "-l"), result)
    return result.stdout.decode("utf-8", "surrogateescape")


def edit_crontab(line: str | None) -> None:
    """Carry out `EditCrontab(line)`: install the edited crontab, unless nothing changes."""
    current = read_crontab()
    edited = crontab_without(current) if line is None else crontab_with(current, line)
    if edited != current:
        result = run(("crontab", "-"), edited.encode("utf-8", "surrogateescape"))
        if result.returncode != 0:
            raise failure(("crontab", "-"), result)


def read() -> Installed | None:
    """janitor's line in the user's crontab, read back; None if there is none."""
    try:
        return parse_crontab(read_crontab())
    except ValueError as error:
        raise ScheduleError(f"crontab: {error}") from None
