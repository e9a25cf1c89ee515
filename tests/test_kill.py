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
from pathlib import Path

import pytest

from janitor.uv import layout as uv
from tests.forkservers import PROJECT, ForkServers
from tests.killhook import KILL_AFTER_VARIABLE
from tests.scenes import (
    SWEEPS,
    Scene,
    Tree,
    build_scene,
    check_killed,
    count_mutations,
    expect,
    rerun,
    sweep_args,
    sweep_command,
    sweep_env,
)
from tests.uvfactory import UV_BUCKETS, UvCache, snapshot

pytestmark = pytest.mark.slow

KILLED = -getattr(signal, "SIGKILL", signal.SIGTERM)
RANDOM_KILLS = 6


@pytest.fixture(scope="module")
def big_scene(pristine_cache: UvCache, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The genuine cache grown by uv: beta 2.0 of 2000 files, and kappa's 2000-file archive
    left dangling when uv reinstalled a rebuilt kappa."""
    return build_scene(pristine_cache, tmp_path_factory, "big-scene", grown=2000)


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
