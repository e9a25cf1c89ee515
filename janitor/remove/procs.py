"""Deletion worker processes: fresh interpreters that each run `worker.serve` over a pipe.

On a fast filesystem one Python thread per core cannot keep the cores busy: every unlink is a
short system call and the interpreter lock changes hands around each one. Separate processes do
not share a lock. They are started with `python -I -S .../worker.py ROOT` through
`anyio.open_process`: a new program image, not a fork, so no thread, lock or open descriptor of
the parent (the cache lock included) exists in them; `-I -S` keep out the user's environment and
site packages, and `worker` needs nothing but the standard library. They only ever receive paths in
the cache's trash (or trees the engine checked), and end when their input closes: a parent that is
killed leaves them nothing more to do than finish their batch.
May import janitor.remove.result; `worker.py` it runs as a file, never imports.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import subprocess
import sys
from pathlib import Path

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from janitor.remove.result import HEADER, Result

# What a worker runs: a file of its own, not imported here (only the workers need it).
_SCRIPT = Path(__file__).resolve().with_name("worker.py")


def usable_cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cannot_spawn() -> str | None:
    """Why no worker process can be started here, or None when they can.

    They need an interpreter to run again and `worker.py` as a file: a frozen or embedded app
    has neither.
    """
    if not sys.executable:
        return "sys.executable is empty"
    if getattr(sys, "frozen", False) or not _SCRIPT.is_file():
        return f"{_SCRIPT} is not a file: a frozen or zipped app"
    return None


class WorkerLost(Exception):
    """A worker process ended before it answered."""


class Worker:
    """One worker process and its framed pipe."""

    def __init__(self, process: anyio.abc.Process) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self._send = process.stdin
        self._receive = BufferedByteReceiveStream(process.stdout)

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.process.pid

    async def call(
        self, work: list[tuple[str, str, bool]], entries: int, seconds: float
    ) -> list[Result]:
        """Send one request (see `deleter.Deleter.work`) and wait for its answer; `WorkerLost`
        when the process is gone."""
        request = (work, entries, seconds)
        data = marshal.dumps(request)
        try:
            await self._send.send(HEADER.pack(len(data)) + data)
            header = await self._receive.receive_exactly(HEADER.size)
            reply = await self._receive.receive_exactly(HEADER.unpack(header)[0])
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, OSError):
            raise WorkerLost(f"deletion worker {self.pid} ended") from None
        return [Result._make(result) for result in marshal.loads(reply)]

    async def aclose(self) -> None:
        """Close its pipes, so it ends; kill it if it does not within a second.

        Its output is closed too: a worker whose answer nobody reads any more (a run cancelled
        mid-request) gets a broken pipe rather than blocking on a full one.
        """
        with contextlib.suppress(anyio.BrokenResourceError, OSError):
            await self._send.aclose()
        with anyio.move_on_after(1, shield=True):
            with contextlib.suppress(anyio.BrokenResourceError, OSError):
                await self.process.aclose()
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            with anyio.CancelScope(shield=True):
                await self.process.wait()


class Pool:
    """Idle worker processes, taken for one request at a time."""

    def __init__(self) -> None:
        self.idle: list[Worker] = []
        self.all: list[Worker] = []

    async def start(self, root: Path, count: int) -> None:
        """Start `count` workers for the cache at `root`, concurrently; the first `OSError` when
        none could start (the interpreter cannot be executed again)."""
        errors: list[OSError] = []

        async def one() -> None:
            try:
                process = await anyio.open_process(
                    [sys.executable, "-I", "-S", str(_SCRIPT), str(root)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    # A session of their own: a terminal's Ctrl-C goes to janitor alone, which
                    # decides, and ends them by closing their input.
                    start_new_session=True,
                )
            except OSError as error:
                errors.append(error)
                return
            worker = Worker(process)
            self.all.append(worker)
            self.idle.append(worker)

        async with anyio.create_task_group() as group:
            for _ in range(count):
                group.start_soon(one)
        if errors and not self.all:
            raise errors[0]

    def take(self) -> Worker | None:
        """An idle worker, if there is one."""
        return self.idle.pop() if self.idle else None

    def give(self, worker: Worker) -> None:
        """Return a worker after its request."""
        self.idle.append(worker)

    @property
    def pids(self) -> list[int]:
        """The process ids of every worker started."""
        return [worker.pid for worker in self.all]

    async def aclose(self) -> None:
        """End every worker."""
        self.idle.clear()
        with anyio.CancelScope(shield=True):
            for worker in self.all:
                await worker.aclose()
