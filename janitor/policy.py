"""Policies on top of a plan: age, versions kept, and a size budget (cache size, free space).

Pure: an inventory, a base plan and measured sizes in, a larger plan out. Eviction keeps a count
of the surviving links of every archive, so each evicted version costs only its own links, and
the archives it orphans are known at once. May import janitor.inventory, janitor.graph,
janitor.plan and janitor.layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from janitor import graph as graphs
from janitor.inventory import Inventory, Link
from janitor.layout import uv
from janitor.plan import Item, ItemKind, Plan, Reason, archive_items, finish


@dataclass(frozen=True)
class Policy:
    """Age, version-count and size limits, applied on top of a prune or a package sweep."""

    older_than: float | None = None  # seconds: versions not used for longer are removed
    keep_versions: int | None = None  # per package and index: the N newest (PEP 440) stay
    max_size: int | None = None  # bytes on disk the cache may occupy, hard links counted once
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

    cache_disk: int  # the cache's size on disk, as du counts it
    free: int  # bytes free for an unprivileged user on the cache's filesystem


@dataclass(frozen=True)
class _Version:
    """One cached version of a package: the paths that hold it and the links inside them."""

    key: str  # the package directory it lives in (per index)
    package: str
    version: str
    paths: tuple[str, ...]
    links: tuple[Link, ...]
    last_used: float


def _versions(inventory: Inventory) -> list[_Version]:
    """Every version in the current wheels and sdists buckets, grouped by package directory."""
    wheels = tuple(f"{name}/" for name in inventory.current_of(uv.Kind.WHEELS))
    sdists = tuple(f"{name}/" for name in inventory.current_of(uv.Kind.SDISTS))
    by_paths: dict[tuple[str, ...], list[Any]] = {}
    for link in inventory.links:
        if not (link.package and link.version):
            continue
        if link.path.startswith(wheels):
            key = link.path.rpartition("/")[0]
            paths: tuple[str, ...] = (link.path, *link.pointers)
        elif link.path.startswith(sdists):
            # `<bucket>/<shard>/.../<name>/<version>/<revision>/<link>`: the version directory.
            version_dir = link.path.rsplit("/", 2)[0]
            key = version_dir.rpartition("/")[0]
            paths = (version_dir,)
        else:
            continue
        found = by_paths.setdefault(paths, [key, link.package, link.version, [], 0.0])
        found[3].append(link)
        found[4] = max(found[4], link.last_used)
    return [
        _Version(key, package, version, paths, tuple(links), last_used)
        for paths, (key, package, version, links, last_used) in by_paths.items()
    ]


def _version_key(version: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion, Version  # only --keep-versions orders versions

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def apply_policy(
    inventory: Inventory, base: Plan, policy: Policy, space: Space | None = None
) -> Plan:
    """Add what a policy removes to a plan: old versions, surplus versions, LRU until in budget.

    A size budget needs `space` and archives measured (their `usage`), and the base plan's items
    measured too (what they free counts toward the budget).
    """
    if not policy.active:
        return base
    items = list(base.items)
    removed = {item.path for item in items}
    warnings = list(base.warnings)
    versions = [
        v
        for v in _versions(inventory)
        if v.package not in policy.keep
        and all(graphs.covering(p, removed) is None for p in v.paths)
    ]

    def take(version: _Version, reason: Reason) -> None:
        for path in version.paths:
            if path not in removed:
                removed.add(path)
                items.append(Item(path, ItemKind.ENTRY, reason, version.package, version.version))

    if policy.older_than is not None:
        cutoff = policy.now - policy.older_than
        for version in versions:
            if version.last_used and version.last_used < cutoff:
                take(version, Reason.OLDER_THAN)
    if policy.keep_versions is not None:
        groups: dict[str, list[_Version]] = {}
        for version in versions:
            groups.setdefault(version.key, []).append(version)
        for group in groups.values():
            ordered = sorted(group, key=lambda v: _version_key(v.version), reverse=True)
            # Versions of the same number (several wheels of one release) count once.
            kept: list[str] = []
            for version in ordered:
                if version.version not in kept and len(kept) < policy.keep_versions:
                    kept.append(version.version)
            for version in ordered:
                if version.version not in kept:
                    take(version, Reason.SURPLUS_VERSION)
    graph = graphs.build(inventory)
    if policy.sized:
        if space is None:
            raise ValueError("a size budget needs the cache's measured space")
        remaining = [v for v in versions if not any(p in removed for p in v.paths)]
        note = _evict(inventory, graph, items, removed, remaining, policy, space, take)
        if note:
            warnings.append(note)
    # Archives whose last link the policy removes (what was dead already is the base plan's call).
    base_paths = {item.path for item in base.items}
    items.extend(
        archive
        for archive in archive_items(inventory, graph, removed)
        if archive.requires and archive.path not in base_paths
    )
    return finish(items, base.notes, [*base.selectors, *_policy_selectors(policy)], warnings)


def _freed(inventory: Inventory, item: Item) -> int:
    if item.usage is not None:
        return item.usage.disk
    if item.kind is ItemKind.ARCHIVE:
        archive = inventory.archives.get(item.path.rpartition("/")[2])
        if archive is not None and archive.usage is not None:
            return archive.usage.disk
    return 0


def _evict(
    inventory: Inventory,
    graph: graphs.Graph,
    items: list[Item],
    removed: set[str],
    candidates: list[_Version],
    policy: Policy,
    space: Space,
    take: Callable[[_Version, Reason], None],
) -> str | None:
    """Evict least recently used versions until the budget holds, preferring what frees disk.

    Returns a note saying which bound decided, and whether it could be met.
    """
    # What the plan so far frees: its own items, and the archives whose last link it removes.
    planned = {item.path for item in items}
    freed = sum(_freed(inventory, item) for item in items)
    freed += sum(
        _freed(inventory, archive)
        for archive in archive_items(inventory, graph, removed)
        if archive.path not in planned
    )
    bounds: list[tuple[int, str]] = []
    if policy.max_size is not None:
        bounds.append((space.cache_disk - freed - policy.max_size, "--max-size"))
    if policy.min_free is not None:
        bounds.append((policy.min_free - (space.free + freed), "--min-free"))
    need, bound = max(bounds)
    if need <= 0:
        return None
    # Surviving links per archive. Links that cannot be read keep every archive, as in the graph.
    survivors: dict[str, int] = {}
    for archive_id, links in graph.referrers.items():
        survivors[archive_id] = sum(1 for link in links if graphs.holder(link, removed) is None)
    blocked = any(graphs.covering(link.path, removed) is None for link in graph.unreadable)

    def frees(version: _Version) -> int:
        total = 0
        for link in version.links:
            archive = inventory.archives.get(link.archive or "")
            if archive is not None and archive.usage is not None:
                total += archive.usage.disk
        return total

    # What frees disk goes first, oldest first; what frees nothing (hard-linked into live venvs)
    # only if the budget still is not met, and then it is said.
    candidates.sort(key=lambda v: (frees(v) == 0, v.last_used))
    gained = 0
    reason = Reason.OVER_SIZE if bound == "--max-size" else Reason.LOW_SPACE
    for version in candidates:
        if gained >= need:
            break
        take(version, reason)
        gained += sum(link.disk for link in version.links)  # the entry's own link and pointers
        for link in version.links:
            if link.archive is None or link.archive not in survivors:
                continue
            survivors[link.archive] -= 1
            if survivors[link.archive] == 0 and not blocked:
                archive = inventory.archives.get(link.archive)
                if archive is not None and archive.usage is not None:
                    gained += archive.usage.disk
    which = f"{bound} decided the eviction" if len(bounds) > 1 else ""
    if gained < need:
        short = f"the size budget ({bound}) cannot be met: {need - gained:,} bytes short after "
        short += "every eviction (the rest is in use, or hard-linked into virtual environments)"
        return f"{short}; {which}" if which else short
    return which or None


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
