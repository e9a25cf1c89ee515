"""The Hugging Face hub cache's vocabulary: repository folders, their parts, and what users type.

A cache holds one folder per repository, `models--ORG--NAME` (also `datasets--`, `spaces--`; a
name without an organisation is `models--gpt2`), with `blobs/<etag>` (the content),
`snapshots/<commit>/<path>` (relative symlinks into the blobs), `refs/<name>` (files holding a
commit hash; nested names such as `refs/pr/1` are folders), `trees/<commit>.json` and
`.no_exist/<commit>/<path>`. Downloads lock `.locks/<folder>/<etag>.lock` and write
`blobs/<etag>.<8 hex>.incomplete`. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The folder prefix of each repository type, and the type it names.
TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
PREFIXES = {kind: prefix for prefix, kind in TYPES.items()}
SEPARATOR = "--"

BLOBS = "blobs"
SNAPSHOTS = "snapshots"
REFS = "refs"
TREES = "trees"
NO_EXIST = ".no_exist"
LOCKS = ".locks"
LOCK_SUFFIX = ".lock"
TREE_SUFFIX = ".json"
# What a repository folder holds; anything else in it is kept and named.
REPO_PARTS = frozenset({BLOBS, SNAPSHOTS, REFS, TREES, NO_EXIST})

# Where janitor moves trees aside in a hub cache: under `.locks`, which the client's scan passes
# over (a folder of its own at the top would read to the client as a broken repository).
TRASH = ".locks/.janitor-trash"

CACHEDIR_TAG = "CACHEDIR.TAG"
# The client's tag says who wrote it after the standard signature.
TAG_MARK = b"huggingface_hub"
# Top-level names that are not repositories: the client's own, and files desktops leave.
MARKERS = frozenset({CACHEDIR_TAG, LOCKS, ".DS_Store", "Thumbs.db", "desktop.ini"})

COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
# `<etag>.<8 hex>.incomplete` (a process-unique download); older clients wrote `<etag>.incomplete`.
INCOMPLETE_RE = re.compile(r"^(?P<etag>[^./]+)(?:\.[0-9a-f]{8})?\.incomplete$")
# The hub's repository names: letters, digits, `-`, `_` and `.`, at most one `/`.
_PART_RE = re.compile(r"^[A-Za-z0-9_.-]{1,96}$")


@dataclass(frozen=True, order=True)
class RepoName:
    """A repository: its type (`model`, `dataset`, `space`) and id (`ORG/NAME` or `NAME`)."""

    repo_type: str
    repo_id: str

    @property
    def folder(self) -> str:
        """Its folder in the cache."""
        return PREFIXES[self.repo_type] + SEPARATOR + self.repo_id.replace("/", SEPARATOR)

    @property
    def label(self) -> str:
        """How users name it: the hub's URL path (`ORG/NAME`, `datasets/ORG/NAME`)."""
        if self.repo_type == "model":
            return self.repo_id
        return f"{PREFIXES[self.repo_type]}/{self.repo_id}"


def parse_folder(name: str) -> RepoName | None:
    """The repository a top-level folder name holds, or None when it is not one."""
    prefix, sep, rest = name.partition(SEPARATOR)
    if not sep or prefix not in TYPES or not rest:
        return None
    parts = rest.split(SEPARATOR)
    if len(parts) > 2 or not all(_PART_RE.match(part) for part in parts):
        return None
    return RepoName(TYPES[prefix], "/".join(parts))


@dataclass(frozen=True)
class Selector:
    """A repository a user named, and optionally one revision of it (a ref or a commit)."""

    repo: RepoName
    revision: str | None = None

    @property
    def label(self) -> str:
        """As the user would type it back."""
        return self.repo.label + (f"@{self.revision}" if self.revision else "")


def parse_selector(text: str) -> Selector:
    """`ORG/NAME`, `datasets/ORG/NAME`, `spaces/ORG/NAME` or a folder name, with `@REV` optional.

    ValueError, with a message for the user, when it names no repository.
    """
    name, at, revision = text.strip().partition("@")
    if at and not revision:
        raise ValueError(f"{text!r}: nothing after '@' (a ref such as main, or a commit hash)")
    found = parse_folder(name)
    if found is None:
        repo_type, path = "model", name
        first, slash, rest = name.partition("/")
        if slash and first in TYPES:
            repo_type, path = TYPES[first], rest
        parts = path.split("/")
        if not path or len(parts) > 2 or not all(_valid_part(part) for part in parts):
            raise ValueError(
                f"{text!r} is not a repository: use ORG/NAME, datasets/ORG/NAME or "
                "spaces/ORG/NAME (a ref or commit after '@')"
            )
        found = RepoName(repo_type, path)
    if revision and (".." in revision.split("/") or revision.startswith("/")):
        raise ValueError(f"{text!r}: {revision!r} is not a ref or a commit hash")
    return Selector(found, revision or None)


def _valid_part(part: str) -> bool:
    return bool(_PART_RE.match(part)) and SEPARATOR not in part and part not in (".", "..")


def is_hub_tag(head: bytes) -> bool:
    """Whether a CACHEDIR.TAG's first bytes are the hub client's."""
    return head.startswith(b"Signature: 8a477f597d28d172789f06886806bc55") and TAG_MARK in head
