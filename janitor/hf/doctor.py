"""`janitor doctor hf`: the hub cache janitor would clean, how it was found, and what needs
attention (downloads left halfway, refs to missing commits, leftovers of an interrupted sweep, a
mount without access times). Reads only; the command prints.
May import janitor.hf, janitor.uv.doctor and janitor.errors.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from janitor.errors import Refused
from janitor.hf import scan
from janitor.hf.locate import locate, validate
from janitor.uv.doctor import access_times


@dataclass
class HubDiagnosis:
    """What `janitor doctor hf` found."""

    cache: Path
    found_by: str
    exists: bool = False
    client: str = "not installed here"  # the huggingface_hub janitor's Python has
    repos: int = 0
    revisions: int = 0
    detached: int = 0
    downloading: list[str] = field(default_factory=list)  # repositories with a held lock
    incomplete: list[str] = field(default_factory=list)  # downloads left halfway
    atime: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def diagnose(cache_dir: Path | None) -> HubDiagnosis:
    """Look at the hub cache without changing it."""
    path, source = locate(cache_dir)
    found = HubDiagnosis(path, source)
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        found.client = importlib.metadata.version("huggingface_hub")
    if not path.exists():
        return found
    found.exists = True
    try:
        root = validate(path, source)
    except Refused as refused:
        found.problems.append(str(refused))
        return found
    inventory = anyio.run(scan.scan, root)
    found.repos = len(inventory.repos)
    for repo in inventory.repos:
        found.revisions += len(repo.revisions)
        found.detached += sum(1 for revision in repo.revisions if revision.detached)
        if repo.busy:
            found.downloading.append(repo.name.label)
        found.incomplete.extend(part.path for part in repo.incomplete)
        named = {revision.commit for revision in repo.revisions}
        missing = sorted({commit for _ref, commit in repo.refs if commit not in named})
        if missing:
            found.problems.append(
                f"{repo.name.label}: refs name commits the cache does not hold "
                f"({', '.join(missing)}): the client's scan reports the repository as corrupted"
            )
    found.notes.extend(inventory.notes)
    if inventory.trash:
        found.problems.append(
            f"{len(inventory.trash)} trees an interrupted or failed sweep left: "
            "the next sweep removes them"
        )
    found.atime, kept = access_times(root)
    if not kept:
        found.problems.append(f"access times {found.atime}")
    return found


def lines(found: HubDiagnosis) -> list[str]:
    """The diagnosis as text."""
    out = [
        f"Hugging Face cache: {found.cache} (found by {found.found_by})",
        f"huggingface_hub here: {found.client}",
    ]
    if not found.exists:
        out.append("  it does not exist yet")
    else:
        out.append(
            f"repositories: {found.repos}, revisions: {found.revisions} "
            f"({found.detached} detached: a plain sweep removes them)"
        )
        running = ", ".join(found.downloading) or "none"
        out.append(f"downloads running now: {running}")
        out.append(f"downloads left halfway: {len(found.incomplete)}")
        out.append(f"access times: {found.atime}")
    out.extend(f"note: {note}" for note in found.notes)
    out.extend(f"problem: {problem}" for problem in found.problems)
    out.append(f"{len(found.problems)} problem(s)" if found.problems else "no problems found")
    return out
