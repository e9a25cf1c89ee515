"""Carrying out a plan: crash-safe ordering, bounded parallel deletion, hard-link-aware accounting.

A plan is carried out in two phases: everything that holds links is renamed atomically into the
cache's trash directory, then the archives those links reached. A killed run leaves trees in the
trash, never a link to a half-deleted archive; the next run finishes them. Trees in the trash are
deleted while the renames go on, in batches (`deleter.Deleter`) handed to a tuned number of workers:
worker processes where the filesystem answers fast (one per core, since threads there fight over
the interpreter lock), and threads beside them where calls wait (a network share, antivirus), so
that many calls are in flight. The engine only keeps the books: which directories wait for which
subdirectories, what each tree freed, what failed.
May import janitor.errors, janitor.inventory, janitor.plan, janitor.layout and janitor.remove.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.abc
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from janitor.errors import Refused
from janitor.inventory import Usage
from janitor.layout import uv
from janitor.plan import Item, Plan
from janitor.remove import deleter
from janitor.remove.ledger import Ledger
from janitor.remove.outcome import Failure, Outcome, Removal, Reporter
from janitor.remove.procs import Pool, WorkerLost, cannot_spawn, usable_cpus
from janitor.remove.tuner import MAX_WORKERS, START_WORKERS, Tuner

TUNE_INTERVAL = 0.1  # seconds between two adjustments
# What one batch may do before it hands the rest of its subtree back: a number of entries (a
# local disk) or a time (a slow filesystem, where one directory can take long).
BATCH_ENTRIES = 1024
BATCH_SECONDS = 0.01
# A worker process costs a round trip per request: it takes larger batches.
PROCESS_BATCH_ENTRIES = 4096
PROCESS_BATCH_SECONDS = 0.05
# Nodes one request may carry (what the budget leaves of them is handed out again).
GROUP_NODES = 8
# Worker processes are started only for a deletion still going after this long: small sweeps
# are over before a process would be up.
POOL_DELAY = 0.03
# Items renamed per thread hop.
DETACH_CHUNK = 32
_GONE = (FileNotFoundError, NotADirectoryError)


class TrashUnusable(Refused):
    """The cache's trash name is taken by something janitor did not make."""


class _Tree:
    """One plan item being deleted."""

    def __init__(self, item: Item, path: str) -> None:
        self.item = item
        self.path = path
        self.files = self.dirs = self.bytes = self.disk = 0
        self.failures: list[Failure] = []
        self.done = anyio.Event()

    def usage(self, credit: int = 0) -> Usage:
        return Usage(self.files, self.dirs, self.bytes, self.disk + credit)


@dataclass(eq=False)
class _Node:
    """A directory (or, at the top, a tree) handed to a worker; it waits for `pending` others."""

    path: str
    tree: _Tree
    parent: _Node | None = None
    top: bool = False
    finish: bool = False  # only its own removal is left: its subdirectories are gone
    objects: bool = False  # a content-addressed shard, swept in place
    pending: int = 0
    failed: bool = False


@dataclass
class _Books:
    """What the deletion has done so far (touched only from the event loop)."""

    entries: int = 0
    outstanding: int = 0  # nodes queued or being worked on
    closing: bool = False
    trees: dict[str, _Tree] = field(default_factory=dict)  # plan path -> its tree


