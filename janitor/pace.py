"""How many threads a scan or a measurement runs at once: one while the filesystem answers as fast
as Python asks (more would only fight over the interpreter lock), many as soon as a hop spends
its time waiting (a cold disk, a network share), where they hide the latency.
Imports nothing from janitor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

_T = TypeVar("_T")

# A hop that takes longer than this, mostly waiting rather than computing, shows a filesystem
# that answers slowly: from then on up to MAX_THREADS hops run at once.
WAITING_SECONDS = 0.002
MAX_THREADS = 32


class Pace:
    """Runs blocking calls in worker threads, widening when they turn out to wait."""

    def __init__(self, limiter: anyio.CapacityLimiter | None = None) -> None:
        self.limiter = limiter or anyio.CapacityLimiter(1)

    async def run(self, fn: Callable[..., _T], *args: object) -> _T:
        """`fn(*args)` in a worker thread."""
        result, wall, cpu = await anyio.to_thread.run_sync(_timed, fn, *args, limiter=self.limiter)
        if wall > WAITING_SECONDS and wall > 2 * cpu and self.limiter.total_tokens < MAX_THREADS:
            self.limiter.total_tokens = MAX_THREADS
        return result


def _timed(fn: Callable[..., _T], *args: object) -> tuple[_T, float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    result = fn(*args)
    return result, time.perf_counter() - wall, time.thread_time() - cpu
