"""The concurrent scan of a uv cache into an `Inventory`.

One task per bucket (and per shard of the big ones) in an anyio task group; each task does its
blocking I/O in a worker thread, a whole directory walk per thread hop (`walk`, `archives`); links
are resolved afterwards (`links`) and trees measured on demand (`measure`).
May import janitor.inventory, janitor.layout and janitor.errors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import anyio
import anyio.to_thread

from janitor.inventory import Archive, Environment, Inventory, TopEntry
from janitor.layout import uv
from janitor.layout.follow import LIVE, References, Release, Status, plan_layout
from janitor.scan.archives import scan_archive_chunk
from janitor.scan.links import finish_links, resolve, resolve_via
from janitor.scan.measure import Census, disk_usage, measure, take_census
from janitor.scan.pace import Pace
from janitor.scan.walk import (
    Found,
    ScanOptions,
    entries_of_shards,
    list_dir,
    list_top,
    read_small,
    walk_bucket_tree,
)

__all__ = [
    "Census",
    "Pace",
    "ScanOptions",
    "disk_usage",
    "measure",
    "read_small",
    "resolve",
    "resolve_via",
    "scan",
    "take_census",
]

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

    `releases` are the uv releases followed, newest first (see janitor.layout.follow); None or
    empty: no uv was found.
    """
    options = options or ScanOptions()
    pace = Pace(limiter)
    run = pace.run
    root_str = str(root)

    top_listing = await run(list_top, root_str)
    layout = plan_layout(releases if releases is not None else (), [n for n, _ in top_listing])
    top = tuple(TopEntry(name, is_dir, layout.status(name)) for name, is_dir in sorted(top_listing))
    dirs = {entry.name for entry in top if entry.is_dir}
    found: list[Found] = []
    archive_list: list[Archive] = []
    environments: list[Environment] = []
    trash: list[str] = []
    wheel_dirs: list[str] = []
    builds: list[str] = []
    files_shards: list[str] = []
    live_wheels = set(layout.current_of(uv.Kind.WHEELS))

    async def walk(bucket: str, kind: uv.Kind | None, skips: bool) -> None:
        if kind is uv.Kind.WHEELS and bucket in live_wheels:
            children = await run(list_dir, os.path.join(root_str, bucket))
            wheel_dirs.extend(f"{bucket}/{name}" for name, is_dir, _ in children if is_dir)
        await walk_dir(bucket, bucket, kind, skips)

    async def walk_dir(start: str, bucket: str, kind: uv.Kind | None, skips: bool) -> None:
        # One thread hop walks as much as it can in HOP_SECONDS; what is left fans out.
        part = await run(
            walk_bucket_tree, root_str, start, bucket, kind, options, HOP_SECONDS, skips
        )
        found.append(part)
        if part.subdirs:
            async with anyio.create_task_group() as group:
                for sub in part.subdirs:
                    group.start_soon(walk_dir, sub, bucket, kind, skips)

    async def shards(bucket: str, kind: uv.Kind, is_current: bool) -> None:
        found.append(await run(entries_of_shards, root_str, bucket, kind, is_current))

    async def archives_task(bucket: str) -> None:
        names = [
            (name, not is_dir)
            for name, is_dir, _is_link in await run(list_dir, os.path.join(root_str, bucket))
        ]
        await archive_chunk(bucket, names)

    async def archive_chunk(bucket: str, names: list[tuple[str, bool]]) -> None:
        done, left = await run(
            scan_archive_chunk, root_str, bucket, names, options.sizes, HOP_SECONDS
        )
        archive_list.extend(done)
        if left:  # a slow filesystem: the rest in halves, concurrently
            half = (len(left) + 1) // 2
            async with anyio.create_task_group() as group:
                group.start_soon(archive_chunk, bucket, left[:half])
                if left[half:]:
                    group.start_soon(archive_chunk, bucket, left[half:])

    async def environments_task(bucket: str) -> None:
        for name, _is_dir, _is_link in await run(list_dir, os.path.join(root_str, bucket)):
            environments.append(Environment(f"{bucket}/{name}"))

    async def builds_task(bucket: str) -> None:
        listing = await run(list_dir, os.path.join(root_str, bucket))
        builds.extend(f"{bucket}/{name}" for name, _d, _l in listing)

    async def trash_task() -> None:
        listing = await run(list_dir, os.path.join(root_str, uv.TRASH_DIR))
        trash.extend(f"{uv.TRASH_DIR}/{name}" for name, _d, _l in listing)

    async def shards_of_files(bucket: str) -> None:
        listing = await run(list_dir, os.path.join(root_str, bucket))
        files_shards.extend(f"{bucket}/{name}" for name, is_dir, _ in listing if is_dir)

    # Releases before 0.7.9 count links in every bucket as references; later ones only those in
    # the wheels and sdists buckets (and environments, which a prune removes first).
    everywhere = layout.rules.references is not References.WHEELS_AND_SDISTS
    async with anyio.create_task_group() as group:
        for entry in top:
            if not entry.is_dir:
                continue
            kind = uv.kind_of(entry.name)
            status = entry.status
            # Live buckets (and buckets janitor does not know, which it keeps) hold links that
            # keep archives alive. What a prune removes anyway is walked only for a package
            # sweep, which keeps it and so must keep what it links to.
            walked = status in LIVE or (options.stale and status in _REMOVABLE)
            # A bucket janitor does not know is kept, so whatever it links to must be too.
            links_here = kind in uv.LINK_KINDS or kind is None or status is Status.UNKNOWN
            if everywhere and kind not in (uv.Kind.ARCHIVE, uv.Kind.FILES):
                links_here = True
            # The buckets of the releases followed are walked as those releases walk them.
            skips = (
                not everywhere
                and kind in (uv.Kind.WHEELS, uv.Kind.SDISTS)
                and status in (Status.CURRENT, Status.OTHER)
            )
            if walked and links_here:
                group.start_soon(walk, entry.name, kind, skips)
            if status in LIVE and kind is uv.Kind.FILES:
                group.start_soon(shards_of_files, entry.name)
            # Per-package entries come from the buckets of the uvs followed (and, for a package
            # sweep, from stale ones); a bucket janitor does not know is never touched.
            entries_here = status in (Status.CURRENT, Status.OTHER)
            entries_here = entries_here or (options.stale and status is Status.STALE)
            if entries_here and kind in uv.SHARDED_KINDS:
                assert kind is not None
                group.start_soon(shards, entry.name, kind, status is not Status.STALE)
            if status in LIVE and kind is uv.Kind.ENVIRONMENTS:
                group.start_soon(environments_task, entry.name)
        if layout.bucket(uv.Kind.ARCHIVE) in dirs:
            group.start_soon(archives_task, layout.bucket(uv.Kind.ARCHIVE))
        if layout.bucket(uv.Kind.BUILDS) in dirs:
            group.start_soon(builds_task, layout.bucket(uv.Kind.BUILDS))
        if uv.TRASH_DIR in dirs:
            group.start_soon(trash_task)

    archives = {archive.id: archive for archive in archive_list}
    raw_links = [link for part in found for link in part.links]
    links = await run(finish_links, root, raw_links, layout.bucket(uv.Kind.ARCHIVE), archives)
    env_buckets = tuple(f"{name}/" for name in layout.current_of(uv.Kind.ENVIRONMENTS))
    by_env: dict[str, list[str]] = {}
    for link in links:
        if link.path.startswith(env_buckets) and link.archive is not None:
            env = "/".join(link.path.split("/")[:2])
            by_env.setdefault(env, []).append(link.archive)
    envs = tuple(
        Environment(env.path, tuple(sorted(set(by_env.get(env.path, ())))))
        for env in sorted(environments, key=lambda e: e.path)
    )
    return Inventory(
        root=root,
        layout=layout,
        top=top,
        links=tuple(sorted(links, key=lambda link: link.path)),
        archives=dict(sorted(archives.items())),
        entries=tuple(sorted((e for part in found for e in part.entries), key=lambda e: e.path)),
        revisions=tuple(
            sorted((r for part in found for r in part.revisions), key=lambda r: r.path)
        ),
        environments=envs,
        builds=tuple(sorted(builds)),
        wheel_dirs=tuple(sorted(wheel_dirs)),
        built_revisions=tuple(sorted(b for part in found for b in part.built)),
        notes=(*layout.notes, *sorted(n for part in found for n in part.notes)),
        trash=tuple(sorted(trash)),
        files_shards=tuple(sorted(files_shards)),
    )
