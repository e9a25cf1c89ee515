"""What both generated caches share: the plan of units, the root and its small live entries, and
writing the units in batches by a pool of worker processes."""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.gen.files import Writer, make_content
from bench.gen.layout import ARCHIVE, BUILDS, ENVIRONMENTS, INTERPRETER, SDISTS, SIMPLE, WHEELS
from bench.gen.rand import blob, hex16, offset
from bench.gen.units import Counts, EnvSkeleton, SdistEntry, Unit
from bench.gen.write import init_worker, run_batch
from janitor.uv.layout import CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE, LOCK_FILE, SHARD_INDEX


@dataclass
class Plan:
    files: int
    seed: int
    phase1: list[Unit] = field(default_factory=list)
    phase2: list[Unit] = field(default_factory=list)  # hard-links into phase-1 archives
    prune: list[str] = field(default_factory=list)
    simple: list[tuple[str, str, int]] = field(default_factory=list)  # (index, name, size)
    indexes: list[str] = field(default_factory=list)
    targets: dict[str, int] = field(default_factory=dict)


def _unit_weight(unit: Unit) -> int:
    if isinstance(unit, SdistEntry):
        return unit.wheel.nfiles + unit.source.nfiles + sum(2 * s.source.nfiles for s in unit.stale)
    if isinstance(unit, EnvSkeleton):
        return 20
    return unit.wheel.nfiles


def _batches(units: Sequence[Unit], target: int) -> Iterator[list[Unit]]:
    """Units grouped into batches of about `target` files, heaviest first."""
    batch: list[Unit] = []
    weight = 0
    for unit in sorted(units, key=_unit_weight, reverse=True):
        batch.append(unit)
        weight += _unit_weight(unit)
        if weight >= target:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def _write_top(w: Writer, plan: Plan, content_seed: int) -> None:
    """The root markers, the current buckets and the small live entries."""
    rng = random.Random(content_seed ^ 0x70)
    w.data("", CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE.encode(), False)
    w.data("", ".gitignore", b"*", False)
    w.data("", LOCK_FILE, b"", False)
    for bucket in (ARCHIVE, BUILDS, ENVIRONMENTS, INTERPRETER, SDISTS, SIMPLE, WHEELS):
        w.mkdirs(bucket, False)
    w.data(SDISTS, ".gitignore", b"", False)
    w.data(SDISTS, ".git", b"", False)
    for index, name, size in plan.simple:
        w.mkdirs(f"{SIMPLE}/{SHARD_INDEX}/{index}", False)
        w.file(
            f"{SIMPLE}/{SHARD_INDEX}/{index}",
            (f"{name}.rkyv", size, offset(rng, size), None),
            False,
        )
    shard = f"{INTERPRETER}/{hex16(rng)}"
    w.mkdirs(shard, False)
    for _ in range(2):
        w.file(shard, blob(rng, f"{hex16(rng)}.msgpack", (2000, 8000)), False)


def write_plan(dest: Path, plan: Plan, seed: int, jobs: int, target: int) -> Counts:
    """Create `dest` and write the plan into it (phase 2 after phase 1), in batches of about
    `target` files; the counts of what was written."""
    dest.mkdir(parents=True)
    root = str(dest)
    top = Writer(root, make_content(seed))
    _write_top(top, plan, seed)
    totals = [top.counts()]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=init_worker, initargs=(root, seed)) as pool:
        for phase in (plan.phase1, plan.phase2):
            totals.extend(pool.imap_unordered(run_batch, _batches(phase, target)))
    return Counts(*(sum(c[i] for c in totals) for i in range(6)))


def manifest_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".manifest.json")
