"""The slow filesystem: slowfs.c (libfuse3, compiled into the work directory) or slowfs.py (fusepy),
mounted over a backing directory for each run."""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import SLOWFS_C, SLOWFS_PY, BenchError, tail
from bench.fs.mount import is_mounted


def fusermount() -> str | None:
    return shutil.which("fusermount3") or shutil.which("fusermount")


def slow_fs_problem() -> str | None:
    """Why this machine cannot mount the slow filesystem, or None if it can."""
    if os.geteuid() != 0:
        return "the slow filesystem needs root (it mounts FUSE filesystems and drops caches)"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing (load the fuse module, or give the container the device)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not readable and writable"
    if fusermount() is None:
        return "fusermount3/fusermount is missing (Debian: apt-get install fuse3)"
    return None


def build_c_server(workdir: Path) -> tuple[Path | None, str]:
    """Compile slowfs.c into the work directory; (binary, "") or (None, why not)."""
    binary = workdir / "slowfs"
    if binary.exists() and binary.stat().st_mtime >= SLOWFS_C.stat().st_mtime:
        return binary, ""
    cc = shutil.which("cc") or shutil.which("gcc")
    pkg_config = shutil.which("pkg-config")
    if cc is None or pkg_config is None:
        return None, "no C compiler or pkg-config"
    flags = subprocess.run(
        [pkg_config, "--cflags", "--libs", "fuse3"], capture_output=True, text=True, check=False
    )
    if flags.returncode != 0:
        return None, "pkg-config finds no fuse3 (Debian: apt-get install libfuse3-dev)"
    tmp = binary.with_name("slowfs.building")
    cmd = [cc, "-O2", "-Wall", "-o", str(tmp), str(SLOWFS_C), *flags.stdout.split()]
    built = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if built.returncode != 0:
        return None, f"cc failed: {built.stderr.strip()[-500:]}"
    tmp.replace(binary)
    return binary, ""


def python_server_problem() -> str | None:
    try:
        import fuse  # noqa: F401
    except ImportError:
        return "fusepy is not installed (pip install fusepy)"
    except OSError as exc:
        return f"fusepy cannot load libfuse 2 ({exc}; Debian: apt-get install libfuse2)"
    if ctypes.util.find_library("fuse") is None:
        return "libfuse 2 is missing (Debian: apt-get install libfuse2)"
    return None


@dataclass
class SlowServer:
    kind: str  # "c" or "python"
    command: list[str]  # without BACKING and MOUNTPOINT


def pick_server(
    workdir: Path, which: str, latency_ms: float, threads: int, options: str
) -> SlowServer:
    reasons: list[str] = []
    if which in ("auto", "c"):
        binary, why = build_c_server(workdir)
        if binary is not None:
            cmd = [str(binary), f"--latency-us={round(latency_ms * 1000)}", f"--threads={threads}"]
            return SlowServer("c", cmd + (["-o", options] if options else []))
        reasons.append(f"C server: {why}")
    if which in ("auto", "python"):
        why_not = python_server_problem()
        if why_not is None:
            cmd = [sys.executable, str(SLOWFS_PY), f"--latency-ms={latency_ms}"]
            return SlowServer("python", cmd + (["-o", options] if options else []))
        reasons.append(f"Python server: {why_not}")
    raise BenchError("no slow filesystem server is usable: " + "; ".join(reasons))


def unmount(path: Path) -> None:
    """Unmount `path`, lazily if it stays busy."""
    tool = fusermount()
    if tool is None:
        raise BenchError("fusermount is missing")
    for _ in range(50):
        if not is_mounted(path):
            return
        subprocess.run([tool, "-u", "-q", str(path)], capture_output=True, check=False)
        if not is_mounted(path):
            return
        time.sleep(0.1)
    subprocess.run([tool, "-u", "-z", "-q", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def mounted(server: SlowServer, backing: Path, mnt: Path, log: Path) -> Iterator[None]:
    """Serve `backing` at `mnt` for the duration of the block."""
    if is_mounted(mnt):
        unmount(mnt)
    mnt.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*server.command, str(backing), str(mnt)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C goes to us; we unmount, then it exits
        )
    try:
        deadline = time.monotonic() + 20
        while not is_mounted(mnt):
            if proc.poll() is not None:
                raise BenchError(f"the slow filesystem did not mount: {tail(log, 5)}")
            if time.monotonic() > deadline:
                raise BenchError("the slow filesystem did not mount within 20 s")
            time.sleep(0.02)
        yield
    finally:
        try:
            unmount(mnt)
        finally:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
