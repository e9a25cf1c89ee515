"""The synthetic uv caches the benchmarks run on (`python benchmarks/gencache.py`).

`layout` names the buckets, `rand` and `shapes` make names and trees from a seed, `units` are the
pieces a cache is planned in, `files` and `write` put them on disk, `plan` is what both caches
share; `prune_cache` plans the cache of live entries and garbage, `versions_cache` the clean one of
many versions; `verify` checks either against the real `uv cache prune`; `cli` is the command.
"""
