"""A sweep's options checked and given the config's defaults, without typer: `janitor sweep`
(janitor.cli.sweep_command) and `janitor schedule install` (which checks the sweep options it
schedules) both go through `options`. Light enough for the console script's quick path: may
import janitor.config, janitor.errors and janitor.uv.names, and the rest lazily.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from janitor.cli.options import CACHES
from janitor.config import SweepDefaults, default_config_path, load_config
from janitor.errors import UsageError
from janitor.uv.names import is_package_name, normalize

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def normalised(names: Any, option: str | None = None) -> tuple[str, ...]:
    """Package names, PEP 503-normalised, first spelling first, without repeats.

    With `option`, names typed on the command line: one that is not a valid package name is a
    UsageError naming the option.
    """
    if not names:
        return ()
    if option is not None:
        for name in names:
            if not is_package_name(name):
                raise UsageError(
                    f"invalid package name {name!r} for {option}: expected letters, digits, "
                    "'.', '_' or '-', starting and ending with a letter or digit"
                )
    return tuple(dict.fromkeys(normalize(name) for name in names))


def load_defaults(path: Path | None) -> SweepDefaults:
    """The config file's defaults (the file named, or the default one when it exists)."""
    if path is None and not os.path.exists(default_config_path()):
        # No file: the defaults, without a read that could warn (a home directory another user
        # cannot read is no config).
        return SweepDefaults()
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
        keep: Mapping[str, frozenset[str]],
        wait: float,
        workers: int | None,
        processes: int | None,
        warning: str | None,
    ) -> None:
        self.cache = cache  # "uv", "hf" or "all"
        self.cache_dir = cache_dir
        self.cache_dir_from_config = cache_dir_from_config
        self.uv = uv
        self.packages = packages
        self.ci = ci
        self.older_than = older_than
        self.keep_versions = keep_versions
        self.max_size = max_size
        self.min_free = min_free
        # Per cache kind, what no policy evicts: uv's package names (normalised), the hub's
        # repositories as users name them.
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
        if is_package_name(name):
            uv_names.append(name)
        try:
            hub.extend(hub_names([name], "--keep", revisions=False))
        except UsageError:
            if not is_package_name(name):
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
        keep={"uv": frozenset((*keep, *normalised(defaults.keep))), "hf": frozenset(keep_hub)},
        wait=float(wait),
        workers=pick("workers", params.get("workers")),
        processes=pick("processes", params.get("processes")),
        warning=defaults.warning,
    )
