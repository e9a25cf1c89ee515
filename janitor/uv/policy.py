"""The policies on a uv cache: what one cached version of a package is, and what a budget measures.

A version is a link in the wheels bucket with its pointer files, or a version directory of the
sdists bucket, in the buckets of the uvs followed; `uv_cache` hands those to the generic
policies (janitor.policy) with the archives they orphan described as a uv plan describes them.
Pure. May import janitor.inventory, janitor.graph, janitor.plan, janitor.policy and
janitor.uv.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from janitor.graph import Graph
from janitor.inventory import Link
from janitor.plan import Item, Plan
from janitor.policy import Cache, Space, Version
from janitor.uv import layout as uv
from janitor.uv.inventory import Inventory
from janitor.uv.plan import archive_items


def versions(inventory: Inventory) -> list[Version]:
    """Every version in the current wheels and sdists buckets, grouped by package directory."""
    wheels = tuple(f"{name}/" for name in inventory.current_of(uv.Kind.WHEELS))
    sdists = tuple(f"{name}/" for name in inventory.current_of(uv.Kind.SDISTS))
    by_paths: dict[tuple[str, ...], tuple[str, list[Link]]] = {}
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
        by_paths.setdefault(paths, (key, []))[1].append(link)
    # The package and version are those of the first link found in the paths.
    return [
        Version(
            key,
            links[0].package or "",
            links[0].version or "",
            paths,
            tuple(links),
            max([0.0, *(link.last_used for link in links)]),
        )
        for paths, (key, links) in by_paths.items()
    ]


def budget_trees(inventory: Inventory, base: Plan, found: Sequence[Version]) -> list[str]:
    """Every tree a size budget may count: the base plan's, every archive, every version's
    (`found`, the cache's `versions`)."""
    paths = base.trees
    paths.extend(archive.path for archive in inventory.archives.values())
    for version in found:
        paths.extend(version.paths)
    return list(dict.fromkeys(paths))


def uv_cache(inventory: Inventory, base: Plan, space: Space | None, graph: Graph) -> Cache:
    """A uv cache under a policy: its versions, and its archives described as uv's plans do."""

    def orphans(removed: Collection[str]) -> list[Item]:
        return archive_items(inventory, graph, removed)

    return Cache(
        inventory,
        versions(inventory),
        base,
        graph,
        orphans,
        space,
        sweep_objects=bool(inventory.files_shards),
    )
