"""Crash scenes: copies of a genuine uv cache with links out of it, what an uninterrupted sweep
leaves, and the checks after a sweep was killed or interrupted (tests/test_kill.py and
tests/test_interrupt.py).

Copies are hard-linked to their base (the engine only unlinks, renames and removes directories),
as uv's own venvs are hard-linked to its archives; the base is checked unchanged at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.uv import layout as uv
from tests.forkservers import PROJECT
from tests.killhook import KILL_AFTER_VARIABLE, counting
from tests.uvfactory import PYTHON, UV_BUCKETS, UvCache, copy_cache, make_wheel, run_uv, snapshot

runner = CliRunner()

# Packages to sweep (`--package`); none: a prune.
SWEEPS = {"package beta": ("beta",), "prune": ()}
Tree = dict[str, tuple[str, ...]]


def link_copy(src: Path, dst: Path) -> Path:
    """A copy of a tree whose files are hard links to the original's; symlinks stay symlinks."""
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        there = dst / here.relative_to(src)
        there.mkdir()
        for name in [*dirnames, *filenames]:
            if (here / name).is_symlink():
                (there / name).symlink_to(os.readlink(here / name))
            elif name in filenames:
                os.link(here / name, there / name)
        dirnames[:] = [name for name in dirnames if not (here / name).is_symlink()]
    return dst


@dataclass(frozen=True)
class Scene:
    """A cache to copy for each run, and the tree outside it that must never change."""

    base: Path
    outside: Path
    base_tree: Tree

    def copy(self, dest: Path) -> Path:
        return link_copy(self.base, dest)


def plant_outside(base: Path, outside: Path, cache: UvCache) -> None:
    """A tree beside the cache, linked to (soft and hard) from trees that the sweeps remove."""
    (outside / "pkg").mkdir(parents=True)
    (outside / "shared.txt").write_text("shared with the cache by a hard link\n" * 8)
    (outside / "pkg" / "deep.txt").write_text("never deleted through a link\n")
    [beta_link] = [
        link
        for link, archive in cache.links.items()
        if link.parts[0] == cache.buckets[uv.Kind.WHEELS] and cache.archives[archive][0] == "beta"
    ]
    holders = [
        base / beta_link.parent,
        base / ".tmpabc123",
        base / cache.buckets[uv.Kind.ARCHIVE] / cache.env_archive,
    ]
    for holder in holders:
        (holder / "escape").symlink_to(outside, target_is_directory=True)
        (holder / "escape-file").symlink_to(outside / "pkg" / "deep.txt")
        os.link(outside / "shared.txt", holder / "shared.txt")


def grow(base: Path, work: Path, n_files: int = 2000) -> None:
    """Grow a copy of the genuine cache with uv: beta 2.0 of `n_files` files, and kappa's
    archive of as many left dangling by a reinstall of a rebuilt kappa."""
    links = work / "find-links"
    venv = work / "venv"
    make_wheel(links, "beta", "2.0", n_files=n_files)
    kappa = make_wheel(links, "kappa", "1.0", n_files=n_files)
    run_uv("venv", "--python", PYTHON, venv, cache_dir=base)
    install = ("pip", "install", "--python", venv, "--no-index", "--find-links", links)
    run_uv(*install, "beta==2.0", "kappa", cache_dir=base)
    make_wheel(links, "kappa", "1.0", init_text="REBUILT = True\n")
    later = kappa.stat().st_mtime_ns + 2_000_000_000
    os.utime(kappa, ns=(later, later))
    run_uv(*install, "--reinstall", "--refresh-package", "kappa", "kappa", cache_dir=base)


