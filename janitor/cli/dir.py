"""`janitor dir`: the cache directory janitor would use, found as uv finds it.

Also answered by janitor.entry without importing this module; both print the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from janitor.cli._common import UvOption, cache_dir_option, handles_errors
from janitor.errors import UsageError


def dir_command(
    # Described in the docstring: click would list it with a Python type name.
    cache: Annotated[str, typer.Argument(metavar="[uv|hf]", hidden=True)] = "uv",
    cache_dir: Annotated[
        Path | None, cache_dir_option("The cache whose directory to print")
    ] = None,
    uv: UvOption = None,
) -> None:
    """The cache directory janitor would use: the one `uv cache dir` names, or with hf the
    Hugging Face hub cache the client uses."""
    from janitor import finduv, locate

    if cache == "hf":
        from janitor.hf.locate import locate as locate_hub

        typer.echo(str(locate_hub(cache_dir)[0]))
        return
    if cache != "uv":
        raise UsageError(f"unknown cache {cache!r}: choose uv or hf")

    location = locate.locate(cache_dir, uvs=finduv.find(uv or ()))
    typer.echo(str(location.path))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("dir")(handles_errors(dir_command))
