"""The reverse-reference graph: which links keep which archives alive. Pure; no I/O.

Start from all archives, discard the ones a surviving link reaches; the rest is garbage.
May import janitor.inventory.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from janitor.inventory import Archive, Link, LinkState


class Referencing(Protocol):
    """What the graph needs of a cache's inventory: its links and the trees they may reach."""

    @property
    def links(self) -> tuple[Link, ...]: ...

    @property
    def archives(self) -> Mapping[str, Archive]: ...


def ancestors(path: str) -> Iterable[str]:
    """`path` itself and every parent of it, nearest first (relative, `/`-separated)."""
    while path:
        yield path
        path = path.rpartition("/")[0]


def covering(path: str, removed: Collection[str]) -> str | None:
    """The removed path that contains `path` (itself or an ancestor), if any."""
    for candidate in ancestors(path):
        if candidate in removed:
            return candidate
    return None


def holder(link: Link, removed: Collection[str]) -> str | None:
    """The removed path that holds a link, or another link its way leads through, if any."""
    for path in (link.path, *link.via):
        found = covering(path, removed)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Graph:
    """Archive id -> the links that reach it, plus the links whose target is unknown."""

    referrers: Mapping[str, tuple[Link, ...]]
    unreadable: tuple[Link, ...]

    def survivors(self, archive: str, removed: Collection[str]) -> tuple[Link, ...]:
        """The links to `archive` that are not inside a removed path."""
        return tuple(
            link for link in self.referrers.get(archive, ()) if holder(link, removed) is None
        )


def build(inventory: Referencing) -> Graph:
    """Index every link that reaches an archive of the inventory."""
    referrers: dict[str, list[Link]] = {}
    unreadable = []
    for link in inventory.links:
        if link.state is LinkState.ARCHIVE and link.archive is not None:
            referrers.setdefault(link.archive, []).append(link)
        elif link.state is LinkState.UNREADABLE:
            unreadable.append(link)
    return Graph({k: tuple(v) for k, v in referrers.items()}, tuple(unreadable))


def dead_archives(
    inventory: Referencing, graph: Graph, removed: Collection[str]
) -> dict[str, tuple[str, ...]]:
    """Archives no surviving link reaches, each with the removed paths that held its links.

    Nothing is dead while a link that could not be read survives: it may reach any archive.
    """
    if any(covering(link.path, removed) is None for link in graph.unreadable):
        return {}
    dead: dict[str, tuple[str, ...]] = {}
    for archive_id in inventory.archives:
        links = graph.referrers.get(archive_id, ())
        holders = []
        for link in links:
            held = holder(link, removed)
            if held is None:
                break
            holders.append(held)
        else:
            dead[archive_id] = tuple(sorted(set(holders)))
    # An entry that is a symlink to another archive lives and dies with it, as in uv, which
    # compares both by their resolved paths: a link may reach the archive through it.
    aliases = {a.id: a.alias_of for a in inventory.archives.values() if a.alias_of is not None}
    living = {
        target for alias, target in aliases.items() if alias not in dead or target not in dead
    }
    for alias, target in aliases.items():
        if target in living:
            dead.pop(alias, None)
            dead.pop(target, None)
    return dead
