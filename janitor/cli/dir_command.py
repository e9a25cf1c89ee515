"""`janitor dir`, without typer: the cache directory janitor would use, found as uv finds it.

The typer app (janitor.cli.commands) and the console script's quick path (janitor.entry) both
run `dir_command`, with the parameters janitor.cli.options.DIR declares. May import
janitor.uv.finduv, janitor.uv.locate and janitor.hf.locate, lazily.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from janitor.errors import UsageError


def dir_command(
    cache: str = "uv", cache_dir: Path | None = None, uv: Sequence[Path] | None = None
) -> int:
    """The cache directory janitor would use: the one `uv cache dir` names, or with hf the
    Hugging Face hub cache the client uses."""
    if cache == "hf":
        from janitor.hf.locate import locate as locate_hub

        return _print(locate_hub(cache_dir)[0])
    if cache != "uv":
        raise UsageError(f"unknown cache {cache!r}: choose uv or hf")
    from janitor.uv import finduv, locate

    # uv is asked only where it decides: with neither the flag nor UV_CACHE_DIR.
    named = cache_dir is not None or bool(os.environ.get("UV_CACHE_DIR"))
    uvs = [] if named else finduv.find(uv or ())
    return _print(locate.locate(cache_dir, uvs=uvs).path)


def _print(path: Path) -> int:
    sys.stdout.write(f"{path}\n")
    return 0
