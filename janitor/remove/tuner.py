"""How many deletion workers to run: a hill climb on measured throughput, as a pure step function.

The engine measures how many directory entries its workers got through in each interval and asks
`Tuner.step` for the next worker count; nothing here reads a clock or touches a file, so the
policy is tested on given throughputs. Imports nothing from janitor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_WORKERS = 64
START_WORKERS = 2
GAIN = 1.15  # what more workers must add to throughput to be kept
LINEAR = 0.7  # throughput this close to proportional to the workers: climb faster
# A count's throughput this many times above or below what it was: the filesystem changed
# (a slow phase after a fast one), and what the other counts did says nothing any more.
SHIFT = 1.5


@dataclass
class Tuner:
    """Chooses a worker count between `minimum` and `maximum` from measured throughput.

    It starts at `start` and doubles the count while a doubling pays (GAIN times the throughput
    of the smaller count; four times the count when throughput grew almost in proportion, as it
    does where every call waits on a server). A count that does not pay gives way to the one
    below it; a count reached by quadrupling whose gain was no longer proportional tries the
    count it skipped; and from the lowest count it has measured it tries half of it once, so one
    worker is chosen where a second only adds contention. Each count's throughput is
    remembered, averaged with later visits; when a count's throughput moves by SHIFT times,
    the others are forgotten and explored again.
    """

    minimum: int = 1
    maximum: int = MAX_WORKERS
    start: int = START_WORKERS
    seen: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.maximum:
            raise ValueError(f"bad worker bounds {self.minimum}..{self.maximum}")
        self.start = min(max(self.start, self.minimum), self.maximum)

    def step(self, current: int, rate: float) -> int:
        """The count to run next, given that `current` workers just moved `rate` entries/s."""
        seen = self.seen
        before = seen.get(current)
        if before is not None and (rate > SHIFT * before or SHIFT * rate < before):
            seen.clear()
            before = None
        seen[current] = (before + rate) / 2 if before is not None else rate
        down = max((count for count in seen if count < current), default=None)
        if down is not None and seen[current] < GAIN * seen[down]:
            return down
        linear = down is not None and seen[current] >= LINEAR * seen[down] * current / down
        if down is not None and not linear and 2 * down < current and 2 * down not in seen:
            return 2 * down  # the count a quadrupling skipped may be the best
        if current < self.maximum:
            up = min(current * (4 if linear else 2), self.maximum)
            if up not in seen or seen[up] >= GAIN * seen[current]:
                return up
        if down is None and current > self.minimum:
            lower = max(self.minimum, current // 2)
            if lower not in seen:
                return lower
        return current

    def forget(self) -> None:
        """Drop what was measured (the workers changed kind, so old rates say nothing)."""
        self.seen.clear()
