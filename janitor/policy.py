"""Policies on top of a plan: age, versions kept, and a size budget (cache size, free space).

Generic over the kind of cache, and over several caches at once: a cache kind says what one
cached `Version` is (the paths that hold it and the links inside them) and describes the
archives a removal orphans (janitor.uv.policy is uv's side, janitor.hf.kind the hub's);
`apply_limits` and `apply_together` do the rest, each cache a `Lane`, the size budget in
janitor.eviction. Pure: the versions, the links and archives, a base plan and measured sizes in,
larger plans out. May import janitor.inventory, janitor.graph, janitor.plan, janitor.eviction
and the pure part of janitor.measure (`Census`, `Ledger`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from janitor.graph import Graph, Referencing, covering
from janitor.inventory import Link
from janitor.measure import Census, Ledger
from janitor.plan import Item, ItemKind, Plan, Reason, finish


@dataclass(frozen=True)
class Policy:
    """Age, version-count and size limits, applied on top of a prune or a package sweep."""

    older_than: float | None = None  # seconds: versions not used for longer are removed
    keep_versions: int | None = None  # per package and index: the N newest (PEP 440) stay
    # The cache's size as `uv cache size` (and `du -s --block-size=1`) counts it: allocated
    # blocks, directories included, each inode once within the cache.
    max_size: int | None = None
    min_free: int | None = None  # bytes that must be free on the cache's filesystem
    keep: frozenset[str] = field(default_factory=frozenset)  # normalised names never evicted
    now: float = 0.0

    @property
    def active(self) -> bool:
        """Whether any limit is set."""
        return any(
            value is not None
            for value in (self.older_than, self.keep_versions, self.max_size, self.min_free)
        )

    @property
    def sized(self) -> bool:
        """Whether a size budget is set (which needs the cache measured)."""
        return self.max_size is not None or self.min_free is not None


@dataclass(frozen=True)
class Space:
    """The measurements a size budget needs, taken before the plan runs."""

    cache_disk: int  # the cache's size as `uv cache size` and `du -s --block-size=1` count it
    free: int  # bytes free for an unprivileged user on the cache's filesystem
    # Every tree the budget may remove (`budget_trees`) with the cache's content store.
    census: Census = field(default_factory=lambda: Census({}))
    # Links inside the cache of each hard-linked inode (`janitor.measure.disk_usage`).
    links: Mapping[tuple[int, int], int] = field(default_factory=dict)
    counted_as: str = "`uv cache size`"  # the client's own name for that measure, said back


@dataclass(frozen=True)
class Version:
    """One cached version of a package: the paths that hold it and the links inside them."""

    key: str  # what its versions are counted in: the package directory it lives in (per index)
    package: str
    version: str
    paths: tuple[str, ...]
    links: tuple[Link, ...]
    last_used: float
    # How --keep-versions ranks it among its key's versions, higher is newer; None: by its
    # version number (PEP 440).
    order: tuple[Any, ...] | None = None
    # The cache kind's own items for its paths, in their order (what each requires included);
    # a policy gives them its reason. None: each path is removed as a plain entry.
    items: tuple[Item, ...] | None = None


# The archives a removal orphans, described by the cache kind: the removed paths in, its items out.
Orphans = Callable[[Collection[str]], list[Item]]


def version_order(version: str) -> tuple[int, Any]:
    """A sort key of a version string: PEP 440 order, versions that do not parse first (as text).

    The one order of versions: --keep-versions, the report's and `why`'s listings.
    """
    from packaging.version import InvalidVersion  # imported only where versions are ordered
    from packaging.version import Version as Parsed

    try:
        return (1, Parsed(version))
    except InvalidVersion:
        return (0, version)


class _Taken:
    """The plan's items so far and the paths they remove; `take` adds a version's."""

    def __init__(self, base: Plan) -> None:
        self.items = list(base.items)
        self.removed = {item.path for item in self.items}

    def take(self, version: Version, reason: Reason) -> None:
        """Remove a version's paths for a reason."""
        items = version.items or [
            Item(path, ItemKind.ENTRY, reason, version.package, version.version)
            for path in version.paths
        ]
        for item in items:
            if item.path not in self.removed:
                self.removed.add(item.path)
                self.items.append(replace(item, reason=reason))


