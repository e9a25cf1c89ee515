"""The prune workload: `janitor sweep` against `uv cache prune`, `rm -rf` (one process, and `rm2`:
two at once on halves balanced by file count) and `shutil.rmtree` of the paths uv removes, on a
synthetic cache (gencache.py). Every tool must leave the tree uv leaves."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.commands import Commands
from bench.common import BenchError
from bench.timing import Run
from bench.trees import entry_path, expected_after_prune, listing
from bench.workloads.base import Workload, compare, copied, ensure_generated

ARG_BYTES = 512 * 1024  # stay well below ARG_MAX for `rm -rf PATHS...`

RMTREE_SCRIPT = """
import json, os, shutil, sys
root, manifest = sys.argv[1], sys.argv[2]
with open(manifest) as f:
    paths = json.load(f)["prune_removes"]
for rel in paths:
    path = os.path.join(root, rel)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
"""

# Two `rm -rf` at once, each on its half (NUL-separated lists), then the directories whose
# children were split between them (deepest first). Exit status 1 if any part failed.
RM2_SCRIPT = """
xargs -r -0 -a "$1" rm -rf -- & a=$!
xargs -r -0 -a "$2" rm -rf -- & b=$!
s=0
wait "$a" || s=1
wait "$b" || s=1
if [ -s "$3" ]; then xargs -r -0 -a "$3" rmdir -- || s=1; fi
exit "$s"
"""


def split_in_two(
    entries: set[str], roots: Sequence[str]
) -> tuple[list[str], list[str], list[str], tuple[int, int]]:
    """The removal set in two halves of about the same file count, for two `rm -rf` at once.

    Trees holding more than a sixteenth of the files are replaced by their children (the
    directory itself is emptied then, and removed after both halves), then the pieces are dealt
    largest first to the lighter half. Returns the halves, the directories to remove afterwards
    (deepest first) and the halves' file counts.
    """
    children: dict[str, list[str]] = {}
    dirs: set[str] = set()
    under: dict[str, int] = {}
    for line in entries:
        rel = entry_path(line)
        children.setdefault(rel.rpartition("/")[0], []).append(rel)
        if line.startswith("d "):
            dirs.add(rel)
            continue
        path = rel
        while True:
            under[path] = under.get(path, 0) + 1
            if "/" not in path:
                break
            path = path.rpartition("/")[0]
    pieces = {rel: under.get(rel, 0) for rel in roots}
    limit = max(1, sum(pieces.values()) // 16)
    emptied: list[str] = []
    while pieces:
        biggest = max(pieces, key=lambda p: (pieces[p], p))
        if pieces[biggest] <= limit or biggest not in dirs or not children.get(biggest):
            break
        del pieces[biggest]
        emptied.append(biggest)
        pieces.update({child: under.get(child, 0) for child in children[biggest]})
    halves: tuple[list[str], list[str]] = ([], [])
    weights = [0, 0]
    for rel in sorted(pieces, key=lambda p: (-pieces[p], p)):
        i = 0 if weights[0] <= weights[1] else 1
        halves[i].append(rel)
        weights[i] += pieces[rel]
    return halves[0], halves[1], emptied[::-1], (weights[0], weights[1])


def write_paths0(path: Path, paths: Sequence[str]) -> Path:
    path.write_bytes(b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths))
    return path


@dataclass
class PruneWork(Workload):
    """`janitor sweep` against `uv cache prune`, `rm -rf` (one and two) and `shutil.rmtree`."""

    manifest_path: Path
    manifest: dict[str, Any]
    expected: set[str]
    paths0: Path
    rm2_lists: tuple[Path, Path, Path]
    rm2_files: tuple[int, int]

    @classmethod
    def load(
        cls, workdir: Path, files: int, seed: int, jobs: int | None, tools: Sequence[str]
    ) -> PruneWork:
        def fits(data: dict[str, Any], cache: Path) -> bool:
            return (
                data.get("files_requested") == files
                and data.get("seed") == seed
                and data.get("cache") == str(cache)
            )

        args = ["--files", str(files), "--seed", str(seed)]
        pristine, manifest_path = ensure_generated(workdir, f"uv-{files}-s{seed}", args, fits, jobs)
        manifest = json.loads(manifest_path.read_text())
        roots: list[str] = manifest["prune_removes"]
        entries = listing(pristine)
        half_a, half_b, emptied, weights = split_in_two(entries, roots)
        lists = (
            write_paths0(manifest_path.with_suffix(".rm2-a.paths0"), half_a),
            write_paths0(manifest_path.with_suffix(".rm2-b.paths0"), half_b),
            write_paths0(manifest_path.with_suffix(".rm2-dirs.paths0"), emptied),
        )
        text = (
            f"{manifest['files']} files, {manifest['garbage_files']} of them to remove in "
            f"{len(roots)} trees; 2x rm -rf: {weights[0]} + {weights[1]} files"
            + (f" ({len(emptied)} trees split)" if emptied else "")
        )
        return cls(
            id="prune",
            kind="prune",
            **copied(pristine, entries, text, tools),
            manifest_path=manifest_path,
            manifest=manifest,
            expected=expected_after_prune(entries, roots),
            paths0=write_paths0(manifest_path.with_suffix(".paths0"), roots),
            rm2_lists=lists,
            rm2_files=weights,
        )

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        paths: list[str] = self.manifest["prune_removes"]
        if tool == "janitor":
            return cmds.sweep(cache, "-q")
        if tool == "uv":
            return cmds.uv_cache("prune", "--cache-dir", str(cache), "--force")
        # rm and rm2 run in the cache and get relative paths; rmtree gets the cache.
        if tool == "rm":
            if sum(len(p) + 1 for p in paths) < ARG_BYTES:
                return ["rm", "-rf", "--", *paths]
            return ["xargs", "-0", "-a", str(self.paths0), "rm", "-rf", "--"]
        if tool == "rm2":
            return ["sh", "-c", RM2_SCRIPT, "rm2", *map(str, self.rm2_lists)]
        if tool == "rmtree":
            return [sys.executable, "-c", RMTREE_SCRIPT, str(cache), str(self.manifest_path)]
        raise BenchError(f"unknown tool {tool}")

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        compare(run, left, self.expected, "uv cache prune")

    def info(self) -> dict[str, Any]:
        return super().info() | {
            "manifest": {k: v for k, v in self.manifest.items() if k != "prune_removes"},
            "trees_removed": len(self.manifest["prune_removes"]),
            "rm2_files": list(self.rm2_files),
        }
