"""The runner's options: what they are, and what they choose once checked."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import DEFAULT_WORKDIR
from bench.fs.ext4 import ext4_problem
from bench.fs.slow import slow_fs_problem
from bench.fs.tmpfs import tmpfs_problem
from bench.workloads.base import WORKLOADS

TOOLS = ("janitor", "uv", "rm", "rm2", "rmtree", "client")
FILESYSTEMS = ("local", "tmpfs", "ext4", "slow")


def parse_list(value: str, allowed: Sequence[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"{what}: choose from {', '.join(allowed)}")
    return list(dict.fromkeys(items))


def parse_counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("--versions: comma-separated numbers") from None
    if not counts or min(counts) < 10:
        raise argparse.ArgumentTypeError("--versions: at least 10 versions")
    return sorted(set(counts))


def default_slow_files(files: int) -> int:
    """The slow fs pays a round trip per operation (uv prune: about 5 ms a file at 1 ms/op),
    so by default it gets a fifth of the local cache, at most 20k files."""
    return max(1000, min(files // 5, 20_000))


def _workload_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workload",
        default="auto",
        help="comma-separated: prune, package (real cache from the package index), max-size, "
        "hub (a Hugging Face hub cache); auto (default): all that can run",
    )
    parser.add_argument("--files", type=int, default=100_000, help="prune cache size (100000)")
    parser.add_argument(
        "--slow-files",
        type=int,
        default=None,
        help="prune cache size on the slow fs (default: --files / 5, at most 20000)",
    )
    parser.add_argument(
        "--versions",
        default="3000",
        help="max-size: versions in the cache; several (1000,3000,9000) show how it scales",
    )
    parser.add_argument(
        "--packages", type=int, default=None, help="max-size: packages (default: versions / 10)"
    )
    parser.add_argument(
        "--hub-repos", type=int, default=50, help="hub: repositories in the hub cache (50)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per filesystem (default 3)")


def _fs_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fs",
        default="auto",
        help="comma-separated: local (the work directory's disk), tmpfs, ext4 (a journaled ext4 "
        "image on a loop device), slow (1 ms FUSE); auto (default): local, plus the others when "
        "this machine can mount them",
    )
    parser.add_argument("--latency-ms", type=float, default=1.0, help="slow fs latency per op")
    parser.add_argument(
        "--fuse",
        choices=("auto", "c", "python"),
        default="auto",
        help="slow fs server: slowfs.c (libfuse3), slowfs.py (fusepy); auto prefers C",
    )
    parser.add_argument("--fuse-threads", type=int, default=64, help="C server worker threads")
    parser.add_argument(
        "--fuse-options",
        default="",
        help="extra mount options for the slow fs, e.g. entry_timeout=0,attr_timeout=0",
    )


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument(
        "--janitor-args",
        default="",
        help="more arguments for `janitor sweep`, e.g. --janitor-args='--workers 2'",
    )
    parser.add_argument("--janitor", default=None, help="janitor executable (default: the venv's)")
    parser.add_argument("--uv", default=None, help="uv executable (default: the venv's)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--json", type=Path, default=None, help="results file")
    parser.add_argument("--timeout", type=float, default=3600, help="per run, seconds")
    parser.add_argument("--jobs", type=int, default=None, help="cache generator workers")
    parser.add_argument(
        "--no-drop-caches", action="store_true", help="keep the page cache between runs"
    )


@dataclass
class Choice:
    """What the options ask for, checked."""

    tools: list[str]
    fss: list[str]
    wanted: list[str]  # workloads
    auto_workloads: bool
    version_counts: list[int]
    slow_files: int


def _auto_filesystems() -> list[str]:
    """The local disk, and every other filesystem this machine can mount (saying why not)."""
    fss = ["local"]
    for fs, problem in (
        ("tmpfs", tmpfs_problem()),
        ("ext4", ext4_problem()),
        ("slow", slow_fs_problem()),
    ):
        if problem is None:
            fss.append(fs)
        else:
            print(f"{fs} filesystem skipped: {problem}")
    return fss


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Choice]:
    """The options, and what they choose (argparse exits 2 on what does not parse)."""
    parser = argparse.ArgumentParser(
        description="Benchmark janitor against uv, rm -rf and shutil.rmtree."
    )
    _workload_options(parser)
    _fs_options(parser)
    _run_options(parser)
    args = parser.parse_args(argv)
    try:
        tools = parse_list(args.tools, TOOLS, "--tools")
        fss = _auto_filesystems() if args.fs == "auto" else parse_list(args.fs, FILESYSTEMS, "--fs")
        auto_workloads = args.workload == "auto"
        wanted = (
            list(WORKLOADS)
            if auto_workloads
            else parse_list(args.workload, WORKLOADS, "--workload")
        )
        version_counts = parse_counts(args.versions)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    slow_files = args.slow_files or default_slow_files(args.files)
    if min(args.files, slow_files) < 1000 or args.repeat < 1:
        parser.error("--files and --slow-files must be at least 1000, --repeat at least 1")
    for fs, problem in (("tmpfs", tmpfs_problem()), ("ext4", ext4_problem())):
        if fs in fss and problem is not None:
            parser.error(f"--fs {fs}: {problem}")
    return args, Choice(tools, fss, wanted, auto_workloads, version_counts, slow_files)
