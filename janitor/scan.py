"""The concurrent scan of a uv cache into an `Inventory`.

One task per bucket (and per shard of the big ones) in an anyio task group; each task does its
blocking I/O in a worker thread, a whole directory walk per thread hop. Links are read, never
followed out of the cache. The scan reads no file contents except pointer files and link-file
candidates, and opens those with O_NOATIME where it can, so it does not refresh use times.
May import janitor.inventory, janitor.layout and janitor.errors.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from janitor.inventory import (
    Archive,
    Entry,
    Environment,
    Inventory,
    Link,
    LinkState,
    Revision,
    TopEntry,
    Usage,
    allocated,
)
from janitor.layout import uv

_T = TypeVar("_T")
_O_NOATIME = getattr(os, "O_NOATIME", 0)
_ARCHIVE_CHUNK = 32
_SPLIT_DEPTH = 3
_MAX_HOPS = 40  # symlinks followed in one resolution before it counts as a loop
_SHARDED = (uv.SHARD_PYPI, uv.SHARD_INDEX, uv.SHARD_URL, uv.SHARD_PATH, uv.SHARD_GIT)


@dataclass(frozen=True)
class ScanOptions:
    """What to measure beyond the reference graph."""

    sizes: bool = False  # walk archives and removable trees for files and bytes
    times: bool = False  # last-use times of links (for age and size policies)
    # Look for links in stale buckets and unknown top-level directories. A prune removes those
    # first, so what they link to does not count there (as in uv); a package sweep keeps it.
    stale: bool = True


@dataclass
class _RawLink:
    path: str
    bucket: str
    target: str
    windows: bool
    package: str | None
    version: str | None
    pointers: tuple[str, ...]
    last_used: float


@dataclass
class _Found:
    links: list[_RawLink] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
    built: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subdirs: list[str] = field(default_factory=list)  # left for other tasks (recurse=False)


def read_small(path: str, limit: int) -> bytes | None:
    """Read at most `limit` bytes without following a final symlink or touching atime."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | _O_NOATIME)
    except PermissionError:
        if not _O_NOATIME:
            return None
        try:  # O_NOATIME needs ownership; fall back for files of other users
            fd = os.open(path, flags)
        except OSError:
            return None
    except OSError:
        return None
    try:
        return os.read(fd, limit + 1)
    finally:
        os.close(fd)


def _times(entry: os.DirEntry[str], access: bool = True) -> float:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return 0.0
    return max(st.st_atime, st.st_mtime) if access else st.st_mtime


def _walk_bucket_tree(
    root: str,
    start: str,
    bucket: str,
    kind: uv.Kind | None,
    options: ScanOptions,
    recurse: bool = True,
) -> _Found:
    """Walk one subtree of a links-bearing bucket (wheels, sdists, environments, stale)."""
    found = _Found()
    stack = [start]
    in_sdists = kind is uv.Kind.SDISTS
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel)) as it:
                children = list(it)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as err:
            found.notes.append(f"kept {rel}: cannot list it ({err.strerror})")
            # Whatever links it holds are unknown: like an unreadable link, it keeps every archive.
            found.links.append(_RawLink(rel, bucket, "", False, None, None, (), 0.0))
            continue
        files: dict[str, os.DirEntry[str]] = {}
        dirs: list[str] = []
        symlinks: list[os.DirEntry[str]] = []
        for child in children:
            try:
                if child.is_symlink():
                    symlinks.append(child)
                elif child.is_dir(follow_symlinks=False):
                    dirs.append(child.name)
                else:
                    files[child.name] = child
            except OSError:
                found.notes.append(f"kept {rel}/{child.name}: cannot stat it")
        parent = rel.rsplit("/", 1)[-1]
        candidates: list[tuple[os.DirEntry[str], str, bool]] = []
        for link in symlinks:
            try:
                target = os.readlink(link.path)
            except OSError as err:
                found.notes.append(f"kept what {rel}/{link.name} may reference: {err.strerror}")
                target = ""
            candidates.append((link, target, False))
        for name, entry in files.items():
            if uv.is_pointer_name(name):
                continue
            try:
                size = entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
            if not uv.may_be_link_file(name, size):
                continue
            content = read_small(entry.path, uv.LINK_FILE_MAX_BYTES)
            parsed = uv.parse_link_file(content or b"")
            if parsed is not None:
                candidates.append((entry, f"archive-v{parsed[0]}/{parsed[1]}", True))
        for entry, target, windows in candidates:
            pointers = tuple(
                f"{rel}/{name}"
                for name in files
                if name.startswith(entry.name + ".") and uv.is_pointer_name(name)
            )
            last_used = 0.0
            if options.times:
                # A link's own access time is refreshed by reading it (janitor does, above), so
                # it counts by its modification time; pointer files by both (uv reads them).
                last_used = max(
                    [_times(entry, access=False)]
                    + [_times(files[p.rsplit("/", 1)[-1]]) for p in pointers]
                )
            parsed_name = uv.parse_wheel_entry(
                entry.name, parent if kind is uv.Kind.WHEELS or kind is None else None
            ) or uv.parse_wheel_entry(entry.name)
            found.links.append(
                _RawLink(
                    path=f"{rel}/{entry.name}",
                    bucket=bucket,
                    target=target,
                    windows=windows,
                    package=parsed_name[0] if parsed_name else None,
                    version=parsed_name[1] if parsed_name else None,
                    pointers=pointers,
                    last_used=last_used,
                )
            )
        if in_sdists:
            _sdist_directory(root, rel, files, dirs, [link.name for link in symlinks], found)
        children_dirs = [
            f"{rel}/{name}" for name in dirs if not (in_sdists and name == uv.SOURCE_DIR)
        ]
        if not recurse:
            found.subdirs = children_dirs
            break
        stack.extend(children_dirs)
    return found


