"""Crash safety: `janitor sweep` as a real process, SIGKILLed after each of its filesystem
mutations in turn and at random moments of a larger deletion, on copies of genuine uv caches.

After every kill: each link in the buckets that remains still resolves to a whole archive, nothing
outside the cache changed, and a rerun leaves exactly the tree an uninterrupted run leaves.

Copies are hard-linked to their base (the engine only unlinks, renames and removes directories),
as uv's own venvs are hard-linked to its archives; the base is checked unchanged at the end.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.uv import layout as uv
from tests.forkservers import PROJECT, ForkServers
from tests.killhook import KILL_AFTER_VARIABLE, counting
from tests.uvfactory import PYTHON, UV_BUCKETS, UvCache, copy_cache, make_wheel, run_uv, snapshot

pytestmark = pytest.mark.slow

# Packages to sweep (`--package`); none: a prune.
SWEEPS = {"package beta": ("beta",), "prune": ()}
KILLED = -getattr(signal, "SIGKILL", signal.SIGTERM)
RANDOM_KILLS = 6
runner = CliRunner()

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


@pytest.fixture(scope="module")
def small_scene(pristine_cache: UvCache, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The genuine cache, with links out of it."""
    work = tmp_path_factory.mktemp("small-scene")
    base = work / "cache"
    copy_cache(pristine_cache.root, base)
    plant_outside(base, work / "outside", pristine_cache)
    return Scene(base, work / "outside", snapshot(base))


