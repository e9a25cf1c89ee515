"""The `janitor` console script: the common commands without typer, everything else through it.

`janitor --version`, `janitor dir` and `janitor sweep` (the main job, run by hand and from timers)
are parsed here with the quick parser of janitor.cli.options, where typer and the modules a
command does not need cost no start-up time; any other command, `--help`, and any option or
value the quick parser does not accept for certain goes to the typer app (janitor.cli.commands),
built from the same declarations, which parses it in full and gives the error. May import
janitor.cli.options and janitor.cli.output, and the commands' modules when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def quick(args: Sequence[str]) -> int | None:
    """The exit code of a command answered here, or None to hand it to the full command line."""
    if list(args) == ["--version"]:
        from janitor import __version__

        sys.stdout.write(f"janitor {__version__}\n")
        return 0
    if not args or args[0] not in ("dir", "sweep"):
        return None
    from janitor.cli import options

    command = options.DIR if args[0] == "dir" else options.SWEEP
    params = options.parse(command, args[1:])
    if params is None:
        return None
    from janitor.cli.output import guarded

    return guarded(lambda: _run(command.name, params))


def _run(name: str, params: dict[str, Any]) -> int:
    """Run a command the quick parser read (imported here, where Ctrl-C is said as it should)."""
    if name == "dir":
        from janitor.cli.dir_command import dir_command

        return dir_command(**params)
    from janitor.cli.sweep_command import sweep

    return sweep(**params)


def main() -> None:
    """Entry point of the `janitor` console script."""
    code = quick(sys.argv[1:])
    if code is None:
        from janitor.cli.commands import main as full

        full()
        return
    sys.stdout.flush()
    sys.exit(code)
