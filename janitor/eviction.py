"""Eviction under a size budget: versions in last-use order, across one or several caches,
until their summed size (as `du -s` and `uv cache size` count it) fits --max-size and their
filesystem has --min-free.

A `Budget` keeps the running size and free space; a cache's `Ledger` says what each removal
takes off the cache's size and gives back to its filesystem; `_Survivors` counts the surviving
links of every archive, so each evicted version costs only its own links, and the archives it
orphans are known at once. Pure. May import janitor.graph, janitor.plan, janitor.units, the
pure part of janitor.measure and, for types, janitor.policy.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from janitor.graph import Graph, Referencing, covering, holder
from janitor.measure import Ledger
from janitor.plan import ItemKind, Reason
from janitor.units import format_size

if TYPE_CHECKING:
    from janitor.policy import Lane, Policy, Space, Version


# Why an eviction for --min-free passes a version over.
_OUTSIDE = (
    "their files are hard-linked outside the cache, so evicting them frees next to nothing on disk"
)


class Budget:
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
    def frees_nothing(lane: Lane, version: Version) -> bool:
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


def evict(lanes: Sequence[Lane], budget: Budget) -> tuple[list[str], list[str]]:
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
    budget: Budget, deciding: list[str], passed_over: int, caches: int
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