def archive_links(root: Path) -> dict[str, str]:
    """Every symlink outside the archive bucket (and the trash) that resolves to an archive."""
    archives = root / UV_BUCKETS[uv.Kind.ARCHIVE]
    found: dict[str, str] = {}
    for top in os.listdir(root):
        if top in (archives.name, uv.TRASH_DIR):
            continue
        for dirpath, dirnames, filenames in os.walk(root / top):
            for name in [*dirnames, *filenames]:
                path = Path(dirpath, name)
                if path.is_symlink() and Path(os.path.realpath(path)).parent == archives:
                    found[path.relative_to(root).as_posix()] = Path(os.path.realpath(path)).name
    return found


@dataclass(frozen=True)
class Expected:
    """What a cache looks like before a sweep and after a whole one."""

    links: dict[str, str]  # link -> archive id, before
    archives: dict[str, Tree]  # archive id -> its tree, before
    outside: Tree
    after: Tree  # the cache after an uninterrupted run
    survivors: frozenset[str]  # links an uninterrupted run keeps


def sweep_args(root: Path, packages: Sequence[str], *extra: str) -> list[str]:
    selectors = [arg for name in packages for arg in ("--package", name)]
    return ["sweep", "--cache-dir", str(root), "--force", *selectors, *extra]


def sweep_command(root: Path, packages: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "janitor", *sweep_args(root, packages)]


def sweep_env(kill_after: int | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != KILL_AFTER_VARIABLE}
    if kill_after is not None:
        env[KILL_AFTER_VARIABLE] = str(kill_after)
    return env


def expect(scene: Scene, packages: Sequence[str], work: Path) -> Expected:
    """Run one uninterrupted sweep on a copy and describe the before and after."""
    root = scene.copy(work / "reference")
    links = archive_links(root)
    archives_dir = root / UV_BUCKETS[uv.Kind.ARCHIVE]
    archives = {archive: snapshot(archives_dir / archive) for archive in set(links.values())}
    outside = snapshot(scene.outside)
    done = subprocess.run(
        sweep_command(root, packages), env=sweep_env(), cwd=PROJECT, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    after = snapshot(root)
    assert uv.TRASH_DIR not in after
    survivors = frozenset(archive_links(root))
    assert survivors < set(links)
    shutil.rmtree(root)
    return Expected(links, archives, outside, after, survivors)


def check_killed(root: Path, scene: Scene, expected: Expected) -> bool:
    """No link leads to a partly deleted archive, and nothing outside the cache changed.

    True when the kill left trees in the trash: it came in the middle of the deletion.
    """
    assert snapshot(scene.outside) == expected.outside
    archives_dir = root / UV_BUCKETS[uv.Kind.ARCHIVE]
    now = archive_links(root)
    assert set(now) >= expected.survivors
    for link, archive in now.items():
        assert expected.links[link] == archive
        assert snapshot(archives_dir / archive) == expected.archives[archive], link
    for link in set(expected.links) - set(now):
        assert not os.path.lexists(root / link)  # moved aside whole, never left dangling
    trash = root / uv.TRASH_DIR
    return trash.is_dir() and bool(os.listdir(trash))


def rerun(root: Path, packages: Sequence[str]) -> Tree:
    result = runner.invoke(app, sweep_args(root, packages))
    assert result.exit_code == 0, result.output
    return snapshot(root)


def count_mutations(root: Path, packages: Sequence[str]) -> int:
    """How many mutations a whole sweep makes, counted in-process on a copy by the kill hook."""
    with counting() as counters:
        result = runner.invoke(app, sweep_args(root, packages, "--processes", "0"))
    assert result.exit_code == 0, result.output
    [counter] = counters
    return counter.mutations


def build_scene(
    pristine: UvCache, factory: pytest.TempPathFactory, name: str, *, grown: int | None = None
) -> Scene:
    """A copy of the genuine cache with links out of it, grown by `grow` if `grown` files given."""
    work = factory.mktemp(name)
    base = work / "cache"
    copy_cache(pristine.root, base)
    if grown is not None:
        grow(base, work, n_files=grown)
    plant_outside(base, work / "outside", pristine)
    return Scene(base, work / "outside", snapshot(base))
