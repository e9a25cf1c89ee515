"""What the commands print and share, without typer: the quick paths of the console script use it.

Only the CLI prints. Lines go to stderr (progress, summaries, errors) or stdout (data), written
through `sys.stdout`/`sys.stderr` as they are when the line is written, so that test runners that
swap them see everything. May import everything in janitor, lazily.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from janitor.remove.outcome import Outcome
    from janitor.uv.finduv import Uv
    from janitor.uv.follow import Release

    _T = TypeVar("_T")


def err(line: str) -> None:
    """A line on stderr."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def out(line: str) -> None:
    """A line on stdout."""
    out_lines([line])


def out_lines(lines: Iterable[str]) -> None:
    """Lines on stdout; a reader that stops reading (`janitor sweep -n | head`) ends the output,
    not the run."""
    try:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # What is still buffered goes nowhere, so that flushing it at exit cannot fail again.
        import contextlib

        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)


def print_json(document: Any) -> None:
    """A document on stdout."""
    import json

    out(json.dumps(document, indent=2))


def open_cache(
    cache_dir: Path | None,
    uvs: Sequence[Uv] = (),
    *,
    from_config: bool = False,
    quiet: bool = False,
) -> Path | None:
    """The validated cache root, or None (said on stderr) when uv's cache does not exist yet."""
    from janitor.uv import locate

    location = locate.locate(cache_dir, uvs=uvs, from_config=from_config)
    if not location.explicit and not location.path.exists():
        if not quiet:
            err(f"No cache found at: {location.path}")
        return None
    return locate.validate(location)


def follow(paths: Sequence[Path]) -> tuple[list[Uv], list[Release], list[str]]:
    """The uvs to follow (those named, else every one found), their releases, and notes."""
    from janitor.uv import finduv

    uvs = finduv.find(paths)
    releases, notes = releases_of(uvs)
    return uvs, releases, notes


def releases_of(uvs: Sequence[Uv]) -> tuple[list[Release], list[str]]:
    """The releases of the uvs found, and notes on how their bucket names were known."""
    from janitor.uv import follow as layouts

    return layouts.follow((uv.version, uv.path) for uv in uvs)


INTERRUPTED = "Interrupted: trees already moved aside are finished by the next run"


def guarded(command: Callable[[], int | None]) -> int:
    """Run a command; its exit code, with janitor's errors and Ctrl-C said in one line each.

    The one place where an error becomes a message and an exit code: the console script's quick
    path and every typer command (janitor.cli.declare) go through it.
    """
    from janitor.errors import EXIT_INTERRUPTED, JanitorError

    try:
        return command() or 0
    except JanitorError as error:
        err(f"error: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        err(INTERRUPTED)
        return EXIT_INTERRUPTED


def run(fn: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine function to completion; `KeyboardInterrupt` once Ctrl-C has wound it down.

    The first Ctrl-C cancels the run: renames and batches under way finish (whatever is in the
    trash is finished by the next run), worker processes end, then this raises. A second one
    ends the process at once, which is as safe as a kill. After an interrupt, Ctrl-C stays
    ignored: what is left is to say so and exit.
    """
    import signal
    import threading
    from typing import cast

    import anyio

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        return anyio.run(fn)  # Ctrl-C ignored or owned by someone else: left as it is
    interrupt = _Interrupt()
    previous = signal.signal(signal.SIGINT, interrupt.on_signal)
    try:
        outcome = anyio.run(interrupt.watch, fn)
    except BaseException as error:
        if interrupt.received and _cancelled(error):
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN if interrupt.received else previous)
    if interrupt.received:
        raise KeyboardInterrupt
    return cast("_T", outcome)


def _cancelled(error: BaseException) -> bool:
    """Whether an error is a cancellation (or a group of nothing else), as Ctrl-C leaves it."""
    import asyncio

    if isinstance(error, (asyncio.CancelledError, KeyboardInterrupt)):
        return True
    group = getattr(error, "exceptions", None)
    return isinstance(group, tuple) and bool(group) and all(map(_cancelled, group))


class _Interrupt:
    """Turns Ctrl-C into the cancellation of a run."""

    def __init__(self) -> None:
        self.received = False
        self._cancel: Callable[[], object] | None = None

    def on_signal(self, signum: int, frame: object) -> None:
        if self.received:
            # The second Ctrl-C: stop waiting for the work under way. What is in the trash is
            # finished by the next run, as after a kill.
            import os

            from janitor.errors import EXIT_INTERRUPTED

            os.write(2, (INTERRUPTED + "\n").encode())
            os._exit(EXIT_INTERRUPTED)
        self.received = True
        if self._cancel is not None:
            self._cancel()

    async def watch(self, fn: Callable[[], Awaitable[_T]]) -> _T | None:
        """Run `fn` in a scope that a Ctrl-C cancels; None when it was."""
        import asyncio

        import anyio

        loop = asyncio.get_running_loop()
        with anyio.CancelScope() as scope:
            # The signal handler interrupts whatever the loop was doing: the cancellation is
            # left to the loop to carry out.
            self._cancel = lambda: loop.call_soon_threadsafe(scope.cancel)
            if self.received:  # Ctrl-C while the loop was starting
                scope.cancel()
            try:
                return await fn()
            finally:
                self._cancel = None
        return None


class Progress:
    """A rich progress bar on a terminal: trees, files, bytes and rate."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bar

        self.progress = Bar(
            TextColumn("Removing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trees, {task.fields[files]:,} files, {task.fields[size]}"),
            TextColumn("({task.fields[rate]:,.0f} files/s)"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("remove", total=0, files=0, size="0B", rate=0.0)
        self.files = 0
        self.bytes = 0
        self.started = time.monotonic()
        self.progress.start()

    def on_start(self, trees: int) -> None:
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.task, total=total + trees)

    def on_progress(self, files: int, size: int) -> None:
        from janitor.units import format_size

        self.files += files
        self.bytes += size
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(
            self.task, files=self.files, size=format_size(self.bytes), rate=self.files / elapsed
        )

    def on_done(self, outcome: Outcome) -> None:
        self.progress.advance(self.task)

    def stop(self) -> None:
        self.progress.stop()
