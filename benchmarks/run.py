"""Benchmark janitor against uv, `rm -rf` and `shutil.rmtree` on the same work.

    python benchmarks/run.py [--files 100000] [--repeat 3] [--fs auto|local,tmpfs,ext4,slow]
                             [--workload prune,package,max-size] [--tools janitor,uv,rm,rm2,rmtree]
                             [--latency-ms 1] [--versions 3000] [--workdir DIR]
    python benchmarks/run.py --files 10000 --repeat 1        # smoke test

Workloads (`--workload`, default all that can run):

- prune: `janitor sweep` against `uv cache prune`, `rm -rf` (one process, and `rm2`: two at
  once on halves balanced by file count) and `shutil.rmtree` of the paths uv removes, on a
  synthetic cache made by gencache.py. Every tool must leave the tree uv leaves.
- package: `janitor sweep --package pandas` against `uv cache clean pandas` on a real cache built
  once from the package index with uv (two virtual environments hard-linked to it, a cached tool
  environment). janitor must leave the tree uv leaves. Skipped, with the reason, when the index
  cannot be reached.
- max-size: `janitor sweep --max-size` (half the cache's size on disk) on a clean synthetic cache
  of --versions package versions (gencache.py --versions), janitor alone; the run must evict least
  recently used versions first, whole, and end under the budget.

Every round makes one identical copy per tool (`cp -a` of the cache and of what shares its hard
links, not timed), then runs each tool on its copy as a child process, after writing everything
back and dropping the page cache, and records its wall time and peak RSS (through GNU time). The
order of the tools is reversed every other round. After each run the tree left is checked.

Filesystems (`--fs`, default auto): local (the work directory's disk), tmpfs (mounted under the
work directory for the run), ext4 (a fresh journaled ext4 image on a loop device, mounted without
discard) and slow (a FUSE passthrough that delays every metadata operation by --latency-ms:
slowfs.c on libfuse3, compiled into the work directory, or slowfs.py on fusepy). What is mounted
is unmounted afterwards, also on errors and Ctrl-C. auto runs locally and, when this machine can
mount them, on the others too. The slow filesystem gets a smaller prune cache (--slow-files).

For every run on a block device, the device's counters (/sys/block/*/stat) are read before and
after: its busy time, and how many discards it served and for how long. When the device serves
one request at a time, its busy time is a floor no tool can go below.

Results: tables on stdout (medians, each tool's time as a multiple of janitor's and uv's, peak
memory, and every workload side by side across filesystems) and a JSON file under
benchmarks/results/ (or --json).
"""

from __future__ import annotations

import sys

from bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
