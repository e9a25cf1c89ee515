"""The rounds of a workload on a filesystem: a copy per tool, each tool run on its copy after the
caches are dropped, the tree it leaves checked, one line printed per run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.commands import Commands
from bench.common import BenchError, parallel, remove_trees, tail
from bench.device import block_delta, block_stat_file, read_block_stat
from bench.fs.slow import SlowServer, mounted
from bench.report import describe
from bench.timing import (
    ChildResult,
    Run,
    drop_caches,
    free_bytes,
    removed_files,
    run_child,
    summary_line,
)
from bench.trees import count_files, digest, listing
from bench.workloads.base import Workload


@dataclass
class Bench:
    workdir: Path
    cmds: Commands
    repeat: int
    timeout: float
    drop: bool
    server: SlowServer | None
    env: dict[str, str] | None = None  # for the timed tools
    mounts: dict[str, Path] = field(default_factory=dict)  # ext4, tmpfs: where they are mounted
    runs: list[Run] = field(default_factory=list)
    dropped: list[bool] = field(default_factory=list)

    def slow_dirs(self) -> tuple[Path, Path]:
        return self.workdir / "slow" / "backing", self.workdir / "slow" / "mnt"

    def copy_dir(self, fs: str, tool: str) -> Path:
        """Where the copy for `tool` lives (on the slow fs: in the backing directory)."""
        if fs == "local":
            return self.workdir / "run" / tool
        if fs == "slow":
            return self.slow_dirs()[0] / tool
        return self.mounts[fs] / tool

    def target(self, fs: str, tool: str, work: Workload) -> Path:
        """The cache the tool is pointed at (on the slow fs: through the mount)."""
        if fs == "slow":
            return self.slow_dirs()[1] / tool / work.cache_name
        return self.copy_dir(fs, tool) / work.cache_name

    def round(self, fs: str, rnd: int, work: Workload) -> None:
        """One round: copy for every tool, then run each (page cache dropped first), check."""
        order = work.tools if rnd % 2 else list(reversed(work.tools))
        copies = [self.copy_dir(fs, tool) for tool in order]
        remove_trees(copies)
        for dest in copies:
            dest.mkdir(parents=True)
        # One `cp -a` per copy (it keeps the hard links among its sources), all at once: file
        # creation is slow enough on a VM disk that copying dominates a small benchmark otherwise.
        sources = [str(s) for s in work.sources]
        parallel([["cp", "-a", "--", *sources, f"{dest}/"] for dest in copies])
        for dest in copies:
            work.prepare(dest / work.cache_name)
        this_round: list[Run] = []
        for position, tool in enumerate(order):
            run = self.one(fs, rnd, position, tool, work)
            this_round.append(run)
            self.runs.append(run)
        for run in this_round:
            self.check(run, work)
        remove_trees(copies)
        for run in this_round:
            print(f"  [{fs} {work.id} {rnd}/{self.repeat}] {describe(run)}", flush=True)
            if run.ok and run.tree_ok is False:
                for line in run.tree_diff:
                    print(f"      {line}")
        by_tool = {r.tool: r for r in this_round}
        jan, uv = by_tool.get("janitor"), by_tool.get("uv")
        if jan and uv and jan.ok and uv.ok and jan.tree_digest != uv.tree_digest:
            print(f"  [{fs} {work.id} {rnd}] MISMATCH: janitor and uv left different trees")

    def one(self, fs: str, rnd: int, position: int, tool: str, work: Workload) -> Run:
        """Run one tool on its copy (caches dropped first) and record what it took."""
        run = Run(
            fs=fs, workload=work.id, round=rnd, position=position, tool=tool, label=work.label(tool)
        )
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{fs}-{work.id}-{tool}-{rnd}.log"
        run.log = str(log)
        copy = self.copy_dir(fs, tool)
        target = self.target(fs, tool, work)
        try:
            cmd = work.command(tool, target, self.cmds)
        except BenchError as exc:
            run.error = str(exc)
            return run
        # rm gets paths relative to the cache; uv refuses to run from inside the cache.
        cwd = target if tool in ("rm", "rm2") else self.workdir
        if self.drop:
            # Everything written back and every cache dropped: the copy, the tool's own files.
            self.dropped.append(drop_caches())
        else:
            os.sync()  # the previous run's deletions are written back before this one starts
        stat_file = block_stat_file(copy)
        before = read_block_stat(stat_file)
        free_before = free_bytes(copy)
        if fs != "slow":
            result = run_child(cmd, cwd, log, self.timeout, self.env)
        else:
            assert self.server is not None
            backing, mnt = self.slow_dirs()
            server_log = logs / f"{fs}-{work.id}-{tool}-{rnd}.server.log"
            with mounted(self.server, backing, mnt, server_log):
                result = run_child(cmd, cwd, log, self.timeout, self.env)
        run.device = block_delta(stat_file, before, read_block_stat(stat_file))
        os.sync()
        free_after = free_bytes(copy)
        # Only the benchmark writes to its own mounts: there the free space gained is exact.
        if fs in ("tmpfs", "ext4") and free_before is not None and free_after is not None:
            run.fs_freed_bytes = free_after - free_before
        self.record(run, result, log)
        return run

    def record(self, run: Run, result: ChildResult, log: Path) -> None:
        """What the child's result and log say about the run."""
        run.returncode = result.returncode
        run.wall_s = round(result.wall_s, 4)
        run.maxrss_kib = result.maxrss_kib
        run.user_s = round(result.user_s, 4)
        run.sys_s = round(result.sys_s, 4)
        run.rss_source = result.rss_source
        if result.timed_out:
            run.error = f"killed after {self.timeout:.0f} s"
        elif result.returncode != 0:
            run.error = f"exit {result.returncode}: {tail(log)}"
        else:
            run.ok = True
        run.summary = summary_line(log)
        if run.tool == "uv":
            run.removed_files_reported = removed_files(log)

    def check(self, run: Run, work: Workload) -> None:
        """Check the tree the run left (the copy is deleted afterwards)."""
        cache = self.copy_dir(run.fs, run.tool) / work.cache_name
        if not cache.is_dir():
            run.tree_ok = False
            run.tree_diff = ["the cache directory itself is gone"]
            return
        left = listing(cache)
        run.tree_digest = digest(left)
        run.files_removed = work.files - count_files(left)
        work.check(run, cache, left)
