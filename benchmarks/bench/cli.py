"""The runner's command line (`python benchmarks/run.py`, whose docstring tells its use): the plan
of workloads on filesystems, the rounds, the tables and the JSON results."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.commands import Commands, compile_janitor, find_tool, takes_uv_option, uv_version
from bench.common import RESULTS, BenchError
from bench.fs.ext4 import ext4_mounted
from bench.fs.mount import is_mounted
from bench.fs.slow import SlowServer, pick_server, slow_fs_problem, unmount
from bench.fs.tmpfs import tmpfs_mounted
from bench.options import Choice, parse_args
from bench.report import host_info, print_devices, print_table, summarize
from bench.rounds import Bench
from bench.workloads.base import WORKLOAD_TOOLS, Workload
from bench.workloads.hub import HubWork, client_available
from bench.workloads.maxsize import MaxSizeWork
from bench.workloads.package import PackageWork
from bench.workloads.prune import PruneWork


def make_commands(args: argparse.Namespace) -> Commands:
    """The janitor and uv to time, said on the first line; janitor byte-compiled."""
    cmds = Commands(
        janitor=args.janitor or find_tool("janitor"),
        uv=args.uv or find_tool("uv"),
        janitor_args=shlex.split(args.janitor_args),
    )
    if cmds.janitor is not None:
        cmds.janitor_takes_uv, help_problem = takes_uv_option(cmds.janitor)
        if help_problem:
            print(f"warning: `janitor sweep --help` failed ({help_problem})")
        passing = f"passing --uv {cmds.uv}" if cmds.janitor_takes_uv else "no --uv option"
        print(f"janitor: {cmds.janitor} ({passing}); uv: {cmds.uv} ({uv_version(cmds.uv or '')})")
    compile_janitor(cmds.janitor)
    return cmds


def _on_signal(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def start_slow(bench: Bench, args: argparse.Namespace) -> SlowServer:
    """The slow filesystem's server, with nothing left mounted from an earlier run."""
    problem = slow_fs_problem()
    if problem is not None:
        raise BenchError(f"--fs slow: {problem}")
    server = pick_server(
        bench.workdir, args.fuse, args.latency_ms, args.fuse_threads, args.fuse_options
    )
    bench.server = server
    _backing, mnt = bench.slow_dirs()
    if is_mounted(mnt):
        unmount(mnt)
    note = "" if server.kind == "c" else " (tops out near 10k ops/s)"
    print(f"slow filesystem: {server.kind} server{note}, {args.latency_ms:g} ms per op")
    return server


def load_workloads(
    args: argparse.Namespace, choice: Choice, bench: Bench, skipped: dict[str, str]
) -> list[tuple[str, Workload]]:
    """The plan: every wanted workload that can run, on every filesystem, caches made ready."""
    workdir, cmds = bench.workdir, bench.cmds

    def tools_for(kind: str) -> list[str]:
        mine = [t for t in choice.tools if t in WORKLOAD_TOOLS[kind]]
        if not mine:
            skipped[kind] = f"none of --tools {args.tools} runs it"
            if not choice.auto_workloads:
                print(f"{kind} workload not run: {skipped[kind]}")
        return mine

    def prune_files(fs: str) -> int:
        return int(choice.slow_files if fs == "slow" else args.files)

    prune_works: dict[int, PruneWork] = {}
    if "prune" in choice.wanted and (prune_tools := tools_for("prune")):
        for n in dict.fromkeys(prune_files(fs) for fs in choice.fss):
            prune_works[n] = PruneWork.load(workdir, n, args.seed, args.jobs, prune_tools)
    package_work: PackageWork | None = None
    if "package" in choice.wanted and (package_tools := tools_for("package")):
        got = PackageWork.load(workdir, cmds.uv, package_tools)
        if isinstance(got, str):
            skipped["package"] = got
            print(f"package workload skipped: {got}")
        else:
            package_work = got
    size_works: list[MaxSizeWork] = []
    if "max-size" in choice.wanted and (size_tools := tools_for("max-size")):
        several = len(choice.version_counts) > 1
        size_works = [
            MaxSizeWork.load(workdir, n, args.packages, args.seed, args.jobs, several, size_tools)
            for n in choice.version_counts
        ]
    hub_work: HubWork | None = None
    if "hub" in choice.wanted and (hub_tools := tools_for("hub")):
        if "client" in hub_tools and not client_available():
            print("hub workload: huggingface_hub is not installed here; the client is not timed")
            hub_tools = [t for t in hub_tools if t != "client"]
        if hub_tools:
            hub_work = HubWork.load(workdir, args.hub_repos, args.seed, hub_tools)
    plan: list[tuple[str, Workload]] = []
    for fs in choice.fss:
        if prune_works:
            plan.append((fs, prune_works[prune_files(fs)]))
        if package_work is not None:
            plan.append((fs, package_work))
        plan.extend((fs, w) for w in size_works)
        if hub_work is not None:
            plan.append((fs, hub_work))
    return plan


