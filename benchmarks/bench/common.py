"""What the whole runner shares: its paths, the error that stops it, child commands run at once."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent
GENCACHE = BENCHMARKS / "gencache.py"
SLOWFS_C = BENCHMARKS / "slowfs.c"
SLOWFS_PY = BENCHMARKS / "slowfs.py"
RESULTS = BENCHMARKS / "results"
DEFAULT_WORKDIR = Path("/tmp/janitor-bench")


class BenchError(Exception):
    """A problem that stops the benchmark; the message is for the user."""


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def parallel(commands: Sequence[Sequence[str]]) -> None:
    """Run the commands at the same time; raise if any fails."""
    procs = [subprocess.Popen(cmd) for cmd in commands]
    failed = [shlex.join(cmd) for cmd, p in zip(commands, procs, strict=True) if p.wait() != 0]
    if failed:
        raise BenchError(f"failed: {'; '.join(failed)}")


def remove_trees(paths: Sequence[Path]) -> None:
    present = [p for p in paths if p.exists() or p.is_symlink()]
    if present:
        parallel([["rm", "-rf", "--", str(p)] for p in present])


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())