@dataclass
class Cache:
    """One cache under a policy: its links and archives, its versions, its plan so far.

    `refs` holds the cache's links and archives, `graph` is built from them, and `orphans`
    describes the archives whose last link a set of removed paths holds. A size budget needs
    `space`: the cache's size and free space, and a census of every tree it may remove (what
    the base plan removes counts toward the budget); `sweep_objects` when the cache has a
    content-addressed store whose files go once nothing else links to them.
    """

    refs: Referencing
    versions: Sequence[Version]
    base: Plan
    graph: Graph
    orphans: Orphans
    space: Space | None = None
    sweep_objects: bool = False


def apply_limits(cache: Cache, policy: Policy) -> Plan:
    """Add what a policy removes to a plan: old versions, surplus versions, LRU until in budget."""
    return apply_together([cache], policy)[0]


def apply_together(caches: Sequence[Cache], policy: Policy) -> list[Plan]:
    """A policy over several caches: age and version limits on each, and one size budget over
    all of them, evicting in last-use order across them until their summed size fits.

    With --min-free, the caches share one filesystem (its free space is the first cache's).
    """
    if not policy.active:
        return [cache.base for cache in caches]
    lanes = [Lane(cache, policy) for cache in caches]
    for lane in lanes:
        if policy.older_than is not None:
            _take_older(lane.versions, policy.now - policy.older_than, lane.taken)
        if policy.keep_versions is not None:
            _take_surplus(lane.versions, policy.keep_versions, lane.taken)
    if policy.sized:
        spaces = [cache.space for cache in caches]
        if any(space is None for space in spaces):
            raise ValueError("a size budget needs each cache's measured space")
        from janitor.eviction import Budget, evict  # only a size budget evicts

        budget = Budget(policy, [space for space in spaces if space is not None])
        warned, noted = evict(lanes, budget)
        lanes[0].warnings.extend(warned)
        lanes[0].notes.extend(noted)
    return [lane.finish(policy) for lane in lanes]


class Lane:
    """One cache's part of a policy: what it takes, and the versions it may still evict."""

    def __init__(self, cache: Cache, policy: Policy) -> None:
        self.cache = cache
        self.taken = _Taken(cache.base)
        self.warnings = list(cache.base.warnings)
        self.notes = list(cache.base.notes)
        self.versions = [
            v
            for v in cache.versions
            if v.package not in policy.keep
            and all(covering(p, self.taken.removed) is None for p in v.paths)
        ]
        space = cache.space
        self.ledger = (
            Ledger(space.census, space.links, cache.sweep_objects) if space is not None else None
        )

    def finish(self, policy: Policy) -> Plan:
        """The plan: the base's items, the versions taken, the archives they orphan."""
        base = self.cache.base
        # Archives whose last link the policy removes (what was dead already is the base's).
        base_paths = {item.path for item in base.items}
        items = self.taken.items
        items.extend(
            archive
            for archive in self.cache.orphans(self.taken.removed)
            if archive.requires and archive.path not in base_paths
        )
        selectors = [*base.selectors, *_policy_selectors(policy)]
        return finish(items, self.notes, selectors, self.warnings)


def _take_older(versions: Sequence[Version], cutoff: float, taken: _Taken) -> None:
    """Versions not used since `cutoff` (those never seen used are kept)."""
    for version in versions:
        if version.last_used and version.last_used < cutoff:
            taken.take(version, Reason.OLDER_THAN)


def _take_surplus(versions: Sequence[Version], keep: int, taken: _Taken) -> None:
    """All but the `keep` newest versions (by `order`, else PEP 440) of each key."""
    groups: dict[str, list[Version]] = {}
    for version in versions:
        groups.setdefault(version.key, []).append(version)
    for group in groups.values():
        ordered = sorted(
            group,
            key=lambda v: v.order if v.order is not None else version_order(v.version),
            reverse=True,
        )
        # Versions of the same number (several wheels of one release) count once.
        kept: list[str] = []
        for version in ordered:
            if version.version not in kept and len(kept) < keep:
                kept.append(version.version)
        for version in ordered:
            if version.version not in kept:
                taken.take(version, Reason.SURPLUS_VERSION)


def _policy_selectors(policy: Policy) -> list[str]:
    selectors = []
    if policy.older_than is not None:
        selectors.append(f"older than {policy.older_than:g}s")
    if policy.keep_versions is not None:
        selectors.append(f"keep {policy.keep_versions} versions")
    if policy.max_size is not None:
        selectors.append(f"max size {policy.max_size} bytes")
    if policy.min_free is not None:
        selectors.append(f"min free {policy.min_free} bytes")
    if policy.keep:
        selectors.append("keep " + ", ".join(sorted(policy.keep)))
    return selectors
