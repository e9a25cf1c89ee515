"""The concurrent scan of a uv cache into an `Inventory`.

One task per bucket (and per shard of the big ones) in an anyio task group; each task does its
blocking I/O in a worker thread, a whole directory walk per thread hop (`walk`, `archives`), and
adds what it finds to its own list of a `_Tasks`. Links are resolved afterwards (`links`) and
trees measured on demand (`janitor.measure`). May import janitor.inventory, janitor.pace and
janitor.uv.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import anyio
import anyio.abc

from janitor.inventory import Archive, Link
from janitor.pace import Pace
from janitor.uv import layout as uv
from janitor.uv.archives import scan_archive_chunk
from janitor.uv.follow import LIVE, Layout, References, Release, Status, plan_layout
from janitor.uv.inventory import Environment, Inventory, TopEntry
from janitor.uv.links import finish_links
from janitor.uv.names import TRASH_DIR
from janitor.uv.walk import (
    Found,
    ScanOptions,
    entries_of_shards,
    list_dir,
    list_top,
    walk_bucket_tree,
)

# What a prune removes whole: walked for links only by a package sweep, which keeps it.
_REMOVABLE = frozenset({Status.STALE, Status.TEMPORARY, Status.STRAY})
# How long one thread hop of the scan may walk before it hands what is left to other hops.
HOP_SECONDS = 0.02


async def scan(
    root: Path,
    options: ScanOptions | None = None,
    limiter: anyio.CapacityLimiter | None = None,
    *,
    releases: Sequence[Release] | None = None,
) -> Inventory:
    """Scan the cache at `root` (an absolute, resolved path) into an Inventory.

    `releases` are the uv releases followed, newest first (see janitor.uv.follow); None or
    empty: no uv was found.
    """
    pace = Pace(limiter)
    top_listing = await pace.run(list_top, str(root))
    layout = plan_layout(releases if releases is not None else (), [n for n, _ in top_listing])
    top = tuple(TopEntry(name, is_dir, layout.status(name)) for name, is_dir in sorted(top_listing))
    tasks = _Tasks(root, layout, options or ScanOptions(), pace)
    dirs = {entry.name for entry in top if entry.is_dir}
    async with anyio.create_task_group() as group:
        for entry in top:
            if entry.is_dir:
                tasks.start_bucket(group, entry)
        if layout.bucket(uv.Kind.ARCHIVE) in dirs:
            group.start_soon(tasks.archives_of, layout.bucket(uv.Kind.ARCHIVE))
        if layout.bucket(uv.Kind.BUILDS) in dirs:
            group.start_soon(tasks.builds_of, layout.bucket(uv.Kind.BUILDS))
        if TRASH_DIR in dirs:
            group.start_soon(tasks.trash_of)
    return await tasks.inventory(top)


class _Tasks:
    """The tasks of one scan: one async method per kind of bucket, each adding what it finds to
    its own list (the event loop's one thread appends, so the lists need no lock)."""

    def __init__(self, root: Path, layout: Layout, options: ScanOptions, pace: Pace) -> None:
        self.root = root
        self.layout = layout
        self.options = options
        self.run = pace.run
        self.found: list[Found] = []  # links, entries and revisions of walked bucket trees
        self.archives: list[Archive] = []
        self.environments: list[Environment] = []  # without their archives (known from links)
        self.trash: list[str] = []
        self.wheel_dirs: list[str] = []
        self.builds: list[str] = []
        self.files_shards: list[str] = []
        # Releases before 0.7.9 count links in every bucket as references; later ones only those
        # in the wheels and sdists buckets (and environments, which a prune removes first).
        self.everywhere = layout.rules.references is not References.WHEELS_AND_SDISTS

    async def _list(self, rel: str) -> list[tuple[str, bool, bool]]:
        """(name, is a directory, is a link) of each entry of a directory of the cache."""
        return await self.run(list_dir, os.path.join(self.root, rel))

    def start_bucket(self, group: anyio.abc.TaskGroup, entry: TopEntry) -> None:
        """Start the tasks that read one top-level directory, as its kind and status ask."""
        kind, status = uv.kind_of(entry.name), entry.status
        # Live buckets (and buckets janitor does not know, which it keeps) hold links that keep
        # archives alive. What a prune removes anyway is walked only for a package sweep, which
        # keeps it and so must keep what it links to.
        walked = status in LIVE or (self.options.stale and status in _REMOVABLE)
        # A bucket janitor does not know is kept, so whatever it links to must be too.
        links_here = kind in uv.LINK_KINDS or kind is None or status is Status.UNKNOWN
        if self.everywhere and kind not in (uv.Kind.ARCHIVE, uv.Kind.FILES):
            links_here = True
        # The buckets of the releases followed are walked as those releases walk them.
        skips = (
            not self.everywhere
            and kind in (uv.Kind.WHEELS, uv.Kind.SDISTS)
            and status in (Status.CURRENT, Status.OTHER)
        )
        if walked and links_here:
            group.start_soon(self.links_of, entry.name, kind, skips)
        if status in LIVE and kind is uv.Kind.FILES:
            group.start_soon(self.files_of, entry.name)
        # Per-package entries come from the buckets of the uvs followed (and, for a package
        # sweep, from stale ones); a bucket janitor does not know is never touched.
        entries_here = status in (Status.CURRENT, Status.OTHER)
        entries_here = entries_here or (self.options.stale and status is Status.STALE)
        if entries_here and kind in uv.SHARDED_KINDS:
            assert kind is not None
            group.start_soon(self.shards_of, entry.name, kind, status is not Status.STALE)
        if status in LIVE and kind is uv.Kind.ENVIRONMENTS:
            group.start_soon(self.environments_of, entry.name)

    async def links_of(self, bucket: str, kind: uv.Kind | None, skips: bool) -> None:
        """Walk a bucket for links (and, in the wheels bucket, note its unzipped wheels)."""
        if kind is uv.Kind.WHEELS and bucket in self.layout.current_of(uv.Kind.WHEELS):
            children = await self._list(bucket)
            self.wheel_dirs.extend(f"{bucket}/{name}" for name, is_dir, _ in children if is_dir)
        await self._walk(bucket, bucket, kind, skips)

    async def _walk(self, start: str, bucket: str, kind: uv.Kind | None, skips: bool) -> None:
        # One thread hop walks as much as it can in HOP_SECONDS; what is left fans out.
        part = await self.run(
            walk_bucket_tree, str(self.root), start, bucket, kind, self.options, HOP_SECONDS, skips
        )
        self.found.append(part)
        if part.subdirs:
            async with anyio.create_task_group() as group:
                for sub in part.subdirs:
                    group.start_soon(self._walk, sub, bucket, kind, skips)

    async def shards_of(self, bucket: str, kind: uv.Kind, is_current: bool) -> None:
        """Per-package entries of a sharded bucket."""
        self.found.append(
            await self.run(entries_of_shards, str(self.root), bucket, kind, is_current)
        )

    async def archives_of(self, bucket: str) -> None:
        """Every archive of the archive bucket, with its packages (and sizes, if asked)."""
        names = [(name, not is_dir) for name, is_dir, _is_link in await self._list(bucket)]
        await self._archive_chunk(bucket, names)

    async def _archive_chunk(self, bucket: str, names: list[tuple[str, bool]]) -> None:
        done, left = await self.run(
            scan_archive_chunk, str(self.root), bucket, names, self.options.sizes, HOP_SECONDS
        )
        self.archives.extend(done)
        if left:  # a slow filesystem: the rest in halves, concurrently
            half = (len(left) + 1) // 2
            async with anyio.create_task_group() as group:
                group.start_soon(self._archive_chunk, bucket, left[:half])
                if left[half:]:
                    group.start_soon(self._archive_chunk, bucket, left[half:])

    async def environments_of(self, bucket: str) -> None:
        """The cached environments of an environments bucket."""
        for name, _is_dir, _is_link in await self._list(bucket):
            self.environments.append(Environment(f"{bucket}/{name}"))

    async def builds_of(self, bucket: str) -> None:
        """The temporary build environments of the builds bucket."""
        self.builds.extend(f"{bucket}/{name}" for name, _d, _l in await self._list(bucket))

    async def trash_of(self) -> None:
        """What an interrupted run left in janitor's trash."""
        listing = await self._list(TRASH_DIR)
        self.trash.extend(f"{TRASH_DIR}/{name}" for name, _d, _l in listing)

    async def files_of(self, bucket: str) -> None:
        """The shard directories of a content-addressed bucket."""
        listing = await self._list(bucket)
        self.files_shards.extend(f"{bucket}/{name}" for name, is_dir, _ in listing if is_dir)

    async def inventory(self, top: tuple[TopEntry, ...]) -> Inventory:
        """What the tasks found, with the links resolved, as an Inventory."""
        found, layout = self.found, self.layout
        archives = {archive.id: archive for archive in self.archives}
        raw_links = [link for part in found for link in part.links]
        links = await self.run(
            finish_links, self.root, raw_links, layout.bucket(uv.Kind.ARCHIVE), archives
        )
        return Inventory(
            root=self.root,
            layout=layout,
            top=top,
            links=tuple(sorted(links, key=lambda link: link.path)),
            archives=dict(sorted(archives.items())),
            entries=tuple(
                sorted((e for part in found for e in part.entries), key=lambda e: e.path)
            ),
            revisions=tuple(
                sorted((r for part in found for r in part.revisions), key=lambda r: r.path)
            ),
            environments=_environments(self.environments, links, layout),
            builds=tuple(sorted(self.builds)),
            wheel_dirs=tuple(sorted(self.wheel_dirs)),
            built_revisions=tuple(sorted(b for part in found for b in part.built)),
            notes=(*layout.notes, *sorted(n for part in found for n in part.notes)),
            trash=tuple(sorted(self.trash)),
            files_shards=tuple(sorted(self.files_shards)),
        )


def _environments(
    environments: list[Environment], links: Sequence[Link], layout: Layout
) -> tuple[Environment, ...]:
    """The cached environments, sorted, each with the archives its links reach."""
    env_buckets = tuple(f"{name}/" for name in layout.current_of(uv.Kind.ENVIRONMENTS))
    by_env: dict[str, list[str]] = {}
    for link in links:
        if link.path.startswith(env_buckets) and link.archive is not None:
            env = "/".join(link.path.split("/")[:2])
            by_env.setdefault(env, []).append(link.archive)
    return tuple(
        Environment(env.path, tuple(sorted(set(by_env.get(env.path, ())))))
        for env in sorted(environments, key=lambda e: e.path)
    )
