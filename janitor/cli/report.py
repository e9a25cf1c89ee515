"""`janitor report`: the cache at a glance.

May import everything in janitor; heavy modules are imported inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from janitor.cli._common import (
    JsonOption,
    UvOption,
    cache_dir_option,
    follow,
    handles_errors,
    open_cache,
    print_json,
    run,
)


def report(
    cache_dir: Annotated[Path | None, cache_dir_option("The uv cache to report on")] = None,
    uv: UvOption = None,
    json_output: JsonOption = False,
) -> None:
    """The cache at a glance: its size, what a sweep would free, packages and environments."""
    from janitor import render, runlog
    from janitor import report as reports

    uvs, releases, notes = follow(uv or ())
    root = open_cache(cache_dir, uvs)
    if root is None:
        return
    result = run(lambda: reports.build(root, releases, notes))
    runs = [r for r in runlog.read_runs(limit=20) if r.get("cache_dir") == str(root)][-5:]
    if json_output:
        print_json(render.report_json(result, runs))
        return
    for line in render.report_lines(result, runs):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("report")(handles_errors(report))
