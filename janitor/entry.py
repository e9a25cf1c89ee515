"""The `janitor` console script: the common commands without typer, everything else through it.

`janitor --version`, `janitor dir` and `janitor sweep` (the main job, run by hand and from timers)
are parsed here, where typer and the modules a command does not need cost no start-up time; any
other command, `--help`, and any option or value this module does not accept for certain goes to
the typer app in janitor.cli, which parses it in full and gives the error. Both parse alike: a
test compares this module's option table with the typer command's. May import janitor.errors,
janitor.finduv, janitor.locate, janitor.cli.sweep_options and janitor.cli.sweeping (which imports
the rest when it runs).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from janitor import __version__

# `janitor sweep`'s options: option -> (parameter, kind, bounds). Kinds: "flag", "text",
# "path", "int", "float"; a "+" marks an option that may be repeated.
SWEEP_OPTIONS: dict[str, tuple[str, str, tuple[float | None, float | None]]] = {
    "--package": ("package", "text+", (None, None)),
    "-p": ("package", "text+", (None, None)),
    "--cache-dir": ("cache_dir", "path", (None, None)),
    "--uv": ("uv", "path+", (None, None)),
    "--dry-run": ("dry_run", "flag", (None, None)),
    "-n": ("dry_run", "flag", (None, None)),
    "--ci": ("ci", "flag", (None, None)),
    "--older-than": ("older_than", "text", (None, None)),
    "--keep-versions": ("keep_versions", "int", (0, None)),
    "--max-size": ("max_size", "text", (None, None)),
    "--min-free": ("min_free", "text", (None, None)),
    "--keep": ("keep", "text+", (None, None)),
    "--config": ("config", "path", (None, None)),
    "--json": ("json_output", "flag", (None, None)),
    "--wait": ("wait", "float", (0, None)),
    "--force": ("force", "flag", (None, None)),
    "--workers": ("workers", "int", (1, 512)),
    "--processes": ("processes", "int", (0, 64)),
    "--verbose": ("verbose", "flag", (None, None)),
    "-v": ("verbose", "flag", (None, None)),
    "--quiet": ("quiet", "flag", (None, None)),
    "-q": ("quiet", "flag", (None, None)),
}
DIR_OPTIONS = {name: SWEEP_OPTIONS[name] for name in ("--cache-dir", "--uv")}


def _value(kind: str, bounds: tuple[float | None, float | None], text: str) -> Any:
    """A value converted as typer would, or None when typer should say what is wrong."""
    if kind.startswith("path"):
        return Path(text)
    if kind.startswith("text"):
        return text
    try:
        number: float = int(text) if kind == "int" else float(text)
    except ValueError:
        return None
    low, high = bounds
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def parse(
    args: Sequence[str],
    table: dict[str, tuple[str, str, tuple[float | None, float | None]]],
    words: tuple[str, Sequence[str]] | None = None,
) -> dict[str, Any] | None:
    """Options as typer's parameters, or None for anything left to the full parser.

    `words`: the parameter of one optional argument, and the words it may be.
    """
    params: dict[str, Any] = {}
    position = 0
    while position < len(args):
        name, has_value, text = args[position].partition("=")
        spec = table.get(name)
        word = spec is None and not has_value and words is not None and name in words[1]
        if word and words is not None and words[0] not in params:
            params[words[0]] = name
            position += 1
            continue
        if spec is None:
            return None  # --help, --, other arguments, `-qv`, unknown options
        parameter, kind, bounds = spec
        if kind == "flag":
            if has_value:
                return None
            params[parameter] = True
        else:
            if not has_value:
                position += 1
                if position >= len(args):
                    return None
                text = args[position]
            value = _value(kind, bounds, text)
            if value is None or (kind == "path" and not text):
                return None
            if kind.endswith("+"):
                params.setdefault(parameter, []).append(value)
            elif parameter in params:
                return None  # given twice: typer decides
            else:
                params[parameter] = value
        position += 1
    return params


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def _dir(args: Sequence[str]) -> int | None:
    from janitor import finduv, locate

    params = parse(args, DIR_OPTIONS, words=("cache", ("uv", "hf")))
    if params is None:
        return None
    cache_dir = params.get("cache_dir")
    if params.get("cache") == "hf":
        from janitor.hf.locate import locate as locate_hub

        sys.stdout.write(f"{locate_hub(cache_dir)[0]}\n")
        return 0
    # uv is asked only where it decides: with neither the flag nor UV_CACHE_DIR.
    named = cache_dir is not None or bool(os.environ.get("UV_CACHE_DIR"))
    uvs = [] if named else finduv.find(params.get("uv", []))
    location = locate.locate(cache_dir, uvs=uvs)
    sys.stdout.write(f"{location.path}\n")
    return 0


def _sweep(args: Sequence[str]) -> int | None:
    from janitor.cli import sweep_options, sweeping

    params = parse(args, SWEEP_OPTIONS, words=("cache", sweep_options.CACHES))
    if params is None:
        return None
    chosen = sweep_options.options(params)
    quiet = bool(params.get("quiet"))
    if chosen.warning and not quiet:
        _err(f"warning: {chosen.warning}")
    return sweeping.run_sweep(
        chosen,
        dry_run=bool(params.get("dry_run")),
        json_output=bool(params.get("json_output")),
        force=bool(params.get("force")),
        verbose=bool(params.get("verbose")),
        quiet=quiet,
    )


def quick(args: Sequence[str]) -> int | None:
    """The exit code of a command answered here, or None to hand it to the full command line."""
    from janitor.errors import EXIT_INTERRUPTED, JanitorError

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
    except KeyboardInterrupt:
        from janitor.cli.output import INTERRUPTED

        _err(INTERRUPTED)
        return EXIT_INTERRUPTED


def main() -> None:
    """Entry point of the `janitor` console script."""
    code = quick(sys.argv[1:])
    if code is None:
        from janitor.cli.commands import main as full

        full()
        return
    sys.stdout.flush()
    sys.exit(code)
