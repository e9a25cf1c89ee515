"""Ctrl-C: `janitor sweep` interrupted at many moments, as a terminal does it, on copies of genuine
uv caches; and worker processes that cannot start.

A SIGINT to janitor alone, or to its whole process group (worker processes included), gives exit
130 and the one documented line on stderr, nothing else; what the interrupt left in the trash
keeps every remaining link whole, and the next run leaves exactly the tree an uninterrupted run
leaves. Interrupts come right after each filesystem mutation of a sweep in threads (the kill
hook), and at moments spread over a larger sweep with worker processes, its scan and a dry run
included.

Every janitor here runs with Python's own Ctrl-C handler, as in a terminal: a process started
from a non-interactive shell's background job inherits an ignored SIGINT, and a test run that way
would pass without the signal ever landing; each run asserts that it did (exit 130).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
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
from janitor.errors import EXIT_INTERRUPTED
from tests.forkservers import PROJECT, ForkServers
from tests.scenes import (
    SWEEPS,
    Expected,
    Scene,
    build_scene,
    check_killed,
    count_mutations,
    expect,
    rerun,
    sweep_args,
    sweep_env,
)
from tests.uvfactory import UvCache, copy_cache, snapshot

runner = CliRunner()
LINE = "Interrupted: trees already moved aside are finished by the next run\n"

# Each run is forked from a process that imported janitor once: any delay after the fork falls in
# janitor's own code (`janitor.entry.main`, the console script's path). The child leads a process
# group of its own, so that a signal to the group reaches it and its worker processes only.
_FORK_SERVER = """
import contextlib
import io
import json
import os
import signal
import sys
import time

import anyio

from janitor.entry import main

