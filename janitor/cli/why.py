"""`janitor why`: what keeps an archive alive.

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
from janitor.errors import UsageError


def why(
    archive: Annotated[
        str,
        # Described in the docstring: click would list it with a Python type name.
        typer.Argument(metavar="ARCHIVE_ID_OR_PATH", hidden=True),
    ],
    cache_dir: Annotated[Path | None, cache_dir_option("The uv cache to look in")] = None,
    uv: UvOption = None,
    json_output: JsonOption = False,
) -> None:
    """What references an archive: package entries and cached environments.

    ARCHIVE_ID_OR_PATH is an archive's id, or a path to the archive (after `--` if it starts
    with `-`).
    """
    from janitor import graph as graphs
    from janitor import render, scan
    from janitor.layout.uv import Kind

    uvs, releases, _ = follow(uv or ())
    root = open_cache(cache_dir, uvs)
    if root is None:
        return
    archive_id = Path(archive.rstrip("/\\")).name
    inventory = run(lambda: scan.scan(root, releases=releases))
    found = inventory.archives.get(archive_id)
    if found is None:
        raise UsageError(f"No archive {archive_id} in {root / inventory.bucket(Kind.ARCHIVE)}")
    graph = graphs.build(inventory)
    links = graph.referrers.get(archive_id, ())
    envs = [env.path for env in inventory.environments if archive_id in env.archives]
    packages = graphs.packages_by_archive(inventory)[archive_id]
    if json_output:
        print_json(
            {
                "archive": found.path,
                "packages": [{"name": n, "version": v} for n, v in packages],
                "environment": found.venv,
                "referenced_by": [
                    {
                        "path": link.path,
                        "package": link.package,
                        "version": link.version,
                        "windows_link_file": link.windows,
                        "environment": next((e for e in envs if link.path.startswith(e)), None),
                    }
                    for link in links
                ],
            }
        )
        return
    for line in render.why_lines(found.path, packages, links):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("why")(handles_errors(why))
