"""The max-size workload: `janitor sweep --max-size` (half the size on disk of each fresh copy)
on a clean synthetic cache of many versions (gencache.py --versions), janitor alone; the run must
evict least recently used versions first, whole, and end under the budget."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.commands import Commands
from bench.common import BenchError, mib
from bench.gen.layout import ARCHIVE, WHEELS
from bench.gen.versions_cache import VERSIONS_LAYOUT, apply_times
from bench.timing import Run
from bench.trees import (
    disk_usage,
    entry_path,
    expected_after_prune,
    listing,
    topmost,
)
from bench.workloads.base import Workload, copied, ensure_generated


def _used(version: dict[str, Any]) -> int:
    return int(version["used_ns"])


def _not_versions(entries: set[str], manifest: dict[str, Any]) -> set[str]:
    """The entries of the pristine cache that are no version's: they must survive."""
    version_paths = [
        p
        for v in manifest["entries"]
        for p in (
            v["link"],
            f"{v['link']}.rev",
            f"{v['link']}.lock",
            f"{ARCHIVE}/{v['archive']}",
        )
    ]
    # Package directories in the wheels bucket may go with their last version.
    return {
        line
        for line in expected_after_prune(entries, version_paths)
        if not (line.startswith(f"d {WHEELS}/") and line.count("/") >= 3)
    }


@dataclass
class MaxSizeWork(Workload):
    """`janitor sweep --max-size` (half the cache) on a clean cache of many small versions."""

    manifest: dict[str, Any]
    keep: set[str]  # what is not a version: it must survive
    # Measured on each fresh copy by `prepare` (janitor runs this workload alone, so a round has
    # one copy): directories take blocks on ext4 and none on tmpfs, so the figures are the copy's.
    size: int = 0  # the copy's size, counted as du, `uv cache size` and janitor count it
    budget: int = 0  # half of it
    disk: dict[str, int] = field(default_factory=dict)  # what evicting each version frees

    @classmethod
    def load(
        cls,
        workdir: Path,
        versions: int,
        packages: int | None,
        seed: int,
        jobs: int | None,
        several: bool,
        tools: Sequence[str],
    ) -> MaxSizeWork:
        npackages = max(1, min(versions, packages or versions // 10))

        def fits(data: dict[str, Any], cache: Path) -> bool:
            return (
                data.get("layout") == VERSIONS_LAYOUT
                and data.get("versions") == versions
                and data.get("packages") == npackages
                and data.get("seed") == seed
                and data.get("cache") == str(cache)
            )

        args = ["--versions", str(versions), "--packages", str(npackages), "--seed", str(seed)]
        name = f"versions-{versions}-p{npackages}-s{seed}"
        pristine, manifest_path = ensure_generated(workdir, name, args, fits, jobs)
        manifest = json.loads(manifest_path.read_text())
        entries = listing(pristine)
        keep = _not_versions(entries, manifest)
        text = (
            f"{manifest['versions']} versions of {manifest['packages']} packages, "
            f"{manifest['files']} files, {mib(manifest['disk_bytes'])} on disk; "
            "--max-size half of each copy's size"
        )
        return cls(
            id=f"max-size-{versions}" if several else "max-size",
            kind="max-size",
            **copied(pristine, entries, text, tools),
            manifest=manifest,
            keep=keep,
        )

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        if tool == "janitor":
            return cmds.sweep(cache, "--max-size", str(self.budget))
        raise BenchError(f"{tool} does not run the max-size workload")

    def prepare(self, cache: Path) -> None:
        apply_times(cache, self.manifest["entries"])
        self.size = disk_usage(cache)
        self.budget = self.size // 2
        # What evicting a version frees: its archive (directories included) and its pointer files.
        self.disk = {
            v["archive"]: disk_usage(cache / ARCHIVE / v["archive"])
            + sum(os.lstat(f"{cache / v['link']}{e}").st_blocks * 512 for e in (".rev", ".lock"))
            for v in self.manifest["entries"]
        }

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        links = {entry_path(line) for line in left if line.startswith("l ")}
        kept: list[dict[str, Any]] = []
        gone: list[dict[str, Any]] = []
        problems: list[str] = []
        for v in self.manifest["entries"]:
            parts = (
                v["link"] in links,
                f"f {v['link']}.rev" in left,
                f"d {ARCHIVE}/{v['archive']}" in left,
            )
            if all(parts):
                kept.append(v)
            elif not any(parts):
                gone.append(v)
            elif len(problems) < 10:
                problems.append(
                    f"half evicted: {v['package']} {v['version']} (link, .rev, archive: {parts})"
                )
        lost = topmost(self.keep - left)
        if lost:
            problems.append(f"{len(self.keep - left)} entries removed that are no version's:")
            problems.extend(f"- {x}" for x in lost[:10])
        after = disk_usage(cache) if cache.is_dir() else 0
        if after > self.budget:
            problems.append(f"{after:,} bytes on disk after the run, over the budget")
        older: list[dict[str, Any]] = []
        if kept and gone:
            newest_gone = max(v["used_ns"] for v in gone)
            older = sorted((v for v in kept if v["used_ns"] < newest_gone), key=_used)
            if older:
                names = ", ".join(f"{v['package']} {v['version']}" for v in older[:6])
                problems.append(
                    f"not least recently used first: {len(older)} versions kept that were used "
                    f"before the newest evicted one (oldest: {names})"
                )
        # The newest evicted versions that would still have fitted under the budget.
        spare, surplus = self.budget - after, 0
        for v in sorted(gone, key=_used, reverse=True):
            if self.disk[v["archive"]] > spare:
                break
            spare -= self.disk[v["archive"]]
            surplus += 1
        run.extra = {
            "versions_evicted": len(gone),
            "versions_kept": len(kept),
            "disk_before": self.size,
            "disk_after": after,
            "budget": self.budget,
            "evicted_beyond_budget": surplus,
            "kept_out_of_order": len(older),
        }
        run.tree_ok = not problems
        run.tree_diff = problems

    def info(self) -> dict[str, Any]:
        return super().info() | {
            "manifest": {k: v for k, v in self.manifest.items() if k != "entries"},
        }
