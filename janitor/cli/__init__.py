"""The `janitor` command line: the only place that prints and turns errors into exit codes.

`app` (janitor.cli.commands) is the typer application, a module per command; `output` and `sweeping`
hold what the commands print and the sweep itself without typer, so that janitor.entry can run
them without importing it. `app` and `main` are imported from here on first use only.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("app", "main"):
        from janitor.cli import commands as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
