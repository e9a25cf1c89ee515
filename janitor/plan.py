"""Selectors -> a `Plan`: the ordered removals, each with its reason. Pure; no I/O.

Phase 0 removes everything that holds links (entries, revisions, buckets, environments); phase 1
removes the archives those links reached, each only after the items it `requires` are gone.
May import janitor.inventory, janitor.graph and janitor.layout.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from janitor.graph import (
    Graph,
    build,
    covering,
    dead_archives,
    environments_with,
    packages_by_archive,
)
from janitor.inventory import Archive, Environment, Inventory, Usage, describe_packages
from janitor.layout import uv
from janitor.layout.follow import Status


class Reason(str, enum.Enum):
    """Why an item is removed."""

    LEFTOVER = "left by an interrupted run"
    SUPERSEDED = "superseded source revision"
    STALE_BUCKET = "bucket no uv found uses"
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
    LOW_SPACE = "least recently used, under --min-free"
    UNREFERENCED = "archive nothing links to"
    ORPHANED = "archive whose last link is removed"
    UNLINKED_OBJECTS = "content-addressed files no archive links to"
    # The Hugging Face hub cache (janitor.hf).
    DETACHED = "revision no ref names"
    REQUESTED_REPO = "requested repository"
    REQUESTED_REVISION = "requested revision"
    LAST_REVISION = "repository whose last revision is removed"
    OF_REMOVED_REVISION = "ref or listing of a removed revision"
    UNLINKED_BLOB = "blob no snapshot links to"
    ORPHANED_BLOB = "blob whose last snapshot link is removed"
    INCOMPLETE_DOWNLOAD = "download left halfway"


class ItemKind(str, enum.Enum):
    """What an item is, for summaries."""

    LEFTOVER = "leftover"
    BUCKET = "bucket"
    STRAY = "stray"  # an unknown or temporary top-level entry
    ENTRY = "entry"
    REVISION = "revision"
    ENVIRONMENT = "environment"
    ARCHIVE = "archive"
    # A shard of the content-addressed store: only its files that no archive, venv or other link
    # holds any more are removed, in place, once the archives are gone (as uv does).
    OBJECTS = "objects"
    # The Hugging Face hub cache: a repository folder, a blob, a download left halfway.
    REPO = "repo"
    BLOB = "blob"
    DOWNLOAD = "download"


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
        """0 for what holds links, 1 for archives, 2 for content-addressed files."""
        if self.kind in (ItemKind.ARCHIVE, ItemKind.BLOB):
            return 1
        return 2 if self.kind is ItemKind.OBJECTS else 0

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
    notes: tuple[str, ...] = ()  # what was kept and why (said with -v)
    selectors: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()  # what the user should know or act on (said unless -q)
    missing: tuple[str, ...] = ()  # requested packages of which the cache holds nothing

    @property
    def trees(self) -> list[str]:
        """The paths of the items removed as whole trees (all but content-store shards)."""
        return [item.path for item in self.items if item.kind is not ItemKind.OBJECTS]

    @property
    def total(self) -> Usage:
        """The sum of the measured items."""
        total = Usage()
        for item in self.items:
            if item.usage is not None:
                total += item.usage
        return total

    def with_usage(self, usage: Mapping[str, Usage]) -> Plan:
        """The same plan with measured sizes attached."""
        return replace(
            self, items=tuple(replace(i, usage=usage.get(i.path, i.usage)) for i in self.items)
        )

    def measured(self, usage: Mapping[str, Usage]) -> Plan:
        """Every item measured: shards of the content store that would free nothing dropped."""
        items = []
        for item in self.items:
            found = usage.get(item.path, Usage())
            if item.kind is not ItemKind.OBJECTS or found.files:
                items.append(replace(item, usage=found))
        return replace(self, items=tuple(items))


def _describe_archive(archive: Archive) -> tuple[str | None, str | None, str | None]:
    packages = archive.packages
    if archive.venv:
        if not packages:
            return None, None, "of an environment"
        return None, None, f"of an environment with {describe_packages(packages, archive.roots)}"
    if len(packages) == 1:
        return packages[0][0], packages[0][1], None
    if packages:
        return None, None, ", ".join(f"{name} {version}" for name, version in packages)
    return None, None, None


def archive_items(
    inventory: Inventory,
    graph: Graph,
    removed: Collection[str],
    packages: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> list[Item]:
    """Archives that no surviving link reaches (`packages`: `packages_by_archive`, if known)."""
    if packages is None:
        packages = packages_by_archive(inventory)
    items = []
    for archive_id, holders in dead_archives(inventory, graph, removed).items():
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
            detail = f"with {describe_packages(archive.packages, archive.roots)}"
            break
    return Item(env.path, ItemKind.ENVIRONMENT, reason, detail=detail)


def finish(
    items: list[Item],
    notes: Iterable[str],
    selectors: Iterable[str],
    warnings: Iterable[str] = (),
) -> Plan:
    """Drop items inside other items and order them: links first, then archives."""
    paths = {item.path for item in items}
    unique: dict[str, Item] = {}
    for item in items:
        parent = item.path.rpartition("/")[0]
        if parent and covering(parent, paths) is not None:
            continue
        unique.setdefault(item.path, item)
    kept = set(unique)
    # An archive waits for the item that actually removes its links, nested ones included.
    ordered = sorted(
        (
            replace(
                item,
                requires=tuple(sorted({covering(path, kept) or path for path in item.requires})),
            )
            for item in unique.values()
        ),
        key=lambda item: (item.phase, item.path),
    )
    return Plan(tuple(ordered), tuple(notes), tuple(selectors), tuple(warnings))


# What a prune does with each top-level name it removes; the rest (markers, the trash, live
# buckets and buckets janitor does not know) stays.
_TOP_REMOVALS = {
    Status.STALE: (ItemKind.BUCKET, Reason.STALE_BUCKET),
    Status.TEMPORARY: (ItemKind.STRAY, Reason.TEMPORARY),
    Status.STRAY: (ItemKind.STRAY, Reason.UNKNOWN),
}


def prune(inventory: Inventory, *, ci: bool = False, graph: Graph | None = None) -> Plan:
    """What `uv cache prune` removes (and with `ci`, what `uv cache prune --ci` removes).

    `graph` is the inventory's reference graph, when the caller has built it already.
    """
    items = _leftovers(inventory)
    # Each release followed prunes inside its own buckets.
    sdists = tuple(f"{name}/" for name in inventory.current_of(uv.Kind.SDISTS))
    items.extend(
        Item(r.path, ItemKind.REVISION, Reason.SUPERSEDED, r.package, r.version)
        for r in inventory.revisions
        if r.path.startswith(sdists)
    )
    for top in inventory.top:
        removal = _TOP_REMOVALS.get(top.status)
        if removal is not None:
            items.append(Item(top.name, *removal))
    items.extend(
        _environment_item(inventory, env, Reason.ENVIRONMENT) for env in inventory.environments
    )
    rules = inventory.layout.rules
    if rules.empties_builds:
        items.extend(
            Item(path, ItemKind.ENVIRONMENT, Reason.BUILD_ENVIRONMENT) for path in inventory.builds
        )
    if ci:
        items.extend(Item(path, ItemKind.ENTRY, Reason.UNZIPPED) for path in inventory.wheel_dirs)
        for directory, children in inventory.built_revisions:
            if directory.startswith(sdists):
                items.extend(
                    Item(f"{directory}/{name}", ItemKind.ENTRY, Reason.UNZIPPED)
                    for name, plain_file in children
                    if rules.ci_keeps_only_metadata_and_wheels or not plain_file
                )
    removed = {item.path for item in items}
    graph = build(inventory) if graph is None else graph
    items.extend(archive_items(inventory, graph, removed))
    items.extend(_objects(inventory))
    selectors = ["prune --ci" if ci else "prune"]
    return finish(items, _notes(inventory, graph), selectors, inventory.layout.warnings)


def _objects(inventory: Inventory) -> list[Item]:
    """The content store's shards, swept for files nothing else links to once archives are gone."""
    return [
        Item(shard, ItemKind.OBJECTS, Reason.UNLINKED_OBJECTS) for shard in inventory.files_shards
    ]


