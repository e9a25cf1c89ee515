"""Policies on top of a plan: age, versions kept, and a size budget (cache size, free space).

Pure: an inventory, a base plan and measured sizes in, a larger plan out. Eviction keeps a count
of the surviving links of every archive, so each evicted version costs only its own links, and
the archives it orphans are known at once; a `Ledger` says what each eviction takes off the
cache's size (as `uv cache size` counts it) and gives back to its filesystem. May import
janitor.inventory, janitor.graph, janitor.plan, janitor.layout, janitor.units and the pure part
of janitor.scan.measure (`Census`, `Ledger`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from janitor import graph as graphs
from janitor.inventory import Inventory, Link
from janitor.layout import uv
from janitor.plan import Item, ItemKind, Plan, Reason, archive_items, finish
from janitor.scan.measure import Census, Ledger
from janitor.units import format_size


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
    # Links inside the cache of each hard-linked inode (`janitor.scan.disk_usage`).
    links: Mapping[tuple[int, int], int] = field(default_factory=dict)


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

    A size budget needs `space`: the cache's size and free space, and a census of every tree
    `budget_trees` names (what the base plan removes counts toward the budget).
    """
    if not policy.active:
        return base
    items = list(base.items)
    removed = {item.path for item in items}
    warnings = list(base.warnings)
    notes = list(base.notes)
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
        warned, noted = _evict(inventory, graph, items, removed, remaining, policy, space, take)
        warnings.extend(warned)
        notes.extend(noted)
    # Archives whose last link the policy removes (what was dead already is the base plan's call).
    base_paths = {item.path for item in base.items}
    items.extend(
        archive
        for archive in archive_items(inventory, graph, removed)
        if archive.requires and archive.path not in base_paths
    )
    return finish(items, notes, [*base.selectors, *_policy_selectors(policy)], warnings)


def budget_trees(inventory: Inventory, base: Plan) -> list[str]:
    """Every tree a size budget may count: the base plan's, every archive, every version's."""
    paths = [item.path for item in base.items if item.kind is not ItemKind.OBJECTS]
    paths.extend(archive.path for archive in inventory.archives.values())
    for version in _versions(inventory):
        paths.extend(version.paths)
    return list(dict.fromkeys(paths))


# Why an eviction for --min-free passes a version over.
_OUTSIDE = (
    "their files are hard-linked outside the cache, so evicting them frees next to nothing on disk"
)


def _evict(
    inventory: Inventory,
    graph: graphs.Graph,
    items: list[Item],
    removed: set[str],
    candidates: list[_Version],
    policy: Policy,
    space: Space,
    take: Callable[[_Version, Reason], None],
) -> tuple[list[str], list[str]]:
    """Evict least recently used versions until every bound holds: (warnings, notes).

    `--max-size` counts what an eviction takes off the cache's size as `uv cache size` counts
    it, and eviction stops at the first version that brings the cache within it. `--min-free`
    counts what it frees on disk, and passes over versions whose archives free nothing there.
    """
    ledger = Ledger(space.census, space.links, sweep_objects=bool(inventory.files_shards))
    # What the plan so far gains: its own items, and the archives whose last link it removes.
    planned = [item.path for item in items if item.kind is not ItemKind.OBJECTS]
    orphaned = [a.path for a in archive_items(inventory, graph, removed)]
    gained = ledger.unlinked + ledger.take([*planned, *orphaned])
    size = space.cache_disk - gained.cache
    free = space.free + gained.disk

    def over() -> bool:
        return policy.max_size is not None and size > policy.max_size

    def low() -> bool:
        return policy.min_free is not None and free < policy.min_free

    def sizes() -> list[str]:
        if policy.max_size is None:
            return []
        return [
            f"--max-size {format_size(policy.max_size)}: the cache is "
            f"{format_size(space.cache_disk)} as `uv cache size` counts it, "
            f"{format_size(size)} after this sweep"
        ]

    if not (over() or low()):
        return [], sizes()
    # Surviving links per archive. Links that cannot be read keep every archive, as in the graph.
    survivors: dict[str, int] = {}
    for archive_id, links in graph.referrers.items():
        survivors[archive_id] = sum(1 for link in links if graphs.holder(link, removed) is None)
    blocked = any(graphs.covering(link.path, removed) is None for link in graph.unreadable)
    # An archive-bucket entry that is a symlink to another archive lives and dies with it.
    aliases: dict[str, set[str]] = {}
    for archive in inventory.archives.values():
        if archive.alias_of is not None:
            aliases.setdefault(archive.id, set()).add(archive.alias_of)
            aliases.setdefault(archive.alias_of, set()).add(archive.id)

    def orphans(version: _Version) -> list[str]:
        """The archives whose last surviving link this version holds."""
        if blocked:
            return []
        losing: dict[str, int] = {}
        for link in version.links:
            if link.archive is not None and link.archive in survivors:
                losing[link.archive] = losing.get(link.archive, 0) + 1
        dead = {a for a, n in losing.items() if survivors[a] - n <= 0}
        paths: list[str] = []
        for archive_id in sorted(dead):
            group = aliases.get(archive_id, set())
            if all(survivors.get(a, 0) - losing.get(a, 0) <= 0 for a in group):
                paths.extend(inventory.archives[a].path for a in [archive_id, *sorted(group)])
        return list(dict.fromkeys(paths))

    def frees_nothing(version: _Version) -> bool:
        """Whether the archives it links to, even once they all go, would free next to nothing
        on disk: less than a tenth of what they take off the cache, the rest being held by
        hard links outside it (uv rewrites a few small files, such as RECORD, on install)."""
        archives = [
            inventory.archives[link.archive].path
            for link in version.links
            if link.archive is not None and link.archive in inventory.archives
        ]
        if not archives:
            return False
        gain = ledger.gain(archives)
        return gain.disk * 10 < gain.cache

    candidates.sort(key=lambda v: (v.last_used, v.paths))
    passed_over = 0
    deciding: list[str] = []
    for version in candidates:
        bounds = [name for name, unmet in (("--max-size", over()), ("--min-free", low())) if unmet]
        if not bounds:
            break
        if bounds == ["--min-free"] and frees_nothing(version):
            passed_over += 1
            continue
        deciding = bounds
        take(version, Reason.OVER_SIZE if bounds[0] == "--max-size" else Reason.LOW_SPACE)
        gain = ledger.take([*version.paths, *orphans(version)])
        size -= gain.cache
        free += gain.disk
        for link in version.links:
            if link.archive is not None and link.archive in survivors:
                survivors[link.archive] -= 1
    warnings: list[str] = []
    notes = sizes()
    both = policy.max_size is not None and policy.min_free is not None
    if both and deciding:
        warnings.append(f"{' and '.join(deciding)} decided the eviction")
    if over():
        assert policy.max_size is not None
        warnings.append(
            f"the size budget (--max-size) cannot be met: "
            f"{format_size(size - policy.max_size)} short after every eviction "
            "(what is left is kept, in use, or not a cached package version)"
        )
    if low():
        assert policy.min_free is not None
        line = (
            f"the size budget (--min-free) cannot be met: "
            f"{format_size(policy.min_free - free)} short after every eviction"
        )
        if passed_over:
            line += f"; {_versions_text(passed_over)} not evicted: {_OUTSIDE}"
        warnings.append(line)
    elif passed_over:
        notes.append(f"--min-free passed over {_versions_text(passed_over)}: {_OUTSIDE}")
    return warnings, notes


def _versions_text(count: int) -> str:
    return f"{count:,} version{'s' if count != 1 else ''}"


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
