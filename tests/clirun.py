"""Running janitor from the tests: in process through the typer app, or as the console script in
a child process; and measuring what is on disk with `du`.

Imports janitor's CLI and the cache factory's description of a cache, nothing from test modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from janitor.cli.commands import app
from tests.uvfactory import TEST_UV, UvCache

runner = CliRunner()


def janitor_json(*args: str) -> dict[str, Any]:
    """`janitor ARGS --json`, in process, which must exit 0; the document it printed."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _sweep_args(
    cache: UvCache | Path, args: Sequence[str], uvs: Sequence[Path] | None
) -> list[str]:
    if isinstance(cache, Path):
        root, followed = cache, list(uvs or ())
    else:
        # The suite's own uv is the one janitor finds by itself; another release is named.
        root = cache.root
        default = [] if cache.uv == TEST_UV else [cache.uv.path]
        followed = default if uvs is None else list(uvs)
    return ["sweep", "--cache-dir", str(root), *(f"--uv={uv}" for uv in followed), *args]


def sweep(cache: UvCache | Path, *args: str, uvs: Sequence[Path] | None = None) -> dict[str, Any]:
    """`janitor sweep --json` on a cache, which must exit 0; the document it printed.

    A built cache is swept following exactly the uv that wrote it, or `uvs` when given; a bare
    root follows `uvs` or whatever janitor finds.
    """
    return janitor_json(*_sweep_args(cache, args, uvs))


def try_sweep(cache: UvCache | Path, *args: str) -> tuple[Result, dict[str, Any] | None]:
    """`janitor sweep --json` whatever its exit code, which must not be a crash; the result and
    the document, if it printed one."""
    result = runner.invoke(app, [*_sweep_args(cache, args, None), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    document = json.loads(result.stdout) if result.stdout.strip() else None
    return result, document


def console(
    *args: str, env: Mapping[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m janitor ARGS` (the console script's way in), with `env` over the test's
    environment; its exit code is the caller's to check."""
    return subprocess.run(
        [sys.executable, "-m", "janitor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def du(*paths: Path, options: Sequence[str] = ()) -> int:
    """`du -s -B1 -c OPTIONS PATHS`: the allocated bytes of the trees together, each inode once
    (what `uv cache size` prints for a cache)."""
    done = subprocess.run(
        ["du", "-s", "-B1", "-c", *options, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.splitlines()[-1].split()[0])
