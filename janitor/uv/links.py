"""Where links lead: lexical resolution where it is exact, the OS's where it is not.

Every link is judged by where it really leads, never followed to delete. May import
janitor.inventory and janitor.uv.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from janitor.inventory import Archive, Link, LinkState
from janitor.uv.walk import RawLink

_MAX_HOPS = 40  # symlinks followed in one resolution before it counts as a loop


def resolve(
    root: Path,
    link_path: str,
    target: str,
    windows: bool,
    links: dict[str, bool] | None = None,
) -> str | None:
    """The cache-relative path a link leads to, or None when it leads out of the cache.

    Plain relative targets are resolved lexically (every directory a scan walks is a real
    directory, so `..` is exact) unless a name they add is itself a link; anything else is
    resolved by the operating system. `links` caches which added paths are links.
    """
    return resolve_via(root, link_path, target, windows, links)[0]


def resolve_via(
    root: Path,
    link_path: str,
    target: str,
    windows: bool,
    links: dict[str, bool] | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """`resolve`, and the other links in the cache that the way leads through."""
    if windows:
        return target, ()
    norm = target.replace("\\", "/")
    if not os.path.isabs(target) and not norm.startswith("/"):
        parts = list(root.parts) + link_path.split("/")[:-1]
        named = 0
        lexical = True
        for part in norm.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if named:
                    lexical = False
                    break
                if len(parts) > 1:
                    parts.pop()
            else:
                named += 1
                parts.append(part)
        if lexical:
            root_parts = root.parts
            if tuple(parts[: len(root_parts)]) == root_parts and not _through_link(
                parts, named, {} if links is None else links
            ):
                return "/".join(parts[len(root_parts) :]), ()
    path = root / link_path
    real, through = _real_path(str(path))
    via = (_relative(root, link) for link in through if link != str(path))
    return _relative(root, real), tuple(rel for rel in via if rel is not None)


def _relative(root: Path, path: str) -> str | None:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return None


def _real_path(path: str) -> tuple[str, list[str]]:
    """`os.path.realpath(path)`, and on POSIX the symlinks it goes through, in order."""
    if os.name == "nt":
        return os.path.realpath(path), []
    through: list[str] = []
    current = "/"
    rest = path.split("/")[::-1]
    while rest:
        part = rest.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            target = os.readlink(candidate)
        except OSError:  # not a link, or not there: taken as it is, as realpath does
            current = candidate
            continue
        if len(through) >= _MAX_HOPS:
            return os.path.realpath(path), through  # a loop: as the OS library has it
        through.append(candidate)
        if target.startswith("/"):
            current = "/"
        rest.extend(target.split("/")[::-1])
    return current, through


def _through_link(parts: list[str], named: int, links: dict[str, bool]) -> bool:
    """Whether one of the last `named` parts leads through a link (or cannot be checked)."""
    for end in range(len(parts) - named + 1, len(parts) + 1):
        path = os.path.join(*parts[:end])
        if path not in links:
            try:
                links[path] = stat.S_ISLNK(os.lstat(path).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                links[path] = False
                return False  # nothing below a missing name exists, links included
            except OSError:
                links[path] = True
        if links[path]:
            return True
    return False


def finish_links(
    root: Path, raw: Iterable[RawLink], archive_bucket: str, archives: dict[str, Archive]
) -> list[Link]:
    links = []
    # Whether a path is a link, known already for the archive bucket and its entries (the scan
    # listed them), so the common link costs no further system call.
    bucket_path = os.path.join(str(root), archive_bucket)
    seen: dict[str, bool] = {bucket_path: False}
    for entry in archives.values():
        if not entry.is_link:
            seen[os.path.join(bucket_path, entry.id)] = False
    for item in raw:
        archive: str | None = None
        via: tuple[str, ...] = ()
        if item.target == "":
            state = LinkState.UNREADABLE
        else:
            where, via = resolve_via(root, item.path, item.target, item.windows, seen)
            if where is None:
                state = LinkState.OUTSIDE
            else:
                head, _, tail = where.partition("/")
                if head == archive_bucket and tail and "/" not in tail:
                    archive = tail
                    state = LinkState.ARCHIVE if tail in archives else LinkState.MISSING
                elif head == archive_bucket and tail:
                    # Into an archive's inside: keep the whole archive alive.
                    archive = tail.split("/", 1)[0]
                    state = LinkState.ARCHIVE if archive in archives else LinkState.MISSING
                else:
                    state = LinkState.INSIDE
        links.append(
            Link(
                path=item.path,
                bucket=item.bucket,
                target=item.target,
                state=state,
                archive=archive,
                package=item.package,
                version=item.version,
                windows=item.windows,
                pointers=item.pointers,
                last_used=item.last_used,
                disk=item.disk,
                via=via,
            )
        )
    return links
