"""The deletion engine: parallel, bounded, crash-safe and hard-link-aware.

A plan is carried out in two phases: everything that holds links is renamed atomically into the
cache's trash directory, then the archives those links reached; only then are the trees' contents
deleted, by bounded workers that each take a directory (and, while it is small, its subtree) per
thread hop, unlinking relative to a directory descriptor where the platform allows. A killed run
leaves trees in the trash, never a link to a half-deleted archive; the next run finishes them.
Links are removed as links, never followed. A path already gone counts as removed.
May import janitor.inventory, janitor.plan and janitor.layout.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import secrets
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream

from janitor.inventory import Usage, allocated
from janitor.layout import uv
from janitor.plan import Item, Plan

# Without --workers the engine tunes its parallelism while it runs, between these bounds: on a
# local disk Python threads contend for the interpreter and few workers win; on a slow filesystem
# (a network share, antivirus) every call waits for the server and many workers hide the latency.
MAX_WORKERS = 64
START_WORKERS = 2
TUNE_INTERVAL = 0.1  # seconds between two adjustments
TUNE_GAIN = 1.15  # what more workers must add to throughput to be kept
TUNE_LINEAR = 0.7  # throughput this close to proportional to the workers: climb faster
DEFAULT_WORKERS = None
# What one thread hop may do before it hands the rest of its subtree to other workers: a number
# of entries (a local disk) or a time (a slow filesystem, where one directory can take long).
BATCH_ENTRIES = 1024
BATCH_SECONDS = 0.01
RETRIES = 6
FIRST_BACKOFF = 0.01
# Crash-safety tests set it to N: the process SIGKILLs itself right after its N-th mutation.
KILL_AFTER_VARIABLE = "JANITOR_TEST_KILL_AFTER"

_O_DIR = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: junctions and Windows symlinks
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


class Ops:
    """The filesystem calls the engine makes. Tests subclass it to inject faults."""

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


class MutationCounter(Ops):
    """Ops that count their renames, unlinks and rmdirs (the mutations a kill can follow).

    With `kill_after=N` the process SIGKILLs itself right after the N-th one: crash-safety
    tests pick N among the mutations a whole run counts.
    """

    def __init__(self, kill_after: int = 0) -> None:
        self.mutations = 0
        self._kill_after = kill_after
        self._lock = threading.Lock()

    def _mutated(self) -> None:
        with self._lock:
            self.mutations += 1
            if self.mutations == self._kill_after:
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    def rename(self, src: str, dst: str) -> None:
        super().rename(src, dst)
        self._mutated()

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        super().unlink(path, name, dir_fd)
        self._mutated()

    def rmdir(self, path: str) -> None:
        super().rmdir(path)
        self._mutated()


def _default_ops() -> Ops:
    after = os.environ.get(KILL_AFTER_VARIABLE, "")
    return MutationCounter(int(after)) if after.isdigit() and int(after) > 0 else Ops()


@dataclass(frozen=True)
class Failure:
    """A path that could not be removed, and why."""

    path: str
    error: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one plan item."""

    item: Item
    usage: Usage
    failures: tuple[Failure, ...] = ()
    skipped: str | None = None  # why the item was not attempted

    @property
    def ok(self) -> bool:
        """Removed completely."""
        return not self.failures and self.skipped is None


@dataclass(frozen=True)
class Removal:
    """The result of carrying out a plan; adds up."""

    outcomes: tuple[Outcome, ...] = ()

    def __add__(self, other: Removal) -> Removal:
        return Removal(self.outcomes + other.outcomes)

    @property
    def total(self) -> Usage:
        """Everything removed."""
        total = Usage()
        for outcome in self.outcomes:
            total += outcome.usage
        return total

    @property
    def failures(self) -> list[Failure]:
        """Every path that could not be removed."""
        return [f for o in self.outcomes for f in o.failures] + [
            Failure(o.item.path, o.skipped) for o in self.outcomes if o.skipped
        ]


class Reporter(Protocol):
    """Progress of a removal, called from the event loop."""

    def on_start(self, trees: int) -> None:
        """The number of trees about to be deleted."""

    def on_progress(self, files: int, size: int) -> None:
        """More files (and their logical bytes) were removed."""

    def on_done(self, outcome: Outcome) -> None:
        """One plan item is finished."""


