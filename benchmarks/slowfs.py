"""A FUSE passthrough filesystem that adds a fixed latency to every metadata operation (fusepy).

    python benchmarks/slowfs.py [--latency-ms 1] BACKING MOUNTPOINT

Serves BACKING at MOUNTPOINT until unmounted (`fusermount -u MOUNTPOINT`) or interrupted. Every
request that is a round trip on a network filesystem sleeps first: lookup/getattr, readlink,
mkdir, mknod, create, open, opendir, readdir, unlink, rmdir, symlink, link, rename, chmod,
chown, truncate, utimens, statfs, access, flush, fsync. Reads and writes do not (--data-latency
adds it). libfuse 2 serves requests on several threads, so concurrent clients overlap their
waits; the GIL caps the whole server near 10k requests/s on two cores, so beyond ~16 client
threads at 1 ms the C server (slowfs.c) is the honest harness. Differences from slowfs.c:
libfuse 2 asks for a whole directory in one readdir call (one round trip per listing, not per
page) and has no parallel lookups within one directory.

Listings return inode numbers and file types (as getdents does), so clients need no stat per
entry. Kernel caching keeps libfuse's defaults (1 s entry and attribute timeouts).

Needs fusepy (`pip install fusepy`) and libfuse 2 (Debian: `apt-get install libfuse2`).
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

_TIMES = ("st_atime", "st_mtime", "st_ctime")
_STAT_FIELDS = ("st_mode", "st_ino", "st_nlink", "st_uid", "st_gid", "st_size", "st_blocks")
_STATVFS_FIELDS = (
    "f_bsize",
    "f_frsize",
    "f_blocks",
    "f_bfree",
    "f_bavail",
    "f_files",
    "f_ffree",
    "f_favail",
    "f_flag",
    "f_namemax",
)


def _attrs(st: os.stat_result) -> dict[str, int]:
    out = {name: int(getattr(st, name)) for name in _STAT_FIELDS}
    out["st_atime"] = st.st_atime_ns
    out["st_mtime"] = st.st_mtime_ns
    out["st_ctime"] = st.st_ctime_ns
    return out


def _dirent_mode(entry: os.DirEntry[str]) -> int:
    if entry.is_symlink():
        return stat.S_IFLNK
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    return 0


class SlowFS:
    """fusepy operations: a passthrough to a directory descriptor, each call delayed."""

    use_ns = True  # fusepy: times in nanoseconds

    def __init__(self, backing: str, latency: float, data_latency: bool) -> None:
        self.base = os.open(backing, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.latency = latency
        self.data_latency = data_latency

    def __call__(self, op: str, *args: Any) -> Any:
        method: Callable[..., Any] | None = getattr(self, op, None)
        if method is None:
            raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))
        return method(*args)

    def _lag(self) -> None:
        if self.latency > 0:
            time.sleep(self.latency)

    @staticmethod
    def _rel(path: str) -> str:
        return path.lstrip("/") or "."

    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, int]:
        self._lag()
        if fh is not None:
            return _attrs(os.fstat(fh))
        return _attrs(os.lstat(self._rel(path or "/"), dir_fd=self.base))

    def access(self, path: str, amode: int) -> None:
        self._lag()
        if not os.access(self._rel(path), amode, dir_fd=self.base, follow_symlinks=False):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    def readlink(self, path: str) -> str:
        self._lag()
        return os.readlink(self._rel(path), dir_fd=self.base)

    def opendir(self, path: str) -> int:
        self._lag()
        return os.open(
            self._rel(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.base
        )

    def readdir(self, path: str | None, fh: int) -> Iterator[tuple[str, dict[str, int], int]]:
        self._lag()
        parent = os.path.dirname(self._rel(path or "/"))
        up = os.lstat(parent or ".", dir_fd=self.base).st_ino if path not in (None, "/") else 1
        yield ".", {"st_ino": os.fstat(fh).st_ino, "st_mode": stat.S_IFDIR}, 0
        yield "..", {"st_ino": up, "st_mode": stat.S_IFDIR}, 0
        os.lseek(fh, 0, os.SEEK_SET)
        with os.scandir(fh) as it:
            for entry in it:
                yield entry.name, {"st_ino": entry.inode(), "st_mode": _dirent_mode(entry)}, 0

    def releasedir(self, path: str | None, fh: int) -> None:
        os.close(fh)

    def mknod(self, path: str, mode: int, dev: int) -> None:
        self._lag()
        os.mknod(self._rel(path), mode, dev, dir_fd=self.base)

    def mkdir(self, path: str, mode: int) -> None:
        self._lag()
        os.mkdir(self._rel(path), mode, dir_fd=self.base)

    def unlink(self, path: str) -> None:
        self._lag()
        os.unlink(self._rel(path), dir_fd=self.base)

    def rmdir(self, path: str) -> None:
        self._lag()
        os.rmdir(self._rel(path), dir_fd=self.base)

    def symlink(self, target: str, source: str) -> None:
        """Create the link `target` whose content is `source` (fusepy's argument order)."""
        self._lag()
        os.symlink(source, self._rel(target), dir_fd=self.base)

    def link(self, target: str, source: str) -> None:
        """Create `target` as a hard link to `source` (fusepy's argument order)."""
        self._lag()
        os.link(
            self._rel(source),
            self._rel(target),
            src_dir_fd=self.base,
            dst_dir_fd=self.base,
            follow_symlinks=False,
        )

    def rename(self, old: str, new: str) -> None:
        self._lag()
        os.rename(self._rel(old), self._rel(new), src_dir_fd=self.base, dst_dir_fd=self.base)

    def chmod(self, path: str, mode: int) -> None:
        self._lag()
        os.chmod(self._rel(path), mode, dir_fd=self.base)

    def chown(self, path: str, uid: int, gid: int) -> None:
        self._lag()
        os.chown(self._rel(path), uid, gid, dir_fd=self.base, follow_symlinks=False)

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> None:
        self._lag()
        if fh is not None:
            os.ftruncate(fh, length)
            return
        fd = os.open(self._rel(path or "/"), os.O_WRONLY | os.O_CLOEXEC, dir_fd=self.base)
        try:
            os.ftruncate(fd, length)
        finally:
            os.close(fd)

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> None:
        self._lag()
        ns = times if times is not None else (time.time_ns(), time.time_ns())
        os.utime(self._rel(path), ns=ns, dir_fd=self.base, follow_symlinks=False)

    def open(self, path: str, flags: int) -> int:
        self._lag()
        return os.open(self._rel(path), (flags | os.O_CLOEXEC) & ~os.O_NOFOLLOW, dir_fd=self.base)

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        self._lag()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        return os.open(self._rel(path), flags, mode, dir_fd=self.base)

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        if self.data_latency:
            self._lag()
        return os.pread(fh, size, offset)

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        if self.data_latency:
            self._lag()
        return os.pwrite(fh, data, offset)

    def statfs(self, path: str) -> dict[str, int]:
        self._lag()
        st = os.statvfs(self.base)
        return {name: int(getattr(st, name)) for name in _STATVFS_FIELDS}

    def flush(self, path: str | None, fh: int) -> None:
        self._lag()

    def release(self, path: str | None, fh: int) -> None:
        os.close(fh)

    def fsync(self, path: str | None, datasync: int, fh: int) -> None:
        self._lag()
        if datasync:
            os.fdatasync(fh)
        else:
            os.fsync(fh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="FUSE passthrough with per-operation latency.")
    parser.add_argument("backing", help="directory to serve")
    parser.add_argument("mountpoint")
    parser.add_argument("--latency-ms", type=float, default=1.0)
    parser.add_argument("--data-latency", action="store_true", help="delay reads and writes too")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument(
        "-o", dest="options", default="", help="more FUSE mount options: opt[=value],..."
    )
    args = parser.parse_args(argv)
    extra: dict[str, str | bool] = {}
    for item in filter(None, args.options.split(",")):
        key, sep, value = item.partition("=")
        extra[key] = value if sep else True
    try:
        from fuse import FUSE
    except (ImportError, OSError) as exc:
        print(f"slowfs.py needs fusepy and libfuse 2: {exc}", file=sys.stderr)
        return 2
    ops = SlowFS(args.backing, args.latency_ms / 1000, args.data_latency)
    FUSE(
        ops,
        args.mountpoint,
        foreground=True,
        nothreads=False,
        debug=args.debug,
        use_ino=True,
        hard_remove=True,
        fsname="slowfs",
        subtype="slowfs",
        **extra,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
