"""One timed run of a tool: its record, the child process measured through GNU time, the caches
dropped before it, and what it said it removed."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DROP_CACHES = Path("/proc/sys/vm/drop_caches")


@dataclass
class Run:
    fs: str
    workload: str
    round: int
    position: int
    tool: str
    label: str = ""
    ok: bool = False
    wall_s: float | None = None
    maxrss_kib: int | None = None
    user_s: float | None = None
    sys_s: float | None = None
    returncode: int | None = None
    error: str | None = None
    tree_ok: bool | None = None
    tree_digest: str | None = None
    tree_diff: list[str] = field(default_factory=list)
    files_removed: int | None = None  # counted from the tree left
    removed_files_reported: int | None = None  # uv's own count
    summary: str | None = None  # the tool's last `Removed ...` line
    fs_freed_bytes: int | None = None  # free space gained on the tmpfs or ext4 image (statvfs)
    extra: dict[str, Any] = field(default_factory=dict)  # what the workload's check measured
    rss_source: str | None = None
    log: str | None = None
    device: dict[str, Any] | None = None  # the copy's block device, counted over the run


@dataclass
class ChildResult:
    returncode: int
    wall_s: float
    maxrss_kib: int
    user_s: float
    sys_s: float
    timed_out: bool
    rss_source: str


GNU_TIME = "/usr/bin/time"


def run_child(
    cmd: Sequence[str], cwd: Path, log: Path, timeout: float, env: dict[str, str] | None = None
) -> ChildResult:
    """Run `cmd`, measuring its wall time, CPU time and peak RSS.

    A child started from this process inherits the runner's peak RSS in its rusage (Linux
    carries the peak of the memory image it replaced across exec, and Python starts children
    with vfork), so peak RSS comes from GNU time, which forks the command from its own small
    image; without /usr/bin/time it falls back to wait4 and includes the runner's own RSS.
    """
    use_time = os.access(GNU_TIME, os.X_OK)
    report = log.with_suffix(".time")
    full = [GNU_TIME, "-f", "%M %U %S", "-o", str(report), *cmd] if use_time else list(cmd)
    with log.open("wb") as out:
        out.write(f"$ (cd {shlex.quote(str(cwd))} && {shlex.join(cmd)})\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a timeout or Ctrl-C kills the whole group
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss, user, system, source = usage.ru_maxrss, usage.ru_utime, usage.ru_stime, "wait4"
    if use_time:
        try:
            fields = report.read_text().strip().splitlines()[-1].split()
            maxrss, user, system = int(fields[0]), float(fields[1]), float(fields[2])
            source = "gnu-time"
        except (OSError, IndexError, ValueError):
            pass
    return ChildResult(proc.returncode, wall, maxrss, user, system, timed_out.is_set(), source)


def drop_caches() -> bool:
    """Write back dirty pages and drop the page, dentry and inode caches; False if not allowed."""
    os.sync()
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bfree * st.f_frsize


def summary_line(log: Path) -> str | None:
    """The tool's last line that starts with `Removed` (uv's and janitor's totals)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        if line.strip().startswith("Removed"):
            return line.strip()
    return None


def removed_files(log: Path) -> int | None:
    """The count in uv's `Removed N files (...)` line."""
    words = (summary_line(log) or "").split()
    if len(words) >= 3 and words[2].startswith("file"):
        try:
            return int(words[1].replace(",", ""))
        except ValueError:
            return None
    return None
