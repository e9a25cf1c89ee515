"""`janitor report`'s data: the cache's size as `uv cache size` counts it, and what each kind of
sweep would free.

The size is counted as `du -s --block-size=1` does (and `uv cache size`, which equals it): the
allocated blocks of every inode once, directories included. What a sweep frees is measured on the
plans a sweep would carry out, all trees together, so that hard links between them (archives and
cached environments, the content-addressed store) are counted once and only when their last link
goes. May import janitor.inventory, janitor.plan, janitor.policy, janitor.uv.scan, janitor.uv and
janitor.graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from janitor import graph
from janitor.inventory import describe_packages
from janitor.measure import Census, disk_usage, measured, take_census
from janitor.plan import Plan
from janitor.policy import version_order
from janitor.uv import plan
from janitor.uv.follow import Release, Status
from janitor.uv.inventory import Inventory, packages_by_archive
from janitor.uv.scan import scan
from janitor.uv.walk import ScanOptions

# Top-level names that are buckets (not markers, janitor's trash, `.tmp*` or strays).
_BUCKETS = frozenset({Status.CURRENT, Status.OTHER, Status.STALE, Status.UNKNOWN})


@dataclass(frozen=True)
class PackageRow:
    """One package in the cache."""

    name: str
    versions: tuple[str, ...]
    archives: int
    frees: int  # bytes on disk `janitor sweep --package NAME` would free
    size: int = 0  # bytes on disk its entries and archives take, each hard-linked file once


@dataclass(frozen=True)
class Report:
    """The cache at a glance."""

    cache_dir: str
    size: int  # bytes on disk, as `uv cache size` counts them
    files: int
    buckets: Mapping[str, int]  # bucket -> bytes on disk (shared blocks counted once)
    bucket_status: Mapping[str, str]  # bucket -> its status for the uvs followed
    everything: int  # what removing the whole cache would free (blocks not linked from outside)
    prune: Plan  # a plain sweep, measured
    prune_ci: Plan  # `--ci`, measured
    packages: tuple[PackageRow, ...]
    environments: tuple[tuple[str, str | None], ...]  # (path, its packages in one line)
    notes: tuple[str, ...] = ()


def _trees(
    inventory: Inventory, plans: Sequence[Plan], owned: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every tree the plans remove, every package's own trees, and every top-level entry."""
    paths = {path for one in plans for path in one.trees}
    paths.update(path for trees in owned.values() for path in trees)
    return sorted(paths | {top.name for top in inventory.top})


def _owned(inventory: Inventory) -> dict[str, list[str]]:
    """Each package's trees in the cache: its entries, and the archives (not venvs) holding it."""
    owned: dict[str, list[str]] = {}
    for entry in inventory.entries:
        owned.setdefault(entry.package, []).append(entry.path)
    for archive_id, pairs in packages_by_archive(inventory).items():
        archive = inventory.archives[archive_id]
        if archive.venv or archive.is_link:
            continue
        for name in {name for name, _ in pairs}:
            owned.setdefault(name, []).append(archive.path)
    return owned


def _occupied(census: Census, paths: Sequence[str]) -> int:
    """The blocks the trees `paths` take, each file once however many links it has (what the
    package takes in the cache, freed or not)."""
    total = 0
    shared: dict[tuple[int, int], int] = {}
    for path in dict.fromkeys(paths):
        tree = census.trees.get(path)
        if tree is None:
            continue
        total += tree.disk
        shared.update((key, size) for key, (_, size, _) in tree.shared.items())
    return total + sum(shared.values())


async def build(root: Path, releases: Sequence[Release], notes: Sequence[str] = ()) -> Report:
    """Scan, plan and measure everything a report shows."""
    inventory = await scan(root, ScanOptions(stale=False), releases=releases)
    references = graph.build(inventory)  # one graph for every plan
    prune = plan.prune(inventory, graph=references)
    prune_ci = plan.prune(inventory, ci=True, graph=references)
    names = sorted(
        {name for a in inventory.archives.values() for name, _ in a.packages}
        | {entry.package for entry in inventory.entries}
    )
    per_package = {name: plan.packages(inventory, [name], graph=references) for name in names}
    owned = _owned(inventory)
    census = await take_census(
        root,
        _trees(inventory, [prune, prune_ci, *per_package.values()], owned),
        inventory.files_shards,
    )
    objects = bool(inventory.files_shards)
    everything = census.freed([top.name for top in inventory.top], sweep_objects=False)
    size, files, per_top = await disk_usage(root)
    statuses = {top.name: top.status for top in inventory.top if top.status in _BUCKETS}
    return Report(
        cache_dir=str(root),
        size=size,
        files=files,
        buckets={name: bytes_ for name, bytes_ in per_top.items() if name in statuses},
        bucket_status={name: status.value for name, status in statuses.items()},
        everything=sum(usage.disk for usage in everything.values()),
        prune=measured(prune, census, objects),
        prune_ci=measured(prune_ci, census, objects),
        packages=_package_rows(inventory, per_package, census, owned, objects),
        environments=_environments(inventory),
        notes=(*notes, *inventory.notes),
    )


def _package_rows(
    inventory: Inventory,
    per_package: Mapping[str, Plan],
    census: Census,
    owned: Mapping[str, Sequence[str]],
    objects: bool,
) -> tuple[PackageRow, ...]:
    """One row per package, the largest first: its versions, archives, size and what it frees."""
    versions: dict[str, set[str]] = {}
    archives: dict[str, int] = {}
    for archive in inventory.archives.values():
        if archive.venv:
            continue
        for name, version in archive.packages:
            versions.setdefault(name, set()).add(version)
            archives[name] = archives.get(name, 0) + 1
    rows = []
    for name, package_plan in per_package.items():
        freed = census.freed(package_plan.trees, sweep_objects=objects)
        frees = sum(usage.disk for usage in freed.values())
        rows.append(
            PackageRow(
                name,
                tuple(sorted(versions.get(name, ()), key=version_order)),
                archives.get(name, 0),
                frees,
                _occupied(census, owned.get(name, ())),
            )
        )
    return tuple(sorted(rows, key=lambda row: (-row.size, -row.frees, row.name)))


def _environments(inventory: Inventory) -> tuple[tuple[str, str | None], ...]:
    """Each cached environment with its packages in one line."""
    environments = []
    for env in inventory.environments:
        detail = None
        for archive_id in env.archives:
            venv = inventory.archives.get(archive_id)
            if venv is not None and venv.packages:
                detail = describe_packages(venv.packages, venv.roots)
        environments.append((env.path, detail))
    return tuple(environments)