class _Tree:
    """Counters of one tree being deleted (shared by the worker threads)."""

    def __init__(self, item: Item, path: str) -> None:
        self.item = item
        self.path = path
        self.files = self.dirs = self.bytes = self.disk = 0
        self.failures: list[Failure] = []

    def usage(self) -> Usage:
        return Usage(self.files, self.dirs, self.bytes, self.disk)


@dataclass(eq=False)
class _Node:
    path: str
    tree: _Tree
    parent: _Node | None = None
    pending: int = 0
    failed: bool = False
    is_file: bool = False  # a tree that is a single file or link


class _Call:
    """A deferred call, for retries."""

    def __init__(self, fn: Callable[[_Node], None], node: _Node) -> None:
        self.fn = fn
        self.node = node

    def __call__(self) -> None:
        self.fn(self.node)


@dataclass
class _Batch:
    more: list[_Node] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    finished: list[_Tree] = field(default_factory=list)


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
    if sys.platform == "win32":  # pragma: no cover - Windows only
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
        return bool(attributes & _REPARSE_POINT)
    return False


class Engine:
    """Deletes trees with bounded parallelism; one instance per run."""

    def __init__(
        self,
        root: Path,
        *,
        workers: int | None = DEFAULT_WORKERS,
        ops: Ops | None = None,
        reporter: Reporter | None = None,
    ) -> None:
        self.root = root
        self.trash = root / uv.TRASH_DIR
        self.adaptive = workers is None
        self.workers = MAX_WORKERS if workers is None else max(1, workers)
        self._entries_done = 0  # directory entries processed, for tuning
        self.parallelism: list[int] = []  # worker counts the tuner chose, in order
        self.ops = ops or _default_ops()
        self.reporter = reporter
        self._lock = threading.Lock()
        # (device, inode) -> (link count first seen, links of it removed so far), for files with
        # several hard links.
        self._seen_links: dict[tuple[int, int], tuple[int, int]] = {}
        self._token = secrets.token_hex(4)
        self._seq = 0
        self._renamed: set[str] = set()  # plan items moved into the trash

    # ----- the plan -----

    async def run(self, plan: Plan) -> Removal:
        """Carry out a plan: links first, then archives; delete renamed trees in parallel."""
        limiter = anyio.CapacityLimiter(START_WORKERS if self.adaptive else self.workers)
        await anyio.to_thread.run_sync(self._make_trash, limiter=limiter)
        outcomes: dict[str, Outcome] = {}
        deferred: list[tuple[Item, str]] = []
        for phase in (0, 1):
            in_place: list[tuple[Item, str]] = []
            items = [i for i in plan.items if i.phase == phase]
            for item in items:
                blocked = [
                    path
                    for path in item.requires
                    if path not in self._renamed and not (path in outcomes and outcomes[path].ok)
                ]
                if blocked:
                    outcomes[item.path] = Outcome(
                        item, Usage(), skipped=f"kept: {blocked[0]} could not be removed"
                    )
                    continue
                where = await anyio.to_thread.run_sync(self._detach, item, limiter=limiter)
                if isinstance(where, Outcome):
                    outcomes[item.path] = where
                elif where[1]:
                    deferred.append((item, where[0]))
                else:
                    in_place.append((item, where[0]))
            # Trees that could not be moved aside are deleted where they are, and before the
            # next phase: their links must be gone before the archives they reach.
            for outcome in await self._delete(in_place, limiter):
                outcomes[outcome.item.path] = outcome
        for outcome in await self._delete(deferred, limiter):
            outcomes[outcome.item.path] = outcome
        await anyio.to_thread.run_sync(self._drop_trash, limiter=limiter)
        return Removal(tuple(outcomes[item.path] for item in plan.items if item.path in outcomes))

    def _make_trash(self) -> None:
        try:
            os.mkdir(self.trash)
        except FileExistsError:
            if os.path.islink(self.trash) or not os.path.isdir(self.trash):
                raise
        except OSError:
            pass  # a read-only cache: trees are deleted in place

    def _drop_trash(self) -> None:
        # When something in it could not be removed, the trash stays for the next run.
        with contextlib.suppress(OSError):
            self.ops.rmdir(str(self.trash))

    def _inside_root(self, rel: str) -> bool:
        """Whether the parent of `rel` is reached from the root through real directories only."""
        parent = os.path.dirname(rel)
        if not parent:
            return True
        expected = os.path.join(str(self.root), *parent.split("/"))
        return os.path.realpath(expected) == expected

    def _detach(self, item: Item) -> Outcome | tuple[str, bool]:
        """Move an item into the trash: (path to delete, moved) or an Outcome when done already."""
        if not self._inside_root(item.path):
            return Outcome(
                item, Usage(), (Failure(item.path, "refused: its path leads through a link"),)
            )
        source = os.path.join(str(self.root), *item.path.split("/"))
        if item.path.startswith(uv.TRASH_DIR + "/"):
            return source, False
        try:
            self.ops.lstat(source)
        except _GONE:
            return Outcome(item, Usage())
        except OSError as err:
            return Outcome(item, Usage(), (Failure(item.path, err.strerror or str(err)),))
        self._seq += 1
        name = f"{self._token}-{self._seq}-{os.path.basename(source)}"[:200]
        target = os.path.join(str(self.trash), name)
        try:
            self.ops.rename(source, target)
        except _GONE:
            return Outcome(item, Usage())
        except OSError:
            return source, False  # e.g. Windows refuses while a file is open: delete in place
        self._renamed.add(item.path)
        return target, True

    # ----- deleting trees -----

    async def _delete(
        self, trees: list[tuple[Item, str]], limiter: anyio.CapacityLimiter
    ) -> list[Outcome]:
        if not trees:
            return []
        if self.reporter is not None:
            self.reporter.on_start(len(trees))
        send, receive = anyio.create_memory_object_stream[_Node](math.inf)
        outstanding = len(trees)
        results: list[Outcome] = []
        for item, path in trees:
            send.send_nowait(_Node(long_path(path), _Tree(item, path)))

        async def worker(nodes: MemoryObjectReceiveStream[_Node]) -> None:
            nonlocal outstanding
            async with nodes:
                async for node in nodes:
                    batch = await anyio.to_thread.run_sync(self._batch, node, limiter=limiter)
                    outstanding += len(batch.more) - 1
                    for more in batch.more:
                        send.send_nowait(more)
                    for tree in batch.finished:
                        outcome = Outcome(tree.item, tree.usage(), tuple(tree.failures))
                        results.append(outcome)
                        if self.reporter is not None:
                            self.reporter.on_done(outcome)
                    if self.reporter is not None and batch.files:
                        self.reporter.on_progress(batch.files, batch.bytes)
                    if outstanding == 0:
                        send.close()

        def queued() -> int:
            return outstanding

        async with anyio.create_task_group() as tuning:
            if self.adaptive:
                tuning.start_soon(self._tune, limiter, queued)
            async with send, receive, anyio.create_task_group() as group:
                for _ in range(min(self.workers, max(1, len(trees) * 64))):
                    group.start_soon(worker, receive.clone())
            tuning.cancel_scope.cancel()
        return results

    async def _tune(self, limiter: anyio.CapacityLimiter, queued: Callable[[], int]) -> None:
        """Hill-climb the number of workers on measured throughput (entries per second).

        It starts with two workers and doubles the count while each step pays, that is while
        the larger count moves at least TUNE_GAIN times the entries the smaller one did
        (four times the count when throughput grew almost in proportion); a count that does
        not pay gives way to the one below it. Each count's throughput is remembered
        (averaged with earlier visits), so a larger count is tried again when the smaller
        one slows down. On a local disk, where threads contend for the interpreter and the
        kernel's locks, this stays at one or two workers; where every call waits for a
        server, it climbs. While fewer directories wait than workers could take, throughput
        says nothing about the count (the work is running out), and it is left alone.
        """
        seen: dict[int, float] = {}
        done = self._entries_done
        started = anyio.current_time()
        while True:
            await anyio.sleep(TUNE_INTERVAL)
            now = anyio.current_time()
            rate = (self._entries_done - done) / max(now - started, 1e-6)
            done, started = self._entries_done, now
            tokens = int(limiter.total_tokens)
            if queued() < tokens:
                continue
            seen[tokens] = (seen[tokens] + rate) / 2 if tokens in seen else rate
            chosen = tokens
            down = max((k for k in seen if k < tokens), default=None)
            if down is not None and seen[tokens] < TUNE_GAIN * seen[down]:
                chosen = down
            elif tokens < self.workers:
                # Throughput that grew with the count (calls that wait) climbs four times faster.
                linear = (
                    down is not None and seen[tokens] >= TUNE_LINEAR * seen[down] * tokens / down
                )
                up = min(tokens * (4 if linear else 2), self.workers)
                if up not in seen or seen[up] >= TUNE_GAIN * seen[tokens]:
                    chosen = up
            limiter.total_tokens = chosen
            self.parallelism.append(chosen)

    def _batch(self, node: _Node) -> _Batch:
        """Clear a directory, and its subdirectories while the batch lasts (in a worker thread)."""
        batch = _Batch()
        stack = [node]
        budget = BATCH_ENTRIES
        deadline = time.monotonic() + BATCH_SECONDS
        while stack:
            current = stack.pop()
            children, spent = self._clear(current, batch)
            budget -= spent
            self._entries_done += spent  # approximate across threads: only steers the tuner
            if children:
                stack.extend(children)
            else:
                self._finish(current, batch)
            if budget <= 0 or time.monotonic() > deadline:
                break
        batch.more = stack
        return batch

    def _clear(self, node: _Node, batch: _Batch) -> tuple[list[_Node], int]:
        """Unlink every non-directory entry of a directory; return its subdirectories."""
        tree = node.tree
        if node.parent is None:
            try:
                st = self.ops.lstat(node.path)
            except _GONE:
                return [], 1
            except OSError as err:
                self._fail(node, node.path, err)
                return [], 1
            if (
                not stat.S_ISDIR(st.st_mode)
                or getattr(st, "st_file_attributes", 0) & _REPARSE_POINT
            ):
                node.is_file = True
                self._remove_file(node, node.path, None, None, st, batch)
                node.failed = bool(tree.failures)
                return [], 1
        fd, entries = self._list(node)
        children: list[_Node] = []
        unlink = self.ops.unlink
        join = os.path.join
        files = size = disk = 0
        try:
            for entry in entries:
                name = entry.name
                path = join(node.path, name)
                try:
                    if entry.is_dir(follow_symlinks=False) and not _is_link_like(entry):
                        children.append(_Node(path, tree, node))
                        continue
                    st = entry.stat(follow_symlinks=False)
                except _GONE:
                    continue
                except OSError as err:
                    self._fail(node, path, err)
                    continue
                # The common case, kept short: a regular file with one link, unlinked at once;
                # its blocks are freed now, whoever removed its other links before. Anything else
                # (links, files with more links, errors) takes the careful path.
                failed: OSError | None = None
                if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                    try:
                        unlink(path, name, fd)
                    except FileNotFoundError:
                        continue
                    except OSError as err:
                        failed = err
                    else:
                        files += 1
                        size += st.st_size
                        disk += allocated(st)
                        continue
                self._remove_file(node, path, name, fd, st, batch, failed)
        finally:
            if fd is not None:
                self.ops.close(fd)
        with self._lock:
            node.pending = len(children)
            tree.files += files
            tree.bytes += size
            tree.disk += disk
        batch.files += files
        batch.bytes += size
        return children, len(entries) + 1

    def _list(self, node: _Node) -> tuple[int | None, list[os.DirEntry[str]]]:
        for attempt in range(2):
            try:
                if self.ops.dir_fd:
                    fd = self.ops.open_dir(node.path)
                    try:
                        return fd, self.ops.scandir(fd)
                    except BaseException:
                        self.ops.close(fd)
                        raise
                return None, self.ops.scandir(node.path)
            except _GONE:
                return None, []
            except PermissionError as err:
                if attempt == 0 and self._grant(node.path, stat.S_IRWXU):
                    continue
                self._fail(node, node.path, err)
                return None, []
            except OSError as err:
                self._fail(node, node.path, err)
                return None, []
        return None, []

    def _remove_file(
        self,
        node: _Node,
        path: str,
        name: str | None,
        fd: int | None,
        st: os.stat_result,
        batch: _Batch,
        failed: OSError | None = None,
    ) -> None:
        is_dir_link = stat.S_ISDIR(st.st_mode)  # a junction or directory symlink on Windows
        freed = 0
        if not stat.S_ISLNK(st.st_mode) and not is_dir_link:
            key = (st.st_dev, st.st_ino)
            if st.st_nlink <= 1 and key not in self._seen_links:
                freed = allocated(st)
            else:
                # Freed only when this run removes the inode's last link. The count to reach is
                # the first one seen: later stats see it lowered by this run's own unlinks.
                with self._lock:
                    links, seen = self._seen_links.pop(key, (st.st_nlink, 0))
                    if seen + 1 >= links:
                        freed = allocated(st)
                    else:
                        self._seen_links[key] = (links, seen + 1)

        def unlink() -> None:
            if is_dir_link:
                self.ops.rmdir(path)
            else:
                self.ops.unlink(path, name or os.path.basename(path), fd)

        error = self._retry(unlink, path, os.path.dirname(path), failed)
        if error is not None:
            self._fail(node, path, error)
            return
        size = 0 if stat.S_ISLNK(st.st_mode) else st.st_size  # a link's size is its text
        tree = node.tree
        with self._lock:
            tree.files += 1
            tree.bytes += size
            tree.disk += freed
        batch.files += 1
        batch.bytes += size

    def _finish(self, node: _Node, batch: _Batch) -> None:
        """Remove an emptied directory, then every ancestor it was the last pending child of."""
        current: _Node | None = node
        while current is not None:
            if not current.failed and not current.is_file:
                error = self._retry(
                    _Call(self._rmdir, current), current.path, os.path.dirname(current.path)
                )
                if error is not None:
                    self._fail(current, current.path, error)
                else:
                    with self._lock:
                        current.tree.dirs += 1
            parent = current.parent
            if parent is None:
                batch.finished.append(current.tree)
                return
            with self._lock:
                parent.pending -= 1
                parent.failed = parent.failed or current.failed
                if parent.pending > 0:
                    return
            current = parent

    def _rmdir(self, node: _Node) -> None:
        try:
            self.ops.rmdir(node.path)
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) and _winerror(err) != 145:
                raise
            # Something appeared after the listing (or Windows has not finished a delete):
            # clear it again before the retry.
            leftovers = _Batch()
            children, _ = self._clear(node, leftovers)
            for child in children:
                self._clear_tree(child)
            raise

    def _clear_tree(self, node: _Node) -> None:
        """Synchronously remove a small subtree that appeared during a deletion."""
        batch = _Batch()
        children, _ = self._clear(node, batch)
        for child in children:
            self._clear_tree(child)
        error = self._retry(lambda: self.ops.rmdir(node.path), node.path, None)
        if error is not None:
            self._fail(node, node.path, error)
        else:
            with self._lock:
                node.tree.dirs += 1

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
                return sys.platform == "win32" and bool(getattr(st, "st_file_attributes", 0) & 1)
            self.ops.chmod(path, stat.S_IMODE(st.st_mode) | bits)
        except OSError:
            return False
        return True

    def _fail(self, node: _Node, path: str, err: OSError) -> None:
        node.failed = True
        with self._lock:
            node.tree.failures.append(Failure(self._relative(path), err.strerror or str(err)))

    def _relative(self, path: str) -> str:
        prefix = long_path(str(self.root)) + os.sep
        for base in (prefix, str(self.root) + os.sep):
            if path.startswith(base):
                return path[len(base) :].replace(os.sep, "/")
        return path


async def execute(
    root: Path,
    plan: Plan,
    *,
    workers: int | None = DEFAULT_WORKERS,
    ops: Ops | None = None,
    reporter: Reporter | None = None,
) -> Removal:
    """Carry out a plan on the cache at `root` (absolute, resolved, locked by the caller)."""
    return await Engine(root, workers=workers, ops=ops, reporter=reporter).run(plan)
