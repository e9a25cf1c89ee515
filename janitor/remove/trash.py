"""The cache's trash: where a plan's items are renamed aside before they are deleted.

A rename is atomic: a killed run leaves whole trees in the trash, never a link to a half-deleted
archive, and the next run finishes them. An item is moved only when its parent is reached from the
root through real directories; an item that cannot be moved (Windows refuses while a file is
open; a read-only cache) is deleted where it is.
May import janitor.errors, janitor.inventory, janitor.plan and janitor.remove.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from janitor.errors import Refused
from janitor.inventory import Usage
from janitor.plan import Item
from janitor.remove.fsops import GONE, REPARSE_POINT, Ops
from janitor.remove.outcome import Failure, Outcome


class TrashUnusable(Refused):
    """The cache's trash name is taken by something janitor did not make."""


class Trash:
    """One run's trash directory, `rel` below the cache's `root` (the cache kind's choice: a
    place its own client passes over)."""

    def __init__(self, root: Path, rel: str, ops: Ops) -> None:
        self.root = root
        self.rel = rel
        self.path = root.joinpath(*rel.split("/"))
        self.ops = ops
        self.renamed: set[str] = set()  # plan items moved into the trash
        self._real_dirs: set[str] = {str(root)}
        self._token = os.urandom(4).hex()  # as secrets.token_hex, without its hmac import
        self._seq = 0

    def target(self, item: Item) -> str:
        """A new name in the trash for an item."""
        self._seq += 1
        name = f"{self._token}-{self._seq}-{item.path.rpartition('/')[2]}"[:200]
        return os.path.join(str(self.path), name)

    def make(self) -> None:
        """Create the trash; refuse one that is a link or a file; pass on a read-only cache."""
        with contextlib.suppress(OSError):  # its parent, when the kind puts it deeper
            if self.path.parent != self.root and not self.path.parent.is_symlink():
                self.path.parent.mkdir(exist_ok=True)
        try:
            os.mkdir(self.path)
        except FileExistsError:
            try:
                st = os.lstat(self.path)
            except OSError:
                return
            if not stat.S_ISDIR(st.st_mode) or getattr(st, "st_file_attributes", 0) & (
                REPARSE_POINT
            ):
                what = "a link" if stat.S_ISLNK(st.st_mode) else "not a directory"
                raise TrashUnusable(
                    f"Cannot use {self.path} for deletions: it is {what}, not janitor's; "
                    "move it out of the cache and rerun"
                ) from None
        except OSError:
            pass  # a read-only cache: trees are deleted in place

    def drop(self) -> None:
        """Remove the trash when it is empty; what could not be removed stays for the next run."""
        with contextlib.suppress(OSError):
            self.ops.rmdir(str(self.path))

    def detach(self, chunk: list[tuple[Item, str]]) -> list[Outcome | tuple[str, bool]]:
        """Move `(item, target)`s into the trash: for each, (path to delete, moved) or an
        Outcome when it is done already (gone, refused, failed)."""
        moved: list[Outcome | tuple[str, bool]] = []
        for item, target in chunk:
            if not self._inside_root(item.path):
                failure = Failure(item.path, "refused: its path leads through a link")
                moved.append(Outcome(item, Usage(), (failure,)))
                continue
            source = os.path.join(str(self.root), *item.path.split("/"))
            if item.path.startswith(self.rel + "/"):
                moved.append((source, False))
                continue
            try:
                self.ops.rename(source, target)
            except GONE:
                moved.append(Outcome(item, Usage()))
                continue
            except OSError:
                moved.append(self._unmoved(item, source))
                continue
            self.renamed.add(item.path)
            moved.append((target, True))
        return moved

    def _unmoved(self, item: Item, source: str) -> Outcome | tuple[str, bool]:
        """An item the rename refused: gone after all, failed, or to delete in place."""
        try:
            self.ops.lstat(source)
        except GONE:
            return Outcome(item, Usage())
        except OSError as err:
            return Outcome(item, Usage(), (Failure(item.path, err.strerror or ""),))
        return (source, False)  # e.g. Windows refuses while a file is open

    def _inside_root(self, rel: str) -> bool:
        """Whether the parent of `rel` is reached from the root through real directories only."""
        parent = os.path.dirname(rel)
        if not parent:
            return True
        expected = os.path.join(str(self.root), *parent.split("/"))
        if expected in self._real_dirs:
            return True
        if os.path.realpath(expected) != expected:
            return False
        self._real_dirs.add(expected)
        return True
