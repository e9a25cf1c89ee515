"""The sweep's options, checked and with the config's defaults applied, without typer: what
`janitor sweep` (janitor.cli.sweep), the console script's quick path (janitor.entry) and
`janitor schedule install` all check a sweep's options with. Standard library only at import.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from janitor.errors import UsageError


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
