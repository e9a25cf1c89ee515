"""`janitor report hf`: the hub cache at a glance, per repository and revision.

Sizes are given twice: the client's `size_on_disk` (the sizes of the blobs, each blob once), and
the blocks on disk as `du -s --block-size=1` counts them. `build` scans and measures; the rest is
pure. May import janitor.hf, janitor.plan, janitor.measure and janitor.units.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from janitor.hf import plan as hub_plan
from janitor.hf import scan
from janitor.hf.inventory import HubInventory, Repo, Revision
from janitor.measure import disk_usage, measure_plan
from janitor.plan import Plan
from janitor.units import format_size


@dataclass(frozen=True)
class RevisionRow:
    """One revision: its commit, refs, size and last use."""

    commit: str
    refs: tuple[str, ...]
    size: int  # the client's size_on_disk: its blobs' sizes, each once
    last_used: float


@dataclass(frozen=True)
class RepoRow:
    """One repository: its size as the client counts it, its blocks on disk, its revisions."""

    label: str
    repo_type: str
    size: int
    disk: int
    last_used: float
    revisions: tuple[RevisionRow, ...]


@dataclass(frozen=True)
class HubReport:
    """What `janitor report hf` shows."""

    root: Path
    size: int  # the cache's blocks on disk, as du counts them
    repos: tuple[RepoRow, ...]
    prune: Plan  # what a plain sweep removes, measured


def rows(inventory: HubInventory, per_top: dict[str, int]) -> tuple[RepoRow, ...]:
    """A row per repository, largest first, its revisions most recently used first."""
    sizes = {
        path: archive.usage.bytes
        for path, archive in inventory.archives.items()
        if archive.usage is not None
    }

    def revision_row(revision: Revision) -> RevisionRow:
        size = sum(sizes.get(path, 0) for path in revision.blobs)
        return RevisionRow(revision.commit, revision.refs, size, revision.last_used)

    def repo_row(repo: Repo) -> RepoRow:
        blobs = {path for revision in repo.revisions for path in revision.blobs}
        revisions = sorted(map(revision_row, repo.revisions), key=lambda r: -r.last_used)
        return RepoRow(
            repo.name.label,
            repo.name.repo_type,
            sum(sizes.get(path, 0) for path in blobs),
            per_top.get(repo.folder, 0),
            max((r.last_used for r in revisions), default=0.0),
            tuple(revisions),
        )

    return tuple(sorted(map(repo_row, inventory.repos), key=lambda row: -row.size))


async def build(root: Path) -> HubReport:
    """Scan and measure the hub cache at `root`."""
    inventory = await scan.scan(root)
    size, _files, per_top = await disk_usage(root)
    prune = await measure_plan(root, hub_plan.prune(inventory))
    return HubReport(root, size, rows(inventory, per_top), prune)


def _ago(when: float, now: float) -> str:
    if not when:
        return "unknown"
    days = int((now - when) // 86400)
    return "today" if days < 1 else f"{days} day{'s' if days != 1 else ''} ago"


def lines(report: HubReport, now: float | None = None) -> list[str]:
    """The report as text."""
    now = time.time() if now is None else now
    total = report.prune.total
    out = [
        f"Hugging Face cache: {report.root}",
        f"Size: {format_size(report.size)} ({report.size:,} bytes on disk)",
        f"A plain sweep would free {format_size(total.disk)} on disk "
        f"({len(report.prune.items)} items)",
    ]
    if report.repos:
        out += ["", f"{'repository':<40} {'size':>10} {'on disk':>10}  last used"]
    for repo in report.repos:
        out.append(
            f"{repo.label:<40} {format_size(repo.size):>10} {format_size(repo.disk):>10}  "
            f"{_ago(repo.last_used, now)}"
        )
        for revision in repo.revisions:
            refs = ", ".join(revision.refs) if revision.refs else "detached"
            out.append(
                f"  {revision.commit[:12]}  {format_size(revision.size):>10}  "
                f"{_ago(revision.last_used, now)}  {refs}"
            )
    return out


def document(report: HubReport) -> dict[str, Any]:
    """The report as data (`--json`)."""
    return {
        "cache_dir": str(report.root),
        "size_bytes": report.size,
        "prune_frees_bytes": report.prune.total.disk,
        "repos": [
            {
                "repo": repo.label,
                "repo_type": repo.repo_type,
                "size_on_disk": repo.size,
                "disk_bytes": repo.disk,
                "last_used": repo.last_used,
                "revisions": [
                    {
                        "commit": r.commit,
                        "refs": list(r.refs),
                        "size_on_disk": r.size,
                        "last_used": r.last_used,
                    }
                    for r in repo.revisions
                ],
            }
            for repo in report.repos
        ],
    }
