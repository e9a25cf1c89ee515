"""The cache lock against a real running uv: janitor waits, gives up with exit 3, or proceeds."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from janitor.errors import EXIT_BUSY
from janitor.uv.layout import LOCK_FILE
from tests.clirun import console
from tests.uvfactory import PYTHON, UV_BIN, UvCache, snapshot, uv_env


def lock_is_held(cache: Path) -> bool:
    fd = os.open(cache / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextmanager
def running_uv(cache: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """A real `uv run` that holds the cache (as every uv command does) while it sleeps."""
    args = [
        str(UV_BIN), "--cache-dir", str(cache), "run", "--no-project", "--python", PYTHON,
        "python", "-c", f"import time; time.sleep({seconds})",
    ]  # fmt: skip
    process = subprocess.Popen(
        args,
        env=uv_env(cache, args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not lock_is_held(cache):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "uv never took the cache lock"
            time.sleep(0.02)
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # uv and the Python it runs
        process.communicate()


# Seconds after which a janitor run counts as hung.
HANG = 60


def test_busy_cache_exits_3_and_changes_nothing(uv_cache: UvCache) -> None:
    before = snapshot(uv_cache.root)
    with running_uv(uv_cache.root, 30):
        quick = console("sweep", "--wait", "0", "--cache-dir", str(uv_cache.root), timeout=HANG)
        waited = console("sweep", "--wait", "0.5", "--cache-dir", str(uv_cache.root), timeout=HANG)
        package = console(
            "sweep", "-p", "beta", "--wait", "0", "--cache-dir", str(uv_cache.root), timeout=HANG
        )
        scheduled = console(
            "sweep", "--wait", "0", "--quiet", "--cache-dir", str(uv_cache.root), timeout=HANG
        )
    assert quick.returncode == EXIT_BUSY, quick.stderr
    assert quick.stderr.strip().splitlines() == [
        f"error: The cache at {uv_cache.root} is in use by another uv process "
        "(waited 0s; use --wait or --force)"
    ]
    assert waited.returncode == EXIT_BUSY
    assert waited.stderr.startswith("Cache is currently in-use, waiting for other uv processes")
    assert package.returncode == EXIT_BUSY
    # What a timer runs: yields to uv quietly, to try again next time.
    assert (scheduled.returncode, scheduled.stderr, scheduled.stdout) == (EXIT_BUSY, "", "")
    assert snapshot(uv_cache.root) == before


def test_sweep_proceeds_once_uv_exits(uv_cache: UvCache) -> None:
    with running_uv(uv_cache.root, 1.5) as uv:
        started = time.monotonic()
        sweep = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "janitor",
                "sweep",
                "--wait",
                "60",
                "--cache-dir",
                str(uv_cache.root),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        _, stderr = sweep.communicate(timeout=60)
        assert uv.poll() is not None, "the sweep finished while uv still held the cache"
    assert sweep.returncode == 0, stderr
    assert "waiting for other uv processes" in stderr
    assert "Removed" in stderr
    assert time.monotonic() - started >= 0.5
    assert not any((uv_cache.root / str(p)).exists() for p in uv_cache.stale_paths)


def test_force_runs_beside_a_running_uv(uv_cache: UvCache) -> None:
    with running_uv(uv_cache.root, 30):
        forced = console("sweep", "--force", "--cache-dir", str(uv_cache.root), timeout=HANG)
    assert forced.returncode == 0, forced.stderr
    assert not any((uv_cache.root / str(p)).exists() for p in uv_cache.stale_paths)


def test_dry_run_needs_no_lock(uv_cache: UvCache) -> None:
    with running_uv(uv_cache.root, 30):
        dry = console(
            "sweep", "--dry-run", "--wait", "0", "--cache-dir", str(uv_cache.root), timeout=HANG
        )
    assert dry.returncode == 0, dry.stderr