def _sdist_directory(
    root: str,
    rel: str,
    files: dict[str, os.DirEntry[str]],
    dirs: list[str],
    links: list[str],
    found: _Found,
) -> None:
    """Superseded revisions and unzipped built wheels of one sdists directory."""
    ids: list[str] = []
    for pointer in uv.REVISION_POINTERS:
        if pointer not in files:
            continue
        data = read_small(files[pointer].path, 1 << 20)
        revision = uv.pointer_id(pointer, data) if data else None
        if revision is None:
            found.notes.append(f"kept the revisions of {rel}: cannot parse {pointer}")
            continue
        ids.append(revision)
    if ids:
        # `<bucket>/pypi/NAME/VERSION` or `<bucket>/index/HASH/NAME/VERSION` name their package.
        parts = rel.split("/")
        named = parts[1:2] == [uv.SHARD_PYPI] and len(parts) == 4
        named = named or (parts[1:2] == [uv.SHARD_INDEX] and len(parts) == 5)
        package = uv.normalize(parts[-2]) if named else None
        version = parts[-1] if named else None
        for name in dirs:
            if any(name != revision for revision in ids):
                found.revisions.append(Revision(f"{rel}/{name}", package, version, ids[0]))
    if uv.SDIST_METADATA in files:
        unzipped = tuple(
            name
            for name in [*files, *dirs, *links]
            if name != uv.SDIST_METADATA and not name.lower().endswith(".whl")
        )
        found.built.append((rel, unzipped))


