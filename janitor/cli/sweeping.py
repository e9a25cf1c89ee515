"""A sweep from the command line, without typer: options checked and defaulted, the sweep run
and its outcome printed. `janitor sweep` (janitor.cli.sweep) and the console script's quick path
(janitor.entry) both call it. May import everything in janitor, lazily.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from janitor.cli.output import Progress, err, open_cache, out_lines, print_json, releases_of, run
from janitor.errors import CacheBusy, UsageError


class _NoDefaults:
    """The config's defaults when there is no config file (without importing the config)."""

    older_than = keep_versions = max_size = min_free = ci = packages = cache_dir = None
    workers = processes = wait = keep = uv = warning = None


# A valid project name (PEP 508, as packaging's `canonicalize_name(validate=True)` checks it) and
# PEP 503 normalisation (janitor.layout.uv.normalize), spelled out here because importing their
# owners costs the quick path its start-up time; a test keeps the copies equal.
_NAME_RE = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
_SEPARATORS_RE = re.compile(r"[-_.]+")


def normalised(names: Any, option: str | None = None) -> tuple[str, ...]:
    """Package names, PEP 503-normalised, first spelling first, without repeats.

    With `option`, names typed on the command line: one that is not a valid package name is a
    UsageError naming the option.
    """
    if not names:
        return ()
    if option is not None:
        for name in names:
            if not _NAME_RE.fullmatch(name):
                raise UsageError(
                    f"invalid package name {name!r} for {option}: expected letters, digits, "
                    "'.', '_' or '-', starting and ending with a letter or digit"
                )
    return tuple(dict.fromkeys(_SEPARATORS_RE.sub("-", name).lower() for name in names))


def default_config() -> str:
    """Where janitor's config file is looked for."""
    import platformdirs

    return os.path.join(platformdirs.user_config_dir("janitor", appauthor=False), "config.toml")


def load_defaults(path: Path | None) -> Any:
    """The config file's defaults (the file named, or the default one when it exists)."""
    if path is None and not os.path.exists(default_config()):
        return _NoDefaults()
    from janitor.config import load_config

    return load_config(path)


class Options:
    """The sweep's options, checked and with the config's defaults applied.

    A plain class rather than a dataclass: importing dataclasses costs the quick paths time.
    """

    def __init__(
        self,
        *,
        cache: str = "uv",
        cache_dir: Path | None,
        cache_dir_from_config: bool,
        uv: tuple[Path, ...],
        packages: tuple[str, ...],
        ci: bool,
        older_than: float | None,
        keep_versions: int | None,
        max_size: int | None,
        min_free: int | None,
        keep: frozenset[str],
        wait: float,
        workers: int | None,
        processes: int | None,
        warning: str | None,
        keep_hub: frozenset[str] = frozenset(),
    ) -> None:
        self.cache = cache  # "uv", "hf" or "all"
        self.keep_hub = keep_hub  # hub repositories no policy evicts, as users name them
        self.cache_dir = cache_dir
        self.cache_dir_from_config = cache_dir_from_config
        self.uv = uv
        self.packages = packages
        self.ci = ci
        self.older_than = older_than
        self.keep_versions = keep_versions
        self.max_size = max_size
        self.min_free = min_free
        self.keep = keep
        self.wait = wait
        self.workers = workers
        self.processes = processes
        self.warning = warning


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


# The caches a sweep can clean: uv's, the Hugging Face hub's, or both under one budget.
CACHES = ("uv", "hf", "all")


def hub_names(names: Any, option: str, *, revisions: bool) -> tuple[str, ...]:
    """Hub repositories (and, with `revisions`, `@REV`) as typed, checked; first spelling first."""
    from janitor.hf.layout import parse_selector

    checked: list[str] = []
    for name in names or ():
        try:
            selector = parse_selector(name)
        except ValueError as error:
            raise UsageError(f"invalid repository for {option}: {error}") from None
        if selector.revision and not revisions:
            raise UsageError(f"{option} takes a repository, not a revision: {name!r}")
        checked.append(selector.label)
    return tuple(dict.fromkeys(checked))


