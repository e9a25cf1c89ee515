"""Deleting one directory batch at a time: the loop every deletion worker runs.

The same code runs in the engine's threads and in its worker processes (`worker.py`), so it
imports nothing but the standard library and `fsops`: a worker starts in milliseconds and inherits
nothing from the parent but the arguments it is given. A batch clears a directory's files and
descends into its subdirectories until an entry or time budget runs out; what is left is handed
back as plain data, to be given to other workers. Links are removed as links, never followed; a
path already gone counts as removed; what fails is retried as `fsops.Recovery` says.
May import janitor.remove.fsops and janitor.remove.result.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from functools import partial

from janitor.remove.fsops import (
    GONE,
    REPARSE_POINT,
    WINDOWS,
    Ops,
    Recovery,
    allocated,
    is_link_like,
    long_path,
    winerror,
)
from janitor.remove.result import Counts, Result

_BLOCKS = hasattr(os.stat_result, "st_blocks")  # allocated blocks are known (not on Windows)
_REFUSED = "refused: outside the cache"


class _Node:
    """A directory of a batch: it waits for `pending` subdirectories; `parent` indexes the
    batch's list of nodes (-1 for the batch's own tree)."""

    __slots__ = ("failed", "is_file", "parent", "path", "pending")

    def __init__(self, path: str, parent: int = -1, is_file: bool = False) -> None:
        self.path = path
        self.parent = parent
        self.pending = 0
        self.failed = False
        self.is_file = is_file  # no directory to remove after its entries (a file, or gone)


class Deleter:
    """Deletes directory batches below `root`; refuses any path outside it."""

    def __init__(self, ops: Ops, root: str) -> None:
        self.ops = ops
        self.recovery = Recovery(ops)
        self.prefixes = tuple(
            {long_path(root).rstrip(os.sep) + os.sep, root.rstrip(os.sep) + os.sep}
        )

    def batch(self, path: str, top: bool, entries: int, seconds: float) -> Result:
        """Clear `path` and its subdirectories until `entries` or `seconds` run out.

        `top`: `path` is a plan item's tree, which may be a file or a link rather than a directory.
        """
        counts = Counts()
        if not path.startswith(self.prefixes):
            counts.failures.append((path, _REFUSED))
            return counts.result(True, True)
        nodes = [_Node(path)]  # node 0 is the batch's own tree
        stack = [0]
        deadline = time.monotonic() + seconds
        while stack:
            index = stack.pop()
            node = nodes[index]
            children = self._clear(node, counts, top and index == 0)
            if children:
                node.pending = len(children)
                for child in children:
                    stack.append(len(nodes))
                    nodes.append(_Node(child, index))
            else:
                failed = self._finish(nodes, index, counts)
                if failed is not None:
                    return counts.result(True, failed)
            if counts.entries >= entries or time.monotonic() > deadline:
                break
        # What is left: directories waiting for subdirectories, and subdirectories not started.
        renumber: dict[int, int] = {}
        waiting: list[tuple[str, int, int, bool]] = []
        for index, node in enumerate(nodes):
            if node.pending > 0:
                renumber[index] = len(waiting)
                parent = renumber.get(node.parent, -1)
                waiting.append((node.path, parent, node.pending, node.failed))
        more = [(nodes[index].path, renumber[nodes[index].parent]) for index in stack]
        return counts.result(False, False, waiting, more)

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
            entries -= result.entries
        return results

    def finish(self, path: str) -> Result:
        """Remove a directory whose subdirectories other batches removed."""
        counts = Counts()
        if not path.startswith(self.prefixes):
            counts.failures.append((path, _REFUSED))
            return counts.result(True, True)
        failed = self._finish([_Node(path)], 0, counts)
        return counts.result(True, bool(failed))

    def sweep_objects(self, path: str) -> Result:
        """Remove the files of a content-addressed shard that have no other link, in place.

        A file whose only link is its own name here is used by no archive, venv or anything else;
        the shard directory goes when nothing is left in it, as uv leaves the store.
        """
        counts = Counts()
        if not path.startswith(self.prefixes):
            counts.failures.append((path, _REFUSED))
            return counts.result(True, True)
        node = _Node(path, is_file=True)
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
                unlink = partial(self.ops.unlink, full, entry.name, fd)
                error = self.recovery.retry(unlink, full, None)
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
        if not left and not node.failed:
            try:
                self.ops.rmdir(path)
            except OSError:
                pass  # something appeared in it: it stays
            else:
                counts.dirs += 1
        return counts.result(True, node.failed)

    def _finish(self, nodes: list[_Node], index: int, counts: Counts) -> bool | None:
        """Remove an emptied directory, then each ancestor it was the last pending child of.

        Returns whether the batch's own directory was kept for failures below it, once it is
        finished; None while it waits for other subdirectories.
        """
        while True:
            node = nodes[index]
            if not node.failed and not node.is_file:
                rmdir = partial(self._rmdir, node.path, counts)
                error = self.recovery.retry(rmdir, node.path, None)
                if error is not None:
                    self._fail(node, node.path, error, counts)
                else:
                    counts.dirs += 1
            if node.parent < 0:
                return node.failed
            above = nodes[node.parent]
            above.pending -= 1
            above.failed = above.failed or node.failed
            if above.pending > 0:
                return None
            index = node.parent

    def _clear(self, node: _Node, counts: Counts, top: bool) -> list[str]:
        """Unlink every non-directory entry of a directory; return its subdirectories.

        `top`: the node is a plan item's tree, which may be a file or a link: removed as such.
        """
        counts.entries += 1
        if top and not self._is_directory(node, counts):
            return []
        fd, entries = self._list(node, counts)
        try:
            return self._unlink_entries(node, fd, entries, counts)
        finally:
            if fd is not None:
                self.ops.close(fd)

    def _is_directory(self, node: _Node, counts: Counts) -> bool:
        """Whether a plan item's tree is a real directory; anything else is removed here."""
        try:
            st = self.ops.lstat(node.path)
        except GONE:
            node.is_file = True  # nothing left to remove
            return False
        except OSError as err:
            self._fail(node, node.path, err, counts)
            return False
        if stat.S_ISDIR(st.st_mode) and not getattr(st, "st_file_attributes", 0) & REPARSE_POINT:
            return True
        node.is_file = True
        self._remove_file(node, node.path, None, None, st, counts)
        return False

    def _unlink_entries(
        self, node: _Node, fd: int | None, entries: list[os.DirEntry[str]], counts: Counts
    ) -> list[str]:
        """The loop every file goes through, kept short: with the real calls and a directory
        descriptor, `os.unlink` relative to it directly; blocks from `st_blocks` where the
        platform has it; the path built only when something needs it."""
        path = node.path
        children: list[str] = []
        files = size = disk = 0
        direct = fd is not None and type(self.ops).unlink is Ops.unlink
        unlink = self.ops.unlink
        os_unlink = os.unlink
        join = os.path.join
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False) and not (WINDOWS and is_link_like(entry)):
                    children.append(join(path, name))
                    continue
                st = entry.stat(follow_symlinks=False)
            except GONE:
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
        counts.entries += len(entries)
        counts.files += files
        counts.bytes += size
        counts.disk += disk
        return children

    def _list(self, node: _Node, counts: Counts) -> tuple[int | None, list[os.DirEntry[str]]]:
        path = node.path
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
            except GONE:
                return None, []
            except PermissionError as err:
                if attempt == 0 and self.recovery.grant(path, stat.S_IRWXU):
                    continue
                self._fail(node, path, err, counts)
                return None, []
            except OSError as err:
                self._fail(node, path, err, counts)
                return None, []
        return None, []

    def _remove_file(
        self,
        node: _Node,
        path: str,
        name: str | None,
        fd: int | None,
        st: os.stat_result,
        counts: Counts,
        failed: OSError | None = None,
    ) -> None:
        is_dir_link = stat.S_ISDIR(st.st_mode)  # a junction or directory symlink on Windows
        is_link = stat.S_ISLNK(st.st_mode) or is_dir_link

        def unlink() -> None:
            if is_dir_link:
                self.ops.rmdir(path)
            else:
                self.ops.unlink(path, name or os.path.basename(path), fd)

        error = self.recovery.retry(unlink, path, os.path.dirname(path), failed)
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

    def _rmdir(self, path: str, counts: Counts) -> None:
        try:
            self.ops.rmdir(path)
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) and winerror(err) != 145:
                raise
            # Something appeared after the listing (or Windows has not finished a delete):
            # clear it again before the retry.
            self._clear_tree(path, counts)
            raise

    def _clear_tree(self, path: str, counts: Counts) -> None:
        """Synchronously empty a directory that gained entries during its deletion."""
        node = _Node(path)
        for child in self._clear(node, counts, False):
            self._clear_tree(child, counts)
            error = self.recovery.retry(partial(self.ops.rmdir, child), child, None)
            if error is not None:
                self._fail(node, child, error, counts)
            else:
                counts.dirs += 1

    @staticmethod
    def _fail(node: _Node, path: str, err: OSError, counts: Counts) -> None:
        node.failed = True
        counts.failures.append((path, err.strerror or str(err)))