sys.argv = ["janitor", "dir"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main()
anyio.run(anyio.sleep, 0)
import janitor.remove.engine, janitor.remove.procs, janitor.sweep  # noqa: E401
import janitor.uv.scan, janitor.plan, janitor.render, janitor.runlog  # noqa: E401


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/stat") as stat_file:
                    if int(stat_file.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
    return found


for line in sys.stdin:
    request = json.loads(line)
    ready, readied = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.close(ready)
            # Python's own handler, as a terminal's foreground job has it.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.setpgid(0, 0)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(err, 2)
            if request["after"] is not None:
                from tests.killhook import install

                install(request["after"], signal.SIGINT, request["group"])
            sys.argv = ["janitor", *request["argv"]]
            os.close(readied)  # the moments count from here: janitor's own code
            main()
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()  # the test sees it on stderr
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os._exit(code)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    os.close(readied)
    os.read(ready, 1)
    os.close(ready)
    started = time.monotonic()
    if request["delay"] is not None:
        time.sleep(request["delay"])
        with contextlib.suppress(ProcessLookupError):
            if request["group"]:
                # The whole group, and the worker processes, which have a session of their own:
                # as if a terminal's Ctrl-C reached them too.
                workers = children(pid)
                os.killpg(pid, signal.SIGINT)
                for worker in workers:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker, signal.SIGINT)
            else:
                os.kill(pid, signal.SIGINT)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(json.dumps([code, time.monotonic() - started]), flush=True)
"""


@dataclass(frozen=True)
class Run:
    """How an interrupted janitor ended."""

    code: int
    stderr: str
    seconds: float


class Janitors(ForkServers):
    """Servers that each fork one `janitor` run per request, signal it, and report its end."""

    def __init__(self) -> None:
        super().__init__(_FORK_SERVER, sweep_env())

    def run(
        self,
        argv: Sequence[str],
        stderr: Path,
        *,
        after: int | None = None,
        delay: float | None = None,
        group: bool = False,
    ) -> Run:
        """`janitor ARGV`, sent SIGINT after its `after`-th mutation or `delay` seconds."""
        request = {
            "argv": list(argv),
            "stderr": str(stderr),
            "after": after,
            "delay": delay,
            "group": group,
        }
        code, seconds = json.loads(self.ask(request))
        return Run(code, stderr.read_text(), seconds)


@pytest.fixture(scope="module")
def janitors() -> Iterator[Janitors]:
    pool = Janitors()
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def large_scene(pristine_cache: UvCache, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The genuine cache grown by uv with two archives of 12,000 files (one left dangling), with
    links out of it: a sweep long enough for worker processes to start."""
    return build_scene(pristine_cache, tmp_path_factory, "large-scene", grown=12_000)


def workers_of(root: Path) -> list[int]:
    """Deletion worker processes working on `root` (Linux: read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"worker.py") for arg in argv) and os.fsencode(root) in argv:
            found.append(int(entry))
    return found


def check_interrupted(run: Run, root: Path, scene: Scene, expected: Expected) -> None:
    """Exit 130 and the one line; every remaining link whole; no worker process left."""
    assert (run.code, run.stderr) == (EXIT_INTERRUPTED, LINE)
    check_killed(root, scene, expected)
    assert workers_of(root) == []


@pytest.mark.slow
@pytest.mark.parametrize("packages", list(SWEEPS.values()), ids=list(SWEEPS))
def test_interrupted_after_each_mutation(
    small_scene: Scene, janitors: Janitors, tmp_path: Path, packages: tuple[str, ...]
) -> None:
    """SIGINT right after each rename, unlink and rmdir, to janitor (odd points) or to its
    process group (even points): exit 130, one line, and a rerun converges."""
    expected = expect(small_scene, packages, tmp_path)
    mutations = count_mutations(small_scene.copy(tmp_path / "count"), packages)
    assert mutations > 50

    def interrupted_at(after: int) -> tuple[Run, Run, dict[str, tuple[str, ...]]]:
        root = small_scene.copy(tmp_path / f"int-{after}")
        # Threads only: the counter sees every mutation (worker processes run uncounted calls).
        argv = sweep_args(root, packages, "--processes", "0")
        run = janitors.run(argv, tmp_path / f"err-{after}", after=after, group=after % 2 == 0)
        check_interrupted(run, root, small_scene, expected)
        again = janitors.run(sweep_args(root, packages), tmp_path / f"again-{after}")
        after_rerun = snapshot(root)
        shutil.rmtree(root)
        return run, again, after_rerun

    with ThreadPoolExecutor(max_workers=len(janitors.servers)) as pool:
        for after, (_, again, after_rerun) in enumerate(
            pool.map(interrupted_at, range(1, mutations + 1)), start=1
        ):
            assert again.code == 0, (after, again.stderr)
            assert after_rerun == expected.after, after
    assert snapshot(small_scene.base) == small_scene.base_tree


# Moments of a sweep, as fractions of an uninterrupted run's duration: the scan, the plan, the
# renames, the deletion by threads and worker processes, the end.
FRACTIONS = (0.02, 0.08, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds workers through /proc")
@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
@pytest.mark.parametrize("packages", list(SWEEPS.values()), ids=list(SWEEPS))
def test_interrupted_at_moments_of_a_sweep_with_worker_processes(
    large_scene: Scene,
    janitors: Janitors,
    tmp_path: Path,
    packages: tuple[str, ...],
    group: bool,
) -> None:
    """SIGINT at moments spread over a sweep whose deletion runs in worker processes, to janitor
    or to its process group with the workers: exit 130 and one line whenever it lands before
    the end, no worker left behind, and a rerun converges."""
    expected = expect(large_scene, packages, tmp_path)
    durations = []
    for n in range(3):  # the quickest of three: later moments still come before the end
        root = large_scene.copy(tmp_path / f"timing-{n}")
        whole = janitors.run([*sweep_args(root, packages), "--processes", "2"], tmp_path / "err")
        assert whole.code == 0, whole.stderr
        durations.append(whole.seconds)
        shutil.rmtree(root)
    landed = 0
    for n, fraction in enumerate(FRACTIONS):
        root = large_scene.copy(tmp_path / f"int-{n}")
        argv = [*sweep_args(root, packages), "--processes", "2"]
        delay = min(durations) * fraction
        run = janitors.run(argv, tmp_path / f"err-{n}", delay=delay, group=group)
        if run.code == 0:  # it finished first
            assert snapshot(root) == expected.after, fraction
        else:
            check_interrupted(run, root, large_scene, expected)
            landed += 1
        assert rerun(root, packages) == expected.after, fraction
        shutil.rmtree(root)
    # On a loaded machine a run can end before its later moments; most must land.
    assert landed >= len(FRACTIONS) - 3
    assert snapshot(large_scene.base) == large_scene.base_tree


@pytest.mark.slow
@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
def test_an_interrupted_dry_run_changes_nothing(
    large_scene: Scene, janitors: Janitors, tmp_path: Path, group: bool
) -> None:
    """A dry run (scan, plan, measuring every item) interrupted at moments spread over it: exit
    130, the one line, and the cache as it was."""
    root = large_scene.copy(tmp_path / "cache")
    argv = sweep_args(root, (), "--dry-run")
    wholes = [janitors.run(argv, tmp_path / "whole-err") for _ in range(3)]
    assert [whole.code for whole in wholes] == [0, 0, 0], wholes[0].stderr
    landed = 0
    for n, fraction in enumerate(FRACTIONS):
        delay = min(whole.seconds for whole in wholes) * fraction
        run = janitors.run(argv, tmp_path / f"err-{n}", delay=delay, group=group)
        if run.code != 0:
            assert (run.code, run.stderr) == (EXIT_INTERRUPTED, LINE), fraction
            landed += 1
        assert snapshot(root) == large_scene.base_tree, fraction
    assert landed >= len(FRACTIONS) - 3


def interrupted_process(root: Path, argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """`python -m janitor ARGV` in a session of its own, with Ctrl-C at its default."""
    return subprocess.Popen(
        [sys.executable, "-m", "janitor", *argv],
        env=sweep_env(),
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds workers through /proc")
def test_ctrl_c_to_the_process_group_of_the_console_command(
    large_scene: Scene, tmp_path: Path
) -> None:
    """A real `janitor sweep` process and its workers, SIGINT to the group once the deletion is
    under way; then Ctrl-C twice, which ends it at once: 130 both times, one line, a rerun
    converges."""
    expected = expect(large_scene, (), tmp_path)
    for presses in (1, 2):
        root = large_scene.copy(tmp_path / f"cache-{presses}")
        with interrupted_process(root, sweep_args(root, (), "--processes", "2")) as process:
            while not workers_of(root):
                assert process.poll() is None, "the sweep ended before its workers started"
                time.sleep(0.0005)
            os.killpg(process.pid, signal.SIGINT)
            if presses == 2:
                time.sleep(0.001)  # two signals sent at once would be delivered as one
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGINT)
            _, err = process.communicate()
        assert (process.returncode, err.decode()) == (EXIT_INTERRUPTED, LINE)
        check_killed(root, large_scene, expected)
        deadline = time.monotonic() + 5  # after a second Ctrl-C, workers end with their input
        while workers_of(root) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert workers_of(root) == []
        assert rerun(root, ()) == expected.after
        shutil.rmtree(root)


# ----- worker processes that cannot start -----

NOTE_PREFIX = "note: deleting in threads: worker processes could not start"


def stale_bucket(root: Path, dirs: int = 60, files: int = 200) -> None:
    """A stale bucket by hand, so that the deletion lasts long enough to want worker processes."""
    for d in range(dirs):
        directory = root / "wheels-v1" / f"d{d}"
        directory.mkdir(parents=True)
        for f in range(files):
            (directory / f"f{f}").write_bytes(b"x" * 64)


@pytest.fixture
def two_caches(uv_cache: UvCache, tmp_path: Path) -> tuple[Path, Path]:
    """The genuine cache with a large stale bucket, and a copy of it."""
    stale_bucket(uv_cache.root)
    copy = tmp_path / "copy"
    copy_cache(uv_cache.root, copy)
    return uv_cache.root, copy


def swept(root: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["sweep", "--cache-dir", str(root), *extra])
    return result.exit_code, result.output


@pytest.mark.parametrize("interpreter", ["not executable", "missing", "a directory"])
def test_worker_processes_that_cannot_start_leave_the_deletion_to_threads(
    two_caches: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interpreter: str,
) -> None:
    """The interpreter cannot be executed again (its file may not be executed, is gone, or is
    not a program): the sweep goes on in threads, says so with -v, and leaves what a normal
    sweep leaves."""
    root, reference = two_caches
    code, output = swept(reference, "--processes", "2")
    assert code == 0, output
    python = tmp_path / "bin" / "python3"
    python.parent.mkdir()
    if interpreter == "not executable":
        python.write_text("#!/bin/sh\n")
        python.chmod(stat.S_IRUSR | stat.S_IWUSR)
    elif interpreter == "a directory":
        python.mkdir()
    monkeypatch.setattr(sys, "executable", str(python))
    code, output = swept(root, "--processes", "2", "-v")
    assert code == 0, output
    notes = [line for line in output.splitlines() if line.startswith(NOTE_PREFIX)]
    reasons = {
        "not executable": "Permission denied",
        "missing": "No such file or directory",
        "a directory": "Permission denied",
    }
    assert notes == [f"{NOTE_PREFIX} ({reasons[interpreter]}: {python})"]
    assert snapshot(root) == snapshot(reference)
    assert "Traceback" not in output


def test_without_an_interpreter_to_start_the_deletion_runs_in_threads(
    two_caches: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty `sys.executable` (an embedded interpreter): threads, a note with -v, none
    without."""
    root, reference = two_caches
    code, output = swept(reference, "--processes", "2")
    assert code == 0, output
    monkeypatch.setattr(sys, "executable", "")
    code, output = swept(root, "--processes", "2", "-v")
    assert code == 0, output
    note = "note: deleting in threads: no worker processes (sys.executable is empty)"
    assert note in output.splitlines()
    assert snapshot(root) == snapshot(reference)
    # Quiet about it without -v.
    (root / "wheels-v1").mkdir()
    code, output = swept(root, "--processes", "2")
    assert code == 0, output
    assert "note:" not in output


# What is under way when Ctrl-C comes and takes a while to finish: a stand-in for a batch on a
# slow filesystem.
_SLOW_TO_FINISH = """
import anyio

from janitor.cli.output import INTERRUPTED, run


async def work():
    print("ready", flush=True)
    try:
        await anyio.sleep(30)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(30)


try:
    run(work)
except KeyboardInterrupt:
    print(INTERRUPTED)
"""


def test_a_second_ctrl_c_ends_janitor_at_once(tmp_path: Path) -> None:
    """The first Ctrl-C waits for the work under way; a second one does not: 130, one line."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_TO_FINISH],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert process.poll() is None  # waiting for what is under way
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert (process.returncode, out, err.decode()) == (EXIT_INTERRUPTED, b"", LINE)