def _cache(params: Mapping[str, Any]) -> str:
    cache = params.get("cache") or "uv"
    if cache not in CACHES:
        raise UsageError(f"unknown cache {cache!r}: choose uv, hf or all")
    if cache == "all" and params.get("cache_dir") is not None:
        raise UsageError("--cache-dir names one cache: use it with `janitor sweep uv` or `hf`")
    if cache == "all" and params.get("package"):
        raise UsageError(
            "--package names one cache's packages: use `janitor sweep uv --package NAME` "
            "or `janitor sweep hf --package ORG/NAME`"
        )
    if cache == "hf" and params.get("ci"):
        raise UsageError("--ci applies to uv's cache: use `janitor sweep uv --ci` or `all`")
    return str(cache)


def _keeps(cache: str, names: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """--keep's names for uv (package names) and the hub (repositories): with `all`, each name
    goes to every cache whose names it fits."""
    if cache == "uv":
        return normalised(names, "--keep"), ()
    if cache == "hf":
        return (), hub_names(names, "--keep", revisions=False)
    uv_names: list[str] = []
    hub: list[str] = []
    for name in names or ():
        if _NAME_RE.fullmatch(name):
            uv_names.append(name)
        try:
            hub.extend(hub_names([name], "--keep", revisions=False))
        except UsageError:
            if not _NAME_RE.fullmatch(name):
                raise
    return normalised(uv_names), tuple(dict.fromkeys(hub))


def options(params: Mapping[str, Any]) -> Options:
    """Check the sweep's parsed parameters and fill in the config's defaults.

    `janitor schedule install` runs its sweep options through this too, so a typo fails when the
    schedule is installed, not every night.
    """
    if params.get("verbose") and params.get("quiet"):
        raise UsageError("--verbose and --quiet cannot be used together")
    cache = _cache(params)
    defaults = load_defaults(params.get("config"))
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
    if cache == "hf":
        packages = hub_names(params.get("package"), "--package", revisions=True)
    else:
        packages = normalised(params.get("package"), "--package") or normalised(defaults.packages)
    keep, keep_hub = _keeps(cache, params.get("keep"))
    # The config's cache directory and packages are uv's.
    from_config = cache == "uv" and cache_dir is None and defaults.cache_dir is not None
    return Options(
        cache=cache,
        cache_dir=defaults.cache_dir if from_config else cache_dir,
        cache_dir_from_config=from_config,
        uv=tuple(params.get("uv") or defaults.uv or ()),
        packages=packages if cache != "all" else (),
        ci=bool(params.get("ci")) or bool(defaults.ci),
        older_than=older_than,
        keep_versions=pick("keep_versions", params.get("keep_versions")),
        max_size=pick("max_size", max_size),
        min_free=pick("min_free", min_free),
        keep=frozenset((*keep, *normalised(defaults.keep))),
        keep_hub=frozenset(keep_hub),
        wait=float(wait),
        workers=pick("workers", params.get("workers")),
        processes=pick("processes", params.get("processes")),
        warning=defaults.warning,
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

    keep = {"uv": chosen.keep, "hf": chosen.keep_hub}
    policy = Policy(
        older_than=chosen.older_than,
        keep_versions=chosen.keep_versions,
        max_size=chosen.max_size,
        min_free=chosen.min_free,
        keep=frozenset().union(*(keep[kind] for kind, _, _ in opened)),
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
    from janitor import finduv

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
    from janitor import locate

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
        chosen.keep,
    )
    record = runlog.sweep_record(str(root), policy, runlog.EMPTY_TOTALS, [], 0.0, 0)
    try:
        runlog.append_run_blocking(record)
    except OSError as error:
        if not quiet:
            err(f"warning: cannot write the run log: {error}")
