"""The quick paths of the console script import nothing heavy: `janitor --version`, `janitor dir`
and a sweep of an empty cache start in about the time Python does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from janitor.layout.uv import LOCK_FILE

# Modules only the full command line, the scan or the engine need.
HEAVY = (
    "typer",
    "rich",
    "anyio",
    "asyncio",
    "aiofiles",
    "msgpack",
    "packaging",
    "dataclasses",
    "janitor.cli",
    "janitor.scan",
    "janitor.remove",
    "janitor.plan",
    "janitor.sweep",
)

_PROBE = """
import json, sys
from janitor.entry import quick
code = quick(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {0} or m in {0})
print(json.dumps([code, loaded]), file=sys.stderr)
"""


def imported(*args: str) -> tuple[int | None, list[str]]:
    """The exit code `quick` gives a command line, and the heavy modules it imported."""
    probe = _PROBE.format(repr(set(HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
    )
    code, loaded = json.loads(done.stderr.strip().splitlines()[-1])
    return code, loaded


def test_version_imports_nothing_heavy() -> None:
    assert imported("--version") == (0, [])


def test_dir_imports_nothing_heavy(tmp_path: Path) -> None:
    assert imported("dir", "--cache-dir", str(tmp_path)) == (0, [])
    assert imported("dir") == (0, [])  # asks the uv found for `uv cache dir`


@pytest.mark.parametrize("flags", [["-q"], [], ["--dry-run"], ["-v", "--force"]])
def test_a_sweep_of_an_empty_cache_imports_nothing_heavy(tmp_path: Path, flags: list[str]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / LOCK_FILE).touch()  # what `uv cache clean` leaves
    assert imported("sweep", *flags, "--cache-dir", str(cache)) == (0, [])


def test_a_sweep_without_a_cache_imports_nothing_heavy() -> None:
    assert imported("sweep", "-q") == (0, [])


def test_anything_else_goes_to_the_full_command_line(tmp_path: Path) -> None:
    assert imported("sweep", "--json", "--cache-dir", str(tmp_path))[0] is None
    assert imported("sweep", "--package", "x", "--cache-dir", str(tmp_path))[0] is None
    assert imported("report")[0] is None
