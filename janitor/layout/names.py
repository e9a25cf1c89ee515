"""The names every uv cache has at its top: the cache tag, the markers and the bucket pattern.

The part of uv's vocabulary that the quick paths need (`janitor dir`, a sweep of an empty
cache), apart from the rest of it (`janitor.layout.uv`) so that they start quickly: standard
library only, nothing but constants, one pattern and the functions that read it.
"""

from __future__ import annotations

import re

CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
LOCK_FILE = ".lock"
# Top-level names `uv cache prune` never removes; a cache of only these holds no cached data.
MARKERS = frozenset({CACHEDIR_TAG, ".gitignore", ".git", LOCK_FILE})

# Where janitor renames trees before deleting their contents. It sits at the top level of the cache
# so that a rename is atomic (same filesystem); uv's own prune treats it as an unknown entry.
TRASH_DIR = ".janitor-trash"

# A bucket: `<kind>-v<N>` (`wheels-v8`, `built-wheels-v3`).
_BUCKET_RE = re.compile(r"^(?P<kind>[a-z][a-z0-9-]*?)-v(?P<version>[0-9]{1,6})$")


def split_bucket(name: str) -> tuple[str, int] | None:
    """(kind, version) of a bucket name: `("wheels", 8)` of `wheels-v8`; None for other names."""
    match = _BUCKET_RE.match(name)
    if match is None:
        return None
    return match["kind"], int(match["version"])


def bucket_name(kind: str, version: int) -> str:
    """The name of the bucket of a kind at a version: `wheels-v8`."""
    return f"{kind}-v{version}"
