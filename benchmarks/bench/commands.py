"""The tools timed and how they are invoked: which janitor and uv, janitor's extra arguments."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import BenchError


def find_tool(name: str) -> str | None:
    """A console script beside this interpreter (the project's venv), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    return shutil.which(name)


def takes_uv_option(janitor: str) -> tuple[bool, str | None]:
    """Whether `janitor sweep --help` lists `--uv`; and why the help failed, if it did."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    try:
        got = subprocess.run(
            [janitor, "sweep", "--help"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    text = got.stdout + got.stderr
    found = re.search(r"(?<![\w-])--uv(?![\w-])", text) is not None
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    problem = None if got.returncode == 0 else f"exit {got.returncode}: {' | '.join(lines[-2:])}"
    return found, problem


def uv_version(uv: str) -> str | None:
    try:
        got = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return got.stdout.strip() or None


def compile_janitor(janitor: str | None) -> None:
    """Byte-compile the janitor package the console script runs, as an install from a wheel
    does: an editable install under PYTHONDONTWRITEBYTECODE would compile every module on every
    run, a cost no installed janitor pays."""
    if janitor is None:
        return
    script = Path(janitor)
    python = script.parent / "python"
    if not python.exists():
        return
    probe = "import janitor, os; print(os.path.dirname(janitor.__file__))"
    try:
        found = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, check=True, timeout=60
        )
        subprocess.run(
            [str(python), "-m", "compileall", "-q", found.stdout.strip()],
            capture_output=True,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        print("warning: could not byte-compile janitor; its start-up includes compiling")


@dataclass
class Commands:
    """How the tools are invoked: which janitor and uv, and janitor's extra arguments."""

    janitor: str | None
    uv: str | None
    janitor_args: list[str]
    janitor_takes_uv: bool = False

    def sweep(self, cache: Path, *options: str) -> list[str]:
        if self.janitor is None:
            raise BenchError("the `janitor` console script is not installed (see --janitor)")
        cmd = [self.janitor, "sweep", "--cache-dir", str(cache), "--force", *options]
        if self.janitor_takes_uv and self.uv is not None:
            cmd += ["--uv", self.uv]
        return [*cmd, *self.janitor_args]

    def sweep_hf(self, cache: Path, *options: str) -> list[str]:
        """`janitor sweep hf`: the hub cache has no whole-cache lock, and no uv to follow."""
        if self.janitor is None:
            raise BenchError("the `janitor` console script is not installed (see --janitor)")
        return [
            self.janitor,
            "sweep",
            "hf",
            "--cache-dir",
            str(cache),
            *options,
            *self.janitor_args,
        ]

    def uv_cache(self, *args: str) -> list[str]:
        if self.uv is None:
            raise BenchError("`uv` is not installed (see --uv)")
        return [self.uv, "cache", *args]
