"""The cache for `janitor sweep --max-size`: a clean one (nothing for `uv cache prune`) of many
small versions, each an unzipped wheel with its link, `.rev` and `.lock` in the wheels bucket,
written at times spread over a year and last used (the `.rev`'s access time) up to half a year
later; its manifest lists every version with its times and what evicting it frees."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.gen.layout import GENERATOR_VERSION, TAG, WHEELS
from bench.gen.plan import Plan, manifest_path, write_plan
from bench.gen.rand import Ids, Names, loguniform, split_count
from bench.gen.shapes import WheelSpec
from bench.gen.units import WheelEntry
from bench.trees import disk_usage
from janitor.uv.layout import SHARD_INDEX

VERSIONS_LAYOUT = "versions"
VERSIONS_SPAN_S = 365 * 86_400  # creation times spread over a year, last uses up to half after


@dataclass(frozen=True)
class VersionTimes:
    """When a version was written (its link, `.rev` and `.lock`) and last used (`.rev` atime)."""

    entry: WheelEntry
    created_ns: int
    used_ns: int

    @property
    def link(self) -> str:
        u = self.entry
        return f"{WHEELS}/{SHARD_INDEX}/{u.index}/{u.wheel.name}/{u.wheel.version}-{TAG}"


def make_versions_plan(packages: int, versions: int, seed: int) -> tuple[Plan, list[VersionTimes]]:
    """`versions` small wheel versions spread over `packages` packages, with distinct times."""
    rng = random.Random(seed ^ 0x7E5)
    ids = Ids(rng)
    packages = max(1, min(packages, versions))
    names = Names(rng, packages)
    plan = Plan(files=0, seed=seed, indexes=[ids.hex()])
    base_ns = (1_700_000_000 + rng.randrange(0, 30_000_000)) * 10**9
    used: set[int] = set()
    out: list[VersionTimes] = []
    for name, count in zip(names.pool, split_count(rng, versions, packages), strict=True):
        for _ in range(count):
            _, version = names.pair(name)
            created = base_ns + rng.randrange(0, VERSIONS_SPAN_S * 10**9)
            last = created + rng.randrange(1, VERSIONS_SPAN_S * 10**9 // 2)
            while last in used:
                last += 1
            used.add(last)
            wheel = WheelSpec(name, version, rng.randint(4, 10), rng.getrandbits(63))
            entry = WheelEntry(plan.indexes[0], ids.archive(), wheel, divmod(created, 10**9))
            out.append(VersionTimes(entry, created, last))
        plan.simple.append((plan.indexes[0], name, loguniform(rng, 1000, 200_000)))
    plan.phase1 = [v.entry for v in out]
    return plan, out


def apply_times(root: Path, versions: Iterable[dict[str, Any]]) -> None:
    """Set the times of every version's link, `.rev` and `.lock` as the manifest records them.

    A copy keeps them (`cp -a`), but reading the pristine cache to copy it moves its access times,
    and a version's last use is the newest of them: the runner calls this on every copy.
    """
    for v in versions:
        link = os.path.join(root, v["link"])
        created, last = v["created_ns"], v["used_ns"]
        os.utime(f"{link}.rev", ns=(last, created))
        os.utime(f"{link}.lock", ns=(created, created))
        os.utime(link, ns=(created, created), follow_symlinks=False)


def _listed(dest: Path, times: Sequence[VersionTimes]) -> list[dict[str, Any]]:
    """The manifest's entry of every version: where it is, its times, what evicting it frees."""
    listed: list[dict[str, Any]] = []
    for v in times:
        u = v.entry
        listed.append(
            {
                "link": v.link,
                "archive": u.archive_id,
                "package": u.wheel.name,
                "version": u.wheel.version,
                "created_ns": v.created_ns,
                "used_ns": v.used_ns,
            }
        )
    return listed


def generate_versions(
    dest: Path, packages: int, versions: int, seed: int, jobs: int
) -> dict[str, Any]:
    """Write a clean cache of many small versions at `dest`; return its manifest."""
    started = time.perf_counter()
    plan, times = make_versions_plan(packages, versions, seed)
    total = write_plan(dest, plan, seed, jobs, 2000)
    listed = _listed(dest, times)
    apply_times(dest, listed)
    apply_times(dest, listed)
    manifest: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "layout": VERSIONS_LAYOUT,
        "packages": len(plan.simple),
        "versions": len(times),
        "seed": seed,
        "cache": os.path.abspath(dest),
        "files": total.files,
        "dirs": total.dirs,
        "bytes": total.bytes,
        "disk_bytes": disk_usage(dest),
        "generation_seconds": round(time.perf_counter() - started, 3),
        "entries": listed,
    }
    manifest_path(dest).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
