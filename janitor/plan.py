"""A plan: the ordered removals, each with its reason, as pure data shared by every cache kind.

Phase 0 removes everything that holds links (entries, revisions, buckets, environments, refs and
snapshots); phase 1 removes the trees those links reached (archives, blobs), each only after the
items it `requires` are gone; phase 2 sweeps a content store in place. Each kind plans its own
prune and named removals (`janitor.uv.plan`, `janitor.hf.plan`) out of these items; `finish`
orders them. Pure; no I/O. May import janitor.inventory and janitor.graph.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from janitor.graph import covering
from janitor.inventory import Usage


class Reason(str, enum.Enum):
    """Why an item is removed."""

    LEFTOVER = "left by an interrupted run"
    SUPERSEDED = "superseded source revision"
    STALE_BUCKET = "bucket no uv found uses"
    TEMPORARY = "temporary directory"
    UNKNOWN = "not part of uv's cache layout"
    ENVIRONMENT = "cached environment"
    BUILD_ENVIRONMENT = "temporary build environment"
    UNZIPPED = "unzipped wheel (--ci)"
    PACKAGE = "entry of a requested package"
    FLAT_INDEX = "flat index (may list any package)"
    PACKAGE_ENVIRONMENT = "cached environment containing a requested package"
    OLDER_THAN = "not used within --older-than"
    SURPLUS_VERSION = "beyond --keep-versions"
    OVER_SIZE = "least recently used, over --max-size"
    LOW_SPACE = "least recently used, under --min-free"
    UNREFERENCED = "archive nothing links to"
    ORPHANED = "archive whose last link is removed"
    UNLINKED_OBJECTS = "content-addressed files no archive links to"
    # The Hugging Face hub cache (janitor.hf).
    DETACHED = "revision no ref names"
    REQUESTED_REPO = "requested repository"
    REQUESTED_REVISION = "requested revision"
    LAST_REVISION = "repository whose last revision is removed"
    OF_REMOVED_REVISION = "ref or listing of a removed revision"
    UNLINKED_BLOB = "blob no snapshot links to"
    ORPHANED_BLOB = "blob whose last snapshot link is removed"
    INCOMPLETE_DOWNLOAD = "download left halfway"


class ItemKind(str, enum.Enum):
    """What an item is, for summaries."""

    LEFTOVER = "leftover"
    BUCKET = "bucket"
    STRAY = "stray"  # an unknown or temporary top-level entry
    ENTRY = "entry"
    REVISION = "revision"
    ENVIRONMENT = "environment"
    ARCHIVE = "archive"
    # A shard of the content-addressed store: only its files that no archive, venv or other link
    # holds any more are removed, in place, once the archives are gone (as uv does).
    OBJECTS = "objects"
    # The Hugging Face hub cache: a repository folder, a blob, a download left halfway.
    REPO = "repo"
    BLOB = "blob"
    DOWNLOAD = "download"


@dataclass(frozen=True)
class Item:
    """One path to remove, relative to the cache root."""

    path: str
    kind: ItemKind
    reason: Reason
    package: str | None = None
    version: str | None = None
    detail: str | None = None  # e.g. the packages of an environment
    requires: tuple[str, ...] = ()  # paths that must be gone first
    usage: Usage | None = None

    @property
    def phase(self) -> int:
        """0 for what holds links, 1 for archives, 2 for content-addressed files."""
        if self.kind in (ItemKind.ARCHIVE, ItemKind.BLOB):
            return 1
        return 2 if self.kind is ItemKind.OBJECTS else 0

    @property
    def label(self) -> str:
        """Package and version when known, else the path."""
        if self.package and self.version:
            return f"{self.package} {self.version}"
        return self.package or self.path


@dataclass(frozen=True)
class Plan:
    """What a sweep removes, ordered: links before what they reference."""

    items: tuple[Item, ...]
    notes: tuple[str, ...] = ()  # what was kept and why (said with -v)
    selectors: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()  # what the user should know or act on (said unless -q)
    missing: tuple[str, ...] = ()  # requested packages of which the cache holds nothing

    @property
    def trees(self) -> list[str]:
        """The paths of the items removed as whole trees (all but content-store shards)."""
        return [item.path for item in self.items if item.kind is not ItemKind.OBJECTS]

    @property
    def total(self) -> Usage:
        """The sum of the measured items."""
        total = Usage()
        for item in self.items:
            if item.usage is not None:
                total += item.usage
        return total

    def with_usage(self, usage: Mapping[str, Usage]) -> Plan:
        """The same plan with measured sizes attached."""
        return replace(
            self, items=tuple(replace(i, usage=usage.get(i.path, i.usage)) for i in self.items)
        )

    def measured(self, usage: Mapping[str, Usage]) -> Plan:
        """Every item measured: shards of the content store that would free nothing dropped."""
        items = []
        for item in self.items:
            found = usage.get(item.path, Usage())
            if item.kind is not ItemKind.OBJECTS or found.files:
                items.append(replace(item, usage=found))
        return replace(self, items=tuple(items))


def finish(
    items: list[Item],
    notes: Iterable[str],
    selectors: Iterable[str],
    warnings: Iterable[str] = (),
) -> Plan:
    """Drop items inside other items and order them: links first, then archives."""
    paths = {item.path for item in items}
    unique: dict[str, Item] = {}
    for item in items:
        parent = item.path.rpartition("/")[0]
        if parent and covering(parent, paths) is not None:
            continue
        unique.setdefault(item.path, item)
    kept = set(unique)
    # An archive waits for the item that actually removes its links, nested ones included.
    ordered = sorted(
        (
            replace(
                item,
                requires=tuple(sorted({covering(path, kept) or path for path in item.requires})),
            )
            for item in unique.values()
        ),
        key=lambda item: (item.phase, item.path),
    )
    return Plan(tuple(ordered), tuple(notes), tuple(selectors), tuple(warnings))