def _entries_of_shards(root: str, bucket: str, kind: uv.Kind, current: bool) -> _Found:
    """Per-package entries of a wheels, sdists or simple bucket, as `uv cache clean` finds them."""
    found = _Found()
    base = os.path.join(root, bucket)

    def listdir(rel: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(os.path.join(base, rel)) as it:
                return list(it)
        except FileNotFoundError:
            return []
        except OSError as err:
            found.notes.append(f"kept {bucket}/{rel}: cannot list it ({err.strerror})")
            return []

    def add(rel: str, package: str) -> None:
        found.entries.append(Entry(f"{bucket}/{rel}", bucket, uv.normalize(package), current))

    def package_of(name: str) -> str:
        return name[: -len(".rkyv")] if kind is uv.Kind.SIMPLE and name.endswith(".rkyv") else name

    for child in listdir(uv.SHARD_PYPI):
        add(f"{uv.SHARD_PYPI}/{child.name}", package_of(child.name))
    for index in listdir(uv.SHARD_INDEX):
        if index.is_dir(follow_symlinks=False):
            for child in listdir(f"{uv.SHARD_INDEX}/{index.name}"):
                add(f"{uv.SHARD_INDEX}/{index.name}/{child.name}", package_of(child.name))
    if kind is uv.Kind.WHEELS:
        for url in listdir(uv.SHARD_URL):
            if url.is_dir(follow_symlinks=False):
                for child in listdir(f"{uv.SHARD_URL}/{url.name}"):
                    add(f"{uv.SHARD_URL}/{url.name}/{child.name}", child.name)
    if kind is uv.Kind.SDISTS:
        for shard in (uv.SHARD_URL, uv.SHARD_PATH):
            for source in listdir(shard):
                if not source.is_dir(follow_symlinks=False):
                    continue
                names = {
                    name
                    for revision in listdir(f"{shard}/{source.name}")
                    if revision.is_dir(follow_symlinks=False)
                    and (name := _metadata_name(revision.path)) is not None
                }
                for name in sorted(names):
                    add(f"{shard}/{source.name}", name)
        for repository in listdir(uv.SHARD_GIT):
            if not repository.is_dir(follow_symlinks=False):
                continue
            for sha in listdir(f"{uv.SHARD_GIT}/{repository.name}"):
                name = _metadata_name(sha.path) if sha.is_dir(follow_symlinks=False) else None
                if name is not None:
                    add(f"{uv.SHARD_GIT}/{repository.name}/{sha.name}", name)
    return found


def _metadata_name(directory: str) -> str | None:
    data = read_small(os.path.join(directory, uv.SDIST_METADATA), 1 << 20)
    return uv.metadata_name(data) if data else None


def measure(path: str, du: bool = False) -> Usage:
    """Files, directories and bytes of a tree, never following links.

    `disk` counts a file's blocks when all its hard links are inside the tree (what deleting the
    tree frees), or with `du`, once per inode as `du` does (what the tree occupies).
    """
    files = dirs = size = disk = 0
    shared: dict[tuple[int, int], int] = {}
    stack = [path]
    try:
        top = os.lstat(path)
    except OSError:
        return Usage()
    if not stat.S_ISDIR(top.st_mode):
        logical = 0 if stat.S_ISLNK(top.st_mode) else top.st_size
        return Usage(1, 0, logical, allocated(top) if top.st_nlink <= 1 else 0)
    while stack:
        current = stack.pop()
        dirs += 1
        try:
            with os.scandir(current) as it:
                for child in it:
                    try:
                        if child.is_dir(follow_symlinks=False):
                            stack.append(child.path)
                            continue
                        st = child.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    files += 1
                    if not stat.S_ISLNK(st.st_mode):  # a link's size is its target's length
                        size += st.st_size
                    if st.st_nlink <= 1:
                        disk += allocated(st)
                    elif du:
                        key = (st.st_dev, st.st_ino)
                        if key not in shared:
                            shared[key] = 1
                            disk += allocated(st)
                    else:
                        key = (st.st_dev, st.st_ino)
                        seen = shared.get(key, 0) + 1
                        if seen >= st.st_nlink:
                            disk += allocated(st)
                            shared.pop(key, None)
                        else:
                            shared[key] = seen
        except OSError:
            continue
    return Usage(files, dirs, size, disk)


def _scan_archive_chunk(
    root: str, bucket: str, names: list[tuple[str, bool]], sizes: bool
) -> list[Archive]:
    archives = []
    for name, not_dir in names:
        rel = f"{bucket}/{name}"
        if not_dir:
            archives.append(
                Archive(name, rel, is_link=True, alias_of=_alias_of(root, bucket, name))
            )
            continue
        path = os.path.join(root, bucket, name)
        try:
            top = os.listdir(path)
        except OSError:
            top = []
        venv = "pyvenv.cfg" in top
        packages: list[tuple[str, str]] = [p for p in map(uv.parse_dist_info, top) if p is not None]
        if venv:
            packages.extend(_venv_packages(path, top))
        archives.append(
            Archive(
                name,
                rel,
                tuple(sorted(set(packages))),
                venv=venv,
                usage=measure(path) if sizes else None,
            )
        )
    return archives


def _alias_of(root: str, bucket: str, name: str) -> str | None:
    """The archive an entry of the archive bucket that is a symlink resolves to, if any."""
    real = os.path.realpath(os.path.join(root, bucket, name))
    parent, archive = os.path.split(real)
    if parent == os.path.join(root, bucket) and archive != name and os.path.isdir(real):
        return archive
    return None


def _venv_packages(path: str, top: Iterable[str]) -> list[tuple[str, str]]:
    site_dirs: list[str] = []
    for parts in uv.site_packages_parts(top):
        base = os.path.join(path, *parts)
        if parts[-1] == "site-packages":
            site_dirs.append(base)
            continue
        # `lib/python3.X/site-packages`: the X is whatever the venv's interpreter was.
        with contextlib.suppress(OSError):
            site_dirs.extend(
                os.path.join(base, version, "site-packages")
                for version in os.listdir(base)
                if version.startswith(("python", "pypy"))
            )
    packages: list[tuple[str, str]] = []
    for site in site_dirs:
        try:
            listing = os.listdir(site)
        except OSError:
            continue
        packages.extend(p for p in map(uv.parse_dist_info, listing) if p is not None)
    return packages


def _list_top(root: str) -> list[tuple[str, bool]]:
    with os.scandir(root) as it:
        return [(e.name, e.is_dir(follow_symlinks=False)) for e in it]


def _list_dir(path: str) -> list[tuple[str, bool, bool]]:
    # A directory that cannot be listed yields nothing to remove; the walk of a links-bearing
    # bucket notes it and keeps every archive.
    try:
        with os.scandir(path) as it:
            return [(e.name, e.is_dir(follow_symlinks=False), e.is_symlink()) for e in it]
    except OSError:
        return []


def resolve(
    root: Path,
    link_path: str,
    target: str,
    windows: bool,
    links: dict[str, bool] | None = None,
) -> str | None:
    """The cache-relative path a link leads to, or None when it leads out of the cache.

    Plain relative targets are resolved lexically (every directory a scan walks is a real
    directory, so `..` is exact) unless a name they add is itself a link; anything else is
    resolved by the operating system. `links` caches which added paths are links.
    """
    return resolve_via(root, link_path, target, windows, links)[0]


def resolve_via(
    root: Path,
    link_path: str,
    target: str,
    windows: bool,
    links: dict[str, bool] | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """`resolve`, and the other links in the cache that the way leads through."""
    if windows:
        return target, ()
    norm = target.replace("\\", "/")
    if not os.path.isabs(target) and not norm.startswith("/"):
        parts = list(root.parts) + link_path.split("/")[:-1]
        named = 0
        lexical = True
        for part in norm.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if named:
                    lexical = False
                    break
                if len(parts) > 1:
                    parts.pop()
            else:
                named += 1
                parts.append(part)
        if lexical:
            root_parts = root.parts
            if tuple(parts[: len(root_parts)]) == root_parts and not _through_link(
                parts, named, {} if links is None else links
            ):
                return "/".join(parts[len(root_parts) :]), ()
    path = root / link_path
    real, through = _real_path(str(path))
    via = (_relative(root, link) for link in through if link != str(path))
    return _relative(root, real), tuple(rel for rel in via if rel is not None)


def _relative(root: Path, path: str) -> str | None:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return None


def _real_path(path: str) -> tuple[str, list[str]]:
    """`os.path.realpath(path)`, and on POSIX the symlinks it goes through, in order."""
    if os.name == "nt":
        return os.path.realpath(path), []
    through: list[str] = []
    current = "/"
    rest = path.split("/")[::-1]
    while rest:
        part = rest.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            target = os.readlink(candidate)
        except OSError:  # not a link, or not there: taken as it is, as realpath does
            current = candidate
            continue
        if len(through) >= _MAX_HOPS:
            return os.path.realpath(path), through  # a loop: as the OS library has it
        through.append(candidate)
        if target.startswith("/"):
            current = "/"
        rest.extend(target.split("/")[::-1])
    return current, through


def _through_link(parts: list[str], named: int, links: dict[str, bool]) -> bool:
    """Whether one of the last `named` parts leads through a link (or cannot be checked)."""
    for end in range(len(parts) - named + 1, len(parts) + 1):
        path = os.path.join(*parts[:end])
        if path not in links:
            try:
                links[path] = stat.S_ISLNK(os.lstat(path).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                links[path] = False
                return False  # nothing below a missing name exists, links included
            except OSError:
                links[path] = True
        if links[path]:
            return True
    return False


def _finish_links(
    root: Path, raw: Iterable[_RawLink], archive_bucket: str, archives: dict[str, Archive]
) -> list[Link]:
    links = []
    # Whether a path is a link, known already for the archive bucket and its entries (the scan
    # listed them), so the common link costs no further system call.
    bucket_path = os.path.join(str(root), archive_bucket)
    seen: dict[str, bool] = {bucket_path: False}
    for entry in archives.values():
        if not entry.is_link:
            seen[os.path.join(bucket_path, entry.id)] = False
    for item in raw:
        archive: str | None = None
        via: tuple[str, ...] = ()
        if item.target == "":
            state = LinkState.UNREADABLE
        else:
            where, via = resolve_via(root, item.path, item.target, item.windows, seen)
            if where is None:
                state = LinkState.OUTSIDE
            else:
                head, _, tail = where.partition("/")
                if head == archive_bucket and tail and "/" not in tail:
                    archive = tail
                    state = LinkState.ARCHIVE if tail in archives else LinkState.MISSING
                elif head == archive_bucket and tail:
                    # Into an archive's inside: keep the whole archive alive.
                    archive = tail.split("/", 1)[0]
                    state = LinkState.ARCHIVE if archive in archives else LinkState.MISSING
                else:
                    state = LinkState.INSIDE
        links.append(
            Link(
                path=item.path,
                bucket=item.bucket,
                target=item.target,
                state=state,
                archive=archive,
                package=item.package,
                version=item.version,
                windows=item.windows,
                pointers=item.pointers,
                last_used=item.last_used,
                via=via,
            )
        )
    return links


async def scan(
    root: Path,
    options: ScanOptions | None = None,
    limiter: anyio.CapacityLimiter | None = None,
) -> Inventory:
    """Scan the cache at `root` (an absolute, resolved path) into an Inventory."""
    options = options or ScanOptions()
    # Scan tasks are few and mostly wait on the filesystem: many threads cost little locally and
    # hide latency on a slow filesystem.
    limiter = limiter or anyio.CapacityLimiter(32)
    root_str = str(root)

    async def run(fn: Callable[..., _T], *args: object) -> _T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)

    top_listing = await run(_list_top, root_str)
    buckets = uv.current_buckets(name for name, _ in top_listing)
    current = {name: kind for kind, name in buckets.items()}
    top = tuple(
        TopEntry(
            name,
            is_dir,
            marker=name in uv.MARKERS,
            current=name in current,
            kind=current.get(name),
        )
        for name, is_dir in sorted(top_listing)
    )
    dirs = {entry.name for entry in top if entry.is_dir}
    found: list[_Found] = []
    archive_list: list[Archive] = []
    environments: list[Environment] = []
    trash: list[str] = []
    wheel_dirs: list[str] = []
    builds: list[str] = []

    async def walk(bucket: str, kind: uv.Kind | None) -> None:
        if kind is uv.Kind.WHEELS and bucket == buckets[uv.Kind.WHEELS]:
            children = await run(_list_dir, os.path.join(root_str, bucket))
            wheel_dirs.extend(f"{bucket}/{name}" for name, is_dir, _ in children if is_dir)
        await walk_dir(bucket, bucket, kind, 0)

    async def walk_dir(start: str, bucket: str, kind: uv.Kind | None, depth: int) -> None:
        # The top levels (bucket, shard, index, package) fan out into tasks of their own; below
        # that, one thread walks a whole subtree.
        recurse = depth >= _SPLIT_DEPTH
        part = await run(_walk_bucket_tree, root_str, start, bucket, kind, options, recurse)
        found.append(part)
        if part.subdirs:
            async with anyio.create_task_group() as group:
                for sub in part.subdirs:
                    group.start_soon(walk_dir, sub, bucket, kind, depth + 1)

    async def shards(bucket: str, kind: uv.Kind, is_current: bool) -> None:
        found.append(await run(_entries_of_shards, root_str, bucket, kind, is_current))

    async def archives_task(bucket: str) -> None:
        names = [
            (name, not is_dir)
            for name, is_dir, _is_link in await run(_list_dir, os.path.join(root_str, bucket))
        ]
        async with anyio.create_task_group() as group:
            for start in range(0, len(names), _ARCHIVE_CHUNK):
                chunk = names[start : start + _ARCHIVE_CHUNK]
                group.start_soon(archive_chunk, bucket, chunk)

    async def archive_chunk(bucket: str, chunk: list[tuple[str, bool]]) -> None:
        archive_list.extend(await run(_scan_archive_chunk, root_str, bucket, chunk, options.sizes))

    async def environments_task(bucket: str) -> None:
        for name, _is_dir, _is_link in await run(_list_dir, os.path.join(root_str, bucket)):
            environments.append(Environment(f"{bucket}/{name}"))

    async def builds_task(bucket: str) -> None:
        listing = await run(_list_dir, os.path.join(root_str, bucket))
        builds.extend(f"{bucket}/{name}" for name, _d, _l in listing)

    async def trash_task() -> None:
        listing = await run(_list_dir, os.path.join(root_str, uv.TRASH_DIR))
        trash.extend(f"{uv.TRASH_DIR}/{name}" for name, _d, _l in listing)

    link_kinds = (uv.Kind.WHEELS, uv.Kind.SDISTS, uv.Kind.ENVIRONMENTS)
    async with anyio.create_task_group() as group:
        for kind in link_kinds:
            if buckets[kind] in dirs:
                group.start_soon(walk, buckets[kind], kind)
        for kind in (uv.Kind.WHEELS, uv.Kind.SDISTS, uv.Kind.SIMPLE):
            if buckets[kind] in dirs:
                group.start_soon(shards, buckets[kind], kind, True)
        for entry in top:
            if not entry.is_dir or entry.current or entry.marker or entry.name == uv.TRASH_DIR:
                continue
            if not options.stale:
                continue
            stale = uv.parse_bucket(entry.name)
            stale_kind = _kind_of(stale.kind) if stale else None
            group.start_soon(walk, entry.name, stale_kind)
            if stale_kind in (uv.Kind.WHEELS, uv.Kind.SDISTS, uv.Kind.SIMPLE):
                assert stale_kind is not None
                group.start_soon(shards, entry.name, stale_kind, False)
        if buckets[uv.Kind.ARCHIVE] in dirs:
            group.start_soon(archives_task, buckets[uv.Kind.ARCHIVE])
        if buckets[uv.Kind.ENVIRONMENTS] in dirs:
            group.start_soon(environments_task, buckets[uv.Kind.ENVIRONMENTS])
        if buckets[uv.Kind.BUILDS] in dirs:
            group.start_soon(builds_task, buckets[uv.Kind.BUILDS])
        if uv.TRASH_DIR in dirs:
            group.start_soon(trash_task)

    archives = {archive.id: archive for archive in archive_list}
    raw_links = [link for part in found for link in part.links]
    links = await run(_finish_links, root, raw_links, buckets[uv.Kind.ARCHIVE], archives)
    env_bucket = buckets[uv.Kind.ENVIRONMENTS] + "/"
    by_env: dict[str, list[str]] = {}
    for link in links:
        if link.path.startswith(env_bucket) and link.archive is not None:
            env = "/".join(link.path.split("/")[:2])
            by_env.setdefault(env, []).append(link.archive)
    envs = tuple(
        Environment(env.path, tuple(sorted(set(by_env.get(env.path, ())))))
        for env in sorted(environments, key=lambda e: e.path)
    )
    return Inventory(
        root=root,
        buckets=buckets,
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
        notes=tuple(sorted(n for part in found for n in part.notes)),
        trash=tuple(sorted(trash)),
    )


def _kind_of(name: str) -> uv.Kind | None:
    try:
        return uv.Kind(name)
    except ValueError:
        return None


async def measure_paths(
    root: Path, paths: Iterable[str], limiter: anyio.CapacityLimiter | None = None
) -> dict[str, Usage]:
    """Measure several trees concurrently (for dry runs and reports)."""
    limiter = limiter or anyio.CapacityLimiter(8)
    result: dict[str, Usage] = {}

    async def one(rel: str) -> None:
        result[rel] = await anyio.to_thread.run_sync(measure, str(root / rel), limiter=limiter)

    async with anyio.create_task_group() as group:
        for rel in paths:
            group.start_soon(one, rel)
    return result
