"""What a scan found in a Hugging Face hub cache, as plain immutable data.

The reverse-reference graph is the uv cache's: blobs are the referenced trees (`archives`, keyed
by their path), snapshot symlinks the links, repositories the packages and revisions the versions.
Paths are relative to the cache root, with `/` separators. May import janitor.inventory and
janitor.hf.layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from janitor.hf.layout import RepoName
from janitor.inventory import Archive, Link


@dataclass(frozen=True)
class Revision:
    """One snapshot folder: a commit of a repository as the client cached it."""

    commit: str
    path: str  # `<folder>/snapshots/<commit>`
    refs: tuple[str, ...] = ()  # ref names that name its commit (`main`, `refs/pr/1`, a tag)
    blobs: tuple[str, ...] = ()  # paths of the blobs its links reach
    last_used: float = 0.0  # newest access time of its blobs, or its folder's mtime

    @property
    def detached(self) -> bool:
        """Whether no ref names it (what `hf cache prune` removes)."""
        return not self.refs


@dataclass(frozen=True)
class Incomplete:
    """A download left halfway: `blobs/<etag>.<8 hex>.incomplete`."""

    path: str
    etag: str


@dataclass(frozen=True)
class Repo:
    """One repository folder and what it holds."""

    name: RepoName
    folder: str
    revisions: tuple[Revision, ...] = ()
    refs: tuple[tuple[str, str], ...] = ()  # (ref name, commit) as the refs folder has them
    ref_files: tuple[tuple[str, str], ...] = ()  # (ref name, path of its file)
    trees: tuple[str, ...] = ()  # commits with a cached `trees/<commit>.json`
    no_exist: tuple[str, ...] = ()  # commits with a `.no_exist/<commit>/` folder
    incomplete: tuple[Incomplete, ...] = ()
    busy: tuple[str, ...] = ()  # etags whose download lock a client holds now
    has_snapshots: bool = True

    def revision(self, name: str) -> Revision | None:
        """The revision a commit hash or a ref names."""
        commit = dict(self.refs).get(name, name)
        for revision in self.revisions:
            if revision.commit == commit:
                return revision
        return None


@dataclass(frozen=True)
class HubInventory:
    """Everything a scan of a hub cache found."""

    root: Path
    repos: tuple[Repo, ...] = ()
    links: tuple[Link, ...] = ()
    archives: dict[str, Archive] = field(default_factory=dict)  # the blobs, by path
    others: tuple[str, ...] = ()  # top-level names that are neither repositories nor markers
    trash: tuple[str, ...] = ()  # leftovers of an interrupted run
    notes: tuple[str, ...] = ()  # what was kept because it was not recognised
