"""What every workload is: a pristine cache, the command each tool runs on a copy of it, and the
check of the tree the run leaves; and the generated caches they start from."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from bench.commands import Commands
from bench.common import GENCACHE, BenchError
from bench.gen.layout import GENERATOR_VERSION
from bench.timing import Run
from bench.trees import count_files, differences, disk_kib

WORKLOADS = ("prune", "package", "max-size", "hub")
WORKLOAD_TOOLS = {
    "prune": ("janitor", "uv", "rm", "rm2", "rmtree"),
    "package": ("janitor", "uv"),
    "max-size": ("janitor",),
    "hub": ("janitor", "client", "rm"),
}
LABELS = {
    ("prune", "janitor"): "janitor sweep",
    ("prune", "uv"): "uv cache prune",
    ("prune", "rm"): "rm -rf",
    ("prune", "rm2"): "2x rm -rf",
    ("prune", "rmtree"): "shutil.rmtree",
    ("package", "janitor"): "janitor --package",
    ("package", "uv"): "uv cache clean",
    ("max-size", "janitor"): "janitor --max-size",
    ("hub", "janitor"): "janitor sweep hf",
    ("hub", "client"): "delete_revisions",
    ("hub", "rm"): "rm -rf",
}


def ensure_generated(
    workdir: Path,
    name: str,
    gen_args: Sequence[str],
    fits: Callable[[dict[str, Any], Path], bool],
    jobs: int | None,
) -> tuple[Path, Path]:
    """A pristine gencache.py cache and its manifest, generated when missing or stale."""
    caches = workdir / "caches"
    caches.mkdir(parents=True, exist_ok=True)
    cache = caches / name
    manifest = cache.with_name(cache.name + ".manifest.json")
    if cache.is_dir() and manifest.is_file():
        try:
            data = json.loads(manifest.read_text())
        except ValueError:
            data = {}
        if data.get("generator") == GENERATOR_VERSION and fits(data, cache):
            print(f"reusing {cache} ({data['files']} files)")
            return cache, manifest
    manifest.unlink(missing_ok=True)
    if cache.exists():
        subprocess.run(["rm", "-rf", "--", str(cache)], check=True)
    cmd = [sys.executable, str(GENCACHE), str(cache), *gen_args]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    print(f"generating: {shlex.join(cmd)}", flush=True)
    try:
        failed = subprocess.run(cmd, check=False).returncode != 0
    except OSError as exc:
        raise BenchError(f"cannot run gencache.py: {exc}") from exc
    if failed or not manifest.is_file():
        raise BenchError("gencache.py failed")
    return cache, manifest


class Copied(TypedDict):
    """The fields of a `Workload` that say what each tool's copy holds."""

    pristine: Path
    sources: list[Path]
    entries: set[str]
    files: int
    disk_kib: int
    text: str
    tools: list[str]


def copied(
    pristine: Path, entries: set[str], text: str, tools: Sequence[str], *extra: Path
) -> Copied:
    """A workload's copy: the pristine cache (and `extra` trees copied beside it)."""
    sources = [pristine, *extra]
    files = count_files(entries)
    return Copied(
        pristine=pristine,
        sources=sources,
        entries=entries,
        files=files,
        disk_kib=disk_kib(sources),
        text=text,
        tools=list(tools),
    )


@dataclass
class Workload:
    """A pristine cache, how each tool works on it and how the tree it leaves is checked."""

    id: str  # how tables and logs name it: prune, package, max-size (max-size-N for several)
    kind: str  # prune, package, max-size
    pristine: Path  # the pristine cache
    sources: list[Path]  # copied into each tool's directory by one `cp -a` (hard links kept)
    entries: set[str]  # the pristine cache's listing
    files: int  # its files (all but directories)
    disk_kib: int  # what one copy of `sources` occupies
    text: str  # one line for the table's header
    tools: list[str]

    @property
    def cache_name(self) -> str:
        return self.pristine.name

    def label(self, tool: str) -> str:
        return LABELS[(self.kind, tool)]

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        raise NotImplementedError

    def prepare(self, cache: Path) -> None:
        """Called on every fresh copy, untimed."""

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.pristine),
            "files": self.files,
            "disk_kib": self.disk_kib,
            "tools": self.tools,
            "text": self.text,
        }


def compare(run: Run, left: set[str], expected: set[str], reference: str) -> None:
    """Check the tree a run left against the one `reference` leaves."""
    run.tree_ok = left == expected
    if not run.tree_ok:
        run.tree_diff = differences(left, expected, reference)
