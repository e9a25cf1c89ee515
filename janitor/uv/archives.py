"""The archive bucket: what each archive holds (dist-infos, a venv's packages and which of them
nothing else in it requires), and aliases.

Blocking functions, one call per chunk of archives. May import janitor.inventory, janitor.uv
and janitor.measure.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable

from janitor.inventory import Archive
from janitor.measure import measure
from janitor.uv import layout as uv
from janitor.uv.walk import read_small

# A dist-info's METADATA headers end at the first blank line; requirements come before it.
_HEADERS_LIMIT = 64 * 1024
_REQUIREMENT_RE = re.compile(rb"^Requires-Dist:[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*)", re.MULTILINE)


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
        roots: tuple[str, ...] = ()
        if venv:
            installed, roots = _venv_packages(path, top)
            packages.extend(installed)
        archives.append(
            Archive(
                name,
                rel,
                tuple(sorted(set(packages))),
                venv=venv,
                usage=measure(path) if sizes else None,
                roots=roots,
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


def _venv_packages(path: str, top: Iterable[str]) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """The packages of a venv, and the names of those no other package in it requires (what
    was asked for: `hatch` in the environment of `uvx hatch`)."""
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
    required: set[str] = set()
    for site in site_dirs:
        try:
            listing = os.listdir(site)
        except OSError:
            continue
        for name in listing:
            parsed = uv.parse_dist_info(name)
            if parsed is not None:
                packages.append(parsed)
                required.update(_requirements(os.path.join(site, name, "METADATA")))
    return packages, tuple(sorted({name for name, _ in packages} - required))


def _requirements(metadata: str) -> set[str]:
    """The (normalised) names a METADATA file's `Requires-Dist` headers name, extras included."""
    text = read_small(metadata, _HEADERS_LIMIT) or b""
    headers = text.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return {uv.normalize(match.decode()) for match in _REQUIREMENT_RE.findall(headers)}
