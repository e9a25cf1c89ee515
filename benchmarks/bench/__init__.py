"""The benchmark runner (`python benchmarks/run.py`) and the cache generator (`gencache.py`).

`options` reads the runner's options; `cli` runs the plan: `workloads` (one module per workload:
prune, package, max-size) on `fs` (one module per filesystem that is mounted: tmpfs, ext4, slow
FUSE; the local disk needs none), in `rounds` (copies, runs, checks); `commands` are the tools
timed, `timing` runs one and measures it, `device` reads the block device's counters, `report`
prints the tables. `trees` lists and compares cache trees; `gen` generates the synthetic caches;
`common` is what all share.
"""
