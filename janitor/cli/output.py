"""What the commands print and share, without typer: the quick paths of the console script use it.

Only the CLI prints. Lines go to stderr (progress, summaries, errors) or stdout (data), written
through `sys.stdout`/`sys.stderr` as they are when the line is written, so that test runners that
swap them see everything. May import everything in janitor, lazily.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from janitor.finduv import Uv
    from janitor.layout.follow import Release
    from janitor.remove import Outcome

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
    out(json.dumps(document, indent=2))


def open_cache(
    cache_dir: Path | None,
    uvs: Sequence[Uv] = (),
    *,
    from_config: bool = False,
    quiet: bool = False,
) -> Path | None:
    """The validated cache root, or None (said on stderr) when uv's cache does not exist yet."""
    from janitor import locate

    location = locate.locate(cache_dir, uvs=uvs, from_config=from_config)
    if not location.explicit and not location.path.exists():
        if not quiet:
            err(f"No cache found at: {location.path}")
        return None
    return locate.validate(location)


def follow(paths: Sequence[Path]) -> tuple[list[Uv], list[Release], list[str]]:
    """The uvs to follow (those named, else every one found), their releases, and notes."""
    from janitor import finduv

    uvs = finduv.find(paths)
    releases, notes = releases_of(uvs)
    return uvs, releases, notes


def releases_of(uvs: Sequence[Uv]) -> tuple[list[Release], list[str]]:
    """The releases of the uvs found, and notes on how their bucket names were known."""
    from janitor.layout import follow as layouts

    return layouts.follow((uv.version, uv.path) for uv in uvs)


def run(fn: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine function to completion."""
    import anyio

    return anyio.run(fn)


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
