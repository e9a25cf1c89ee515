"""Which removed hard-linked files this run freed: a file is freed once all its links are gone.

Workers report each removed file that had more than one link with the link count they saw just
before removing it. Counts only fall while a run removes links, so the highest count reported is
the number of links the file had when the run first met it; once the run has removed that many,
the file's blocks are free, whichever worker removed the last one and in whatever order the
reports arrive. Files seen with a single link are counted by the workers themselves. Pure; imports
nothing from janitor.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class _Inode:
    __slots__ = ("links", "owner", "removed", "size")

    def __init__(self, links: int, size: int, owner: Hashable) -> None:
        self.links = links  # the most links seen
        self.removed = 1
        self.size = size
        self.owner = owner  # the tree that removed the last link seen


class Ledger:
    """Links removed per inode, and the tree each inode's blocks are credited to."""

    def __init__(self) -> None:
        self._inodes: dict[tuple[int, int], _Inode] = {}

    def add(self, owner: Hashable, reports: Iterable[tuple[int, int, int, int]]) -> None:
        """Record removed links: (device, inode, links seen before removal, allocated bytes)."""
        inodes = self._inodes
        for device, number, links, size in reports:
            inode = inodes.get((device, number))
            if inode is None:
                inodes[(device, number)] = _Inode(links, size, owner)
            else:
                inode.links = max(inode.links, links)
                inode.removed += 1
                inode.owner = owner

    def freed(self) -> dict[Hashable, int]:
        """Allocated bytes freed per owner: inodes whose every seen link this run removed."""
        result: dict[Hashable, int] = {}
        for inode in self._inodes.values():
            if inode.removed >= inode.links:
                result[inode.owner] = result.get(inode.owner, 0) + inode.size
        return result
