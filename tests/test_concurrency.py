"""janitor beside real, running uv processes: with the lock nothing breaks; with --force it can."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from janitor.errors import EXIT_BUSY
from janitor.uv.layout import Kind
from tests.clirun import console
from tests.test_lock import lock_is_held
from tests.uvfactory import PYTHON, UV_BIN, UvCache, make_wheel, run_uv, uv_env

# Seconds after which a process counts as hung. No outcome depends on it: the tests order their
# processes by pipes and locks, and a healthy run never comes near it on however slow a machine.
HANG = 600


def uv_process(cache: Path, *args: str) -> subprocess.Popen[str]:
    argv = [str(UV_BIN), "--cache-dir", str(cache), *args]
    home = cache.parent / "uv-cwd"
    home.mkdir(exist_ok=True)
    return subprocess.Popen(
        argv,
        env=uv_env(cache, argv),
        cwd=home,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_installs_succeed_while_janitor_sweeps_in_a_loop(uv_cache: UvCache, tmp_path: Path) -> None:
    """Every install from the same cache succeeds while sweeps remove what it uses."""
    venv = tmp_path / "venv"
    run_uv("venv", str(venv), "--python", PYTHON, cache_dir=uv_cache.root)
    install = [
        "pip", "install", "--reinstall", "--no-index", "--find-links", str(uv_cache.find_links),
        "--python", str(venv), "alpha==2.0", "beta==1.0", "gamma==1.0",
    ]  # fmt: skip
    sweeps = [["--package", "alpha"], [], ["--package", "beta", "--package", "gamma"]]
    installs: list[subprocess.Popen[str]] = []
    results = []
    for round_ in range(6):
        installs.append(uv_process(uv_cache.root, *install))
        # A sweep waits for the install holding the lock, as long as that install takes.
        sweep = console(
            "sweep", "--wait", str(HANG // 2), "--cache-dir", str(uv_cache.root),
            *sweeps[round_ % 3], timeout=HANG,
        )  # fmt: skip
        results.append(sweep)
    outcomes = [(p.wait(timeout=HANG), p.communicate()) for p in installs]
    for sweep in results:
        assert sweep.returncode == 0, sweep.stderr
    for code, (_out, err) in outcomes:
        assert code == 0, err
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import alpha, beta, gamma; print(alpha.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "2.0"


@contextmanager
def waiting_tool(cache: UvCache, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A cached tool environment in use: the tool starts, then imports a module only once the
    test writes a line to its stdin, so the test decides when that import happens."""
    links = tmp_path / "lazy-links"
    links.mkdir()
    make_wheel(
        links,
        "lazy",
        "1.0",
        files={
            "lazy/late.py": "MESSAGE = 'late import worked'\n",
            "lazy/main.py": (
                "import sys\n"
                "def main():\n"
                "    print('started', flush=True)\n"
                "    sys.stdin.readline()\n"
                "    from lazy import late\n"
                "    print(late.MESSAGE)\n"
            ),
        },
        console_scripts={"lazy": "lazy.main:main"},
    )
    process = uv_process(
        cache.root, "tool", "run", "--no-index", "--find-links", str(links),
        "--python", PYTHON, "--from", "lazy", "lazy",
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "started"
        assert lock_is_held(cache.root)
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def go_on(tool: subprocess.Popen[str]) -> tuple[str, str]:
    """Let a waiting tool do its late import, and wait for it to end."""
    return tool.communicate("go\n", timeout=HANG)


def test_the_lock_keeps_a_running_tool_intact(uv_cache: UvCache, tmp_path: Path) -> None:
    with waiting_tool(uv_cache, tmp_path) as tool:
        sweep = console("sweep", "--wait", "0", "--cache-dir", str(uv_cache.root), timeout=HANG)
        out, err = go_on(tool)
    assert sweep.returncode == EXIT_BUSY
    assert tool.returncode == 0, err
    assert "late import worked" in out


def test_force_breaks_a_running_tool(uv_cache: UvCache, tmp_path: Path) -> None:
    """What the README warns about: --force deletes the environment a running uv is using."""
    with waiting_tool(uv_cache, tmp_path) as tool:
        # The tool does its late import only after the sweep has finished, however long that took.
        sweep = console("sweep", "--force", "--cache-dir", str(uv_cache.root), timeout=HANG)
        out, err = go_on(tool)
    assert sweep.returncode == 0, sweep.stderr
    assert tool.returncode != 0
    assert "late import worked" not in out
    assert "ModuleNotFoundError" in err or "ImportError" in err, err
    assert not any((uv_cache.root / uv_cache.buckets[Kind.ENVIRONMENTS]).iterdir())
