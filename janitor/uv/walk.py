"""Walking a uv cache's directories in worker threads: links, per-package entries and revisions.

Each function here is blocking and walks one subtree in one call, so the scan makes one thread hop
per subtree rather than per file. Links are read, never followed. No file contents are read except
pointer files and link-file candidates, opened with O_NOATIME where possible so that use times do
not move. May import janitor.inventory and janitor.uv.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

from janitor.inventory import allocated, entries
from janitor.uv import layout as uv
from janitor.uv.inventory import Entry, Revision

_O_NOATIME = getattr(os, "O_NOATIME", 0)


@dataclass(frozen=True)
class ScanOptions:
    """What to measure beyond the reference graph."""

    sizes: bool = False  # walk archives and removable trees for files and bytes
    times: bool = False  # last-use times of links (for age and size policies)
    # Look for links in stale buckets and unknown top-level directories. A prune removes those
    # first, so what they link to does not count there (as in uv); a package sweep keeps it.
    stale: bool = True


@dataclass
class RawLink:
    """A link as found, before resolution."""

    path: str
    bucket: str
    target: str
    windows: bool
    package: str | None
    version: str | None
    pointers: tuple[str, ...]
    last_used: float
    disk: int = 0  # blocks of the link and its pointer files (with sizes)


@dataclass
class Found:
    """What one walk found."""

    links: list[RawLink] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
    built: list[tuple[str, tuple[tuple[str, bool], ...]]] = field(default_factory=list)
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


def _blocks(entry: os.DirEntry[str]) -> int:
    try:
        return allocated(entry.stat(follow_symlinks=False))
    except OSError:
        return 0


def _times(entry: os.DirEntry[str], access: bool = True) -> float:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return 0.0
    return max(st.st_atime, st.st_mtime) if access else st.st_mtime


def walk_bucket_tree(
    root: str,
    start: str,
    bucket: str,
    kind: uv.Kind | None,
    options: ScanOptions,
    seconds: float = math.inf,
    uv_skips: bool = False,
) -> Found:
    """Walk one subtree of a links-bearing bucket (wheels, sdists, environments, stale).

    After `seconds` it stops and leaves the directories it has not listed in `subdirs`, for
    other walks: one call walks a whole bucket on a local disk, while on a slow filesystem the
    walk fans out. With `uv_skips`, what uv's own walk for links passes over (pointer files,
    locks, unpacked sources, and what is below such names) holds no link here either.
    """
    found = Found()
    stack = [start]
    in_sdists = kind is uv.Kind.SDISTS
    deadline = time.monotonic() + seconds
    while stack:
        rel = stack.pop()
        listed = _list_children(root, rel, bucket, found)
        if listed is None:
            continue
        files, dirs, symlinks = listed
        # Links in the wheels bucket (and in buckets janitor does not know) are named after the
        # wheel without its package name, which is their directory's.
        parent = rel.rsplit("/", 1)[-1] if kind is uv.Kind.WHEELS or kind is None else None
        for entry, target, windows in _candidates(rel, files, symlinks, uv_skips, found):
            found.links.append(
                _raw_link(rel, bucket, parent, entry, target, windows, files, options)
            )
        if in_sdists:
            _sdist_directory(root, rel, files, dirs, [link.name for link in symlinks], found)
        stack.extend(
            f"{rel}/{name}"
            for name in dirs
            if not (in_sdists and name == uv.SOURCE_DIR)
            and not (uv_skips and uv.skipped_by_reference_walk(name))
        )
        if stack and time.monotonic() > deadline:
            found.subdirs = stack
            break
    return found


def _list_children(
    root: str, rel: str, bucket: str, found: Found
) -> tuple[dict[str, os.DirEntry[str]], list[str], list[os.DirEntry[str]]] | None:
    """(files by name, subdirectory names, symlinks) of one directory; None when it is gone or
    cannot be listed (then noted, with a link of unknown target that keeps every archive)."""
    try:
        with os.scandir(os.path.join(root, rel)) as it:
            children = list(it)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        found.notes.append(f"kept {rel}: cannot list it ({err.strerror})")
        # Whatever links it holds are unknown: like an unreadable link, it keeps every archive.
        found.links.append(RawLink(rel, bucket, "", False, None, None, (), 0.0))
        return None
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
    return files, dirs, symlinks


def _candidates(
    rel: str,
    files: dict[str, os.DirEntry[str]],
    symlinks: list[os.DirEntry[str]],
    uv_skips: bool,
    found: Found,
) -> list[tuple[os.DirEntry[str], str, bool]]:
    """(entry, target, is a Windows link file) of the links of one directory: its symlinks, and
    the small files whose content is a link into the archive bucket."""
    candidates: list[tuple[os.DirEntry[str], str, bool]] = []
    for link in symlinks:
        if uv_skips and uv.skipped_by_reference_walk(link.name):
            continue
        try:
            target = os.readlink(link.path)
        except OSError as err:
            found.notes.append(f"kept what {rel}/{link.name} may reference: {err.strerror}")
            target = ""
        candidates.append((link, target, False))
    for name, entry in files.items():
        if uv.is_pointer_name(name) or (uv_skips and uv.skipped_by_reference_walk(name)):
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
    return candidates


def _raw_link(
    rel: str,
    bucket: str,
    parent: str | None,
    entry: os.DirEntry[str],
    target: str,
    windows: bool,
    files: dict[str, os.DirEntry[str]],
    options: ScanOptions,
) -> RawLink:
    """One link of a directory, with its pointer files, its package and what options ask."""
    pointers = tuple(
        f"{rel}/{name}"
        for name in files
        if name.startswith(entry.name + ".") and uv.is_pointer_name(name)
    )
    last_used = 0.0
    disk = 0
    if options.sizes:
        disk = sum(
            _blocks(item) for item in [entry, *(files[p.rsplit("/", 1)[-1]] for p in pointers)]
        )
    if options.times:
        # A link's own access time is refreshed by reading it (`_candidates` does), so it
        # counts by its modification time; pointer files by both (uv reads them).
        last_used = max(
            [_times(entry, access=False)] + [_times(files[p.rsplit("/", 1)[-1]]) for p in pointers]
        )
    parsed_name = uv.parse_wheel_entry(entry.name, parent) or uv.parse_wheel_entry(entry.name)
    return RawLink(
        path=f"{rel}/{entry.name}",
        bucket=bucket,
        target=target,
        windows=windows,
        package=parsed_name[0] if parsed_name else None,
        version=parsed_name[1] if parsed_name else None,
        pointers=pointers,
        last_used=last_used,
        disk=disk,
    )


def _sdist_directory(
    root: str,
    rel: str,
    files: dict[str, os.DirEntry[str]],
    dirs: list[str],
    links: list[str],
    found: Found,
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
            if name not in ids:
                found.revisions.append(Revision(f"{rel}/{name}", package, version, ids[0]))
    if uv.SDIST_METADATA in files:
        # What `--ci` may drop: everything but the metadata and the built wheels; each child
        # marked whether it is a plain file (releases before 0.6.0 keep those).
        unzipped = tuple(
            (name, name in files)
            for name in [*files, *dirs, *links]
            if name != uv.SDIST_METADATA and not name.lower().endswith(".whl")
        )
        found.built.append((rel, unzipped))


def entries_of_shards(root: str, bucket: str, kind: uv.Kind, current: bool) -> Found:
    """Per-package entries of a wheels, sdists or simple bucket, as `uv cache clean` finds them."""
    found = Found()
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


def list_top(root: str) -> list[tuple[str, bool]]:
    with os.scandir(root) as it:
        return [(e.name, e.is_dir(follow_symlinks=False)) for e in it]


def list_dir(path: str) -> list[tuple[str, bool, bool]]:
    """A directory's entries as (name, is a directory, is a link), links not followed; none
    when it cannot be listed (the walk of a links-bearing bucket notes it, keeps every archive)."""
    return [(e.name, e.is_dir(follow_symlinks=False), e.is_symlink()) for e in entries(path)]
