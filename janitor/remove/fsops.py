"""The filesystem calls a deletion makes, and how it recovers when one fails.

`Ops` is each call (tests subclass it to inject faults); `Recovery` runs an action, makes a
read-only entry or an unwritable parent writable once, and waits out transient errors (busy
files, Windows sharing violations, a directory not empty yet right after its last unlink) with a
bounded, doubling backoff. Runs in worker processes too: imports nothing but the standard library.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from collections.abc import Callable

RETRIES = 6
FIRST_BACKOFF = 0.01

O_DIR = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: junctions and Windows symlinks
WINDOWS = sys.platform == "win32"
# Transient conditions worth a bounded wait: busy files, Windows sharing violations (32, 33)
# and directories that are not empty yet right after their last unlink.
_TRANSIENT_ERRNOS = {errno.EBUSY, errno.ETXTBSY, errno.EAGAIN, errno.ENOTEMPTY, errno.EEXIST}
_TRANSIENT_WINERRORS = {32, 33, 145}
GONE = (FileNotFoundError, NotADirectoryError)


def long_path(path: str, platform: str = sys.platform) -> str:
    """On Windows, the `\\\\?\\` form of an absolute path, which lifts the 260-character limit."""
    if platform != "win32" or path.startswith(("\\\\?\\", "\\\\.\\")):
        return path
    if path.startswith("\\\\"):
        return "\\\\?\\UNC\\" + path[2:]
    return "\\\\?\\" + path


def allocated(st: os.stat_result) -> int:
    """Bytes a file occupies on disk (its size where the platform has no block count)."""
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size


class Ops:
    """The filesystem calls a deletion makes. Tests subclass it to inject faults."""

    dir_fd = (
        os.unlink in os.supports_dir_fd
        and os.open in os.supports_dir_fd
        and os.scandir in os.supports_fd
    )

    def rename(self, src: str, dst: str) -> None:
        """Rename within one filesystem, atomically."""
        os.rename(src, dst)

    def open_dir(self, path: str) -> int:
        """A descriptor of a directory, refusing to follow a symlink."""
        return os.open(path, O_DIR)

    def close(self, fd: int) -> None:
        """Close a directory descriptor."""
        os.close(fd)

    def scandir(self, where: int | str) -> list[os.DirEntry[str]]:
        """The entries of a directory, by descriptor or path."""
        with os.scandir(where) as it:
            return list(it)

    def lstat(self, path: str) -> os.stat_result:
        """Stat without following links."""
        return os.lstat(path)

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        """Remove a file or a link (`name` relative to `dir_fd` when given)."""
        if dir_fd is not None:
            os.unlink(name, dir_fd=dir_fd)
        else:
            os.unlink(path)

    def rmdir(self, path: str) -> None:
        """Remove an empty directory, or a directory link/junction on Windows."""
        os.rmdir(path)

    def chmod(self, path: str, mode: int) -> None:
        """Change permissions (never through a link)."""
        os.chmod(path, mode)

    def sleep(self, seconds: float) -> None:
        """Wait before a retry."""
        time.sleep(seconds)


def winerror(err: OSError) -> int | None:
    """The Windows error code of an error, None elsewhere."""
    return getattr(err, "winerror", None)


def is_transient(err: OSError) -> bool:
    """Whether an error may go away by itself (a busy file, a sharing violation)."""
    return err.errno in _TRANSIENT_ERRNOS or winerror(err) in _TRANSIENT_WINERRORS


def is_link_like(entry: os.DirEntry[str]) -> bool:
    """Whether an entry is a link, a junction or another reparse point: removed, never entered."""
    if entry.is_symlink():
        return True
    is_junction = getattr(entry, "is_junction", None)
    if is_junction is not None and is_junction():
        return True
    if WINDOWS:  # pragma: no cover - Windows only
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
        return bool(attributes & REPARSE_POINT)
    return False


class Recovery:
    """Runs filesystem actions through `ops`, recovering from what can be recovered from."""

    def __init__(self, ops: Ops) -> None:
        self.ops = ops

    def retry(
        self,
        action: Callable[[], None],
        path: str,
        parent: str | None,
        failed: OSError | None = None,
    ) -> OSError | None:
        """Run an action; fix permissions once, wait out transient errors; None when done.

        `failed` is the error of a first attempt already made by the caller.
        """
        delay = FIRST_BACKOFF
        fixed = False
        last: OSError | None = None
        for attempt in range(RETRIES):
            try:
                if failed is not None:
                    first, failed = failed, None
                    raise first
                action()
                return None
            except GONE:
                return None
            except PermissionError as err:
                last = err
                if not fixed:
                    fixed = True
                    if self._fix(path, parent):
                        continue
                if not is_transient(err):
                    return err
            except OSError as err:
                last = err
                if not is_transient(err):
                    return err
            if attempt + 1 < RETRIES:  # no wait after the last attempt
                self.ops.sleep(delay)
                delay *= 2
        return last

    def _fix(self, path: str, parent: str | None) -> bool:
        """Read-only files (Windows), unwritable parents (POSIX): make them writable."""
        granted = self.grant(path, stat.S_IWRITE | stat.S_IREAD)
        if parent is not None:
            granted = self.grant(parent, stat.S_IRWXU) or granted
        return granted

    def grant(self, path: str, bits: int) -> bool:
        """Add permission `bits` to an entry that is no link; whether anything changed."""
        try:
            st = self.ops.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                return False
            if stat.S_IMODE(st.st_mode) & bits == bits:
                return WINDOWS and bool(getattr(st, "st_file_attributes", 0) & 1)
            self.ops.chmod(path, stat.S_IMODE(st.st_mode) | bits)
        except OSError:
            return False
        return True
