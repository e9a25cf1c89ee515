"""Parallelism tunes itself: up where calls wait on the filesystem, not where they compute.

The policy is the pure step function `Tuner.step`, fed here with the throughputs of model
filesystems, so every assertion is about counts and holds on any machine. One end-to-end run of
the engine checks only its outcome.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from janitor.plan import Item, ItemKind, Plan, Reason
from janitor.remove.engine import Engine
from janitor.remove.fsops import Ops
from janitor.remove.tuner import MAX_WORKERS, START_WORKERS, Tuner
from janitor.uv.names import TRASH_DIR

Rate = Callable[[int], float]  # a model filesystem: entries/s that n workers get through

STEPS = 60
TAIL = 20  # the last steps, in which a settled tuner no longer moves


def latency_bound(limit: int) -> Rate:
    """Every call waits on a server that serves `limit` calls at once (a network share)."""
    return lambda n: 100.0 * min(n, limit)


def one_core(n: int) -> float:
    """Every call computes on the only core: more workers add nothing."""
    return 1.0


def two_cores(n: int) -> float:
    """A second worker nearly doubles throughput; a third finds no core."""
    return 1.0 if n == 1 else 1.9


def contention(n: int) -> float:
    """Workers fight over one lock: each one more slows them all."""
    return 100.0 / n


MODELS: dict[str, tuple[Rate, int]] = {
    # name -> (model, the fewest workers that reach its best throughput)
    "latency-bound": (latency_bound(32), 32),
    "one core": (one_core, 1),
    "two cores": (two_cores, 2),
    "contention": (contention, 1),
}


def noisy(rate: Rate, seed: int) -> Rate:
    """The same filesystem measured with up to 10% error either way."""
    rng = random.Random(seed)
    return lambda n: rate(n) * rng.uniform(0.9, 1.1)


def run(tuner: Tuner, rate: Rate, steps: int = STEPS, current: int | None = None) -> list[int]:
    """The counts the tuner runs, starting count first, as the engine feeds it: one measured
    interval per step."""
    counts = [tuner.start if current is None else current]
    for _ in range(steps):
        counts.append(tuner.step(counts[-1], rate(counts[-1])))
    return counts


def settled(counts: list[int]) -> int:
    """The one count the tuner keeps over the last TAIL steps."""
    tail = set(counts[-TAIL:])
    assert len(tail) == 1, (
        f"still moving between {sorted(tail)} after {len(counts)} steps: {counts}"
    )
    return counts[-1]


# ----- model filesystems -----


def test_latency_bound_climbs_by_quadrupling_while_throughput_is_proportional() -> None:
    rate = latency_bound(32)
    counts = run(Tuner(), rate)
    # Nothing is measured below the start, so it doubles; then throughput doubled with the
    # workers, so it quadruples.
    assert counts[:3] == [START_WORKERS, 2 * START_WORKERS, 8 * START_WORKERS], counts
    # The server's limit is reached by the third adjustment and never left.
    assert all(rate(count) == rate(32) for count in counts[3:]), counts
    settled(counts)


@pytest.mark.parametrize("limit", [4, 8, 16, 32, 64])
def test_latency_bound_settles_at_the_server_limit(limit: int) -> None:
    """It stays where the server's limit is reached, and not at a doubling beyond it, which
    adds nothing."""
    count = settled(run(Tuner(), latency_bound(limit)))
    assert limit <= count < 2 * limit, f"settled at {count} for a server limit of {limit}"


def test_one_core_settles_at_one_worker() -> None:
    counts = run(Tuner(), one_core)
    assert settled(counts) == 1, counts


def test_two_cores_settle_at_two_workers() -> None:
    counts = run(Tuner(), two_cores)
    assert settled(counts) == 2, counts


@pytest.mark.parametrize(
    "rate", [contention, lambda n: 100.0 - n], ids=["inverse", "linear decline"]
)
def test_contention_settles_at_one_worker(rate: Rate) -> None:
    counts = run(Tuner(), rate)
    assert settled(counts) == 1, counts


@pytest.mark.parametrize("model", MODELS)
def test_noisy_measurements_still_settle_within_a_factor_two_of_the_best(model: str) -> None:
    """With every measurement 10% off either way, the count it runs, after a first exploration,
    stays within a factor two of the fewest workers that reach the best throughput."""
    rate, best = MODELS[model]
    for seed in range(20):
        counts = run(Tuner(), noisy(rate, seed), steps=200)[TAIL:]
        held = Counter(counts)
        near = sum(n for count, n in held.items() if best / 2 <= count <= 2 * best)
        mostly = held.most_common(1)[0][0]
        assert best / 2 <= mostly <= 2 * best, (seed, held)
        assert near >= 0.9 * len(counts), (seed, held)


# ----- bounds -----


@pytest.mark.parametrize("model", MODELS)
def test_a_maximum_of_one_keeps_one_worker(model: str) -> None:
    rate, _ = MODELS[model]
    assert set(run(Tuner(maximum=1), rate)) == {1}


@pytest.mark.parametrize("bounds", [(1, 3), (3, MAX_WORKERS), (4, 8), (5, 5), (2, 10), (1, 64)])
def test_counts_stay_within_the_bounds(bounds: tuple[int, int]) -> None:
    minimum, maximum = bounds
    rates = [rate for rate, _ in MODELS.values()]
    rates += [noisy(rate, seed) for rate in rates for seed in range(3)]
    for rate in rates:
        counts = run(Tuner(minimum=minimum, maximum=maximum), rate)
        assert all(minimum <= count <= maximum for count in counts), (bounds, counts)


def test_bounds_are_where_the_models_settle_when_the_best_is_outside_them() -> None:
    assert settled(run(Tuner(minimum=3), one_core)) == 3
    assert settled(run(Tuner(minimum=3), contention)) == 3
    assert settled(run(Tuner(maximum=10), latency_bound(32))) == 10
    assert settled(run(Tuner(maximum=32), latency_bound(32))) == 32


def test_the_start_is_brought_within_the_bounds() -> None:
    assert Tuner(minimum=4).start == 4
    assert Tuner(maximum=1).start == 1
    assert Tuner(start=100, maximum=8).start == 8


@pytest.mark.parametrize("bounds", [(0, 4), (5, 4), (1, 0)])
def test_bad_bounds_are_refused(bounds: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="bad worker bounds"):
        Tuner(minimum=bounds[0], maximum=bounds[1])


# ----- forgetting -----


def test_forget_makes_it_explore_again_from_where_it_is() -> None:
    """After `forget`, the tuner acts as a new one would from the same count: down to one worker
    when the workers turned CPU-bound, up to the limit when they turned latency-bound."""
    for before, after, expected in [
        (latency_bound(32), one_core, 1),
        (one_core, latency_bound(64), 64),
        (two_cores, contention, 1),
    ]:
        tuner = Tuner()
        current = settled(run(tuner, before))
        tuner.forget()
        assert tuner.seen == {}
        again = run(tuner, after, current=current)
        assert again == run(Tuner(), after, current=current)
        assert settled(again) == expected, again


def test_more_workers_are_tried_again_when_throughput_grows() -> None:
    """A count is remembered, not ruled out: when the count it runs becomes far faster than the
    larger counts were measured at, it tries more workers again (its docstring: "a count is tried
    again when its neighbours' change"), even without `forget`."""
    for before in (one_core, two_cores):
        tuner = Tuner()
        current = settled(run(tuner, before))
        later = run(tuner, latency_bound(32), steps=200, current=current)
        assert max(later) > current, f"stays at {current} with {tuner.seen}"


# ----- the engine -----


class SlowOps(Ops):
    """Every unlink waits a little, as on a network share, so the tuner has intervals to tune in."""

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        time.sleep(0.001)
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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("workers", [None, 3])
async def test_the_engine_deletes_everything_with_counts_the_tuner_may_choose(
    tmp_path: Path, workers: int | None
) -> None:
    """Whatever the machine's speed: everything is gone, counted, and the worker counts chosen
    are within bounds (none when the count is fixed)."""
    plan = make_tree(tmp_path, dirs=100, files=20)
    engine = Engine(tmp_path, workers=workers, ops=SlowOps(), trash=TRASH_DIR)
    removal = await engine.run(plan)
    assert not (tmp_path / "stale-v1").exists()
    assert removal.total.files == 2000
    assert removal.total.dirs == 101
    assert removal.failures == []
    if workers is None:
        assert all(1 <= count <= MAX_WORKERS for count in engine.parallelism), engine.parallelism
    else:
        assert engine.parallelism == []
