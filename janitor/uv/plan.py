"""uv's cache, planned: what `uv cache prune` (and `--ci`) removes, and `uv cache clean NAME`
made one step (a package's entries, the cached environments holding it, its archives). Pure.

May import janitor.plan, janitor.graph, janitor.inventory and janitor.uv's vocabulary.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from janitor.graph import Graph, build, dead_archives
from janitor.inventory import Archive, describe_packages
from janitor.plan import Item, ItemKind, Plan, Reason, finish
from janitor.uv import layout as uv
from janitor.uv.follow import Status
from janitor.uv.inventory import Environment, Inventory, environments_with, packages_by_archive


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
