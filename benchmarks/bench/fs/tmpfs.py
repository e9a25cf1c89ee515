"""A tmpfs under the work directory, sized for a round's copies."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench.common import BenchError
from bench.fs.mount import is_mounted, umount


def tmpfs_problem() -> str | None:
    """Why this machine cannot mount a tmpfs, or None if it can."""
    if os.geteuid() != 0:
        return "the tmpfs needs root (it mounts a filesystem and drops caches)"
    for tool in ("mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian: apt-get install mount)"
    return None


def mem_available_kib() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextlib.contextmanager
def tmpfs_mounted(workdir: Path, need_kib: int) -> Iterator[Path]:
    """A tmpfs under the work directory, sized for `need_kib` of copies, for the block.

    Every operation stays in memory: no disk, no journal, no discards. What the tools take
    there is the filesystem code's and their own work, nothing else.
    """
    mnt = workdir / "tmpfs" / "mnt"
    if is_mounted(mnt):
        umount(mnt)
    mnt.mkdir(parents=True, exist_ok=True)
    size_kib = need_kib * 5 // 4 + 256 * 1024
    available = mem_available_kib()
    if available is not None and size_kib > available * 0.8:
        raise BenchError(
            f"the tmpfs needs {size_kib / 2**20:.1f} GiB of memory for the copies, "
            f"{available / 2**20:.1f} GiB are available (use a smaller --files)"
        )
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "janitor-bench"]
    done = subprocess.run([*mount, str(mnt)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        umount(mnt)
