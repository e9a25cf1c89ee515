"""Whether a path is a mount point, and unmounting one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def is_mounted(path: Path) -> bool:
    target = str(path)
    try:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == target for line in f)
    except OSError:
        return os.path.ismount(target)


def umount(mnt: Path) -> None:
    """Unmount `mnt`, lazily if it stays busy."""
    subprocess.run(["umount", str(mnt)], capture_output=True, check=False)
    if is_mounted(mnt):
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)
