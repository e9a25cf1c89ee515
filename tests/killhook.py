"""The crash-safety tests' hook: filesystem calls that count mutations and can signal the process.

Injected into a janitor process by the tests (the shipped package has no such hook): `install(N)`
makes every deletion engine created afterwards use a `MutationCounter` that kills the process
right after its N-th rename, unlink or rmdir; `install(N, signal.SIGINT)` sends a Ctrl-C instead,
to the process or (`group=True`) to its whole process group, as a terminal does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

from janitor.remove import fsops

KILL_AFTER_VARIABLE = "JANITOR_TEST_KILL_AFTER"


class MutationCounter(fsops.Ops):
    """Ops that count their renames, unlinks and rmdirs (the mutations a kill can follow).

    With `kill_after=N` the process sends itself `signum` (SIGKILL unless said) right after the
    N-th one; with `group`, to its process group, which it must lead.
    """

    def __init__(self, kill_after: int = 0, signum: int | None = None, group: bool = False) -> None:
        self.mutations = 0
        self._kill_after = kill_after
        self._signum = getattr(signal, "SIGKILL", signal.SIGTERM) if signum is None else signum
        self._group = group
        self._lock = threading.Lock()

    def _mutated(self) -> None:
        with self._lock:
            self.mutations += 1
            if self.mutations == self._kill_after:
                if self._group:
                    # Never the test runner's group: only a process leading its own.
                    assert os.getpgrp() == os.getpid()
                    os.killpg(os.getpgrp(), self._signum)
                else:
                    os.kill(os.getpid(), self._signum)

    def rename(self, src: str, dst: str) -> None:
        super().rename(src, dst)
        self._mutated()

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        super().unlink(path, name, dir_fd)
        self._mutated()

    def rmdir(self, path: str) -> None:
        super().rmdir(path)
        self._mutated()


def install(
    kill_after: int, signum: int | None = None, group: bool = False
) -> list[MutationCounter]:
    """Make the engines of this process count mutations and die after the `kill_after`-th
    (or receive `signum` then, see `MutationCounter`).

    The counter replaces the engine's default calls for the rest of the process (a forked child
    per run), so the run must also keep to threads (`--processes 0`): worker processes run the
    real calls, uncounted. Returns the counters made so far (one per engine), which grows.
    """
    made: list[MutationCounter] = []

    class Counting(MutationCounter):
        def __init__(self) -> None:
            super().__init__(kill_after, signum, group)
            made.append(self)

    fsops.Ops = Counting  # type: ignore[misc]
    return made


@contextlib.contextmanager
def counting() -> Iterator[list[MutationCounter]]:
    """Count the mutations of the engines made inside the block, then restore the real calls."""
    original = fsops.Ops
    try:
        yield install(0)
    finally:
        fsops.Ops = original  # type: ignore[misc]
