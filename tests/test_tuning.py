"""The engine tunes its parallelism: up where calls wait on the filesystem."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from janitor.plan import Item, ItemKind, Plan, Reason
from janitor.remove import MAX_WORKERS, START_WORKERS, Engine, Ops

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class SlowOps(Ops):
    """Every unlink waits 2 ms, as on a network share."""

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        time.sleep(0.002)
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
    assert max(engine.parallelism) >= 4 * START_WORKERS, engine.parallelism
    assert max(engine.parallelism) <= MAX_WORKERS


async def test_a_fixed_worker_count_is_not_tuned(tmp_path: Path) -> None:
    plan = make_tree(tmp_path, dirs=50, files=20)
    engine = Engine(tmp_path, workers=3, ops=SlowOps())
    await engine.run(plan)
    assert engine.parallelism == []
