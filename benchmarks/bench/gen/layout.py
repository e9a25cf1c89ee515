"""The bucket names and tags the generated caches use: those of the newest uv release janitor
knows (the one the benchmarks run), and stale ones of older releases."""

from __future__ import annotations

from janitor.uv.follow import buckets_by_kind
from janitor.uv.layout import BucketName, Kind, parse_bucket

GENERATOR_VERSION = 1

# The buckets of the newest uv release janitor knows (the one the benchmarks run).
BUCKETS = buckets_by_kind()
ARCHIVE = BUCKETS[Kind.ARCHIVE]
WHEELS = BUCKETS[Kind.WHEELS]
SDISTS = BUCKETS[Kind.SDISTS]
ENVIRONMENTS = BUCKETS[Kind.ENVIRONMENTS]
BUILDS = BUCKETS[Kind.BUILDS]
SIMPLE = BUCKETS[Kind.SIMPLE]
INTERPRETER = BUCKETS[Kind.INTERPRETER]
# Buckets of older uv releases: an older wheels bucket and a kind that no longer exists.
_WHEELS = parse_bucket(WHEELS)
assert _WHEELS is not None
STALE_WHEELS = str(BucketName(Kind.WHEELS.value, _WHEELS.version - 3))
STALE_BUILT_WHEELS = str(BucketName("built-wheels", 3))
REVISION_REV = "revision.rev"
TAG = "py3-none-any"
PYTHON = "python3.11"
