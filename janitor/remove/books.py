"""The engine's books: which directories wait for which subdirectories, what each tree freed.

Batches come back from workers as `Result`s; `Books.absorb` counts them into their plan
item's tree and returns the directories they left, to be handed out again; a directory whose last
subdirectory is gone is queued once more, for its own removal. Touched only from the event loop.
May import janitor.inventory, janitor.plan and janitor.remove.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

from janitor.inventory import Usage
from janitor.plan import Item
from janitor.remove.fsops import long_path
from janitor.remove.ledger import Ledger
from janitor.remove.outcome import Failure, Outcome, Reporter
from janitor.remove.result import Result


class Tree:
    """One plan item being deleted."""

    def __init__(self, item: Item, path: str) -> None:
        self.item = item
        self.path = path
        self.files = self.dirs = self.bytes = self.disk = 0
        self.failures: list[Failure] = []
        self.done = anyio.Event()

    def usage(self, credit: int = 0) -> Usage:
        """What the tree's deletion removed, with `credit` for hard-linked files it freed."""
        return Usage(self.files, self.dirs, self.bytes, self.disk + credit)

    def outcome(self, credit: int = 0) -> Outcome:
        """The tree's outcome as it stands."""
        return Outcome(self.item, self.usage(credit), tuple(self.failures))


@dataclass(eq=False)
class Node:
    """A directory (or, at the top, a tree) handed to a worker; it waits for `pending` others."""

    path: str
    tree: Tree
    parent: Node | None = None
    top: bool = False
    finish: bool = False  # only its own removal is left: its subdirectories are gone
    objects: bool = False  # a content-addressed shard, swept in place
    pending: int = 0
    failed: bool = False

    @property
    def request(self) -> tuple[str, str, bool]:
        """The node as a worker request (see `deleter.Deleter.work`)."""
        what = "objects" if self.objects else "finish" if self.finish else "batch"
        return (what, self.path, self.top)


@dataclass
class Books:
    """What the deletion has done so far, tree by tree."""

    root: str
    reporter: Reporter | None = None
    entries: int = 0
    outstanding: int = 0  # nodes queued or being worked on
    closing: bool = False
    trees: dict[str, Tree] = field(default_factory=dict)  # plan path -> its tree
    ledger: Ledger = field(default_factory=Ledger)

    def add(self, item: Item, path: str, objects: bool = False) -> Node:
        """Open a tree for a plan item at `path`; its first node, to queue."""
        tree = Tree(item, path)
        self.trees[item.path] = tree
        if self.reporter is not None and not objects:
            self.reporter.on_start(1)
        return Node(long_path(path), tree, top=True, objects=objects)

    def absorb(self, node: Node, result: Result, queue: Callable[[Node], None]) -> None:
        """Book a batch's result and `queue` the work it left."""
        self.entries += result.entries
        tree = node.tree
        tree.files += result.files
        tree.dirs += result.dirs
        tree.bytes += result.bytes
        tree.disk += result.disk
        if result.shared:
            self.ledger.add(tree, result.shared)
        tree.failures.extend(
            Failure(self._relative(path), error) for path, error in result.failures
        )
        if self.reporter is not None and result.files:
            self.reporter.on_progress(result.files, result.bytes)
        if result.done:
            self._finished(node, result.failed, queue)
            return
        nodes: list[Node] = []
        for index, (path, parent, pending, bad) in enumerate(result.waiting):
            current = node if index == 0 else Node(path, tree, nodes[parent])
            current.pending = pending
            current.failed = bad
            nodes.append(current)
        for path, parent in result.more:
            queue(Node(path, tree, nodes[parent]))

    def outcomes(self) -> list[Outcome]:
        """Each tree's outcome, hard-linked files credited to the tree that freed them."""
        credit = self.ledger.freed()
        return [
            tree.outcome(credit.get(tree, 0))
            for tree in self.trees.values()
            # a shard of the content store with nothing to remove says nothing
            if tree.item.phase != 2 or tree.files or tree.failures
        ]

    def _finished(self, node: Node, failed: bool, queue: Callable[[Node], None]) -> None:
        """A node is done: count it off its parent, whose removal may be all that is left."""
        current = node
        while True:
            parent = current.parent
            if parent is None:
                current.tree.done.set()
                if self.reporter is not None and not current.objects:
                    self.reporter.on_done(current.tree.outcome())
                return
            parent.pending -= 1
            parent.failed = parent.failed or failed
            if parent.pending > 0:
                return
            if not parent.failed:
                parent.finish = True
                queue(parent)
                return
            current, failed = parent, True

    def _relative(self, path: str) -> str:
        for base in (long_path(self.root) + os.sep, self.root + os.sep):
            if path.startswith(base):
                return path[len(base) :].replace(os.sep, "/")
        return path
