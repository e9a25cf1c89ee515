"""The command line of `python benchmarks/gencache.py` (see that script for its use)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.gen.prune_cache import generate
from bench.gen.verify import find_uv, verify, verify_versions
from bench.gen.versions_cache import generate_versions


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options, checked; DEST made absolute (and removed with --force)."""
    parser = argparse.ArgumentParser(description="Generate a synthetic uv cache.")
    parser.add_argument("dest", type=Path, help="directory to create (must not exist)")
    parser.add_argument("--files", type=int, default=10_000, help="about how many files")
    parser.add_argument(
        "--versions",
        type=int,
        default=None,
        help="instead: a clean cache of this many small package versions (for --max-size)",
    )
    parser.add_argument(
        "--packages", type=int, default=None, help="with --versions: how many packages (1/10)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=min(4, (os.cpu_count() or 1) + 1))
    parser.add_argument("--force", action="store_true", help="replace DEST if it exists")
    parser.add_argument(
        "--verify", action="store_true", help="check the manifest against `uv cache prune -v`"
    )
    parser.add_argument("--uv", default=None, help="uv binary for --verify")
    args = parser.parse_args(argv)
    args.dest = args.dest.absolute()
    if args.versions is None and args.files < 1000:
        parser.error("--files must be at least 1000")
    if args.versions is not None and args.versions < 1:
        parser.error("--versions must be at least 1")
    if args.dest.exists() or args.dest.is_symlink():
        if not args.force:
            parser.error(f"{args.dest} exists (use --force to replace it)")
        shutil.rmtree(args.dest)
    return args


def _versions(args: argparse.Namespace) -> dict[str, Any]:
    """Generate a versions cache and say what it holds; its manifest."""
    dest: Path = args.dest
    packages = args.packages or max(1, args.versions // 10)
    manifest = generate_versions(dest, packages, args.versions, args.seed, max(1, args.jobs))
    secs = manifest["generation_seconds"]
    print(
        f"{dest}: {manifest['versions']} versions of {manifest['packages']} packages, "
        f"{manifest['files']} files, {manifest['dirs']} dirs, "
        f"{manifest['disk_bytes'] / 2**20:.1f} MiB on disk in {secs:.1f} s"
    )
    return manifest


def _prune(args: argparse.Namespace) -> dict[str, Any]:
    """Generate a prune cache and say what it holds; its manifest."""
    dest: Path = args.dest
    manifest = generate(dest, args.files, args.seed, max(1, args.jobs))
    secs = manifest["generation_seconds"]
    rss_self = _maxrss_mib("self")
    rss_children = _maxrss_mib("children")
    print(
        f"{dest}: {manifest['files']} files, {manifest['dirs']} dirs, "
        f"{manifest['bytes'] / 2**20:.0f} MiB in {secs:.1f} s "
        f"({manifest['files'] / secs:,.0f} files/s); garbage {manifest['garbage_files']} files "
        f"in {len(manifest['prune_removes'])} trees; peak RSS {rss_self:.0f} MiB (main), "
        f"{rss_children:.0f} MiB (largest worker)"
    )
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the cache DEST names (and check it with --verify); 1 if the check fails."""
    args = parse_args(argv)
    if args.versions is not None:
        manifest = _versions(args)
        check, success = verify_versions, "verify: uv cache prune finds nothing to remove"
    else:
        manifest = _prune(args)
        check, success = verify, "verify: uv cache prune removes exactly the manifest's paths"
    if not args.verify:
        return 0
    problems = check(args.dest, manifest, args.uv or find_uv())
    for problem in problems:
        print(f"verify: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(success)
    return 0


def _maxrss_mib(who: str) -> float:
    import resource

    which = resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN
    return resource.getrusage(which).ru_maxrss / 1024
