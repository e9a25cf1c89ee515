"""Checking a generated cache against the real uv: `uv cache prune -v` on a copy must remove
exactly the manifest's paths (a versions cache: nothing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.trees import expected_after_prune, listing

_REMOVING = re.compile(r"Removing [a-z ]+: (?P<path>.+)$")
_REMOVED = re.compile(r"Removed (?P<n>[0-9]+) files?")


def find_uv() -> str:
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.exists() else (shutil.which("uv") or "uv")


@contextmanager
def _copy(dest: Path) -> Iterator[Path]:
    """A scratch copy of the cache at `dest`, beside it, for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="gencache-verify-", dir=dest.parent) as tmp:
        copy = Path(tmp) / "cache"
        subprocess.run(["cp", "-a", str(dest), str(copy)], check=True)
        yield copy


def _prune(copy: Path, uv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [uv, "cache", "prune", "--cache-dir", str(copy), "--force", "-v"],
        capture_output=True,
        text=True,
        check=False,
    )


def _failed(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [f"uv cache prune failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"]


def _count_problem(before: set[str], manifest: dict[str, Any]) -> list[str]:
    if len(before) == manifest["files"] + manifest["dirs"]:
        return []
    return [
        f"cache holds {len(before)} entries, manifest counts {manifest['files'] + manifest['dirs']}"
    ]


def verify(dest: Path, manifest: dict[str, Any], uv: str) -> list[str]:
    """Run `uv cache prune -v` on a copy of `dest`; return the differences from the manifest."""
    problems: list[str] = []
    with _copy(dest) as copy:
        before = listing(copy)
        proc = _prune(copy, uv)
        if proc.returncode != 0:
            return _failed(proc)
        logged: set[str] = set()
        removed_files: int | None = None
        for line in (proc.stderr + proc.stdout).splitlines():
            if (m := _REMOVING.search(line)) is not None:
                logged.add(os.path.relpath(m["path"], copy))
            elif (m := _REMOVED.search(line)) is not None:
                removed_files = int(m["n"])
        wanted = set(manifest["prune_removes"])
        problems.extend(f"uv removed, not in manifest: {p}" for p in sorted(logged - wanted))
        problems.extend(f"in manifest, uv kept: {p}" for p in sorted(wanted - logged))
        if removed_files != manifest["garbage_files"]:
            problems.append(
                f"uv reports {removed_files} files removed, manifest {manifest['garbage_files']}"
            )
        after = listing(copy)
        expected = expected_after_prune(before, wanted)
        problems.extend(f"left by uv, not expected: {x}" for x in sorted(after - expected)[:20])
        problems.extend(f"expected, not left by uv: {x}" for x in sorted(expected - after)[:20])
        problems.extend(_count_problem(before, manifest))
    return problems


def verify_versions(dest: Path, manifest: dict[str, Any], uv: str) -> list[str]:
    """Run `uv cache prune -v` on a copy of a versions cache: it must find nothing to remove."""
    problems: list[str] = []
    with _copy(dest) as copy:
        before = listing(copy)
        missing = [v["link"] for v in manifest["entries"] if f"f {v['link']}.rev" not in before]
        problems.extend(f"manifest version missing from the cache: {p}" for p in missing[:20])
        proc = _prune(copy, uv)
        if proc.returncode != 0:
            return _failed(proc)
        lines = (proc.stderr + proc.stdout).splitlines()
        removed = [m["path"] for line in lines if (m := _REMOVING.search(line)) is not None]
        problems.extend(f"uv removed: {os.path.relpath(p, copy)}" for p in removed)
        after = listing(copy)
        problems.extend(f"gone after uv cache prune: {x}" for x in sorted(before - after)[:20])
        problems.extend(_count_problem(before, manifest))
    return problems
