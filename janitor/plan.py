"""Selectors -> a `Plan`: the ordered removals, each with its reason. Pure; no I/O.

Phase 0 removes everything that holds links (entries, revisions, buckets, environments); phase 1
removes the archives those links reached, each only after the items it `requires` are gone.
May import janitor.inventory, janitor.graph and janitor.layout.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.version import InvalidVersion, Version

from janitor import graph as graphs
from janitor.inventory import Archive, Environment, Inventory, Usage
from janitor.layout import uv


class Reason(str, enum.Enum):
    """Why an item is removed."""

    LEFTOVER = "left by an interrupted run"
    SUPERSEDED = "superseded source revision"
    STALE_BUCKET = "stale bucket of an older uv"
    TEMPORARY = "temporary directory"
    UNKNOWN = "not part of uv's cache layout"
    ENVIRONMENT = "cached environment"
    BUILD_ENVIRONMENT = "temporary build environment"
    UNZIPPED = "unzipped wheel (--ci)"
    PACKAGE = "entry of a requested package"
    FLAT_INDEX = "flat index (may list any package)"
    PACKAGE_ENVIRONMENT = "cached environment containing a requested package"
    OLDER_THAN = "not used within --older-than"
    SURPLUS_VERSION = "beyond --keep-versions"
    OVER_SIZE = "least recently used, over --max-size"
    UNREFERENCED = "archive nothing links to"
    ORPHANED = "archive whose last link is removed"


class ItemKind(str, enum.Enum):
    """What an item is, for summaries."""

    LEFTOVER = "leftover"
    BUCKET = "bucket"
    STRAY = "stray"  # an unknown or temporary top-level entry
    ENTRY = "entry"
    REVISION = "revision"
    ENVIRONMENT = "environment"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class Item:
    """One path to remove, relative to the cache root."""

    path: str
    kind: ItemKind
    reason: Reason
    package: str | None = None
    version: str | None = None
    detail: str | None = None  # e.g. the packages of an environment
    requires: tuple[str, ...] = ()  # paths that must be gone first
    usage: Usage | None = None

    @property
    def phase(self) -> int:
        """0 for what holds links, 1 for archives."""
        return 1 if self.kind is ItemKind.ARCHIVE else 0

    @property
    def label(self) -> str:
        """Package and version when known, else the path."""
        if self.package and self.version:
            return f"{self.package} {self.version}"
        return self.package or self.path


@dataclass(frozen=True)
class Plan:
    """What a sweep removes, ordered: links before what they reference."""

    items: tuple[Item, ...]
    notes: tuple[str, ...] = ()
    selectors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Usage:
        """The sum of the measured items."""
        total = Usage()
        for item in self.items:
            if item.usage is not None:
                total += item.usage
        return total

    def with_usage(self, usage: dict[str, Usage]) -> Plan:
        """The same plan with measured sizes attached."""
        return replace(
            self, items=tuple(replace(i, usage=usage.get(i.path, i.usage)) for i in self.items)
        )


def _describe_archive(archive: Archive) -> tuple[str | None, str | None, str | None]:
    packages = archive.packages
    if archive.venv:
        listed = ", ".join(f"{name} {version}" for name, version in packages)
        return None, None, f"of an environment with {listed}" if listed else "of an environment"
    if len(packages) == 1:
        return packages[0][0], packages[0][1], None
    if packages:
        return None, None, ", ".join(f"{name} {version}" for name, version in packages)
    return None, None, None


def _archive_items(
    inventory: Inventory,
    graph: graphs.Graph,
    removed: Collection[str],
) -> list[Item]:
    """Archives that no surviving link reaches."""
    packages = graphs.packages_by_archive(inventory)
    items = []
    for archive_id, holders in graphs.dead_archives(inventory, graph, removed).items():
        archive = inventory.archives[archive_id]
        package, version, detail = _describe_archive(
            replace(archive, packages=packages[archive_id])
        )
        items.append(
            Item(
                archive.path,
                ItemKind.ARCHIVE,
                Reason.ORPHANED if holders else Reason.UNREFERENCED,
                package,
                version,
                detail,
                requires=holders,
            )
        )
    return items


def _leftovers(inventory: Inventory) -> list[Item]:
    return [Item(path, ItemKind.LEFTOVER, Reason.LEFTOVER) for path in inventory.trash]


def _environment_item(inventory: Inventory, env: Environment, reason: Reason) -> Item:
    """A cached environment to remove, described by the packages of its venv."""
    detail = None
    for archive_id in env.archives:
        archive = inventory.archives.get(archive_id)
        if archive is not None and archive.packages:
            detail = "with " + ", ".join(f"{name} {version}" for name, version in archive.packages)
            break
    return Item(env.path, ItemKind.ENVIRONMENT, reason, detail=detail)


def _finish(items: list[Item], notes: Iterable[str], selectors: Iterable[str]) -> Plan:
    """Drop items inside other items and order them: links first, then archives."""
    paths = {item.path for item in items}
    unique: dict[str, Item] = {}
    for item in items:
        parent = item.path.rpartition("/")[0]
        if parent and graphs.covering(parent, paths) is not None:
            continue
        unique.setdefault(item.path, item)
    kept = set(unique)
    # An archive waits for the item that actually removes its links, nested ones included.
    ordered = sorted(
        (
            replace(
                item,
                requires=tuple(
                    sorted({graphs.covering(path, kept) or path for path in item.requires})
                ),
            )
            for item in unique.values()
        ),
        key=lambda item: (item.phase, item.path),
    )
    return Plan(tuple(ordered), tuple(notes), tuple(selectors))


def prune(inventory: Inventory, *, ci: bool = False) -> Plan:
    """What `uv cache prune` removes (and with `ci`, what `uv cache prune --ci` removes)."""
    items = _leftovers(inventory)
    sdists = inventory.bucket(uv.Kind.SDISTS) + "/"
    items.extend(
        Item(r.path, ItemKind.REVISION, Reason.SUPERSEDED, r.package, r.version)
        for r in inventory.revisions
        if r.path.startswith(sdists)
    )
    for top in inventory.top:
        if top.marker or top.current or top.name == uv.TRASH_DIR:
            continue
        if uv.parse_bucket(top.name) is not None:
            kind, reason = ItemKind.BUCKET, Reason.STALE_BUCKET
        elif top.name.startswith(".tmp"):
            kind, reason = ItemKind.STRAY, Reason.TEMPORARY
        else:
            kind, reason = ItemKind.STRAY, Reason.UNKNOWN
        items.append(Item(top.name, kind, reason))
    items.extend(
        _environment_item(inventory, env, Reason.ENVIRONMENT) for env in inventory.environments
    )
    items.extend(
        Item(path, ItemKind.ENVIRONMENT, Reason.BUILD_ENVIRONMENT) for path in inventory.builds
    )
    if ci:
        items.extend(Item(path, ItemKind.ENTRY, Reason.UNZIPPED) for path in inventory.wheel_dirs)
        for directory, children in inventory.built_revisions:
            if directory.startswith(sdists):
                items.extend(
                    Item(f"{directory}/{name}", ItemKind.ENTRY, Reason.UNZIPPED)
                    for name in children
                )
    removed = {item.path for item in items}
    graph = graphs.build(inventory)
    items.extend(_archive_items(inventory, graph, removed))
    return _finish(items, _notes(inventory, graph), ["prune --ci" if ci else "prune"])


def packages(inventory: Inventory, names: Iterable[str]) -> Plan:
    """Remove packages in one step: their entries, environments holding them, their archives."""
    wanted = {uv.normalize(name) for name in names}
    items = _leftovers(inventory)
    items.extend(
        Item(entry.path, ItemKind.ENTRY, Reason.PACKAGE, entry.package)
        for entry in inventory.entries
        if entry.package in wanted
    )
    flat = inventory.bucket(uv.Kind.FLAT_INDEX)
    if any(top.name == flat and top.is_dir for top in inventory.top):
        items.append(Item(flat, ItemKind.BUCKET, Reason.FLAT_INDEX))
    environments = set(graphs.environments_with(inventory, wanted))
    items.extend(
        _environment_item(inventory, env, Reason.PACKAGE_ENVIRONMENT)
        for env in inventory.environments
        if env.path in environments
    )
    # An environment without a link into the archives is what a deletion left half done.
    items.extend(
        Item(env.path, ItemKind.ENVIRONMENT, Reason.LEFTOVER)
        for env in inventory.environments
        if not env.archives
    )
    removed = {item.path for item in items}
    graph = graphs.build(inventory)
    by_archive = graphs.packages_by_archive(inventory)
    # Archives that lose their last link here, unlinked archives of a requested package, and
    # unlinked remnants of a deletion left half done.
    items.extend(
        item
        for item in _archive_items(inventory, graph, removed)
        if item.requires
        or _holds(by_archive[_archive_id(item.path)], wanted)
        or _remnant(inventory.archives[_archive_id(item.path)], by_archive[_archive_id(item.path)])
    )
    selectors = [f"package {name}" for name in sorted(wanted)]
    return _finish(items, _notes(inventory, graph), selectors)


def _archive_id(path: str) -> str:
    return path.rpartition("/")[2]


def _holds(pairs: Iterable[tuple[str, str]], wanted: Collection[str]) -> bool:
    return any(name in wanted for name, _ in pairs)


def _remnant(archive: Archive, pairs: Collection[tuple[str, str]]) -> bool:
    """Whether an unlinked archive is part of one whose deletion was left half done.

    uv writes an archive whole and reaches a venv only through an environment's link, so an
    unlinked venv, or a directory that holds no package, is no longer anything uv can use.
    """
    return not archive.is_link and (archive.venv or not pairs)


def _notes(inventory: Inventory, graph: graphs.Graph) -> list[str]:
    notes = list(inventory.notes)
    notes.extend(
        f"kept every archive: cannot read the link {link.path}" for link in graph.unreadable
    )
    return notes


@dataclass(frozen=True)
class Policy:
    """Age, version-count and size limits, applied on top of a prune or a package sweep."""

    older_than: float | None = None  # seconds: versions not used for longer are removed
    keep_versions: int | None = None  # per package and index: the N newest (PEP 440) stay
    max_size: int | None = None  # bytes on disk, hard links counted once
    now: float = 0.0

    @property
    def active(self) -> bool:
        """Whether any limit is set."""
        return (
            self.older_than is not None
            or self.keep_versions is not None
            or self.max_size is not None
        )


@dataclass(frozen=True)
class _Version:
    """One cached version of a package: the paths that hold it and the archive it links to."""

    key: str  # the package directory it lives in (per index)
    package: str
    version: str
    paths: tuple[str, ...]
    archive: str | None
    last_used: float


def _versions(inventory: Inventory) -> list[_Version]:
    """Every version link in the current wheels and sdists buckets, grouped by package directory."""
    wheels = inventory.bucket(uv.Kind.WHEELS) + "/"
    sdists = inventory.bucket(uv.Kind.SDISTS) + "/"
    found = []
    for link in inventory.links:
        if not (link.package and link.version):
            continue
        if link.path.startswith(wheels):
            key = link.path.rpartition("/")[0]
            paths = (link.path, *link.pointers)
        elif link.path.startswith(sdists):
            # `<bucket>/<shard>/.../<name>/<version>/<revision>/<link>`: the version directory.
            version_dir = link.path.rsplit("/", 2)[0]
            key = version_dir.rpartition("/")[0]
            paths = (version_dir,)
        else:
            continue
        found.append(_Version(key, link.package, link.version, paths, link.archive, link.last_used))
    return found


def _version_key(version: str) -> tuple[int, Any]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def apply_policy(
    inventory: Inventory, base: Plan, policy: Policy, disk_usage: int | None = None
) -> Plan:
    """Add what a policy removes to a plan: old versions, surplus versions, LRU until under size.

    `disk_usage` is the cache's size on disk before the plan (needed for `max_size`); archives
    must have been measured (their `usage`) for size decisions.
    """
    if not policy.active:
        return base
    items = list(base.items)
    removed = {item.path for item in items}
    notes = list(base.notes)
    versions = [
        v for v in _versions(inventory) if all(graphs.covering(p, removed) is None for p in v.paths)
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
                if version.version in kept:
                    continue
                if len(kept) < policy.keep_versions:
                    kept.append(version.version)
            for version in ordered:
                if version.version not in kept:
                    take(version, Reason.SURPLUS_VERSION)
    graph = graphs.build(inventory)
    # Archives whose last link the policy removes (what was dead already is the base plan's call).
    items.extend(
        archive
        for archive in _archive_items(inventory, graph, removed)
        if archive.requires and archive.path not in removed
    )
    if policy.max_size is not None:
        if disk_usage is None:
            raise ValueError("max_size needs the cache's disk usage")
        items, note = _evict(inventory, graph, items, versions, policy.max_size, disk_usage)
        if note:
            notes.append(note)
    return _finish(items, notes, [*base.selectors, *_policy_selectors(policy)])


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
    versions: list[_Version],
    budget: int,
    disk_usage: int,
) -> tuple[list[Item], str | None]:
    """Evict least recently used versions until the cache fits, preferring those that free disk."""
    removed = {item.path for item in items}
    usage = disk_usage - sum(_freed(inventory, item) for item in items)
    if usage <= budget:
        return items, None
    candidates = [v for v in versions if all(graphs.covering(p, removed) is None for p in v.paths)]

    def frees(version: _Version) -> int:
        archive = inventory.archives.get(version.archive or "")
        return archive.usage.disk if archive is not None and archive.usage is not None else 0

    # What frees disk goes first, oldest first; what frees nothing (hard-linked into live venvs)
    # only if the budget still is not met, and then it is said.
    candidates.sort(key=lambda v: (frees(v) == 0, v.last_used))
    for version in candidates:
        if usage <= budget:
            break
        before = {i.path for i in items}
        for path in version.paths:
            removed.add(path)
            items.append(
                Item(path, ItemKind.ENTRY, Reason.OVER_SIZE, version.package, version.version)
            )
        for archive_item in _archive_items(inventory, graph, removed):
            if archive_item.requires and archive_item.path not in before:
                items.append(archive_item)
                removed.add(archive_item.path)
                usage -= _freed(inventory, archive_item)
    if usage > budget:
        return items, (
            f"the size budget cannot be met: {usage:,} bytes on disk remain after every eviction"
            " (the rest is in use, or hard-linked into virtual environments)"
        )
    return items, None


def _policy_selectors(policy: Policy) -> list[str]:
    selectors = []
    if policy.older_than is not None:
        selectors.append(f"older than {policy.older_than:g}s")
    if policy.keep_versions is not None:
        selectors.append(f"keep {policy.keep_versions} versions")
    if policy.max_size is not None:
        selectors.append(f"max size {policy.max_size} bytes")
    return selectors
