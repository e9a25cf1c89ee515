"""Policies on top of a plan: age, versions kept, and a size budget (cache size, free space).

Generic over the kind of cache: a cache kind says what one cached `Version` is (the paths that
hold it and the links inside them) and describes the archives a removal orphans; `apply_limits`
does the rest (janitor.uvpolicy is uv's side). Pure: the versions, the links and archives, a
base plan and measured sizes in, a larger plan out. Eviction keeps a count of the surviving
links of every archive, so each evicted version costs only its own links, and the archives it
orphans are known at once; a `Ledger` says what each eviction takes off the cache's size (as
`uv cache size` counts it) and gives back to its filesystem. May import janitor.inventory,
janitor.graph, janitor.plan, janitor.units and the pure part of janitor.scan.measure (`Census`,
`Ledger`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from janitor.graph import Graph, Referencing, covering, holder
from janitor.inventory import Link
from janitor.plan import Item, ItemKind, Plan, Reason, finish
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


# The archives a removal orphans, described by the cache kind: the removed paths in, its items out.
Orphans = Callable[[Collection[str]], list[Item]]


def _version_key(version: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion  # only --keep-versions orders versions
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
        for path in version.paths:
            if path not in self.removed:
                self.removed.add(path)
                self.items.append(
                    Item(path, ItemKind.ENTRY, reason, version.package, version.version)
                )


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
    lanes = [_Lane(cache, policy) for cache in caches]
    for lane in lanes:
        if policy.older_than is not None:
            _take_older(lane.versions, policy.now - policy.older_than, lane.taken)
        if policy.keep_versions is not None:
            _take_surplus(lane.versions, policy.keep_versions, lane.taken)
    if policy.sized:
        spaces = [cache.space for cache in caches]
        if any(space is None for space in spaces):
            raise ValueError("a size budget needs each cache's measured space")
        budget = _Budget(policy, [space for space in spaces if space is not None])
        warned, noted = _evict(lanes, budget)
        lanes[0].warnings.extend(warned)
        lanes[0].notes.extend(noted)
    return [lane.finish(policy) for lane in lanes]


class _Lane:
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
            key=lambda v: v.order if v.order is not None else _version_key(v.version),
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


# Why an eviction for --min-free passes a version over.
_OUTSIDE = (
    "their files are hard-linked outside the cache, so evicting them frees next to nothing on disk"
)


class _Budget:
    """The caches' summed size and their filesystem's free space as evictions go, against the
    bounds."""

    def __init__(self, policy: Policy, spaces: Sequence[Space]) -> None:
        self.policy = policy
        self.before = sum(space.cache_disk for space in spaces)
        self.counted_as = spaces[0].counted_as if len(spaces) == 1 else "`du -s --block-size=1`"
        self.size = self.before
        self.free = spaces[0].free

    def gain(self, ledger: Ledger, paths: Collection[str]) -> None:
        """Remove trees from a cache's ledger, and count what that gains."""
        gain = ledger.take(paths)
        self.size -= gain.cache
        self.free += gain.disk

    def over(self) -> bool:
        """Whether the caches are over --max-size."""
        return self.policy.max_size is not None and self.size > self.policy.max_size

    def low(self) -> bool:
        """Whether their filesystem has less free than --min-free."""
        return self.policy.min_free is not None and self.free < self.policy.min_free

    def unmet(self) -> list[str]:
        """The bounds not met yet, by option name."""
        return [
            name
            for name, unmet in (("--max-size", self.over()), ("--min-free", self.low()))
            if unmet
        ]

    def sizes(self, caches: int) -> list[str]:
        """The note that says the size before and after (with --max-size)."""
        if self.policy.max_size is None:
            return []
        what = "the cache is" if caches == 1 else "the caches are, together,"
        return [
            f"--max-size {format_size(self.policy.max_size)}: {what} "
            f"{format_size(self.before)} as {self.counted_as} counts it, "
            f"{format_size(self.size)} after this sweep"
        ]

    @staticmethod
    def frees_nothing(lane: _Lane, version: Version) -> bool:
        """Whether the archives it links to, even once they all go, would free next to nothing
        on disk: less than a tenth of what they take off the cache, the rest being held by
        hard links outside it (uv rewrites a few small files, such as RECORD, on install)."""
        archives = lane.cache.refs.archives
        paths = [
            archives[link.archive].path
            for link in version.links
            if link.archive is not None and link.archive in archives
        ]
        if not paths or lane.ledger is None:
            return False
        gain = lane.ledger.gain(paths)
        return gain.disk * 10 < gain.cache


