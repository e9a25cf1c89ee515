"""The machine: which Python runs janitor, what the host offers, and commands and files read back.

Owns `janitor_command` and `detect_host`, and the helpers the backends and the executor share to
touch the system: `run` (with a timeout, a missing program a ScheduleError), `failure`,
`succeeds`, `read_file`, `parsed` and `read_definition`. Imports janitor.schedule.model.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import platformdirs

from janitor.schedule.model import Host, Installed, ScheduleError

APP_NAME = "janitor"
_COMMAND_TIMEOUT = 60


def janitor_command(executable: str | None = None) -> tuple[str, ...]:
    """The absolute command that runs this janitor: its Python with `-m janitor`."""
    python = executable if executable is not None else sys.executable
    if not python:
        raise ScheduleError("cannot tell which Python runs janitor, so cannot schedule it")
    # abspath, not resolve: a venv's python is a symlink whose target is outside the venv.
    return (os.path.abspath(python), "-m", APP_NAME)


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


def run(argv: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `argv` to completion, its output captured; raises ScheduleError if it cannot start."""
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


def failure(argv: Sequence[str], result: subprocess.CompletedProcess[bytes]) -> ScheduleError:
    """The error for a command that failed, with the last line it printed."""
    output = (result.stderr or result.stdout).decode("utf-8", "replace").strip().splitlines()
    detail = f": {output[-1].strip()}" if output else ""
    return ScheduleError(f"{shlex.join(argv)} failed with exit status {result.returncode}{detail}")


def succeeds(argv: Sequence[str]) -> bool | None:
    """Whether `argv` exits 0; None if it cannot be run."""
    try:
        return run(argv).returncode == 0
    except ScheduleError:
        return None


def read_file(path: Path) -> bytes | None:
    """The file's bytes; None if it is not there."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise ScheduleError(f"cannot read {path}: {error.strerror or error}") from None


def parsed(path: Path, parse: Callable[[bytes], Installed], data: bytes) -> Installed:
    """`parse(data)`, read from `path`; its ValueError becomes a ScheduleError naming the file."""
    try:
        return parse(data)
    except ValueError as error:
        raise ScheduleError(f"{path}: {error}") from None


def read_definition(
    path: Path, parse: Callable[[bytes], Installed], status: Sequence[str]
) -> Installed | None:
    """The schedule kept in the one file at `path`, active if `status` succeeds; None if absent."""
    data = read_file(path)
    if data is None:
        return None
    installed = parsed(path, parse, data)
    return dataclasses.replace(installed, files=(path,), active=succeeds(status))
