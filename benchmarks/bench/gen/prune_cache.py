"""The cache for `uv cache prune`: live entries (unzipped wheels linked from the wheels and sdists
buckets, the sdists' sources and built wheels, simple-index files) and about as many files of
garbage (dangling archives, cached environments, one of them large, stale buckets, dangling source
revisions, in-flight `.tmp*` directories), with the manifest of the paths uv removes."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from bench.gen.layout import (
    ARCHIVE,
    BUILDS,
    ENVIRONMENTS,
    GENERATOR_VERSION,
    SDISTS,
    STALE_BUILT_WHEELS,
    STALE_WHEELS,
)
from bench.gen.plan import Plan, manifest_path, write_plan
from bench.gen.rand import Ids, Names, archive_size, loguniform, tmp_name
from bench.gen.shapes import WheelSpec
from bench.gen.units import (
    DanglingArchive,
    EnvPackage,
    EnvSkeleton,
    SdistEntry,
    StaleBuiltWheel,
    StaleRevision,
    TempDir,
    Unit,
    WheelEntry,
)
from janitor.uv.layout import SHARD_INDEX


def _targets(files: int) -> dict[str, int]:
    live = files // 2
    garbage = files - live
    big_env = min(50_000, int(files * 0.4)) if files >= 100_000 else int(files * 0.15)
    rest = garbage - big_env
    return {
        "live_sdists": int(live * 0.18),
        "live_wheels": int(live * 0.80),
        "big_env": big_env,
        "small_envs": int(rest * 0.2),
        "stale_buckets": int(rest * 0.3),
        "stale_revisions": int(rest * 0.08),
        "temp": int(rest * 0.05),
        "dangling": int(rest * 0.37),
    }


class _Planner:
    """The steps of `make_plan`, drawing from one random stream: their order fixes the output."""

    def __init__(self, files: int, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.ids = Ids(rng)
        self.plan = Plan(files=files, seed=seed, targets=_targets(files))
        self.t = self.plan.targets
        self.names = Names(rng, max(20, files // 120))
        self.plan.indexes = [self.ids.hex() for _ in range(1 + files // 200_000)]
        self.base_ts = 1_750_000_000 + rng.randrange(0, 30_000_000)

    def ts(self) -> tuple[int, int]:
        rng = self.rng
        return (self.base_ts + rng.randrange(0, 5_000_000), rng.randrange(0, 1_000_000_000))

    def spec(self, name: str, version: str, n: int) -> WheelSpec:
        deep = n > 60 and self.rng.random() < 0.08
        return WheelSpec(name, version, max(4, n), self.rng.getrandbits(63), deep)

    def live_wheels(self) -> list[WheelEntry]:
        rng, names, plan = self.rng, self.names, self.plan
        live_wheels: list[WheelEntry] = []
        budget = self.t["live_wheels"]
        while budget > 0:
            n = min(archive_size(rng), max(4, budget - 3))
            name, version = names.pair()
            entry = WheelEntry(
                rng.choice(plan.indexes), self.ids.archive(), self.spec(name, version, n), self.ts()
            )
            live_wheels.append(entry)
            budget -= entry.wheel.nfiles + 3
        return live_wheels

    def stale_revisions(self, name: str, version: str, source: WheelSpec) -> list[StaleRevision]:
        """Older revisions of an sdist, while the budget for them lasts."""
        rng, t = self.rng, self.t
        stale: list[StaleRevision] = []
        while self.stale_budget > 0 and (
            rng.random() < 0.25 or self.stale_budget == t["stale_revisions"]
        ):
            old = WheelSpec(name, version, source.nfiles, rng.getrandbits(63))
            old_archive = self.ids.archive() if rng.random() < 0.6 else None
            stale.append(StaleRevision(self.ids.archive(), old, old_archive))
            self.stale_budget -= 4 + 2 * old.nfiles if old_archive else old.nfiles
        return stale

    def sdists(self) -> list[SdistEntry]:
        rng, names, plan, ids = self.rng, self.names, self.plan, self.ids
        sdists: list[SdistEntry] = []
        budget, self.stale_budget = self.t["live_sdists"], self.t["stale_revisions"]
        while budget > 0:
            n = min(archive_size(rng), max(4, budget // 2))
            name, version = names.pair(names.fresh_name())
            built = self.spec(name, version, n)
            source = WheelSpec(
                name, version, max(6, int(n * rng.uniform(0.6, 1.5))), rng.getrandbits(63)
            )
            stale = self.stale_revisions(name, version, source)
            sdist = SdistEntry(
                rng.choice(plan.indexes),
                ids.archive(),
                ids.archive(),
                built,
                source,
                self.ts(),
                tuple(stale),
            )
            sdists.append(sdist)
            budget -= built.nfiles + source.nfiles + 6
            for s in stale:
                plan.prune.append(
                    f"{SDISTS}/{SHARD_INDEX}/{sdist.index}/{name}/{version}/{s.revision}"
                )
                if s.built_archive:
                    plan.prune.append(f"{ARCHIVE}/{s.built_archive}")
        return sdists

    def dangling(self) -> list[Unit]:
        """Archives nothing links to, some with a link in a stale wheels bucket."""
        rng, names, plan, t = self.rng, self.names, self.plan, self.t
        dangling: list[Unit] = []
        budget = t["dangling"] + t["stale_buckets"] // 2
        stale_links = t["stale_buckets"] // 2
        while budget > 0:
            n = min(archive_size(rng), max(4, budget))
            name, version = names.pair()
            link = stale_links > 0 and rng.random() < 0.5
            unit = DanglingArchive(self.ids.archive(), self.spec(name, version, n), link)
            dangling.append(unit)
            plan.prune.append(f"{ARCHIVE}/{unit.archive_id}")
            budget -= n + (2 if link else 0)
            stale_links -= n + 2 if link else 0
        if any(isinstance(u, DanglingArchive) and u.stale_link for u in dangling):
            plan.prune.append(STALE_WHEELS)
        return dangling

    def stale_built(self) -> list[Unit]:
        """Built wheels in the bucket of an old release."""
        rng, names, plan, t = self.rng, self.names, self.plan, self.t
        out: list[Unit] = []
        budget = t["stale_buckets"] - t["stale_buckets"] // 2
        while budget > 0:
            n = min(archive_size(rng), max(4, budget - 2))
            name, version = names.pair()
            out.append(
                StaleBuiltWheel(
                    rng.choice(plan.indexes), self.ids.archive(), self.spec(name, version, n)
                )
            )
            budget -= n + 2
        if budget < t["stale_buckets"] - t["stale_buckets"] // 2:
            plan.prune.append(STALE_BUILT_WHEELS)
        return out

    def temps(self) -> list[Unit]:
        """An in-flight directory at the top, and a virtual environment being built."""
        rng, names, t = self.rng, self.names, self.t
        temp_top = tmp_name(rng)
        temp_build = f"{BUILDS}/{tmp_name(rng)}"
        half = max(4, t["temp"] // 2)
        name, version = names.pair()
        out: list[Unit] = [TempDir(temp_top, self.spec(name, version, half))]
        name, version = names.pair()
        out.append(TempDir(temp_build, self.spec(name, version, max(4, half - 30)), venv=True))
        self.plan.prune.extend([temp_top, temp_build])
        return out

    def environments(self, live_wheels: list[WheelEntry]) -> None:
        """Cached environments: one large one, and small tool environments."""
        rng, t = self.rng, self.t
        envs: list[tuple[int, bool]] = [(t["big_env"], True)]
        budget = t["small_envs"]
        while budget > 0:
            n = min(rng.randint(40, 2000), budget)
            envs.append((n, False))
            budget -= n
        live_sources = [(e.archive_id, e.wheel) for e in live_wheels]
        for size, big in envs:
            key, digest, venv = self.ids.hex(), self.ids.hex(), self.ids.archive()
            self.plan.phase1.append(EnvSkeleton(key, digest, venv, rng.getrandbits(63)))
            self.plan.prune.extend([f"{ENVIRONMENTS}/{key}", f"{ARCHIVE}/{venv}"])
            self.environment_packages(venv, size, big, live_sources)

    def environment_packages(
        self, venv: str, size: int, big: bool, live_sources: list[tuple[str, WheelSpec]]
    ) -> None:
        """The packages of one cached environment, some hard-linked out of live archives."""
        rng, names = self.rng, self.names
        remaining = size - 20
        taken: set[str] = set()
        while remaining > 0:
            package: WheelSpec | None = None
            linked: str | None = None
            if live_sources and rng.random() < 0.5:
                aid, candidate = rng.choice(live_sources)
                if candidate.name not in taken and candidate.nfiles + 4 <= remaining + 20:
                    package, linked = candidate, aid
            if package is None:
                n = min(archive_size(rng, big), max(4, remaining - 4))
                nm, version = names.pair()
                if nm in taken:
                    nm, version = names.pair(names.fresh_name())
                package = self.spec(nm, version, n)
            if package.name in taken:
                continue
            taken.add(package.name)
            script = rng.random() < 0.2
            self.plan.phase2.append(EnvPackage(venv, package, linked, script))
            remaining -= package.nfiles + 4 + int(script)


def make_plan(files: int, seed: int) -> Plan:
    """Everything the cache will hold, decided up front from the seed."""
    planner = _Planner(files, seed)
    plan, rng = planner.plan, planner.rng
    live_wheels = planner.live_wheels()
    sdists = planner.sdists()
    dangling = [*planner.dangling(), *planner.stale_built(), *planner.temps()]
    planner.environments(live_wheels)
    for pkg in sorted({e.wheel.name for e in live_wheels} | {e.wheel.name for e in sdists}):
        plan.simple.append((rng.choice(plan.indexes), pkg, loguniform(rng, 1000, 200_000)))
    plan.phase1 = [*live_wheels, *sdists, *dangling, *plan.phase1]
    plan.prune.sort()
    return plan


def generate(dest: Path, files: int, seed: int, jobs: int) -> dict[str, Any]:
    """Write the cache at `dest` and return its manifest (also written beside it)."""
    started = time.perf_counter()
    plan = make_plan(files, seed)
    total = write_plan(dest, plan, seed, jobs, max(200, files // (jobs * 40)))
    elapsed = time.perf_counter() - started
    manifest: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "files_requested": files,
        "seed": seed,
        "cache": os.path.abspath(dest),
        "prune_removes": plan.prune,
        "files": total.files + total.garbage_files,
        "dirs": total.dirs + total.garbage_dirs,
        "bytes": total.bytes + total.garbage_bytes,
        "garbage_files": total.garbage_files,
        "garbage_dirs": total.garbage_dirs,
        "garbage_bytes": total.garbage_bytes,
        "live_files": total.files,
        "targets": plan.targets,
        "generation_seconds": round(elapsed, 3),
    }
    manifest_path(dest).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