class _Survivors:
    """The surviving links of every archive as versions are evicted, and what each orphans."""

    def __init__(self, refs: Referencing, graph: Graph, removed: Collection[str]) -> None:
        self.refs = refs
        # Links that cannot be read keep every archive, as in the graph.
        self.counts = {
            archive_id: sum(1 for link in links if holder(link, removed) is None)
            for archive_id, links in graph.referrers.items()
        }
        self.blocked = any(covering(link.path, removed) is None for link in graph.unreadable)
        # An archive-bucket entry that is a symlink to another archive lives and dies with it.
        self.aliases: dict[str, set[str]] = {}
        for archive in refs.archives.values():
            if archive.alias_of is not None:
                self.aliases.setdefault(archive.id, set()).add(archive.alias_of)
                self.aliases.setdefault(archive.alias_of, set()).add(archive.id)

    def orphans(self, version: Version) -> list[str]:
        """The paths of the archives whose last surviving link this version holds."""
        if self.blocked:
            return []
        losing: dict[str, int] = {}
        for link in version.links:
            if link.archive is not None and link.archive in self.counts:
                losing[link.archive] = losing.get(link.archive, 0) + 1
        dead = {a for a, n in losing.items() if self.counts[a] - n <= 0}
        paths: list[str] = []
        for archive_id in sorted(dead):
            group = self.aliases.get(archive_id, set())
            if all(self.counts.get(a, 0) - losing.get(a, 0) <= 0 for a in group):
                paths.extend(self.refs.archives[a].path for a in [archive_id, *sorted(group)])
        return list(dict.fromkeys(paths))

    def drop(self, version: Version) -> None:
        """Count the version's links gone."""
        for link in version.links:
            if link.archive is not None and link.archive in self.counts:
                self.counts[link.archive] -= 1


def _evict(lanes: Sequence[_Lane], budget: _Budget) -> tuple[list[str], list[str]]:
    """Evict least recently used versions, across the caches, until every bound holds:
    (warnings, notes).

    `--max-size` counts what an eviction takes off the caches' size as `du -s` (and `uv cache
    size`) counts it, and eviction stops at the first version that brings them within it.
    `--min-free` counts what it frees on disk, and passes over versions whose archives free
    nothing there.
    """
    queue: list[tuple[float, tuple[str, ...], int, Version]] = []
    survivors: list[_Survivors] = []
    for index, lane in enumerate(lanes):
        assert lane.ledger is not None
        taken, cache = lane.taken, lane.cache
        # What the plan so far gains: its own items, and the archives whose last link it removes.
        planned = [item.path for item in taken.items if item.kind is not ItemKind.OBJECTS]
        orphaned = [archive.path for archive in cache.orphans(taken.removed)]
        budget.size -= lane.ledger.unlinked.cache
        budget.free += lane.ledger.unlinked.disk
        budget.gain(lane.ledger, [*planned, *orphaned])
        survivors.append(_Survivors(cache.refs, cache.graph, taken.removed))
        queue.extend(
            (v.last_used, v.paths, index, v)
            for v in lane.versions
            if not any(p in taken.removed for p in v.paths)
        )
    if not (budget.over() or budget.low()):
        return [], budget.sizes(len(lanes))
    queue.sort(key=lambda entry: entry[:3])
    passed_over = 0
    deciding: list[str] = []
    for _, _, index, version in queue:
        bounds = budget.unmet()
        if not bounds:
            break
        lane = lanes[index]
        if bounds == ["--min-free"] and budget.frees_nothing(lane, version):
            passed_over += 1
            continue
        deciding = bounds
        reason = Reason.OVER_SIZE if bounds[0] == "--max-size" else Reason.LOW_SPACE
        lane.taken.take(version, reason)
        assert lane.ledger is not None
        budget.gain(lane.ledger, [*version.paths, *survivors[index].orphans(version)])
        survivors[index].drop(version)
    return _budget_messages(budget, deciding, passed_over, len(lanes))


def _budget_messages(
    budget: _Budget, deciding: list[str], passed_over: int, caches: int
) -> tuple[list[str], list[str]]:
    """(warnings, notes) on how the eviction ended."""
    policy = budget.policy
    warnings: list[str] = []
    notes = budget.sizes(caches)
    both = policy.max_size is not None and policy.min_free is not None
    if both and deciding:
        warnings.append(f"{' and '.join(deciding)} decided the eviction")
    if budget.over():
        assert policy.max_size is not None
        warnings.append(
            f"the size budget (--max-size) cannot be met: "
            f"{format_size(budget.size - policy.max_size)} short after every eviction "
            "(what is left is kept, in use, or not a cached package version)"
        )
    if budget.low():
        assert policy.min_free is not None
        line = (
            f"the size budget (--min-free) cannot be met: "
            f"{format_size(policy.min_free - budget.free)} short after every eviction"
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
