"""The `janitor` console script: quick answers first, the full command line otherwise.

`janitor --version`, `janitor dir` and a sweep of a cache that holds nothing (none at uv's place,
or one `uv cache clean` emptied) are answered here with the standard library and janitor's light
modules, in the time it takes Python to start; anything else, and any option this module does not
know for certain, goes to the typer app in janitor.cli, which parses and answers it in full. Both
print the same. May import janitor.errors, janitor.finduv, janitor.locate, janitor.config and
janitor.runlog; never typer, rich, anyio or the engine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from janitor import __version__

# Options a quick sweep understands: flags, and options taking one value.
_SWEEP_FLAGS = {
    "-q": "quiet",
    "--quiet": "quiet",
    "-v": "verbose",
    "--verbose": "verbose",
    "--force": "force",
    "--ci": "ci",
    "-n": "dry_run",
    "--dry-run": "dry_run",
}
_SWEEP_VALUES = {"--cache-dir": "cache_dir", "--uv": "uv", "--config": "config"}
_DIR_VALUES = {"--cache-dir": "cache_dir", "--uv": "uv"}


def _parse(
    args: Sequence[str], values: dict[str, str], flags: dict[str, str]
) -> dict[str, list[str]] | None:
    """Options as name -> values, or None for anything this module leaves to the full parser."""
    parsed: dict[str, list[str]] = {}
    position = 0
    while position < len(args):
        arg = args[position]
        name, has_value, value = arg.partition("=")
        if name in values:
            if not has_value:
                position += 1
                if position >= len(args) or args[position].startswith("-"):
                    return None
                value = args[position]
            if not value:
                return None
            parsed.setdefault(values[name], []).append(value)
        elif arg in flags:
            parsed.setdefault(flags[arg], []).append("")
        else:
            return None
        position += 1
    return parsed


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def _dir(args: Sequence[str]) -> int | None:
    from pathlib import Path

    from janitor import finduv, locate

    parsed = _parse(args, _DIR_VALUES, {})
    if parsed is None or len(parsed.get("cache_dir", [])) > 1:
        return None
    cache_dir = parsed.get("cache_dir")
    # uv is asked only where it decides: with neither the flag nor UV_CACHE_DIR.
    named = bool(cache_dir) or bool(os.environ.get("UV_CACHE_DIR"))
    uvs = [] if named else finduv.find(parsed.get("uv", []))
    location = locate.locate(Path(cache_dir[0]) if cache_dir else None, uvs=uvs)
    sys.stdout.write(f"{location.path}\n")
    return 0


def _sweep(args: Sequence[str]) -> int | None:
    from pathlib import Path

    from janitor import finduv, locate

    parsed = _parse(args, _SWEEP_VALUES, _SWEEP_FLAGS)
    if parsed is None or ("verbose" in parsed and "quiet" in parsed):
        return None
    if any(len(parsed.get(name, [])) > 1 for name in ("cache_dir", "config")):
        return None
    quiet = "quiet" in parsed
    config_path = parsed.get("config")
    configured_dir: Path | None = None
    configured_uv: tuple[Path, ...] = ()
    packages: tuple[str, ...] = ()
    warning = None
    if config_path or os.path.exists(_default_config()):
        from janitor import config  # only when there is a file to read: it costs start-up

        defaults = config.load_config(Path(config_path[0]) if config_path else None)
        configured_dir, configured_uv = defaults.cache_dir, defaults.uv or ()
        packages, warning = defaults.packages or (), defaults.warning
    flag = parsed.get("cache_dir")
    cache_dir = Path(flag[0]) if flag else configured_dir
    named = cache_dir is not None or bool(os.environ.get("UV_CACHE_DIR"))
    uvs = [] if named else finduv.find(parsed.get("uv") or configured_uv)
    location = locate.locate(
        cache_dir, uvs=uvs, from_config=not flag and configured_dir is not None
    )
    if not location.explicit and not os.path.exists(location.path):
        if not quiet:
            if warning:
                _err(f"warning: {warning}")
            _err(f"No cache found at: {location.path}")
        return 0
    root = locate.validate(location)
    try:
        names = os.listdir(root)
    except OSError:
        return None
    if not locate.is_empty(names):
        return None  # there is work: the full command does it
    if not quiet:
        if warning:
            _err(f"warning: {warning}")
        _err("No unused entries found")
    if "dry_run" not in parsed:
        from janitor import runlog

        record = runlog.sweep_record(
            str(root), {"packages": list(packages)}, runlog.EMPTY_TOTALS, [], 0.0, 0
        )
        try:
            runlog.append_run_blocking(record)
        except OSError as error:
            if not quiet:
                _err(f"warning: cannot write the run log: {error}")
    return 0


def _default_config() -> str:
    import platformdirs

    return os.path.join(platformdirs.user_config_dir("janitor", appauthor=False), "config.toml")


def quick(args: Sequence[str]) -> int | None:
    """The exit code of a command answered here, or None to hand it to the full command line."""
    from janitor.errors import JanitorError

    if list(args) == ["--version"]:
        sys.stdout.write(f"janitor {__version__}\n")
        return 0
    if not args or args[0] not in ("dir", "sweep"):
        return None
    try:
        return _dir(args[1:]) if args[0] == "dir" else _sweep(args[1:])
    except JanitorError as error:
        _err(f"error: {error}")
        return error.exit_code


def main() -> None:
    """Entry point of the `janitor` console script."""
    code = quick(sys.argv[1:])
    if code is None:
        from janitor.cli import main as full

        full()
        return
    sys.stdout.flush()
    sys.exit(code)
