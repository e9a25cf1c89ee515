"""The seam between what every cache shares and what belongs to one kind of cache.

A cache kind knows its layout: whether a sweep takes a whole-cache lock, how to scan the cache
into links and the trees they reference, what a prune and a named removal take, what one cached
version is (for the policies), and which trees a size budget may count. It hands that over as
`Prepared`; the reference graph, the policies, measuring, the engine, rendering and the run log
are shared by every kind. uv's cache is `janitor.uv.kind`, the Hugging Face hub's
`janitor.hf.kind`. Standard library and the shared data types only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from janitor.graph import Graph, Referencing
    from janitor.plan import Plan
    from janitor.policy import Orphans, Version
    from janitor.sweep import Request


def _unchanged(plan: Plan) -> Plan:
    return plan


@dataclass(frozen=True)
class Prepared:
    """One cache scanned and planned, ready for the policies, the measuring and the engine."""

    root: Path
    refs: Referencing  # its links and the trees they reference (archives, blobs)
    # What the policies evict, one cached version each, and the referenced trees whose last link
    # a set of removed paths holds; a kind may leave both empty when the request has no policy.
    versions: Sequence[Version]
    base: Plan  # the prune, or the removal of what was named
    graph: Graph
    orphans: Orphans
    budget_trees: Sequence[str]  # every tree a size budget may count
    objects: tuple[str, ...] = ()  # shards of a content-addressed store, swept in place
    # The kind's last word on a plan a policy grew (the hub: a repository with no revision
    # left goes whole, as its client deletes it).
    finish: Callable[[Plan], Plan] = field(default=_unchanged)


class CacheKind(Protocol):
    """What janitor needs to know of one kind of cache."""

    @property
    def name(self) -> str:
        """The word on the command line: `uv`, `hf`."""

    @property
    def title(self) -> str:
        """How the cache is named to the user."""

    @property
    def size_counted_as(self) -> str:
        """The command whose count of the cache's size a budget uses, for messages."""

    def hold(self, request: Request) -> AbstractAsyncContextManager[object]:
        """What a sweep holds from its scan to the end of its deletion: the kind's whole-cache
        lock, or nothing; raises `CacheBusy` when the cache stays busy."""

    @property
    def trash(self) -> str:
        """Where the engine moves trees aside, relative to the root."""

    async def prepare(self, request: Request) -> Prepared:
        """Scan the cache a request names and plan its base sweep."""


# Where each kind lives, imported when a sweep of it runs.
_KINDS = {"uv": ("janitor.uv.kind", "UV"), "hf": ("janitor.hf.kind", "HUB")}
NAMES: Sequence[str] = tuple(_KINDS)


def kind_of(name: str) -> CacheKind:
    """The cache kind of that name."""
    module, attribute = _KINDS[name]
    found: CacheKind = getattr(import_module(module), attribute)
    return found
