"""Generate a synthetic uv cache, laid out exactly as uv 0.13 writes it on Linux.

    python benchmarks/gencache.py DEST --files 100000 [--seed 0] [--jobs 3] [--verify]
    python benchmarks/gencache.py DEST --versions 3000 [--packages 300] [--seed 0] [--verify]

The cache holds live entries (unzipped wheels linked from the wheels and sdists buckets, the
sdists' sources and built wheels, simple-index files) and about as many files of garbage that
`uv cache prune` removes: dangling archives, cached environments (one of them large), stale
buckets, a dangling source revision here and there, in-flight `.tmp*` directories.

Besides DEST it writes DEST.manifest.json: the relative top-level paths `uv cache prune` removes
(the roots of the trees it deletes, exactly as it logs them with -v) and file counts, so that
`rm -rf` and `shutil.rmtree` can be timed on the same work. `--verify` runs the real uv on a copy
and checks the manifest against what uv logs and leaves.

With --versions it writes a different cache instead: a clean one (nothing for `uv cache prune`)
holding that many versions of --packages packages, each a small unzipped wheel with its link,
`.rev` and `.lock` in the wheels bucket, written at times spread over a year and last used (the
`.rev`'s access time) up to half a year later; its manifest lists every version with its times
and what evicting it frees, for timing and checking `janitor sweep --max-size`.

The output depends only on --files (or --versions, --packages) and --seed, not on --jobs or
scheduling. Files are written with os.open/os.write relative to directory descriptors by a pool
of worker processes.
"""

from __future__ import annotations

import sys

from bench.gen.cli import main

if __name__ == "__main__":
    sys.exit(main())
