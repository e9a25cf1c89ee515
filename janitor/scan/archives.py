"""The archive bucket: what each archive holds (dist-infos, a venv's packages), and aliases.

Blocking functions, one call per chunk of archives. May import janitor.inventory, janitor.layout
and janitor.scan.measure.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable

from janitor.inventory import Archive
from janitor.layout import uv
from janitor.scan.measure import measure


def scan_archive_chunk(
    root: str, bucket: str, names: list[tuple[str, bool]], sizes: bool, seconds: float
) -> tuple[list[Archive], list[tuple[str, bool]]]:
    """What the archives `names` (name, is not a directory) hold, until `seconds` run out;
    returns them and the names left."""
    archives: list[Archive] = []
    deadline = time.monotonic() + seconds
    for position, (name, not_dir) in enumerate(names):
        if position and time.monotonic() > deadline:
            return archives, names[position:]
        rel = f"{bucket}/{name}"
        if not_dir:
            archives.append(
                Archive(name, rel, is_link=True, alias_of=_alias_of(root, bucket, name))
            )
            continue
        path = os.path.join(root, bucket, name)
        try:
            top = os.listdir(path)
        except OSError:
            top = []
        venv = "pyvenv.cfg" in top
        packages: list[tuple[str, str]] = [p for p in map(uv.parse_dist_info, top) if p is not None]
        if venv:
            packages.extend(_venv_packages(path, top))
        archives.append(
            Archive(
                name,
                rel,
                tuple(sorted(set(packages))),
                venv=venv,
                usage=measure(path) if sizes else None,
            )
        )
    return archives, []


def _alias_of(root: str, bucket: str, name: str) -> str | None:
    """The archive an entry of the archive bucket that is a symlink resolves to, if any."""
    real = os.path.realpath(os.path.join(root, bucket, name))
    parent, archive = os.path.split(real)
    if parent == os.path.join(root, bucket) and archive != name and os.path.isdir(real):
        return archive
    return None


def _venv_packages(path: str, top: Iterable[str]) -> list[tuple[str, str]]:
    site_dirs: list[str] = []
    for parts in uv.site_packages_parts(top):
        base = os.path.join(path, *parts)
        if parts[-1] == "site-packages":
            site_dirs.append(base)
            continue
        # `lib/python3.X/site-packages`: the X is whatever the venv's interpreter was.
        with contextlib.suppress(OSError):
            site_dirs.extend(
                os.path.join(base, version, "site-packages")
                for version in os.listdir(base)
                if version.startswith(("python", "pypy"))
            )
    packages: list[tuple[str, str]] = []
    for site in site_dirs:
        try:
            listing = os.listdir(site)
        except OSError:
            continue
        packages.extend(p for p in map(uv.parse_dist_info, listing) if p is not None)
    return packages
