"""Measuring trees: what a cache occupies, and what removing a set of trees would free.

`measure` walks one tree; `disk_usage` counts a whole cache as `du -s --block-size=1` and
`uv cache size` do (allocated blocks of every inode once, directories included). `Census`
measures many trees at once and keeps the hard links that cross them, so that what removing any
selection of them frees is exact: a file's blocks are freed when every one of its links is in a
removed tree, or is a content-addressed object that only removed trees link to. Links are never
followed. `measure_plan` attaches to a plan what each item frees.
May import janitor.inventory, janitor.plan and janitor.pace.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from janitor.inventory import Usage, allocated
from janitor.pace import Pace
from janitor.plan import Plan


def measure(path: str) -> Usage:
    """Files, directories and bytes of a tree, never following links; `disk` counts the blocks
    of files whose every hard link is inside the tree (what deleting the tree frees)."""
    return Census({path: _walk_tree(path)}).freed([path]).get(path, Usage())


@dataclass
class _Tree:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    disk: int = 0  # blocks of files with a single link
    dir_disk: int = 0  # blocks of its directories (du counts them; `Usage.disk` does not)
    # (device, inode) -> (links, allocated bytes, links of it inside this tree)
    shared: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)


def _entries(path: str, stat_dirs: bool) -> Iterator[tuple[os.stat_result | None, bool]]:
    """(stat, is a directory) of a tree and everything in it, never following links; a
    directory's stat only with `stat_dirs` (the walk itself needs none). Unreadable parts are
    passed over."""
    try:
        top = os.lstat(path)
    except OSError:
        return
    if not stat.S_ISDIR(top.st_mode):
        yield top, False
        return
    yield (top if stat_dirs else None), True
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for child in it:
                    try:
                        if child.is_dir(follow_symlinks=False):
                            st = child.stat(follow_symlinks=False) if stat_dirs else None
                            stack.append(child.path)
                            yield st, True
                        else:
                            yield child.stat(follow_symlinks=False), False
                    except OSError:
                        continue
        except OSError:
            continue


def _walk_tree(path: str) -> _Tree:
    tree = _Tree()
    for st, is_dir in _entries(path, stat_dirs=True):
        assert st is not None
        if is_dir:
            tree.dirs += 1
            tree.dir_disk += allocated(st)
            continue
        tree.files += 1
        if not stat.S_ISLNK(st.st_mode):  # a link's size is its text, not data
            tree.bytes += st.st_size
        if st.st_nlink <= 1:
            tree.disk += allocated(st)
        else:
            key = (st.st_dev, st.st_ino)
            links, size, inside = tree.shared.get(key, (st.st_nlink, allocated(st), 0))
            tree.shared[key] = (max(links, st.st_nlink), size, inside + 1)
    return tree


def _walk_objects(path: str) -> dict[tuple[int, int], tuple[int, int]]:
    """Regular files directly in a content-addressed shard: (device, inode) -> (links, bytes)."""
    objects: dict[tuple[int, int], tuple[int, int]] = {}
    try:
        with os.scandir(path) as it:
            for child in it:
                try:
                    st = child.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    objects[(st.st_dev, st.st_ino)] = (st.st_nlink, allocated(st))
    except OSError:
        pass
    return objects


@dataclass(frozen=True)
class Census:
    """Many trees measured together, with the hard links between them."""

    trees: Mapping[str, _Tree]
    # Content-addressed objects: (device, inode) -> (links, allocated bytes, shard).
    objects: Mapping[tuple[int, int], tuple[int, int, str]] = field(default_factory=dict)

    def freed(self, removed: Collection[str], sweep_objects: bool = False) -> dict[str, Usage]:
        """What removing the trees `removed` frees, per tree.

        With `sweep_objects`, content-addressed objects left with no other link are removed too
        (as uv does after removing archives), and what they free is credited to their shard.
        """
        usage: dict[str, list[int]] = {}
        inside: dict[tuple[int, int], int] = {}
        links: dict[tuple[int, int], tuple[int, int, str]] = {}
        for path in removed:
            tree = self.trees.get(path)
            if tree is None:
                continue
            usage[path] = [tree.files, tree.dirs, tree.bytes, tree.disk]
            for key, (count, size, here) in tree.shared.items():
                inside[key] = inside.get(key, 0) + here
                links[key] = (count, size, path)
        if sweep_objects:
            for key, (count, size, shard) in self.objects.items():
                if count - inside.get(key, 0) == 1:  # the object's own link is all that is left
                    row = usage.setdefault(shard, [0, 0, 0, 0])
                    row[0] += 1
                    row[2] += size
                    row[3] += size
                    inside.pop(key, None)
                    links.pop(key, None)
        for key, (count, size, owner) in links.items():
            if inside[key] >= count:
                usage[owner][3] += size
        return {path: Usage(*row) for path, row in usage.items()}


@dataclass(frozen=True)
class Gain:
    """What removing some trees takes off the cache's size and gives back to its filesystem."""

    cache: int = 0  # off the cache's size as du and `uv cache size` count it
    disk: int = 0  # blocks freed on disk: files whose last link goes, and directories
    data: int = 0  # of `disk`, the blocks of files

    def __add__(self, other: Gain) -> Gain:
        return Gain(self.cache + other.cache, self.disk + other.disk, self.data + other.data)


