"""`janitor sweep`, without typer: the options checked and defaulted (janitor.cli.sweep_options),
the sweep run (janitor.sweep) and its outcome printed.

The typer app (janitor.cli.commands) and the console script's quick path (janitor.entry) both
run `sweep`, with the parameters janitor.cli.options.SWEEP declares. May import everything in
janitor, lazily: the quick path imports this module.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from janitor.cli.output import Progress, err, open_cache, out_lines, print_json, releases_of, run
from janitor.cli.sweep_options import Options, options
from janitor.errors import CacheBusy

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def sweep(**params: Any) -> int:
    """Remove what nothing uses (as `uv cache prune`), or whole packages with --package.

    The cache is uv's (the default), hf (the Hugging Face hub's: --package ORG/NAME,
    datasets/ORG/NAME or ORG/NAME@REV) or all (both, under one --max-size).

    Policies (--older-than, --keep-versions, --max-size, --min-free) add to either; their
    defaults come from the config file, and flags override it.
    """
    chosen = options(params)
    quiet = bool(params.get("quiet"))
    if chosen.warning and not quiet:
        err(f"warning: {chosen.warning}")
    return run_sweep(
        chosen,
        dry_run=bool(params.get("dry_run")),
        json_output=bool(params.get("json_output")),
        force=bool(params.get("force")),
        verbose=bool(params.get("verbose")),
        quiet=quiet,
    )


def run_sweep(
    chosen: Options, *, dry_run: bool, json_output: bool, force: bool, verbose: bool, quiet: bool
) -> int:
    """Carry out a sweep of the cache chosen (or of both, under one policy) and print its
    outcome; the exit code."""
    show = _Show(dry_run=dry_run, json_output=json_output, verbose=verbose, quiet=quiet)
    kinds = ("uv", "hf") if chosen.cache == "all" else (chosen.cache,)
    show.heading = len(kinds) > 1
    opened: list[tuple[str, Path, Any]] = []
    for kind in kinds:
        found = _open(kind, chosen, show)
        if found is None:
            continue
        root, uvs = found
        if kind == "uv" and not json_output and _empty(root):
            # Nothing in it but markers: said and logged without the scan, plan or engine.
            for name in chosen.packages:
                show.say(f"No cache entries for {name}")
            show.say(
                "No unused entries found" + (f" in the {TITLES[kind]}" if show.heading else "")
            )
            if not dry_run:
                _log_empty(root, chosen, quiet)
            continue
        opened.append((kind, root, uvs))
    try:
        results = _sweep(opened, chosen, show, force=force) if opened else []
    except CacheBusy as busy:
        if quiet:  # a timer's run tries again next time
            return busy.exit_code
        raise
    for (kind, root, _uvs), result in zip(opened, results, strict=True):
        if show.heading and not json_output:
            show.say(f"{TITLES[kind]} ({root}):")
        _print(kind, root, result, show)
    if show.heading and json_output:
        print_json({"caches": show.documents})
    return max((result.exit_code for result in results), default=0)


def _sweep(
    opened: list[tuple[str, Path, Any]], chosen: Options, show: _Show, *, force: bool
) -> list[Any]:
    """Sweep the caches opened, together; their results."""
    show_progress = not (show.quiet or show.json_output or show.dry_run) and sys.stderr.isatty()
    progress = Progress() if show_progress else None

    def on_busy() -> None:
        if chosen.wait:
            show.say(
                "Cache is currently in-use, waiting for other uv processes to finish "
                "(use `--force` to override)"
            )

    from janitor import sweep as sweeps
    from janitor.policy import Policy

    policy = Policy(
        older_than=chosen.older_than,
        keep_versions=chosen.keep_versions,
        max_size=chosen.max_size,
        min_free=chosen.min_free,
        keep=frozenset().union(*(chosen.keep[kind] for kind, _, _ in opened)),
        now=time.time(),
    )
    requests = []
    for kind, root, uvs in opened:
        releases, notes = releases_of(uvs) if kind == "uv" else ([], [])
        requests.append(
            sweeps.Request(
                root=root,
                kind=kind,
                releases=tuple(releases),
                notes=tuple(notes),
                packages=chosen.packages,
                ci=chosen.ci and kind == "uv",
                policy=policy,
                dry_run=show.dry_run,
                wait=chosen.wait,
                force=force,
                workers=chosen.workers,
                processes=chosen.processes,
                reporter=progress,
                on_busy=on_busy,
            )
        )
    try:
        results: list[Any] = run(lambda: sweeps.run_together(requests))
    finally:
        if progress is not None:
            progress.stop()
    return results


class _Show:
    """How a sweep's outcome is printed (and, with `all`, the JSON documents gathered)."""

    def __init__(self, *, dry_run: bool, json_output: bool, verbose: bool, quiet: bool) -> None:
        self.dry_run = dry_run
        self.json_output = json_output
        self.verbose = verbose
        self.quiet = quiet
        self.heading = False  # name each cache before its outcome (`janitor sweep all`)
        self.documents: dict[str, Any] = {}

    def say(self, line: str) -> None:
        if not self.quiet:
            err(line)


# How each cache is named to the user.
TITLES = {"uv": "uv cache", "hf": "Hugging Face cache"}


def _open(kind: str, chosen: Options, show: _Show) -> tuple[Path, Any] | None:
    """The validated root and the uvs found; None when there is no cache."""
    if kind == "hf":
        from janitor.hf.locate import open_hub

        root = open_hub(chosen.cache_dir, show.say)
        return None if root is None else (root, [])
    from janitor.uv import finduv

    uvs = finduv.find(chosen.uv)
    opened = open_cache(
        chosen.cache_dir, uvs, from_config=chosen.cache_dir_from_config, quiet=show.quiet
    )
    return None if opened is None else (opened, uvs)


def _print(kind: str, root: Path, result: Any, show: _Show) -> None:
    """A sweep's outcome: JSON, a dry run's plan on stdout, or what was removed on stderr."""
    from janitor import render

    for name in result.plan.missing:
        show.say(f"No cache entries for {name}")
    if show.json_output:
        document = render.sweep_json(str(root), result.plan, result.removal, result.duration)
        if show.heading:
            show.documents[kind] = document
        else:
            print_json(document)
    elif result.removal is None:
        # The plan is what a dry run was asked for: data on stdout (`janitor sweep -n | less`);
        # what is said about it goes to stderr with the rest.
        out_lines(render.plan_lines(result.plan))
        for line in render.plan_summary(result.plan, show.verbose):
            show.say(line)
    else:
        lines = render.removal_lines(
            result.removal, result.plan.notes, show.verbose, result.plan.warnings
        )
        for line in lines:
            if not show.quiet or line.startswith("Failed"):
                err(line)
    if result.log_warning:
        show.say(f"warning: {result.log_warning}")


def _empty(root: Path) -> bool:
    from janitor.uv import locate

    try:
        return locate.is_empty(os.listdir(root))
    except OSError:
        return False


def _log_empty(root: Path, chosen: Options, quiet: bool) -> None:
    from janitor import runlog

    policy = runlog.policy_record(
        chosen.packages,
        chosen.older_than,
        chosen.keep_versions,
        chosen.max_size,
        chosen.min_free,
        chosen.keep["uv"],
    )
    record = runlog.sweep_record(str(root), policy, runlog.EMPTY_TOTALS, [], 0.0, 0)
    try:
        runlog.append_run_blocking(record)
    except OSError as error:
        if not quiet:
            err(f"warning: cannot write the run log: {error}")