def run_plan(bench: Bench, plan: Sequence[tuple[str, Workload]], fss: Sequence[str]) -> None:
    """Every round of every workload, filesystem by filesystem, each mounted for its rounds."""
    for fs in fss:
        works = [w for f, w in plan if f == fs]
        with contextlib.ExitStack() as stack:
            need_kib = max(w.disk_kib * len(w.tools) for w in works)
            if fs == "ext4":
                bench.mounts[fs] = stack.enter_context(ext4_mounted(bench.workdir, need_kib))
            elif fs == "tmpfs":
                bench.mounts[fs] = stack.enter_context(tmpfs_mounted(bench.workdir, need_kib))
            for work in works:
                print(
                    f"{fs} filesystem, {work.id}: {work.files} files, {bench.repeat} round(s), "
                    f"tools: {', '.join(work.tools)}",
                    flush=True,
                )
                for rnd in range(1, bench.repeat + 1):
                    bench.round(fs, rnd, work)


def header(
    args: argparse.Namespace, bench: Bench, fss: Sequence[str], server: SlowServer | None
) -> str:
    """The first line of the tables: rounds, caches, and how the tools and filesystems ran."""
    if not bench.drop:
        cache_note = "page cache kept between runs (--no-drop-caches)"
    elif all(bench.dropped):
        cache_note = "page cache dropped before every run"
    else:
        cache_note = "page cache NOT dropped (writing /proc/sys/vm/drop_caches failed): warm runs"
    text = f"{args.repeat} round(s), medians; {cache_note}"
    if bench.cmds.janitor_takes_uv:
        text += "; janitor gets --uv"
    if args.janitor_args:
        text += f"; janitor sweep {args.janitor_args}"
    if "slow" in fss and server is not None:
        text += f"; slow: {server.kind} FUSE server, {args.latency_ms:g} ms per operation"
        if args.fuse_options:
            text += f", -o {args.fuse_options}"
    if "ext4" in fss:
        text += "; ext4: journaled image on a loop device, mounted without discard"
    return text


def write_results(
    args: argparse.Namespace,
    bench: Bench,
    plan: Sequence[tuple[str, Workload]],
    fss: Sequence[str],
    started: datetime.datetime,
    skipped: dict[str, str],
    rows: list[dict[str, Any]],
) -> None:
    """Every run and the summary as JSON (benchmarks/results/ or --json)."""
    cmds, server = bench.cmds, bench.server
    works = list({id(w): w for _fs, w in plan}.values())
    result = {
        "started": started.isoformat(timespec="seconds"),
        "host": host_info(cmds.uv),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "janitor": cmds.janitor,
        "janitor_takes_uv": cmds.janitor_takes_uv,
        "uv": cmds.uv,
        "filesystems": list(fss),
        "slow_fs": None
        if server is None
        else {
            "server": server.kind,
            "latency_ms": args.latency_ms,
            "options": args.fuse_options,
            "command": server.command,
        },
        "page_cache_dropped": bench.drop and all(bench.dropped),
        "workloads": [
            {"id": w.id} | w.info() | {"filesystems": [f for f, x in plan if x is w]} for w in works
        ],
        "skipped": skipped,
        "summary": rows,
        "runs": [asdict(r) for r in bench.runs],
    }
    kinds = [f"prune{args.files}" if w.kind == "prune" else w.id for w in works]
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out: Path = (
        args.json
        or RESULTS / f"bench-{'-'.join(dict.fromkeys(kinds))}-{'-'.join(fss)}-{stamp}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"results: {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 1 if a run failed or left a wrong tree, 2 on an error that stops it."""
    args, choice = parse_args(argv)
    workdir: Path = args.workdir.absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    cmds = make_commands(args)
    # The timed tools see no user configuration, and janitor's run log stays in the work dir.
    home = workdir / "home"
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config")}
    env["XDG_STATE_HOME"] = str(home / "state")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    started = datetime.datetime.now(datetime.timezone.utc)
    skipped: dict[str, str] = {}
    plan: list[tuple[str, Workload]] = []
    bench = Bench(workdir, cmds, args.repeat, args.timeout, not args.no_drop_caches, None, env)
    try:
        if "slow" in choice.fss:
            start_slow(bench, args)
        plan = load_workloads(args, choice, bench, skipped)
        if not plan:
            raise BenchError("nothing to run")
        run_plan(bench, plan, choice.fss)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

    rows = summarize(bench.runs, plan)
    print_table(rows, header(args, bench, choice.fss, bench.server), plan)
    print_devices(rows)
    if any(r.rss_source == "wait4" for r in bench.runs):
        print("  note: no /usr/bin/time: peak RSS figures include the runner's own RSS")
    write_results(args, bench, plan, choice.fss, started, skipped, rows)
    mismatched = any(r.tree_ok is False for r in bench.runs if r.ok)
    return 1 if mismatched or any(not r.ok for r in bench.runs) else 0