class Ledger:
    """Trees of a census removed one batch after another, and what each batch gains.

    A hard-linked file leaves the cache's size when its last link *inside the cache* goes (a
    link in a venv outside does not count there), and frees disk when its last link anywhere
    goes. With `sweep_objects`, a content-addressed object left as its file's only link goes too,
    as uv (and janitor) remove it once the archives are gone. `links` holds, per hard-linked
    inode, its links inside the cache (`disk_usage` counts them).
    """

    def __init__(
        self, census: Census, links: Mapping[tuple[int, int], int], sweep_objects: bool
    ) -> None:
        self._census = census
        self._links = links
        self._objects = sweep_objects
        self._taken: set[str] = set()
        self._removed: dict[tuple[int, int], int] = {}  # links gone, per inode
        self._swept: set[tuple[int, int]] = set()  # objects swept
        self._left_cache: set[tuple[int, int]] = set()
        self._freed: set[tuple[int, int]] = set()
        # Objects no archive links to at all go with the first sweep of the store.
        unlinked = 0
        if sweep_objects:
            for key, (count, size, _shard) in census.objects.items():
                if count == 1:
                    self._swept.add(key)
                    self._left_cache.add(key)
                    self._freed.add(key)
                    unlinked += size
        self.unlinked = Gain(unlinked, unlinked, unlinked)

    def gain(self, paths: Iterable[str]) -> Gain:
        """What removing the trees `paths` would gain now, without removing them."""
        return self._count(paths, commit=False)

    def take(self, paths: Iterable[str]) -> Gain:
        """Remove the trees `paths` (those not removed yet); what that gains."""
        return self._count(paths, commit=True)

    def _count(self, paths: Iterable[str], commit: bool) -> Gain:
        cache = disk = data = 0
        delta: dict[tuple[int, int], int] = {}
        sizes: dict[tuple[int, int], tuple[int, int]] = {}
        fresh = [p for p in dict.fromkeys(paths) if p not in self._taken]
        for path in fresh:
            tree = self._census.trees.get(path)
            if tree is None:
                continue
            cache += tree.disk + tree.dir_disk
            disk += tree.disk + tree.dir_disk
            data += tree.disk
            for key, (count, size, here) in tree.shared.items():
                delta[key] = delta.get(key, 0) + here
                sizes[key] = (count, size)
        swept, left, freed = [], [], []
        for key, more in delta.items():
            count, size = sizes[key]
            gone = self._removed.get(key, 0) + more
            if (
                self._objects
                and key in self._census.objects
                and key not in self._swept
                and count - gone == 1
            ):
                gone += 1  # the object is its only link left: swept too
                swept.append(key)
            if key not in self._left_cache and gone >= self._links.get(key, count):
                left.append(key)
                cache += size
            if key not in self._freed and gone >= count:
                freed.append(key)
                disk += size
                data += size
            if commit:
                self._removed[key] = gone
        if commit:
            self._taken.update(fresh)
            self._swept.update(swept)
            self._left_cache.update(left)
            self._freed.update(freed)
        return Gain(cache, disk, data)