class Engine:
    """Carries out one plan on one cache; one instance per run."""

    def __init__(
        self,
        root: Path,
        *,
        workers: int | None = None,
        processes: int | None = None,
        ops: deleter.Ops | None = None,
        reporter: Reporter | None = None,
        trash: str = uv.TRASH_DIR,
    ) -> None:
        self.root = root
        # Where trees are moved aside, relative to the root (the cache kind's choice: a place
        # its own client passes over).
        self.trash_rel = trash
        self.trash = root.joinpath(*trash.split("/"))
        self.adaptive = workers is None
        self.workers = MAX_WORKERS if workers is None else max(1, workers)
        self.ops = ops or deleter.Ops()
        self.notes: list[str] = []  # how the deletion had to run, said with -v
        # Worker processes run the real calls, so a plan given other `ops` stays in threads.
        if processes is None:
            auto = type(self.ops) is deleter.Ops and usable_cpus() > 1
            processes = min(usable_cpus(), self.workers) if auto else 0
        if processes:
            problem = cannot_spawn()
            if problem is not None:
                self.notes.append(f"deleting in threads: no worker processes ({problem})")
                processes = 0
        self.processes = processes
        self.reporter = reporter
        self.parallelism: list[int] = []  # worker counts the tuner chose, in order
        self.worker_pids: list[int] = []  # worker processes started
        self._deleter = deleter.Deleter(self.ops, str(root))
        self._ledger = Ledger()
        self._books = _Books()
        self._token = secrets.token_hex(4)
        self._seq = 0
        self._renamed: set[str] = set()  # plan items moved into the trash
        self._real_dirs: set[str] = {str(root)}
        self._lanes = anyio.CapacityLimiter(START_WORKERS if self.adaptive else self.workers)
        self._threads = anyio.CapacityLimiter(MAX_WORKERS)
        self._pool = Pool()
        self._pool_ready = False
        self._first_tree = anyio.Event()

    # ----- the plan -----

    async def run(self, plan: Plan) -> Removal:
        """Carry out a plan: links first, then archives; delete moved trees in parallel."""
        await anyio.to_thread.run_sync(self._make_trash, limiter=self._threads)
        outcomes: dict[str, Outcome] = {}
        send, receive = anyio.create_memory_object_stream[_Node](math.inf)
        self._send: MemoryObjectSendStream[_Node] = send
        self._receive: MemoryObjectReceiveStream[_Node] = receive
        try:
            async with anyio.create_task_group() as group:
                for _ in range(self.workers):
                    group.start_soon(self._worker, self._receive.clone())
                self._receive.close()  # the workers' clones keep the stream open
                if self.adaptive:
                    group.start_soon(self._tune)
                if self.processes:
                    group.start_soon(self._start_pool)
                try:
                    await self._carry_out(plan, outcomes)
                finally:
                    # On a cancel (Ctrl-C) the stream stays open while the renames and batches
                    # under way finish and book what they did; the trash keeps the rest for the
                    # next run.
                    group.cancel_scope.cancel()
        finally:
            # Once every task is over: a pool still starting when a cancel came is whole now.
            await self._pool.aclose()
        self._send.close()
        credit = self._ledger.freed()
        for tree in self._books.trees.values():
            if tree.item.phase == 2 and not tree.files and not tree.failures:
                continue  # a shard of the content store with nothing to remove
            outcomes[tree.item.path] = Outcome(
                tree.item, tree.usage(credit.get(tree, 0)), tuple(tree.failures)
            )
        await anyio.to_thread.run_sync(self._drop_trash, limiter=self._threads)
        return Removal(
            tuple(outcomes[item.path] for item in plan.items if item.path in outcomes),
            tuple(self.notes),
        )

    async def _carry_out(self, plan: Plan, outcomes: dict[str, Outcome]) -> None:
        for phase in (0, 1):
            items = [i for i in plan.items if i.phase == phase]
            # Items that require others of the same phase (a hub revision waits for the refs
            # naming it) go in a second wave, once those are gone.
            inside = {item.path for item in items}
            waits = [item for item in items if inside.intersection(item.requires)]
            await self._phase([item for item in items if item not in waits], outcomes)
            if waits:
                await self._phase(waits, outcomes)
        # Content-addressed files lose their last other link only once the archives are gone.
        for tree in self._books.trees.values():
            await tree.done.wait()
        for item in plan.items:
            if item.phase == 2:
                self._add(item, os.path.join(str(self.root), *item.path.split("/")), True)
        self._books.closing = True
        self._first_tree.set()
        if self._books.outstanding == 0:
            self._send.close()
        for tree in self._books.trees.values():
            await tree.done.wait()

    async def _phase(self, items: Sequence[Item], outcomes: dict[str, Outcome]) -> None:
        """Move a phase's items aside; delete those that could not be moved before returning."""
        ready: list[tuple[Item, str]] = []
        for item in items:
            blocked = [path for path in item.requires if not self._gone(path, outcomes)]
            if blocked:
                outcomes[item.path] = Outcome(
                    item, Usage(), skipped=f"kept: {blocked[0]} could not be removed"
                )
                continue
            self._seq += 1
            name = f"{self._token}-{self._seq}-{item.path.rpartition('/')[2]}"[:200]
            ready.append((item, os.path.join(str(self.trash), name)))
        in_place: list[_Tree] = []

        async def detach(chunk: list[tuple[Item, str]]) -> None:
            moved = await anyio.to_thread.run_sync(self._detach, chunk, limiter=self._threads)
            for (item, _), where in zip(chunk, moved, strict=True):
                if isinstance(where, Outcome):
                    outcomes[item.path] = where
                else:
                    tree = self._add(item, where[0])
                    if not where[1]:
                        in_place.append(tree)

        async with anyio.create_task_group() as group:
            for start in range(0, len(ready), DETACH_CHUNK):
                group.start_soon(detach, ready[start : start + DETACH_CHUNK])
        # Trees that could not be moved aside hold links that must be gone before the archives
        # they reach are touched.
        for tree in in_place:
            await tree.done.wait()

    def _gone(self, path: str, outcomes: dict[str, Outcome]) -> bool:
        if path in self._renamed:
            return True
        if path in outcomes:
            return outcomes[path].ok
        tree = self._books.trees.get(path)
        return tree is not None and tree.done.is_set() and not tree.failures

    def _make_trash(self) -> None:
        with contextlib.suppress(OSError):  # its parent, when the kind puts it deeper
            if self.trash.parent != self.root and not self.trash.parent.is_symlink():
                self.trash.parent.mkdir(exist_ok=True)
        try:
            os.mkdir(self.trash)
        except FileExistsError:
            try:
                st = os.lstat(self.trash)
            except OSError:
                return
            if not stat.S_ISDIR(st.st_mode) or getattr(st, "st_file_attributes", 0) & 0x400:
                what = "a link" if stat.S_ISLNK(st.st_mode) else "not a directory"
                raise TrashUnusable(
                    f"Cannot use {self.trash} for deletions: it is {what}, not janitor's; "
                    "move it out of the cache and rerun"
                ) from None
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
        if expected in self._real_dirs:
            return True
        if os.path.realpath(expected) != expected:
            return False
        self._real_dirs.add(expected)
        return True

    def _detach(self, chunk: list[tuple[Item, str]]) -> list[Outcome | tuple[str, bool]]:
        """Move items into the trash: (path to delete, moved) or an Outcome when done already."""
        moved: list[Outcome | tuple[str, bool]] = []
        for item, target in chunk:
            if not self._inside_root(item.path):
                failure = Failure(item.path, "refused: its path leads through a link")
                moved.append(Outcome(item, Usage(), (failure,)))
                continue
            source = os.path.join(str(self.root), *item.path.split("/"))
            if item.path.startswith(self.trash_rel + "/"):
                moved.append((source, False))
                continue
            try:
                self.ops.rename(source, target)
            except _GONE:
                moved.append(Outcome(item, Usage()))
                continue
            except OSError:
                try:
                    self.ops.lstat(source)
                except _GONE:
                    moved.append(Outcome(item, Usage()))
                except OSError as err:
                    moved.append(Outcome(item, Usage(), (Failure(item.path, err.strerror or ""),)))
                else:  # e.g. Windows refuses while a file is open: delete it in place
                    moved.append((source, False))
                continue
            self._renamed.add(item.path)
            moved.append((target, True))
        return moved

    # ----- deleting trees -----

    def _add(self, item: Item, path: str, objects: bool = False) -> _Tree:
        tree = _Tree(item, path)
        self._books.trees[item.path] = tree
        self._first_tree.set()
        if self.reporter is not None and not objects:
            self.reporter.on_start(1)
        self._queue(_Node(deleter.long_path(path), tree, top=True, objects=objects))
        return tree

    def _queue(self, node: _Node) -> None:
        self._books.outstanding += 1
        # Broken when every worker has ended, which only a cancel (Ctrl-C) does: a rename that
        # finished after it leaves its tree in the trash for the next run.
        with contextlib.suppress(anyio.BrokenResourceError):
            self._send.send_nowait(node)

    async def _worker(self, nodes: MemoryObjectReceiveStream[_Node]) -> None:
        books = self._books
        async with nodes:
            async for node in nodes:
                group = [node]
                # Waiting nodes go along, up to a request's worth: small trees are many.
                while len(group) < GROUP_NODES:
                    try:
                        group.append(nodes.receive_nowait())
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                async with self._lanes:
                    results = await self._call(group)
                for done, result in zip(group, results, strict=False):
                    self._absorb(done, result)
                for left in group[len(results) :]:
                    self._send.send_nowait(left)  # still counted as outstanding
                books.outstanding -= len(results)
                if books.closing and books.outstanding == 0:
                    self._send.close()

    async def _call(self, group: list[_Node]) -> list[deleter.Result]:
        """One request, in an idle worker process if there is one, else in a thread."""
        work = [
            ("objects" if n.objects else "finish" if n.finish else "batch", n.path, n.top)
            for n in group
        ]
        worker = self._pool.take() if self._pool_ready else None
        if worker is not None:
            try:
                results = await worker.call(work, PROCESS_BATCH_ENTRIES, PROCESS_BATCH_SECONDS)
            except WorkerLost:
                pass  # its work starts again here: deletion is idempotent
            else:
                self._pool.give(worker)
                return results
        return await anyio.to_thread.run_sync(
            self._deleter.work, work, BATCH_ENTRIES, BATCH_SECONDS, limiter=self._threads
        )

    def _absorb(self, node: _Node, result: deleter.Result) -> None:
        """Book a batch's result and queue the work it left."""
        self._books.entries += result.entries
        tree = node.tree
        tree.files += result.files
        tree.dirs += result.dirs
        tree.bytes += result.bytes
        tree.disk += result.disk
        if result.shared:
            self._ledger.add(tree, result.shared)
        tree.failures.extend(
            Failure(self._relative(path), error) for path, error in result.failures
        )
        if self.reporter is not None and result.files:
            self.reporter.on_progress(result.files, result.bytes)
        if result.done:
            self._finished(node, result.failed)
            return
        nodes: list[_Node] = []
        for index, (path, parent, pending, bad) in enumerate(result.waiting):
            current = node if index == 0 else _Node(path, tree, nodes[parent])
            current.pending = pending
            current.failed = bad
            nodes.append(current)
        for path, parent in result.more:
            self._queue(_Node(path, tree, nodes[parent]))

    def _finished(self, node: _Node, failed: bool) -> None:
        """A node is done: count it off its parent, whose removal may be all that is left."""
        current = node
        while True:
            parent = current.parent
            if parent is None:
                current.tree.done.set()
                if self.reporter is not None and not current.objects:
                    tree = current.tree
                    self.reporter.on_done(Outcome(tree.item, tree.usage(), tuple(tree.failures)))
                return
            parent.pending -= 1
            parent.failed = parent.failed or failed
            if parent.pending > 0:
                return
            if not parent.failed:
                parent.finish = True
                self._queue(parent)
                return
            current, failed = parent, True

    async def _start_pool(self) -> None:
        """Start the worker processes once a deletion proves long enough to need them."""
        books = self._books
        await self._first_tree.wait()
        await anyio.sleep(POOL_DELAY)
        if books.outstanding == 0:
            return
        try:
            # Shielded: a process that is started is one the pool will end.
            with anyio.CancelScope(shield=True):
                await self._pool.start(self.root, self.processes)
        except OSError as error:
            # The interpreter cannot be run again (no permission to execute it, a sandbox, a
            # frozen app): the threads carry on alone.
            reason = error.strerror or type(error).__name__
            self.notes.append(
                f"deleting in threads: worker processes could not start "
                f"({reason}: {error.filename or sys.executable})"
            )
            return
        self._pool_ready = True
        self.worker_pids = self._pool.pids

    async def _tune(self) -> None:
        """Every TUNE_INTERVAL, let the tuner choose the number of lanes from the throughput."""
        tuner = Tuner(maximum=self.workers)
        books = self._books
        done = books.entries
        started = anyio.current_time()
        with_pool = False
        while True:
            await anyio.sleep(TUNE_INTERVAL)
            now = anyio.current_time()
            rate = (books.entries - done) / max(now - started, 1e-6)
            done, started = books.entries, now
            if self._pool_ready and not with_pool:
                with_pool = True
                tuner.forget()  # processes took over: what threads did says nothing now
                continue
            tokens = int(self._lanes.total_tokens)
            # While fewer directories wait than lanes could take, the work is running out and
            # throughput says nothing about the count.
            if books.outstanding < tokens:
                continue
            chosen = tuner.step(tokens, rate)
            self._lanes.total_tokens = chosen
            self.parallelism.append(chosen)

    def _relative(self, path: str) -> str:
        for base in (deleter.long_path(str(self.root)) + os.sep, str(self.root) + os.sep):
            if path.startswith(base):
                return path[len(base) :].replace(os.sep, "/")
        return path


async def execute(
    root: Path,
    plan: Plan,
    *,
    workers: int | None = None,
    processes: int | None = None,
    ops: deleter.Ops | None = None,
    reporter: Reporter | None = None,
    trash: str = uv.TRASH_DIR,
) -> Removal:
    """Carry out a plan on the cache at `root` (absolute, resolved, locked by the caller);
    `trash` is where trees are moved aside, relative to it."""
    engine = Engine(
        root, workers=workers, processes=processes, ops=ops, reporter=reporter, trash=trash
    )
    return await engine.run(plan)
