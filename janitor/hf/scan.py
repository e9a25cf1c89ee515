"""The scan of a Hugging Face hub cache into a `HubInventory`: one task per repository.

Each repository is read in one worker thread hop (a hub cache has few, large files). Links are
read, never followed, and resolved lexically: a snapshot link counts only when it leads to a blob
of its own repository. A download's lock is tried without waiting and released at once, so a
running client is seen, never held up. May import janitor.inventory, janitor.hf and janitor.uv.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import anyio
import anyio.to_thread

from janitor.hf import layout
from janitor.hf.inventory import HubInventory, Incomplete, Repo, Revision
from janitor.inventory import Archive, Link, LinkState, Usage, allocated, entries
from janitor.uv.names import TRASH_DIR

try:
    import fcntl
except ImportError:  # Windows: the client's locks are not seen there
    fcntl = None  # type: ignore[assignment]


def lock_held(path: str) -> bool:
    """Whether a client holds the download lock at `path` now (tried without waiting)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


class _RepoReader:
    """Reads one repository folder (blocking)."""

    def __init__(self, root: str, folder: str, name: layout.RepoName) -> None:
        self.root = root
        self.folder = folder
        self.name = name
        self.base = os.path.join(root, folder)
        self.blobs: dict[str, os.stat_result] = {}  # path -> lstat
        self.incomplete: list[Incomplete] = []
        self.links: list[Link] = []
        self.notes: list[str] = []

    def read(self) -> tuple[Repo, list[Link], dict[str, Archive], list[str]]:
        parts = {entry.name: entry for entry in entries(self.base)}
        for name in sorted(set(parts) - layout.REPO_PARTS):
            self.notes.append(f"kept {self.folder}/{name}: not part of the hub cache's layout")
        self._read_blobs()
        refs, ref_files = self._read_refs()
        by_commit: dict[str, list[str]] = {}
        for ref, commit in refs:
            by_commit.setdefault(commit, []).append(ref)
        revisions = [
            self._read_revision(entry, tuple(sorted(by_commit.get(entry.name, ()))))
            for entry in sorted(entries(os.path.join(self.base, layout.SNAPSHOTS)), key=_name)
            if entry.is_dir(follow_symlinks=False)
        ]
        trees = tuple(
            entry.name.removesuffix(layout.TREE_SUFFIX)
            for entry in sorted(entries(os.path.join(self.base, layout.TREES)), key=_name)
            if entry.name.endswith(layout.TREE_SUFFIX)
        )
        no_exist = tuple(
            entry.name
            for entry in sorted(entries(os.path.join(self.base, layout.NO_EXIST)), key=_name)
        )
        locks = os.path.join(self.root, layout.LOCKS, self.folder)
        busy = tuple(
            entry.name.removesuffix(layout.LOCK_SUFFIX)
            for entry in sorted(entries(locks), key=_name)
            if entry.name.endswith(layout.LOCK_SUFFIX) and lock_held(entry.path)
        )
        archives = {
            path: Archive(path, path, usage=Usage(1, 0, st.st_size, allocated(st)))
            for path, st in self.blobs.items()
        }
        repo = Repo(
            self.name,
            self.folder,
            tuple(revisions),
            tuple(refs),
            tuple(ref_files),
            trees,
            no_exist,
            tuple(self.incomplete),
            busy,
            has_snapshots=layout.SNAPSHOTS in parts,
        )
        return repo, self.links, archives, self.notes

    def _read_blobs(self) -> None:
        for entry in entries(os.path.join(self.base, layout.BLOBS)):
            rel = f"{self.folder}/{layout.BLOBS}/{entry.name}"
            match = layout.INCOMPLETE_RE.match(entry.name)
            if match is not None:
                self.incomplete.append(Incomplete(rel, match["etag"]))
            elif entry.is_dir(follow_symlinks=False):
                self.notes.append(f"kept {rel}: a folder among the blobs")
            else:
                with contextlib.suppress(OSError):
                    self.blobs[rel] = entry.stat(follow_symlinks=False)

    def _read_refs(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        refs: list[tuple[str, str]] = []
        files: list[tuple[str, str]] = []
        top = os.path.join(self.base, layout.REFS)
        for directory, _dirs, names in os.walk(top):
            for name in sorted(names):
                path = os.path.join(directory, name)
                ref = os.path.relpath(path, top).replace(os.sep, "/")
                files.append((ref, f"{self.folder}/{layout.REFS}/{ref}"))
                try:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        commit = handle.read(256).strip()
                except OSError:
                    commit = ""
                refs.append((ref, commit))
        return refs, files

    def _read_revision(self, entry: os.DirEntry[str], refs: tuple[str, ...]) -> Revision:
        rel = f"{self.folder}/{layout.SNAPSHOTS}/{entry.name}"
        blobs_dir = os.path.join(self.base, layout.BLOBS)
        reached: set[str] = set()
        for directory, _dirs, names in os.walk(entry.path):
            for name in names:
                path = os.path.join(directory, name)
                link_rel = rel + "/" + os.path.relpath(path, entry.path).replace(os.sep, "/")
                link = self._link(path, link_rel, blobs_dir, entry.name)
                if link is None:
                    continue
                self.links.append(link)
                if link.archive is not None:
                    reached.add(link.archive)
        times = [self.blobs[path].st_atime for path in reached if path in self.blobs]
        with contextlib.suppress(OSError):
            times.append(entry.stat(follow_symlinks=False).st_mtime)
        return Revision(entry.name, rel, refs, tuple(sorted(reached)), max(times, default=0.0))

    def _link(self, path: str, rel: str, blobs_dir: str, commit: str) -> Link | None:
        try:
            target = os.readlink(path)
        except OSError:
            return None  # a plain file: a copy made where links are not supported
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
        archive = None
        if os.path.dirname(resolved) == blobs_dir:
            archive = f"{self.folder}/{layout.BLOBS}/{os.path.basename(resolved)}"
            state = LinkState.ARCHIVE if archive in self.blobs else LinkState.MISSING
        elif resolved.startswith(self.root + os.sep):
            state = LinkState.INSIDE
        else:
            state = LinkState.OUTSIDE
        return Link(
            rel,
            self.folder,
            target,
            state,
            archive if state is LinkState.ARCHIVE else None,
            self.name.label,
            commit,
        )


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def read_repo(root: str, folder: str) -> tuple[Repo, list[Link], dict[str, Archive], list[str]]:
    """Read one repository folder (blocking)."""
    name = layout.parse_folder(folder)
    assert name is not None
    return _RepoReader(root, folder, name).read()


async def scan(root: Path, limiter: anyio.CapacityLimiter | None = None) -> HubInventory:
    """Scan the hub cache at `root` (an absolute, resolved path) into a HubInventory."""
    root_str = str(root)
    top = await anyio.to_thread.run_sync(entries, root_str, limiter=limiter)
    folders = sorted(
        e.name for e in top if e.is_dir(follow_symlinks=False) and layout.parse_folder(e.name)
    )
    others = sorted(
        e.name
        for e in top
        if e.name not in folders and e.name not in layout.MARKERS and e.name != TRASH_DIR
    )
    # Leftovers of interrupted runs: in the trash, and in a trash at the top (where the engine
    # put it before the hub's moved under `.locks`).
    trash: list[str] = []
    for where in (layout.TRASH, TRASH_DIR):
        listing = await anyio.to_thread.run_sync(
            entries, os.path.join(root_str, *where.split("/")), limiter=limiter
        )
        trash.extend(sorted(f"{where}/{e.name}" for e in listing))
    found: list[tuple[Repo, list[Link], dict[str, Archive], list[str]]] = []

    async def one(folder: str) -> None:
        found.append(await anyio.to_thread.run_sync(read_repo, root_str, folder, limiter=limiter))

    async with anyio.create_task_group() as group:
        for folder in folders:
            group.start_soon(one, folder)
    found.sort(key=lambda part: part[0].folder)
    notes = [f"kept {name}: not a repository of the hub cache" for name in others]
    archives: dict[str, Archive] = {}
    for _repo, _links, blobs, repo_notes in found:
        archives.update(blobs)
        notes.extend(repo_notes)
    return HubInventory(
        root=root,
        repos=tuple(part[0] for part in found),
        links=tuple(sorted((link for part in found for link in part[1]), key=_link_path)),
        archives=dict(sorted(archives.items())),
        others=tuple(others),
        trash=tuple(trash),
        notes=tuple(notes),
    )


def _link_path(link: Link) -> str:
    return link.path
