"""What the typer commands share: option types and error handling (printing is in `output`).

Only the CLI prints and turns exceptions into exit codes. May import everything in janitor;
heavy modules are imported where a command needs them, so that start-up stays quick.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec

import typer

from janitor.cli.output import INTERRUPTED, err
from janitor.errors import EXIT_INTERRUPTED, JanitorError

_P = ParamSpec("_P")


def cache_dir_option(help: str) -> Any:
    """`--cache-dir` for `Annotated[Path | None, ...]`, saying what the command does with it."""
    return typer.Option(
        "--cache-dir",
        metavar="PATH",
        help=f"{help} (default: the one uv uses, as `uv cache dir` says).",
        show_default=False,
    )


UvOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--uv",
        metavar="PATH",
        help="A uv binary whose cache layout to follow (repeatable; default: every uv found).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


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
            err(INTERRUPTED)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper
