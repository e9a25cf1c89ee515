"""`janitor doctor`'s findings: the uvs found, the cache and how it was found, each uv's view of
its buckets, whether access times are kept, the lock, and what an interrupted run left.

Read-only: it lists, scans, stats and tries the lock without waiting, and changes nothing. Each
finding that needs the user's attention is a problem; the CLI exits 1 when there is one. May
import janitor.uv, janitor.measure, janitor.plan, janitor.inventory and janitor.errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio

from janitor.errors import Refused
from janitor.measure import measure_plan
from janitor.plan import Plan
from janitor.uv import finduv, follow, locate, lock, plan
from janitor.uv.inventory import Inventory
from janitor.uv.names import LOCK_FILE, TRASH_DIR
from janitor.uv.scan import scan
from janitor.uv.walk import ScanOptions


@dataclass(frozen=True)
class UvView:
    """One uv found and what it makes of the cache's buckets."""

    uv: finduv.Uv
    source: str  # where its bucket names came from: "table", "binary" or "assumed"
    cache_dir: Path | None  # what `uv cache dir` says
    current: tuple[str, ...]  # its buckets that are on the disk
    stale: tuple[str, ...]  # top-level names its own prune would remove
    # Everything its own prune would remove, measured; None when the cache was not scanned.
    prune: Plan | None = None


@dataclass(frozen=True)
class Diagnosis:
    """Everything `janitor doctor` reports."""

    uvs: tuple[UvView, ...]
    cache: Path
    found_by: str
    exists: bool
    statuses: tuple[tuple[str, str], ...] = ()  # (top-level name, status for janitor)
    atime: str = "unknown"
    lock: str = "unknown"
    trash: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)


def access_times(path: Path) -> tuple[str, bool]:
    """How the filesystem holding `path` keeps access times, and whether `--older-than` can
    rely on them."""
    try:
        flags = os.statvfs(path).f_flag
    except (OSError, AttributeError):
        return "unknown (the platform does not say)", True
    noatime = getattr(os, "ST_NOATIME", 0)
    relatime = getattr(os, "ST_RELATIME", 0)
    if sys.platform.startswith("linux"):
        if flags & noatime:
            return (
                "not kept (noatime): --older-than counts a version as used when uv wrote it",
                False,
            )
        if flags & relatime:
            return "kept (relatime: refreshed at most once a day)", True
        return "kept (strictatime)", True
    return "unknown (the platform does not say)", True


def lock_state(root: Path) -> tuple[str, bool]:
    """Whether uv's lock is free, held by a running uv, or unsupported here."""
    lock_path = root / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return "no lock file yet (no uv has run since the cache was emptied)", True
    except OSError as err:
        return f"cannot open {lock_path}: {err.strerror}", False
    try:
        try:
            taken = lock.try_lock(fd)
        except lock.LockUnsupported:
            return (
                "this filesystem cannot lock: uv runs unlocked here; janitor needs --force",
                False,
            )
        except OSError as err:
            return f"cannot lock {lock_path}: {err.strerror}", False
        if not taken:
            return "held: a uv process is running (a sweep waits for it)", True
        lock.unlock(fd)
        return "free", True
    finally:
        os.close(fd)


def diagnose(cache_dir: Path | None, uv_paths: Sequence[Path] = ()) -> Diagnosis:
    """Look, without changing anything."""
    problems: list[str] = []
    uvs = finduv.find(uv_paths)
    releases, notes = follow.follow((uv.version, uv.path) for uv in uvs)
    if not uvs:
        problems.append("no uv found: name it with --uv (or `uv` in janitor's config)")
    location = locate.locate(cache_dir, uvs=uvs)
    answers = {uv.path: finduv.cache_dir(uv) for uv in uvs}
    differing = {str(path) for path in answers.values() if path is not None}
    if len(differing) > 1:
        problems.append("the uvs found use different caches: " + ", ".join(sorted(differing)))
    exists = location.path.is_dir()
    root, names = _cache(location, problems) if exists else (location.path, [])
    views = _views(uvs, releases, answers, root, names)
    layout = follow.plan_layout(releases, names)
    unknown = [name for name, status in layout.statuses.items() if status is follow.Status.UNKNOWN]
    if unknown:
        notes.append(
            "kept as unknown (a newer uv or a preview layout): " + ", ".join(sorted(unknown))
        )
    atime, reliable = access_times(root if exists else location.path.parent)
    if not reliable:
        problems.append(f"access times are {atime}")
    lock_text, lock_ok = lock_state(root) if exists else ("no cache", True)
    if not lock_ok:
        problems.append(f"lock: {lock_text}")
    trash = _trash(root, problems) if exists and TRASH_DIR in names else []
    return Diagnosis(
        uvs=tuple(views),
        cache=location.path,
        found_by=location.source.value,
        exists=exists,
        statuses=tuple((name, layout.status(name).value) for name in names),
        atime=atime,
        lock=lock_text,
        trash=tuple(trash),
        notes=tuple(notes),
        problems=tuple(problems),
    )


def _cache(location: locate.Location, problems: list[str]) -> tuple[Path, list[str]]:
    """The root of an existing cache directory and its top-level names (none when it is not a
    cache janitor may clean, which is a problem)."""
    try:
        root = locate.validate(location)
    except Refused as refused:
        problems.append(str(refused))
        return location.path, []
    return root, sorted(os.listdir(root))


def _views(
    uvs: Sequence[finduv.Uv],
    releases: Sequence[follow.Release],
    answers: Mapping[Path, Path | None],
    root: Path,
    names: Sequence[str],
) -> list[UvView]:
    """What each uv found makes of the cache's buckets, with its own prune measured."""
    # Two binaries of one release (a copy on PATH beside the venv's own) share its Release.
    by_version = {release.version: release for release in releases}
    prunes = anyio.run(_prunes, root, releases) if names else {}
    views = []
    for uv in uvs:
        release = by_version[uv.version]
        mine = [name for name in names if name in release.buckets]
        its_prune = prunes.get(release.version)
        stale = [item.path for item in its_prune.items if "/" not in item.path] if its_prune else []
        views.append(
            UvView(uv, release.source, answers[uv.path], tuple(mine), tuple(stale), its_prune)
        )
    return views


def _trash(root: Path, problems: list[str]) -> list[str]:
    """What an interrupted or failed sweep left in janitor's trash (a problem when anything)."""
    trash: list[str] = []
    try:
        trash = sorted(os.listdir(root / TRASH_DIR))
    except OSError as err:
        problems.append(f"cannot read {root / TRASH_DIR}: {err.strerror}")
    if trash:
        problems.append(
            f"{len(trash)} trees an interrupted or failed sweep left in {TRASH_DIR}: "
            "the next sweep removes them"
        )
    return trash


async def _prunes(root: Path, releases: Sequence[follow.Release]) -> dict[follow.Version, Plan]:
    """What each release's own `uv cache prune` would remove, measured as a sweep measures it."""
    found = {}
    for release in releases:
        inventory = await scan(root, ScanOptions(stale=False), releases=[release])
        inventory = _as_uv_prunes(inventory)
        pruned = plan.prune(inventory)
        found[release.version] = await measure_plan(root, pruned, inventory.files_shards)
    return found


def _as_uv_prunes(inventory: Inventory) -> Inventory:
    """A release's own prune removes every bucket it does not know (a sweep keeps them)."""
    top = tuple(
        replace(entry, status=follow.Status.STALE)
        if entry.status is follow.Status.UNKNOWN
        else entry
        for entry in inventory.top
    )
    return replace(inventory, top=top)
