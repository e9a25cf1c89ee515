"""Deleting one directory batch at a time: the loop every deletion worker runs.

The same code runs in the engine's threads and, as a script, in its worker processes
(`python -I -S deleter.py ROOT`), so it imports nothing but the standard library: a worker starts
in milliseconds and inherits nothing from the parent but the arguments it is given. A batch clears
a directory's files and descends into its subdirectories until an entry or time budget runs out;
what is left is handed back as plain data, to be given to other workers. Links are removed as
links, never followed; a path already gone counts as removed; read-only entries are made writable
and transient errors (busy files, Windows sharing violations) waited out with a bounded backoff.
Imports nothing from janitor.
"""

from __future__ import annotations

import contextlib
import errno
import marshal
import os
import signal
import stat
import struct
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any, BinaryIO, NamedTuple

RETRIES = 6
FIRST_BACKOFF = 0.01

_O_DIR = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: junctions and Windows symlinks
_WINDOWS = sys.platform == "win32"
_BLOCKS = hasattr(os.stat_result, "st_blocks")  # allocated blocks are known (not on Windows)
# Transient conditions worth a bounded wait: busy files, Windows sharing violations (32, 33)
# and directories that are not empty yet right after their last unlink.
_TRANSIENT_ERRNOS = {errno.EBUSY, errno.ETXTBSY, errno.EAGAIN, errno.ENOTEMPTY, errno.EEXIST}
_TRANSIENT_WINERRORS = {32, 33, 145}
_GONE = (FileNotFoundError, NotADirectoryError)


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
        return os.open(path, _O_DIR)

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


def _winerror(err: OSError) -> int | None:
    return getattr(err, "winerror", None)


def _is_transient(err: OSError) -> bool:
    return err.errno in _TRANSIENT_ERRNOS or _winerror(err) in _TRANSIENT_WINERRORS


def _is_link_like(entry: os.DirEntry[str]) -> bool:
    if entry.is_symlink():
        return True
    is_junction = getattr(entry, "is_junction", None)
    if is_junction is not None and is_junction():
        return True
    if _WINDOWS:  # pragma: no cover - Windows only
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
        return bool(attributes & _REPARSE_POINT)
    return False


class Result(NamedTuple):
    """A batch's result. It crosses a pipe from a worker process as a plain tuple (marshal
    takes no NamedTuple), and is named again on arrival (`Result._make`)."""

    entries: int  # directory entries handled, for tuning
    files: int  # what was removed; `disk` counts the files that had one link
    dirs: int
    bytes: int
    disk: int
    # (device, inode, links, allocated) of each removed file that had more links, for the
    # caller to decide which of them this run freed
    shared: list[tuple[int, int, int, int]]
    failures: list[tuple[str, str]]  # (path, message)
    # (path, parent, pending, failed) of directories still waiting for subdirectories, the
    # batch's own directory first (parent -1), parents as indexes into `waiting`
    waiting: list[tuple[str, int, int, bool]]
    more: list[tuple[str, int]]  # (path, parent) of subdirectories not yet started
    done: bool  # the batch's own directory is finished
    failed: bool  # ... with failures below it (so it was kept)


class _Counts:
    __slots__ = ("bytes", "dirs", "disk", "entries", "failures", "files", "shared")

    def __init__(self) -> None:
        self.entries = self.files = self.dirs = self.bytes = self.disk = 0
        self.shared: list[tuple[int, int, int, int]] = []
        self.failures: list[tuple[str, str]] = []


