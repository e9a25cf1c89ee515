"""What every cache kind's scan finds, as plain immutable data shared by graph, plan and render:
links, the trees they reference (uv's archives, the hub's blobs), and what a tree takes (`Usage`).

Each kind adds its own records (`janitor.uv.inventory`, `janitor.hf.inventory`). Paths are
relative to the cache root, with `/` separators. Standard library only.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass


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


def describe_packages(packages: Sequence[tuple[str, str]], roots: Collection[str] = ()) -> str:
    """A venv's packages in one line: what was asked for (three at most), and how many came
    with it (`hatch 1.18.2 and 47 more`); without roots, the first by name."""
    if not packages:
        return "no packages"
    shown = sorted(pair for pair in packages if pair[0] in roots)[:3] or [min(packages)]
    rest = len(packages) - len(shown)
    listed = ", ".join(f"{name} {version}" for name, version in shown)
    return f"{listed} and {rest:,} more" if rest else listed