async def take_census(
    root: Path,
    paths: Iterable[str],
    shards: Iterable[str] = (),
    pace: Pace | None = None,
) -> Census:
    """Measure the trees `paths` (and the content-addressed `shards`) concurrently."""
    pace = pace or Pace()
    trees: dict[str, _Tree] = {}
    objects: dict[tuple[int, int], tuple[int, int, str]] = {}

    async def tree(rel: str) -> None:
        trees[rel] = await pace.run(_walk_tree, str(root / rel))

    async def shard(rel: str) -> None:
        for key, (count, size) in (await pace.run(_walk_objects, str(root / rel))).items():
            objects[key] = (count, size, rel)

    async with anyio.create_task_group() as group:
        for rel in dict.fromkeys(paths):
            group.start_soon(tree, rel)
        for rel in dict.fromkeys(shards):
            group.start_soon(shard, rel)
    return Census(trees, objects)


def _du_tree(
    path: str, seen: set[tuple[int, int]], links: dict[tuple[int, int], int] | None
) -> tuple[int, int]:
    """(bytes on disk, files) of a tree, as du counts them, `seen` shared across trees; with
    `links` (this walk's own), the links of each hard-linked inode found in the tree."""
    size = files = 0
    for st, is_dir in _entries(path, stat_dirs=True):
        assert st is not None
        if not is_dir:
            files += 1
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                if links is not None:
                    links[key] = links.get(key, 0) + 1
                if key in seen:
                    continue
                seen.add(key)  # a set's add is atomic: threads may share it
        size += allocated(st)
    return size, files


async def disk_usage(
    root: Path,
    pace: Pace | None = None,
    links: dict[tuple[int, int], int] | None = None,
) -> tuple[int, int, dict[str, int]]:
    """(bytes on disk, files, bytes per top-level entry) of a cache, as `du -s --block-size=1`
    and `uv cache size` count them: allocated blocks of every inode once, directories included.

    With `links`, it is filled with how many links each hard-linked inode has inside the cache
    (what decides whether removing some of them takes its blocks off the cache's size).
    Top-level entries, and each archive of an `archive-v*` bucket, are walked concurrently.
    """
    pace = pace or Pace()
    seen: set[tuple[int, int]] = set()
    try:
        total = allocated(os.lstat(root))
        tops = sorted(os.listdir(root))
    except OSError:
        return 0, 0, {}
    per_top = dict.fromkeys(tops, 0)
    counted = [0]

    async def walk(top: str, rel: str) -> None:
        found: dict[tuple[int, int], int] | None = {} if links is not None else None
        size, files = await pace.run(_du_tree, str(root / rel), seen, found)
        per_top[top] += size
        counted[0] += files
        if links is not None and found:
            for key, count in found.items():  # merged here, in the event loop's one thread
                links[key] = links.get(key, 0) + count

    async with anyio.create_task_group() as group:
        for top in tops:
            path = root / top
            if top.startswith("archive-v") and path.is_dir() and not path.is_symlink():
                per_top[top] += allocated(os.lstat(path))
                for name in os.listdir(path):
                    group.start_soon(walk, top, f"{top}/{name}")
            else:
                group.start_soon(walk, top, top)
    return total + sum(per_top.values()), counted[0], per_top


def measured(planned: Plan, census: Census, objects: bool) -> Plan:
    """`planned` with what each item frees as `census` counts it: its trees measured together,
    hard links across them counted once; `objects`: the content store's shards are swept too."""
    return planned.measured(census.freed(planned.trees, sweep_objects=objects))


async def measure_plan(
    root: Path, planned: Plan, shards: Collection[str] = (), census: Census | None = None
) -> Plan:
    """`planned` measured (see `measured`); a `census` that holds every tree already is used
    as it is, else one is taken of the plan's trees and the content store's `shards`."""
    trees = planned.trees
    if census is None or any(path not in census.trees for path in trees):
        census = await take_census(root, trees, shards)
    return measured(planned, census, bool(shards))
