"""Carrying out a plan: crash-safe ordering, bounded parallel deletion, hard-link-aware accounting.

A plan is carried out in two phases: everything that holds links is renamed atomically into the
cache's trash directory (`trash`), then the archives those links reached. A killed run leaves
trees in the trash, never a link to a half-deleted archive; the next run finishes them. Trees in
the trash are deleted while the renames go on, in batches (`deleter.Deleter`) handed to a tuned
number of workers: worker processes where the filesystem answers fast (one per core, since threads
there fight over the interpreter lock), and threads beside them where calls wait (a network share,
antivirus), so that many calls are in flight. `books` keeps the accounts: which directories wait
for which subdirectories, what each tree freed, what failed. The engine runs the tasks.
May import janitor.errors, janitor.inventory, janitor.plan and janitor.remove.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from janitor.inventory import Usage
from janitor.plan import Item, Plan
from janitor.remove import fsops
from janitor.remove.books import Books, Node, Tree
from janitor.remove.deleter import Deleter
from janitor.remove.outcome import Outcome, Removal, Reporter
from janitor.remove.procs import Pool, WorkerLost, cannot_spawn, usable_cpus
from janitor.remove.result import Result
from janitor.remove.trash import Trash
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


class Engine:
    """Carries out one plan on one cache; one instance per run."""

    def __init__(
        self,
        root: Path,
        *,
        trash: str,
        workers: int | None = None,
        processes: int | None = None,
        ops: fsops.Ops | None = None,
        reporter: Reporter | None = None,
    ) -> None:
        self.root = root
        self.adaptive = workers is None
        self.workers = MAX_WORKERS if workers is None else max(1, workers)
        self.ops = ops or fsops.Ops()
        self.notes: list[str] = []  # how the deletion had to run, said with -v
        self.processes = self._processes(processes)
        self.parallelism: list[int] = []  # worker counts the tuner chose, in order
        self.worker_pids: list[int] = []  # worker processes started
        self._trash = Trash(root, trash, self.ops)
        self._deleter = Deleter(self.ops, str(root))
        self._books = Books(str(root), reporter)
        self._lanes = anyio.CapacityLimiter(START_WORKERS if self.adaptive else self.workers)
        self._threads = anyio.CapacityLimiter(MAX_WORKERS)
        self._pool = Pool()
        self._pool_ready = False
        self._first_tree = anyio.Event()

    def _processes(self, processes: int | None) -> int:
        """How many worker processes to start: one per usable core by default, none when the
        calls are not the real ones (processes run the real calls) or none can start here."""
        if processes is None:
            auto = type(self.ops) is fsops.Ops and usable_cpus() > 1
            processes = min(usable_cpus(), self.workers) if auto else 0
        if processes:
            problem = cannot_spawn()
            if problem is not None:
                self.notes.append(f"deleting in threads: no worker processes ({problem})")
                return 0
        return processes

    # ----- the plan -----

    async def run(self, plan: Plan) -> Removal:
        """Carry out a plan: links first, then archives; delete moved trees in parallel."""
        await anyio.to_thread.run_sync(self._trash.make, limiter=self._threads)
        outcomes: dict[str, Outcome] = {}
        send, receive = anyio.create_memory_object_stream[Node](math.inf)
        self._send: MemoryObjectSendStream[Node] = send
        self._receive: MemoryObjectReceiveStream[Node] = receive
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
        outcomes.update((outcome.item.path, outcome) for outcome in self._books.outcomes())
        await anyio.to_thread.run_sync(self._trash.drop, limiter=self._threads)
        return Removal(
            tuple(outcomes[item.path] for item in plan.items if item.path in outcomes),
            tuple(self.notes),
        )

    async def _carry_out(self, plan: Plan, outcomes: dict[str, Outcome]) -> None:
        books = self._books
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
        for tree in books.trees.values():
            await tree.done.wait()
        for item in plan.items:
            if item.phase == 2:
                self._add(item, os.path.join(str(self.root), *item.path.split("/")), True)
        books.closing = True
        self._first_tree.set()
        if books.outstanding == 0:
            self._send.close()
        for tree in books.trees.values():
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
            ready.append((item, self._trash.target(item)))
        in_place: list[Tree] = []

        async def detach(chunk: list[tuple[Item, str]]) -> None:
            moved = await anyio.to_thread.run_sync(self._trash.detach, chunk, limiter=self._threads)
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
        if path in self._trash.renamed:
            return True
        if path in outcomes:
            return outcomes[path].ok
        tree = self._books.trees.get(path)
        return tree is not None and tree.done.is_set() and not tree.failures

    # ----- deleting trees -----

    def _add(self, item: Item, path: str, objects: bool = False) -> Tree:
        node = self._books.add(item, path, objects)
        self._first_tree.set()
        self._queue(node)
        return node.tree

    def _queue(self, node: Node) -> None:
        self._books.outstanding += 1
        # Broken when every worker has ended, which only a cancel (Ctrl-C) does: a rename that
        # finished after it leaves its tree in the trash for the next run.
        with contextlib.suppress(anyio.BrokenResourceError):
            self._send.send_nowait(node)

    async def _worker(self, nodes: MemoryObjectReceiveStream[Node]) -> None:
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
                    books.absorb(done, result, self._queue)
                for left in group[len(results) :]:
                    self._send.send_nowait(left)  # still counted as outstanding
                books.outstanding -= len(results)
                if books.closing and books.outstanding == 0:
                    self._send.close()

    async def _call(self, group: list[Node]) -> list[Result]:
        """One request, in an idle worker process if there is one, else in a thread."""
        work = [node.request for node in group]
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


async def execute(
    root: Path,
    plan: Plan,
    *,
    trash: str,
    workers: int | None = None,
    processes: int | None = None,
    ops: fsops.Ops | None = None,
    reporter: Reporter | None = None,
) -> Removal:
    """Carry out a plan on the cache at `root` (absolute, resolved, locked by the caller);
    `trash` is where trees are moved aside, relative to it."""
    engine = Engine(
        root, workers=workers, processes=processes, ops=ops, reporter=reporter, trash=trash
    )
    return await engine.run(plan)
