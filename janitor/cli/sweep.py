"""`janitor sweep`: options in, a `sweep.Request` out, the result rendered.

May import everything in janitor; heavy modules are imported inside the command.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from janitor.cli._common import (
    CacheDirOption,
    JsonOption,
    Progress,
    UvOption,
    err,
    follow,
    handles_errors,
    open_cache,
    print_json,
    run,
)
from janitor.errors import CacheBusy, UsageError

PackageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--package",
        "-p",
        help="Remove this package from the cache in one step (repeatable).",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Options:
    """The sweep's options, checked and with the config's defaults applied."""

    cache_dir: Path | None
    cache_dir_from_config: bool
    uv: tuple[Path, ...]
    packages: tuple[str, ...]
    ci: bool
    older_than: float | None
    keep_versions: int | None
    max_size: int | None
    min_free: int | None
    keep: frozenset[str]
    wait: float
    workers: int | None
    processes: int | None
    warning: str | None


def _duration(text: str | None) -> float | None:
    from janitor.units import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text).total_seconds()
    except ValueError as error:
        raise UsageError(str(error)) from None


def _size(text: str | None) -> int | None:
    from janitor.units import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def options(params: Mapping[str, Any]) -> Options:
    """Check the sweep's parsed parameters and fill in the config's defaults.

    `janitor schedule install` runs its sweep options through this too, so a typo fails when the
    schedule is installed, not every night.
    """
    from janitor.config import load_config
    from janitor.sweep import normalised

    if params.get("verbose") and params.get("quiet"):
        raise UsageError("--verbose and --quiet cannot be used together")
    defaults = load_config(params.get("config"))
    cache_dir = params.get("cache_dir")
    older_than = _duration(params.get("older_than"))
    if older_than is None and defaults.older_than is not None:
        older_than = defaults.older_than.total_seconds()

    def pick(name: str, value: Any) -> Any:
        return value if value is not None else getattr(defaults, name)

    max_size = _size(params.get("max_size"))
    min_free = _size(params.get("min_free"))
    wait = params.get("wait")
    if wait is None:
        wait = defaults.wait.total_seconds() if defaults.wait is not None else 300.0
    return Options(
        cache_dir=cache_dir if cache_dir is not None else defaults.cache_dir,
        cache_dir_from_config=cache_dir is None and defaults.cache_dir is not None,
        uv=tuple(params.get("uv") or defaults.uv or ()),
        packages=normalised(params.get("package") or defaults.packages or ()),
        ci=bool(params.get("ci")) or bool(defaults.ci),
        older_than=older_than,
        keep_versions=pick("keep_versions", params.get("keep_versions")),
        max_size=pick("max_size", max_size),
        min_free=pick("min_free", min_free),
        keep=frozenset(normalised([*(params.get("keep") or ()), *(defaults.keep or ())])),
        wait=float(wait),
        workers=pick("workers", params.get("workers")),
        processes=pick("processes", params.get("processes")),
        warning=defaults.warning,
    )


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
    _sweep(
        chosen, dry_run=dry_run, json_output=json_output, force=force, verbose=verbose, quiet=quiet
    )


def _sweep(
    chosen: Options, *, dry_run: bool, json_output: bool, force: bool, verbose: bool, quiet: bool
) -> None:
    from janitor import render
    from janitor import sweep as sweeps
    from janitor.policy import Policy

    uvs, releases, notes = follow(chosen.uv)
    opened = open_cache(chosen.cache_dir, uvs, from_config=chosen.cache_dir_from_config)
    if opened is None:
        return
    show_progress = not (quiet or json_output or dry_run) and sys.stderr.isatty()
    progress = Progress() if show_progress else None

    def on_busy() -> None:
        if not quiet and chosen.wait:
            err(
                "Cache is currently in-use, waiting for other uv processes to finish "
                "(use `--force` to override)"
            )

    request = sweeps.Request(
        root=opened,
        releases=tuple(releases),
        notes=tuple(notes),
        packages=chosen.packages,
        ci=chosen.ci,
        policy=Policy(
            older_than=chosen.older_than,
            keep_versions=chosen.keep_versions,
            max_size=chosen.max_size,
            min_free=chosen.min_free,
            keep=chosen.keep,
            now=time.time(),
        ),
        dry_run=dry_run,
        wait=chosen.wait,
        force=force,
        workers=chosen.workers,
        processes=chosen.processes,
        reporter=progress,
        on_busy=on_busy,
    )
    try:
        result = run(lambda: sweeps.run(request))
    except CacheBusy as busy:
        if quiet:
            raise typer.Exit(busy.exit_code) from None
        raise
    finally:
        if progress is not None:
            progress.stop()
    if json_output:
        print_json(render.sweep_json(str(opened), result.plan, result.removal, result.duration))
    elif result.removal is None:
        if not quiet:
            for line in render.plan_lines(result.plan, verbose):
                err(line)
    else:
        for line in render.removal_lines(result.removal, result.plan.notes, verbose):
            if not quiet or line.startswith("Failed"):
                err(line)
    if result.log_warning and not quiet:
        err(f"warning: {result.log_warning}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


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