def packages(inventory: Inventory, names: Iterable[str], *, graph: Graph | None = None) -> Plan:
    """Remove packages in one step: their entries, environments holding them, their archives.

    `graph` is the inventory's reference graph, when the caller has built it already.
    """
    requested = tuple(dict.fromkeys(uv.normalize(name) for name in names))
    wanted = set(requested)
    items = _leftovers(inventory)
    items.extend(
        Item(entry.path, ItemKind.ENTRY, Reason.PACKAGE, entry.package)
        for entry in inventory.entries
        if entry.package in wanted
    )
    flat = inventory.bucket(uv.Kind.FLAT_INDEX)
    if any(top.name == flat and top.is_dir for top in inventory.top):
        items.append(Item(flat, ItemKind.BUCKET, Reason.FLAT_INDEX))
    environments = set(environments_with(inventory, wanted))
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
    graph = build(inventory) if graph is None else graph
    by_archive = packages_by_archive(inventory)
    # Archives that lose their last link here, unlinked archives of a requested package, and
    # unlinked remnants of a deletion left half done.
    items.extend(
        item
        for item in archive_items(inventory, graph, removed, by_archive)
        if item.requires
        or _holds(by_archive[_archive_id(item.path)], wanted)
        or _remnant(inventory.archives[_archive_id(item.path)], by_archive[_archive_id(item.path)])
    )
    items.extend(_objects(inventory))
    selectors = [f"package {name}" for name in sorted(wanted)]
    found = {entry.package for entry in inventory.entries if entry.package in wanted}
    found.update(name for pairs in by_archive.values() for name, _ in pairs if name in wanted)
    missing = tuple(name for name in requested if name not in found)
    swept = finish(items, _notes(inventory, graph), selectors, inventory.layout.warnings)
    return replace(swept, missing=missing)


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


def _notes(inventory: Inventory, graph: Graph) -> list[str]:
    notes = list(inventory.notes)
    notes.extend(
        f"kept every archive: cannot read the link {link.path}" for link in graph.unreadable
    )
    return notes
