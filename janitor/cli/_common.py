"""What every command shares: printing, error handling, the cache options, the progress bar.

Only the CLI prints and turns exceptions into exit codes. May import everything in janitor;
heavy modules are imported where a command needs them, so that start-up stays quick.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from janitor.errors import EXIT_INTERRUPTED, JanitorError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from janitor.finduv import Uv
    from janitor.layout.follow import Release
    from janitor.remove import Outcome

_T = TypeVar("_T")
_P = ParamSpec("_P")

CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="The uv cache to clean (default: the one uv uses, as `uv cache dir` says).",
        show_default=False,
    ),
]
UvOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--uv",
        help="A uv binary whose cache layout to follow (repeatable; default: every uv found).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def err(line: str) -> None:
    """A line on stderr."""
    typer.echo(line, err=True)


def print_json(document: Any) -> None:
    """A document on stdout."""
    typer.echo(json.dumps(document, indent=2))


def handles_errors(command: Callable[_P, None]) -> Callable[_P, None]:
    """Turn janitor's typed errors into a one-line message and their exit code."""

    @functools.wraps(command)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except JanitorError as error:
            err(f"error: {error}")
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            err("Interrupted: trees already moved aside are finished by the next run")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def open_cache(
    cache_dir: Path | None, uvs: Sequence[Uv] = (), *, from_config: bool = False
) -> Path | None:
    """The validated cache root, or None (said on stderr) when uv's cache does not exist yet."""
    from janitor import locate

    location = locate.locate(cache_dir, uvs=uvs, from_config=from_config)
    if not location.explicit and not location.path.exists():
        err(f"No cache found at: {location.path}")
        return None
    return locate.validate(location)


def follow(paths: Sequence[Path]) -> tuple[list[Uv], list[Release], list[str]]:
    """The uvs to follow (those named, else every one found), their releases, and notes."""
    from janitor import finduv
    from janitor.layout import follow as layouts

    uvs = finduv.find(paths)
    releases, notes = layouts.follow((uv.version, uv.path) for uv in uvs)
    return uvs, releases, notes


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
