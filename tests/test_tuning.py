"""Parallelism tunes itself: up where calls wait on the filesystem, not where they compute."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from janitor.plan import Item, ItemKind, Plan, Reason
from janitor.remove import MAX_WORKERS, Engine, Ops

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class SlowOps(Ops):
    """Every unlink waits 2 ms, as on a network share."""

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        time.sleep(0.002)
        super().unlink(path, name, dir_fd)


class BusyOps(Ops):
    """Every unlink computes for 0.3 ms holding the interpreter: more threads cannot help."""

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        deadline = time.perf_counter() + 0.0003
        while time.perf_counter() < deadline:
            pass
        super().unlink(path, name, dir_fd)


def make_tree(root: Path, dirs: int, files: int) -> Plan:
    (root / "CACHEDIR.TAG").write_text("x")
    tree = root / "stale-v1"
    for d in range(dirs):
        sub = tree / f"d{d}"
        sub.mkdir(parents=True)
        for f in range(files):
            (sub / f"f{f}").write_bytes(b"x")
    return Plan((Item("stale-v1", ItemKind.BUCKET, Reason.STALE_BUCKET),))


async def test_parallelism_grows_where_calls_wait(tmp_path: Path) -> None:
    plan = make_tree(tmp_path, dirs=200, files=20)
    engine = Engine(tmp_path, ops=SlowOps())
    removal = await engine.run(plan)
    assert removal.total.files == 4000
    assert not (tmp_path / "stale-v1").exists()
    assert max(engine.parallelism) >= 16, engine.parallelism
    assert max(engine.parallelism) <= MAX_WORKERS


async def test_parallelism_stays_low_where_calls_compute(tmp_path: Path) -> None:
    plan = make_tree(tmp_path, dirs=200, files=20)
    engine = Engine(tmp_path, ops=BusyOps())
    removal = await engine.run(plan)
    assert removal.total.files == 4000
    assert len(engine.parallelism) >= 5, engine.parallelism  # it had time to tune
    assert statistics.median(engine.parallelism) <= 2, engine.parallelism
    assert max(engine.parallelism) <= 4, engine.parallelism


async def test_a_fixed_worker_count_is_not_tuned(tmp_path: Path) -> None:
    plan = make_tree(tmp_path, dirs=50, files=20)
    engine = Engine(tmp_path, workers=3, ops=SlowOps())
    await engine.run(plan)
    assert engine.parallelism == []
