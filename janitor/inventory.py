"""What a scan found in a cache, as plain immutable data shared by graph, plan and render.

Paths are relative to the cache root, with `/` separators. Imports only janitor.layout.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from janitor.layout.follow import Layout, Status
from janitor.layout.uv import Kind


class LinkState(str, enum.Enum):
    """Where a link leads."""

    ARCHIVE = "archive"  # an existing archive in the current archive bucket
    MISSING = "missing"  # into the archive bucket, but no such archive
    INSIDE = "inside"  # somewhere else inside the cache
    OUTSIDE = "outside"  # out of the cache: never followed, never deleted through
    UNREADABLE = "unreadable"  # could not be read: whatever it may reference is kept


def allocated(st: os.stat_result) -> int:
    """Bytes a file occupies on disk (its size where the platform has no block count)."""
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size


def entries(path: str) -> list[os.DirEntry[str]]:
    """A directory's entries; none when it cannot be listed (a scan then removes nothing in
    it, and says so where it matters)."""
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


@dataclass(frozen=True)
class Usage:
    """Files, directories and bytes of a tree; adds up."""

    files: int = 0
    dirs: int = 0
    bytes: int = 0  # logical: the sum of file sizes
    disk: int = 0  # allocated blocks, each hard-linked inode counted once

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.files + other.files,
            self.dirs + other.dirs,
            self.bytes + other.bytes,
            self.disk + other.disk,
        )


@dataclass(frozen=True)
class Link:
    """A reference to an archive: a symlink, or a Windows link file."""

    path: str
    bucket: str  # top-level directory it lives in
    target: str  # the raw link text
    state: LinkState
    archive: str | None = None  # archive id when it leads into the archive bucket
    package: str | None = None
    version: str | None = None
    windows: bool = False
    pointers: tuple[str, ...] = ()  # `<name>.rev`, `.http`, `.lock`, ... beside it
    last_used: float = 0.0  # newest atime/mtime of the link and its pointers
    disk: int = 0  # blocks of the link and its pointer files (measured only with sizes)
    via: tuple[str, ...] = ()  # other links in the cache its way leads through


@dataclass(frozen=True)
class Archive:
    """One directory of the archive bucket: an unzipped wheel or a virtual environment."""

    id: str
    path: str
    packages: tuple[tuple[str, str], ...] = ()  # (name, version) of the dist-infos in it
    venv: bool = False
    is_link: bool = False  # not a directory: a symlink (never followed) or a stray file
    usage: Usage | None = None
    alias_of: str | None = None  # for a symlink: the archive of this bucket it resolves to
    # For a venv: its packages that no other package in it requires (what was asked for).
    roots: tuple[str, ...] = ()


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


def describe_packages(packages: Sequence[tuple[str, str]], roots: Collection[str] = ()) -> str:
    """A venv's packages in one line: what was asked for (three at most), and how many came
    with it (`hatch 1.18.2 and 47 more`); without roots, the first by name."""
    if not packages:
        return "no packages"
    shown = sorted(pair for pair in packages if pair[0] in roots)[:3] or [min(packages)]
    rest = len(packages) - len(shown)
    listed = ", ".join(f"{name} {version}" for name, version in shown)
    return f"{listed} and {rest:,} more" if rest else listed
