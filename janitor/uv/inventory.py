"""What a scan of uv's cache found, as plain immutable data: the per-package entries, source
revisions, cached environments and top-level names beside the links and archives every kind
shares (`janitor.inventory`), and what the inventory says of packages. Pure.

Paths are relative to the cache root, with `/` separators. May import janitor.inventory and
janitor.uv's vocabulary.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from janitor.inventory import Archive, Link
from janitor.uv.follow import Layout, Status
from janitor.uv.layout import Kind


@dataclass(frozen=True)
class Entry:
    """A per-package entry: what `uv cache clean NAME` removes for one bucket shard."""

    path: str
    bucket: str
    package: str
    current: bool = True  # in a current bucket (False: a stale bucket of the same kind)


@dataclass(frozen=True)
class Revision:
    """A source-distribution revision directory that its `revision.*` pointer no longer names."""

    path: str
    package: str | None
    version: str | None
    current_id: str


@dataclass(frozen=True)
class Environment:
    """A cached environment: one entry of the environments bucket."""

    path: str
    archives: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopEntry:
    """One name at the top of the cache."""

    name: str
    is_dir: bool
    status: Status


@dataclass(frozen=True)
class Inventory:
    """Everything a scan found."""

    root: Path
    layout: Layout
    top: tuple[TopEntry, ...] = ()
    links: tuple[Link, ...] = ()
    archives: dict[str, Archive] = field(default_factory=dict)
    entries: tuple[Entry, ...] = ()
    revisions: tuple[Revision, ...] = ()
    environments: tuple[Environment, ...] = ()
    builds: tuple[str, ...] = ()  # entries of the builds bucket: temporary build environments
    wheel_dirs: tuple[str, ...] = ()  # directories directly in the wheels bucket
    # (dir, its children `--ci` may drop: (name, is a plain file))
    built_revisions: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()
    files_shards: tuple[str, ...] = ()  # shard directories of live content-addressed buckets
    notes: tuple[str, ...] = ()  # what was kept because it could not be read or parsed
    trash: tuple[str, ...] = ()  # leftovers of an interrupted run

    def bucket(self, kind: Kind) -> str:
        """The reference release's bucket of a kind."""
        return self.layout.bucket(kind)

    def current_of(self, kind: Kind) -> tuple[str, ...]:
        """Every live bucket of a kind, the reference's first."""
        return self.layout.current_of(kind)


def environments_with(inventory: Inventory, names: Collection[str]) -> list[str]:
    """Cached environments whose venv holds one of the (normalised) package names."""
    hits = []
    for env in inventory.environments:
        for archive_id in env.archives:
            archive = inventory.archives.get(archive_id)
            if archive is not None and any(name in names for name, _ in archive.packages):
                hits.append(env.path)
                break
    return hits


def packages_by_archive(inventory: Inventory) -> Mapping[str, tuple[tuple[str, str], ...]]:
    """(name, version) pairs each archive holds, from its dist-infos or, failing that, its links."""
    result: dict[str, tuple[tuple[str, str], ...]] = {}
    from_links: dict[str, set[tuple[str, str]]] = {}
    for link in inventory.links:
        if link.archive and link.package and link.version:
            from_links.setdefault(link.archive, set()).add((link.package, link.version))
    for archive_id, archive in inventory.archives.items():
        result[archive_id] = archive.packages or tuple(sorted(from_links.get(archive_id, ())))
    return result
