"""uv's cache lock: an exclusive lock on `<cache>/.lock` that conflicts with every running uv.

uv holds a shared `flock` on that file for each command's whole life and takes it exclusively to
clean. On Unix this is `fcntl.flock` (never `lockf`: on Linux the two do not see each other); on
Windows `LockFileEx` over the whole range, as uv does. May import janitor.errors and janitor.uv.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

from janitor.errors import CacheBusy, Refused
from janitor.uv.names import LOCK_FILE

_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}
_POLL_MIN = 0.02
_POLL_MAX = 0.5


class LockUnsupported(Refused):
    """The filesystem cannot lock (some network mounts); uv runs unlocked there."""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import ctypes
    import msvcrt
    from ctypes import wintypes

    class _Overlapped(ctypes.Structure):
        _fields_ = [
            ("Internal", ctypes.c_void_p),
            ("InternalHigh", ctypes.c_void_p),
            ("Offset", wintypes.DWORD),
            ("OffsetHigh", wintypes.DWORD),
            ("hEvent", wintypes.HANDLE),
        ]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _LOCKFILE_FAIL_IMMEDIATELY = 0x1
    _LOCKFILE_EXCLUSIVE_LOCK = 0x2
    _ERROR_LOCK_VIOLATION = 33
    _ERROR_IO_PENDING = 997

    def _try_lock(fd: int) -> bool:
        handle = msvcrt.get_osfhandle(fd)
        overlapped = _Overlapped()
        ok = _kernel32.LockFileEx(
            wintypes.HANDLE(handle),
            _LOCKFILE_EXCLUSIVE_LOCK | _LOCKFILE_FAIL_IMMEDIATELY,
            0,
            0xFFFFFFFF,
            0xFFFFFFFF,
            ctypes.byref(overlapped),
        )
        if ok:
            return True
        code = ctypes.get_last_error()
        if code in (_ERROR_LOCK_VIOLATION, _ERROR_IO_PENDING):
            return False
        raise ctypes.WinError(code)

    def unlock(fd: int) -> None:
        handle = msvcrt.get_osfhandle(fd)
        overlapped = _Overlapped()
        _kernel32.UnlockFileEx(
            wintypes.HANDLE(handle), 0, 0xFFFFFFFF, 0xFFFFFFFF, ctypes.byref(overlapped)
        )

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _open_lock_file(root: Path) -> int:
    path = root / LOCK_FILE
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as err:
        raise Refused(f"Cannot open the cache lock {path}: {err.strerror}") from err


def try_lock(fd: int) -> bool:
    """Try once to take the exclusive lock on an open `.lock`; False if another process holds it."""
    try:
        return _try_lock(fd)
    except OSError as err:
        if err.errno in _UNSUPPORTED:
            raise LockUnsupported(
                "The cache's filesystem cannot lock; rerun with --force if no uv is running"
            ) from err
        raise


@asynccontextmanager
async def exclusive(
    root: Path, *, wait: float, on_busy: Callable[[], None] | None = None
) -> AsyncIterator[None]:
    """Hold uv's cache lock exclusively; wait up to `wait` seconds for running uv processes.

    Calls `on_busy` once when the first attempt fails. Raises `CacheBusy` when the wait runs out.
    """
    fd = _open_lock_file(root)
    try:
        if not try_lock(fd):
            if on_busy is not None:
                on_busy()
            deadline = anyio.current_time() + max(wait, 0.0)
            delay = _POLL_MIN
            while True:
                now = anyio.current_time()
                if now >= deadline:
                    raise CacheBusy(
                        f"The cache at {root} is in use by another uv process "
                        f"(waited {wait:g}s; use --wait or --force)"
                    )
                await anyio.sleep(min(delay, deadline - now))
                if try_lock(fd):
                    break
                delay = min(delay * 2, _POLL_MAX)
        try:
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)
