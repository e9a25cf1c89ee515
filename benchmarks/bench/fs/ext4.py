"""A fresh journaled ext4 image on a loop device, mounted without discard."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench.common import BenchError
from bench.fs.mount import is_mounted, umount


def ext4_problem() -> str | None:
    """Why this machine cannot mount the loop ext4 filesystem, or None if it can."""
    if os.geteuid() != 0:
        return "the ext4 image needs root (it mounts a loop device and drops caches)"
    if not os.path.exists("/dev/loop-control"):
        return "/dev/loop-control is missing (no loop devices here)"
    for tool in ("mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian: apt-get install e2fsprogs mount)"
    return None


@contextlib.contextmanager
def ext4_mounted(workdir: Path, need_kib: int) -> Iterator[Path]:
    """A fresh ext4 image (journaled, mkfs defaults) mounted without discard, for the block.

    The image is a sparse file in the work directory, sized for `need_kib` of copies. The same
    kernel and disk sit below it, but unlinks end in the ext4 journal: freed blocks are not
    discarded one file at a time as on a disk mounted with online discard.
    """
    base = workdir / "ext4"
    image, mnt = base / "image", base / "mnt"
    if is_mounted(mnt):
        umount(mnt)
    base.mkdir(parents=True, exist_ok=True)
    mnt.mkdir(exist_ok=True)
    size_kib = need_kib * 3 // 2 + 512 * 1024
    image.unlink(missing_ok=True)
    with image.open("wb") as f:
        f.truncate(size_kib * 1024)
    # One inode per 4 KiB: a uv cache is mostly small files, and mkfs's default runs out. Inode
    # tables and journal are initialised now, not by a kernel thread while the tools run.
    options = "nodiscard,lazy_itable_init=0,lazy_journal_init=0"
    mkfs = ["mkfs.ext4", "-q", "-F", "-i", "4096", "-E", options, str(image)]
    made = subprocess.run(mkfs, capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise BenchError(f"mkfs.ext4 failed: {made.stderr.strip()}")
    mount = ["mount", "-o", "loop,nodiscard", str(image), str(mnt)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        image.unlink(missing_ok=True)
        raise BenchError(f"cannot mount the ext4 image: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        umount(mnt)
        image.unlink(missing_ok=True)
