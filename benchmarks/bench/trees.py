"""Listings of cache trees and how they compare: what a run left, what it should have left, and
what a tree occupies. Shared by the runner and the cache generator."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench.common import BenchError


def listing(root: Path) -> set[str]:
    """Every entry under `root` as `type path [-> target]`, symlinks not followed."""
    out: set[str] = set()
    base = len(str(root)) + 1
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                rel = entry.path[base:]
                if entry.is_symlink():
                    out.add(f"l {rel} -> {os.readlink(entry.path)}")
                elif entry.is_dir(follow_symlinks=False):
                    out.add(f"d {rel}")
                    stack.append(entry.path)
                else:
                    out.add(f"f {rel}")
    return out


def expected_after_prune(pristine: set[str], removed: Iterable[str]) -> set[str]:
    gone = tuple(removed)
    prefixes = tuple(f"{p}/" for p in gone)
    keep: set[str] = set()
    for line in pristine:
        rel = line[2:].split(" -> ", 1)[0]
        if rel in gone or rel.startswith(prefixes):
            continue
        keep.add(line)
    return keep


def digest(entries: set[str]) -> str:
    h = hashlib.sha256()
    for line in sorted(entries):
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()[:16]


def entry_path(line: str) -> str:
    """The relative path of a `listing()` line (`type path [-> target]`)."""
    return line[2:].split(" -> ", 1)[0]


def count_files(entries: set[str]) -> int:
    """Entries that are not directories (files and links), as uv and janitor count files."""
    return sum(1 for line in entries if not line.startswith("d "))


def topmost(lines: set[str]) -> list[str]:
    """The lines whose parent directory is not among them: one line per differing tree."""
    dirs = {entry_path(line) for line in lines if line.startswith("d ")}
    out = []
    for line in sorted(lines):
        parent = entry_path(line).rpartition("/")[0]
        if parent not in dirs:
            out.append(line)
    return out


def differences(left: set[str], expected: set[str], reference: str) -> list[str]:
    """How a tree left differs from the one expected (`reference` left), one line per tree."""
    extra = topmost(left - expected)
    missing = topmost(expected - left)
    return [
        f"{len(left - expected)} entries left that {reference} removes "
        f"({len(extra)} trees), {len(expected - left)} removed that {reference} keeps "
        f"({len(missing)} trees)",
        *(f"+ {x}" for x in extra[:10]),
        *(f"- {x}" for x in missing[:10]),
    ]


def disk_usage(path: Path | str) -> int:
    """Bytes allocated to a tree, directories and the root included, each inode once: what
    `du -s --block-size=1` and `uv cache size` count, and janitor's `--max-size` with them."""
    seen: set[tuple[int, int]] = set()
    total = os.lstat(path).st_blocks * 512
    stack = [str(path)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif st.st_nlink > 1:
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def disk_kib(paths: Sequence[Path]) -> int:
    """What the paths occupy together, hard links counted once (`du -skc`)."""
    cmd = ["du", "-skc", *map(str, paths)]
    got = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        return int(got.stdout.strip().splitlines()[-1].split()[0])
    except (IndexError, ValueError):
        raise BenchError(f"du failed on {paths}: {got.stderr.strip()}") from None