class Deleter:
    """Deletes directory batches below `root`; refuses any path outside it."""

    def __init__(self, ops: Ops, root: str) -> None:
        self.ops = ops
        self.prefixes = tuple(
            {long_path(root).rstrip(os.sep) + os.sep, root.rstrip(os.sep) + os.sep}
        )

    def batch(self, path: str, top: bool, entries: int, seconds: float) -> Result:
        """Clear `path` and its subdirectories until `entries` or `seconds` run out.

        `top`: `path` is a plan item's tree, which may be a file or a link rather than a directory.
        """
        counts = _Counts()
        if not path.startswith(self.prefixes):
            counts.failures.append((path, "refused: outside the cache"))
            return _result(counts, [], [], True, True)
        # Local nodes: [path, parent, pending, failed, is_file]; node 0 is the batch's own tree.
        nodes: list[list[Any]] = [[path, -1, 0, False, False]]
        stack = [0]
        deadline = time.monotonic() + seconds
        done = failed = False
        while stack:
            index = stack.pop()
            node = nodes[index]
            children = self._clear(node, counts, top and index == 0)
            if children:
                node[2] = len(children)
                for child in children:
                    stack.append(len(nodes))
                    nodes.append([child, index, 0, False, False])
            else:
                finished = self._finish(nodes, index, counts)
                if finished is not None:
                    done, failed = True, finished
            if counts.entries >= entries or time.monotonic() > deadline:
                break
        if done:
            return _result(counts, [], [], True, failed)
        # What is left: directories waiting for subdirectories, and subdirectories not started.
        renumber: dict[int, int] = {}
        waiting: list[tuple[str, int, int, bool]] = []
        for index, (where, parent, pending, bad, _file) in enumerate(nodes):
            if pending > 0:
                renumber[index] = len(waiting)
                waiting.append((where, renumber.get(parent, -1), pending, bad))
        more = [(nodes[index][0], renumber[nodes[index][1]]) for index in stack]
        return _result(counts, waiting, more, False, False)

    def work(
        self, requests: list[tuple[str, str, bool]], entries: int, seconds: float
    ) -> list[Result]:
        """Carry out `(what, path, top)` requests in order while the budget lasts (at least one).

        `what` is "batch" (clear a tree, see `batch`), "finish" or "objects". Small trees come
        many to a request, so that a worker is not idle between them; what the budget leaves is
        not started, and is the caller's to hand out again.
        """
        results: list[Result] = []
        deadline = time.monotonic() + seconds
        for what, path, top in requests:
            left = deadline - time.monotonic()
            if results and (entries <= 0 or left <= 0):
                break
            if what == "batch":
                result = self.batch(path, top, entries, max(left, 0.0))
            elif what == "objects":
                result = self.sweep_objects(path)
            else:
                result = self.finish(path)
            results.append(result)
            entries -= result[0]
        return results

    def finish(self, path: str) -> Result:
        """Remove a directory whose subdirectories other batches removed."""
        counts = _Counts()
        if not path.startswith(self.prefixes):
            counts.failures.append((path, "refused: outside the cache"))
            return _result(counts, [], [], True, True)
        nodes: list[list[Any]] = [[path, -1, 0, False, False]]
        failed = self._finish(nodes, 0, counts)
        return _result(counts, [], [], True, bool(failed))

    def sweep_objects(self, path: str) -> Result:
        """Remove the files of a content-addressed shard that have no other link, in place.

        A file whose only link is its own name here is used by no archive, venv or anything else;
        the shard directory goes when nothing is left in it, as uv leaves the store.
        """
        counts = _Counts()
        if not path.startswith(self.prefixes):
            counts.failures.append((path, "refused: outside the cache"))
            return _result(counts, [], [], True, True)
        node: list[Any] = [path, -1, 0, False, True]
        fd, entries = self._list(node, counts)
        left = 0
        try:
            for entry in entries:
                counts.entries += 1
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    left += 1
                    continue
                if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
                    left += 1
                    continue
                full = os.path.join(path, entry.name)
                error = self._retry(partial(self.ops.unlink, full, entry.name, fd), full, None)
                if error is not None:
                    self._fail(node, full, error, counts)
                    left += 1
                    continue
                counts.files += 1
                counts.bytes += st.st_size
                counts.disk += allocated(st)
        finally:
            if fd is not None:
                self.ops.close(fd)
        if not left and not node[3]:
            try:
                self.ops.rmdir(path)
            except OSError:
                pass  # something appeared in it: it stays
            else:
                counts.dirs += 1
        return _result(counts, [], [], True, bool(node[3]))

    def _finish(self, nodes: list[list[Any]], index: int, counts: _Counts) -> bool | None:
        """Remove an emptied directory, then each ancestor it was the last pending child of.

        Returns whether the batch's own directory was kept for failures below it, once it is
        finished; None while it waits for other subdirectories.
        """
        while True:
            node = nodes[index]
            if not node[3] and not node[4]:
                error = self._retry(partial(self._rmdir, node[0], counts), node[0], None)
                if error is not None:
                    self._fail(node, node[0], error, counts)
                else:
                    counts.dirs += 1
            parent = node[1]
            if parent < 0:
                return bool(node[3])
            above = nodes[parent]
            above[2] -= 1
            above[3] = above[3] or node[3]
            if above[2] > 0:
                return None
            index = parent

    def _clear(self, node: list[Any], counts: _Counts, top: bool) -> list[str]:
        """Unlink every non-directory entry of a directory; return its subdirectories."""
        path: str = node[0]
        counts.entries += 1
        if top:
            try:
                st = self.ops.lstat(path)
            except _GONE:
                node[4] = True  # nothing left to remove
                return []
            except OSError as err:
                self._fail(node, path, err, counts)
                return []
            if not stat.S_ISDIR(st.st_mode) or getattr(st, "st_file_attributes", 0) & (
                _REPARSE_POINT
            ):
                node[4] = True
                self._remove_file(node, path, None, None, st, counts)
                return []
        fd, entries = self._list(node, counts)
        children: list[str] = []
        files = size = disk = 0
        # The loop every file goes through, kept short: with the real calls and a directory
        # descriptor, `os.unlink` relative to it directly; blocks from `st_blocks` where the
        # platform has it; the path built only when something needs it.
        direct = fd is not None and type(self.ops).unlink is Ops.unlink
        unlink = self.ops.unlink
        os_unlink = os.unlink
        join = os.path.join
        try:
            for entry in entries:
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False) and not (
                        _WINDOWS and _is_link_like(entry)
                    ):
                        children.append(join(path, name))
                        continue
                    st = entry.stat(follow_symlinks=False)
                except _GONE:
                    continue
                except OSError as err:
                    self._fail(node, join(path, name), err, counts)
                    continue
                # The common case: a regular file with one link, unlinked at once; its blocks
                # are freed now, whoever removed its other links before. Anything else (links,
                # files with more links, errors) takes the careful path.
                failed: OSError | None = None
                if st.st_mode & 0o170000 == 0o100000 and st.st_nlink == 1:
                    try:
                        if direct:
                            os_unlink(name, dir_fd=fd)
                        else:
                            unlink(join(path, name), name, fd)
                    except FileNotFoundError:
                        continue
                    except OSError as err:
                        failed = err
                    else:
                        files += 1
                        size += st.st_size
                        disk += st.st_blocks * 512 if _BLOCKS else st.st_size
                        continue
                self._remove_file(node, join(path, name), name, fd, st, counts, failed)
        finally:
            if fd is not None:
                self.ops.close(fd)
        counts.entries += len(entries)
        counts.files += files
        counts.bytes += size
        counts.disk += disk
        return children

    def _list(self, node: list[Any], counts: _Counts) -> tuple[int | None, list[os.DirEntry[str]]]:
        path: str = node[0]
        for attempt in range(2):
            try:
                if self.ops.dir_fd:
                    fd = self.ops.open_dir(path)
                    try:
                        return fd, self.ops.scandir(fd)
                    except BaseException:
                        self.ops.close(fd)
                        raise
                return None, self.ops.scandir(path)
            except _GONE:
                return None, []
            except PermissionError as err:
                if attempt == 0 and self._grant(path, stat.S_IRWXU):
                    continue
                self._fail(node, path, err, counts)
                return None, []
            except OSError as err:
                self._fail(node, path, err, counts)
                return None, []
        return None, []

    def _remove_file(
        self,
        node: list[Any],
        path: str,
        name: str | None,
        fd: int | None,
        st: os.stat_result,
        counts: _Counts,
        failed: OSError | None = None,
    ) -> None:
        is_dir_link = stat.S_ISDIR(st.st_mode)  # a junction or directory symlink on Windows
        is_link = stat.S_ISLNK(st.st_mode) or is_dir_link

        def unlink() -> None:
            if is_dir_link:
                self.ops.rmdir(path)
            else:
                self.ops.unlink(path, name or os.path.basename(path), fd)

        error = self._retry(unlink, path, os.path.dirname(path), failed)
        if error is not None:
            self._fail(node, path, error, counts)
            return
        counts.files += 1
        if is_link:
            # A link's size is its text, not data; but a long target takes a block of its own
            # (ext4 keeps targets under 60 bytes in the inode), which its removal frees.
            if st.st_nlink <= 1:
                counts.disk += allocated(st)
            return
        counts.bytes += st.st_size
        if st.st_nlink <= 1:
            counts.disk += allocated(st)
        else:
            counts.shared.append((st.st_dev, st.st_ino, st.st_nlink, allocated(st)))

    def _rmdir(self, path: str, counts: _Counts) -> None:
        try:
            self.ops.rmdir(path)
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) and _winerror(err) != 145:
                raise
            # Something appeared after the listing (or Windows has not finished a delete):
            # clear it again before the retry.
            self._clear_tree(path, counts)
            raise

    def _clear_tree(self, path: str, counts: _Counts) -> None:
        """Synchronously empty a directory that gained entries during its deletion."""
        node: list[Any] = [path, -1, 0, False, False]
        for child in self._clear(node, counts, False):
            self._clear_tree(child, counts)
            error = self._retry(partial(self.ops.rmdir, child), child, None)
            if error is not None:
                self._fail(node, child, error, counts)
            else:
                counts.dirs += 1

    def _retry(
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
            except _GONE:
                return None
            except PermissionError as err:
                last = err
                if fixed:
                    if not _is_transient(err):
                        return err
                else:
                    fixed = True
                    # Read-only files (Windows), unwritable parents (POSIX): fix, retry.
                    granted = self._grant(path, stat.S_IWRITE | stat.S_IREAD)
                    if parent is not None:
                        granted = self._grant(parent, stat.S_IRWXU) or granted
                    if granted:
                        continue
                    if not _is_transient(err):
                        return err
            except OSError as err:
                last = err
                if not _is_transient(err):
                    return err
            if attempt + 1 < RETRIES:  # no wait after the last attempt
                self.ops.sleep(delay)
                delay *= 2
        return last

    def _grant(self, path: str, bits: int) -> bool:
        try:
            st = self.ops.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                return False
            if stat.S_IMODE(st.st_mode) & bits == bits:
                return _WINDOWS and bool(getattr(st, "st_file_attributes", 0) & 1)
            self.ops.chmod(path, stat.S_IMODE(st.st_mode) | bits)
        except OSError:
            return False
        return True

    @staticmethod
    def _fail(node: list[Any], path: str, err: OSError, counts: _Counts) -> None:
        node[3] = True
        counts.failures.append((path, err.strerror or str(err)))


def _result(
    counts: _Counts,
    waiting: list[tuple[str, int, int, bool]],
    more: list[tuple[str, int]],
    done: bool,
    failed: bool,
) -> Result:
    return Result(
        counts.entries,
        counts.files,
        counts.dirs,
        counts.bytes,
        counts.disk,
        counts.shared,
        counts.failures,
        waiting,
        more,
        done,
        failed,
    )


# ----- the worker process -----

_HEADER = struct.Struct("<I")


def write_frame(stream: BinaryIO, value: list[Result]) -> None:
    """Write one length-prefixed, marshalled list of results (as plain tuples)."""
    data = marshal.dumps([tuple(result) for result in value])
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """Read one value written by `write_frame`; None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return marshal.loads(data)


def serve(root: str, requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer `(work, entries, seconds)` requests (see `Deleter.work`) until the input ends."""
    deleter = Deleter(Ops(), root)
    while True:
        request = read_frame(requests)
        if request is None:
            return
        write_frame(replies, deleter.work(request[0], request[1], request[2]))


if __name__ == "__main__":
    # The parent owns Ctrl-C: a worker finishes its batch and ends when its input closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):  # the parent is gone: the rest stays in the trash
        serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