@pytest.fixture(scope="module")
def big_scene(pristine_cache: UvCache, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The genuine cache grown by uv: beta 2.0 of 2000 files, and kappa's 2000-file archive
    left dangling when uv reinstalled a rebuilt kappa."""
    work = tmp_path_factory.mktemp("big-scene")
    base = work / "cache"
    copy_cache(pristine_cache.root, base)
    grow(base, work)
    plant_outside(base, work / "outside", pristine_cache)
    return Scene(base, work / "outside", snapshot(base))


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


# Each run is forked from a process that imported janitor once, so that a run costs the sweep and
# not an interpreter start: every mutation of both sweeps then fits in the time budget.
_FORK_SERVER = """
import contextlib
import io
import json
import os
import sys

import anyio

from janitor.cli.commands import main

KILL_AFTER = sys.argv[1]
# What the first run would import lazily is imported once, here.
sys.argv = ["janitor", "dir"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main()
anyio.run(anyio.sleep, 0)
import janitor.remove, janitor.sweep, janitor.uv.scan, janitor.plan, janitor.render  # noqa: E401

for line in sys.stdin:
    argv, env = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.environ.pop(KILL_AFTER, None)
            os.environ.update(env)
            if KILL_AFTER in env:
                from tests.killhook import install

                install(int(env[KILL_AFTER]))
            sys.argv = ["janitor", *argv]
            main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        finally:
            os._exit(code)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Janitors(ForkServers):
    """Servers that each fork one `janitor` run per request and report its exit code."""

    def __init__(self) -> None:
        super().__init__(_FORK_SERVER, sweep_env(), KILL_AFTER_VARIABLE)

    def run(self, argv: Sequence[str], kill_after: int | None = None) -> int:
        """Exit code of `janitor ARGV` (negative: the signal that ended it)."""
        env = {} if kill_after is None else {KILL_AFTER_VARIABLE: str(kill_after)}
        return int(self.ask([list(argv), env]))


@pytest.fixture(scope="module")
def janitors() -> Iterator[Janitors]:
    pool = Janitors()
    yield pool
    pool.close()


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


@pytest.mark.parametrize("packages", list(SWEEPS.values()), ids=list(SWEEPS))
def test_killed_after_each_mutation(
    small_scene: Scene, janitors: Janitors, tmp_path: Path, packages: tuple[str, ...]
) -> None:
    expected = expect(small_scene, packages, tmp_path)
    mutations = count_mutations(small_scene.copy(tmp_path / "count"), packages)
    assert mutations > 50

    def killed_at(after: int) -> tuple[int, bool, int, Tree]:
        root = small_scene.copy(tmp_path / f"kill-{after}")
        # Threads only: the counter sees every mutation (worker processes run uncounted calls).
        killed = janitors.run(sweep_args(root, packages, "--processes", "0"), kill_after=after)
        mid_deletion = check_killed(root, small_scene, expected)
        rerun = janitors.run(sweep_args(root, packages))
        after_rerun = snapshot(root)
        shutil.rmtree(root)
        return killed, mid_deletion, rerun, after_rerun

    mid_deletion = 0
    with ThreadPoolExecutor(max_workers=len(janitors.servers)) as pool:
        # One past the last mutation: the hook never fires and the run completes.
        runs = pool.map(killed_at, range(1, mutations + 2))
        for after, (killed, mid, rerun, after_rerun) in enumerate(runs, start=1):
            assert killed == (KILLED if after <= mutations else 0), after
            assert rerun == 0, after
            assert after_rerun == expected.after, after
            mid_deletion += mid
    assert mid_deletion > mutations // 2
    assert snapshot(small_scene.base) == small_scene.base_tree


def spawn(root: Path, packages: Sequence[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        sweep_command(root, packages),
        env=sweep_env(),
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(path: Path, process: subprocess.Popen[bytes]) -> bool:
    """Poll until `path` exists; False when the process ended first."""
    while not path.exists():
        if process.poll() is not None:
            return False
        time.sleep(0.0002)
    return True


@pytest.mark.parametrize("packages", list(SWEEPS.values()), ids=list(SWEEPS))
def test_killed_at_random_moments_of_a_large_deletion(
    big_scene: Scene, tmp_path: Path, packages: tuple[str, ...]
) -> None:
    expected = expect(big_scene, packages, tmp_path)
    # How long the deletion lasts, from the trash appearing to the end of the process.
    root = big_scene.copy(tmp_path / "timing")
    with spawn(root, packages) as timed:
        assert wait_for(root / uv.TRASH_DIR, timed)
        deleting = time.monotonic()
        assert timed.wait() == 0
    window = time.monotonic() - deleting
    shutil.rmtree(root)
    chance = random.Random(" ".join(packages))
    mid_deletion = 0
    for n in range(RANDOM_KILLS):
        root = big_scene.copy(tmp_path / f"kill-{n}")
        with spawn(root, packages) as process:
            if wait_for(root / uv.TRASH_DIR, process):
                time.sleep(chance.uniform(0, window * 0.8))
                process.kill()
            returncode = process.wait()
        if returncode == KILLED:
            mid_deletion += check_killed(root, big_scene, expected)
        assert rerun(root, packages) == expected.after, n
        shutil.rmtree(root)
    # How many kills land mid-deletion depends on the machine's load; every mutation point is
    # covered deterministically by test_killed_after_each_mutation.
    del mid_deletion
    assert snapshot(big_scene.base) == big_scene.base_tree


def worker_pids(parent: int) -> list[int]:
    """The deletion worker processes of a janitor process (Linux: read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat_file:
                fields = stat_file.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == parent and any(arg.endswith(b"worker.py") for arg in argv):
            found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds workers through /proc")
def test_a_killed_worker_process_leaves_nothing_undone(tmp_path: Path) -> None:
    """SIGKILL a deletion worker process mid-run: its batch is done again, and the sweep ends
    with everything removed, as if nothing had happened."""
    root = tmp_path / "cache"
    (root / uv.CACHEDIR_TAG).parent.mkdir(parents=True)
    (root / uv.CACHEDIR_TAG).write_text(uv.CACHEDIR_TAG_SIGNATURE + "\n")
    (root / UV_BUCKETS[uv.Kind.ARCHIVE]).mkdir()
    # A stale bucket large enough that the workers are busy for a while.
    for d in range(300):
        directory = root / "wheels-v1" / f"d{d}"
        directory.mkdir(parents=True)
        for f in range(200):
            (directory / f"f{f}").write_bytes(b"x" * 64)
    process = subprocess.Popen(
        [sys.executable, "-m", "janitor", "sweep", "--cache-dir", str(root), "--force", "--json"],
        cwd=PROJECT,
        env=sweep_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    killed = None
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        workers = worker_pids(process.pid)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
            break
        time.sleep(0.001)
    out, err = process.communicate(timeout=300)
    assert killed is not None, "the sweep ended before a worker process was seen"
    assert process.returncode == 0, err.decode()
    document = json.loads(out)
    assert document["errors"] == []
    assert document["totals"]["files"] == 300 * 200
    # Nothing but the cache's own markers and bucket is left (--force takes no lock: no `.lock`).
    assert sorted(os.listdir(root)) == sorted([uv.CACHEDIR_TAG, UV_BUCKETS[uv.Kind.ARCHIVE]])
