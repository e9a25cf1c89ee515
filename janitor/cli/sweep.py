"""`janitor sweep`'s options, as typer declares them; the sweep itself is janitor.cli.sweeping.

May import everything in janitor; heavy modules are imported inside the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from janitor.cli._common import CacheDirOption, JsonOption, UvOption, err, handles_errors
from janitor.cli.sweeping import Options, options, run_sweep
from janitor.errors import UsageError

PackageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--package",
        "-p",
        help="Remove this package from the cache in one step (repeatable).",
        show_default=False,
    ),
]


def sweep(
    package: PackageOption = None,
    cache_dir: CacheDirOption = None,
    uv: UvOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show what would be removed; remove nothing.")
    ] = False,
    ci: Annotated[
        bool, typer.Option("--ci", help="Also drop unzipped wheels, as `uv cache prune --ci`.")
    ] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Remove package versions not used for this long (30d, 12h, 2w).",
            show_default=False,
        ),
    ] = None,
    keep_versions: Annotated[
        int | None,
        typer.Option(
            "--keep-versions",
            min=0,
            help="Keep the N newest versions of each package per index.",
            show_default=False,
        ),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Evict least recently used versions until the cache is at most this (10GiB).",
            show_default=False,
        ),
    ] = None,
    min_free: Annotated[
        str | None,
        typer.Option(
            "--min-free",
            help="Evict least recently used versions until the cache's disk has this free (5GiB).",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="A package no policy evicts (repeatable).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Policy defaults (default: janitor's config.toml).", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            help="Seconds to wait for running uv processes [default: 300].",
            min=0,
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run without the cache lock (uv may be running).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Deletions in flight at once [default: tuned while running, up to 64].",
            min=1,
            max=512,
            show_default=False,
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            help="Worker processes for deletion [default: one per core, where they pay; 0: none].",
            min=0,
            max=64,
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="One line per removed item.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Remove what nothing uses (as `uv cache prune`), or whole packages with --package.

    Policies (--older-than, --keep-versions, --max-size, --min-free) add to either; their
    defaults come from the config file, and flags override it.
    """
    chosen = options(locals())  # every parameter, by name, before anything else is bound
    if chosen.warning and not quiet:
        err(f"warning: {chosen.warning}")
    code = run_sweep(
        chosen, dry_run=dry_run, json_output=json_output, force=force, verbose=verbose, quiet=quiet
    )
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("sweep")(handles_errors(sweep))


def parse_args(app: typer.Typer, args: Sequence[str]) -> Options:
    """Parse sweep options exactly as `janitor sweep` would, without running it."""
    from typer.main import get_command

    group = get_command(app)
    command = group.commands["sweep"]  # type: ignore[attr-defined]
    try:
        context = command.make_context("sweep", list(args))
    except Exception as error:  # click's UsageError family, with its own message
        formatted = getattr(error, "format_message", None)
        message = formatted() if callable(formatted) else str(error)
        raise UsageError(f"sweep options: {message}") from None
    return options(context.params)
