"""`janitor sweep`'s options, as typer declares them; the sweep itself is janitor.cli.sweeping.

May import everything in janitor; heavy modules are imported inside the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from janitor.cli._common import JsonOption, UvOption, cache_dir_option, handles_errors
from janitor.cli.output import err
from janitor.cli.sweep_options import Options, options
from janitor.cli.sweeping import run_sweep
from janitor.errors import UsageError

PackageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--package",
        "-p",
        metavar="NAME",
        help="Remove this package from the cache in one step (repeatable, any spelling).",
        show_default=False,
    ),
]


def sweep(
    # Described in the docstring: click would list it with a Python type name.
    cache: Annotated[str, typer.Argument(metavar="[uv|hf|all]", hidden=True)] = "uv",
    package: PackageOption = None,
    cache_dir: Annotated[Path | None, cache_dir_option("The uv cache to clean")] = None,
    uv: UvOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", "-n", help="Print the plan on stdout, one line per item; remove nothing."
        ),
    ] = False,
    ci: Annotated[
        bool, typer.Option("--ci", help="Also drop unzipped wheels, as `uv cache prune --ci`.")
    ] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help=(
                "Remove package versions not used for this long: a whole number and a unit, "
                "w (weeks), d (days), h (hours), min (minutes) or s (seconds), largest first: "
                "30d, 12h, 1w2d, 90min."
            ),
            show_default=False,
        ),
    ] = None,
    keep_versions: Annotated[
        int | None,
        typer.Option(
            "--keep-versions",
            metavar="N",
            min=0,
            help="Keep the N newest versions of each package per index.",
            show_default=False,
        ),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            metavar="SIZE",
            help=(
                "Evict least recently used versions until the cache takes at most SIZE: "
                "10GiB, 500MB, 1.5G or bytes (KiB, MiB, GiB and K, M, G: 1024; kB, MB, GB: 1000)."
            ),
            show_default=False,
        ),
    ] = None,
    min_free: Annotated[
        str | None,
        typer.Option(
            "--min-free",
            metavar="SIZE",
            help="Evict least recently used versions until the cache's disk has SIZE free (5GiB).",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            metavar="NAME",
            help="A package no policy evicts (repeatable).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="The policies' defaults (default: janitor's config.toml, if there is one).",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="How long to wait for running uv processes to finish (default: 300).",
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
            metavar="N",
            help="Deletions in flight at once (default: tuned while running, up to 64).",
            min=1,
            max=512,
            show_default=False,
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            metavar="N",
            help="Worker processes that delete (default: one per core where they pay; 0: none).",
            min=0,
            max=64,
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="One line per removed item, and notes.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Remove what nothing uses (as `uv cache prune`), or whole packages with --package.

    The cache is uv's (the default), hf (the Hugging Face hub's: --package ORG/NAME,
    datasets/ORG/NAME or ORG/NAME@REV) or all (both, under one --max-size).

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
        unknown = getattr(error, "option_name", None)
        # By name: typer may bring click's exceptions as its own copy, or click's.
        if type(error).__name__ == "NoSuchOption" and unknown:
            # click's "Possible options" would guess among the sweep's options (`--bogus`:
            # `--verbose`), which reads as if schedule had them; name them all instead.
            names = ", ".join(
                "/".join(param.opts)
                for param in command.params
                if param.opts and not getattr(param, "hidden", False)
            )
            raise UsageError(
                f"sweep options: No such option: {unknown} (janitor sweep's options: {names})"
            ) from None
        formatted = getattr(error, "format_message", None)
        message = formatted() if callable(formatted) else str(error)
        raise UsageError(f"sweep options: {message}") from None
    return options(context.params)
