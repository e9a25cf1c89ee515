"""The names every uv cache has at its top (the cache tag, the markers, the bucket pattern) and
what a package's name may be and how uv spells it.

The part of uv's vocabulary that the quick paths need (`janitor dir`, a sweep of an empty
cache, `--package` and `--keep` names), apart from the rest of it (`janitor.uv.layout`) so that
they start quickly: standard library only, nothing but constants, patterns and the functions
that read them.
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

# A bucket: `<kind>-v<N>` (`wheels-v8`, `built-wheels-v3`). As text, compiled by `re` on first
# use: `janitor dir` and a sweep of an empty cache never read a bucket name.
_BUCKET_PATTERN = r"^(?P<kind>[a-z][a-z0-9-]*?)-v(?P<version>[0-9]{1,6})$"


def split_bucket(name: str) -> tuple[str, int] | None:
    """(kind, version) of a bucket name: `("wheels", 8)` of `wheels-v8`; None for other names."""
    match = re.match(_BUCKET_PATTERN, name)
    if match is None:
        return None
    return match["kind"], int(match["version"])


def bucket_name(kind: str, version: int) -> str:
    """The name of the bucket of a kind at a version: `wheels-v8`."""
    return f"{kind}-v{version}"


# A valid project name (PEP 508), as packaging's `canonicalize_name(validate=True)` checks it;
# compiled on first use (re's cache), not on every start.
_PACKAGE_NAME = r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]"


def is_package_name(name: str) -> bool:
    """Whether `name` is a valid project name: ASCII letters, digits, `.`, `_` and `-`, starting
    and ending with a letter or digit."""
    return re.fullmatch(_PACKAGE_NAME, name, re.IGNORECASE | re.ASCII) is not None


def normalize(name: str) -> str:
    """PEP 503 normalisation (runs of `-`, `_`, `.` become `-`, lowercase), as uv names its
    per-package directories."""
    # As packaging spells it: faster than a pattern, and nothing to compile at start-up.
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value
