"""Benchmark janitor against uv, `rm -rf` and `shutil.rmtree` on the same work.

    python benchmarks/run.py [--files 100000] [--repeat 3] [--fs auto|local,tmpfs,ext4,slow]
                             [--workload prune,package,max-size] [--tools janitor,uv,rm,rm2,rmtree]
                             [--latency-ms 1] [--versions 3000] [--workdir DIR]
    python benchmarks/run.py --files 10000 --repeat 1        # smoke test

Workloads (`--workload`, default all that can run):

- prune: `janitor sweep` against `uv cache prune`, `rm -rf` (one process, and `rm2`: two at
  once on halves balanced by file count) and `shutil.rmtree` of the paths uv removes, on a
  synthetic cache made by gencache.py. Every tool must leave the tree uv leaves.
- package: `janitor sweep --package pandas` against `uv cache clean pandas` on a real cache built
  once from the package index with uv (two virtual environments hard-linked to it, a cached tool
  environment). janitor must leave the tree uv leaves. Skipped, with the reason, when the index
  cannot be reached.
- max-size: `janitor sweep --max-size` (half the cache's size on disk) on a clean synthetic cache
  of --versions package versions (gencache.py --versions), janitor alone; the run must evict least
  recently used versions first, whole, and end under the budget.

Every round makes one identical copy per tool (`cp -a` of the cache and of what shares its hard
links, not timed), then runs each tool on its copy as a child process, after writing everything
back and dropping the page cache, and records its wall time and peak RSS (through GNU time). The
order of the tools is reversed every other round. After each run the tree left is checked.

Filesystems (`--fs`, default auto): local (the work directory's disk), tmpfs (mounted under the
work directory for the run), ext4 (a fresh journaled ext4 image on a loop device, mounted without
discard) and slow (a FUSE passthrough that delays every metadata operation by --latency-ms:
slowfs.c on libfuse3, compiled into the work directory, or slowfs.py on fusepy). What is mounted
is unmounted afterwards, also on errors and Ctrl-C. auto runs locally and, when this machine can
mount them, on the others too. The slow filesystem gets a smaller prune cache (--slow-files).

For every run on a block device, the device's counters (/sys/block/*/stat) are read before and
after: its busy time, and how many discards it served and for how long. When the device serves
one request at a time, its busy time is a floor no tool can go below.

Results: tables on stdout (medians, each tool's time as a multiple of janitor's and uv's, peak
memory, and every workload side by side across filesystems) and a JSON file under
benchmarks/results/ (or --json).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes.util
import datetime
import hashlib
import itertools
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gencache import (
    ARCHIVE,
    GENERATOR_VERSION,
    VERSIONS_LAYOUT,
    WHEELS,
    apply_times,
    disk_usage,
    expected_after_prune,
    listing,
)

HERE = Path(__file__).resolve().parent
GENCACHE = HERE / "gencache.py"
SLOWFS_C = HERE / "slowfs.c"
SLOWFS_PY = HERE / "slowfs.py"
RESULTS = HERE / "results"
DEFAULT_WORKDIR = Path("/tmp/janitor-bench")
DROP_CACHES = Path("/proc/sys/vm/drop_caches")
ARG_BYTES = 512 * 1024  # stay well below ARG_MAX for `rm -rf PATHS...`

TOOLS = ("janitor", "uv", "rm", "rm2", "rmtree")
FILESYSTEMS = ("local", "tmpfs", "ext4", "slow")
WORKLOADS = ("prune", "package", "max-size")
WORKLOAD_TOOLS = {
    "prune": ("janitor", "uv", "rm", "rm2", "rmtree"),
    "package": ("janitor", "uv"),
    "max-size": ("janitor",),
}
LABELS = {
    ("prune", "janitor"): "janitor sweep",
    ("prune", "uv"): "uv cache prune",
    ("prune", "rm"): "rm -rf",
    ("prune", "rm2"): "2x rm -rf",
    ("prune", "rmtree"): "shutil.rmtree",
    ("package", "janitor"): "janitor --package",
    ("package", "uv"): "uv cache clean",
    ("max-size", "janitor"): "janitor --max-size",
}

# The real cache of the package workload: what is installed, and the package that is removed.
PACKAGE = "pandas"
REAL_LATEST = (
    "pandas",
    "hatch",
    "black",
    "django",
    "boto3",
    "scipy",
    "matplotlib",
    "sqlalchemy",
    "sphinx",
)
# Older releases beside the latest (numpy<2: pandas 2.1 was built against numpy 1); enough of them
# that the cache holds over REAL_MIN_FILES files.
REAL_OLDER = (
    "django==4.2.*",
    "pandas==2.1.*",
    "numpy<2",
    "scipy==1.11.*",
    "boto3==1.34.*",
    "sphinx==7.*",
)
REAL_TOOL = ("--from", "httpie", "http", "--version")  # a cached environment
REAL_RECIPE = 2  # bump when the recipe changes: the cache is rebuilt
REAL_MIN_FILES = 30_000
_NETWORK_TROUBLE = re.compile(
    r"dns error|failed to lookup address|name resolution|failed to connect|connection refused|"
    r"connection reset|network is unreachable|error sending request|tcp connect error|"
    r"operation timed out|could not connect|failed to fetch",
    re.IGNORECASE,
)

# Removes the manifest's paths, as `rm -rf` does; run in its own interpreter.
RMTREE_SCRIPT = """
import json, os, shutil, sys
root, manifest = sys.argv[1], sys.argv[2]
with open(manifest) as f:
    paths = json.load(f)["prune_removes"]
for rel in paths:
    path = os.path.join(root, rel)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
"""

# Two `rm -rf` at once, each on its half (NUL-separated lists), then the directories whose
# children were split between them (deepest first). Exit status 1 if any part failed.
RM2_SCRIPT = """
xargs -r -0 -a "$1" rm -rf -- & a=$!
xargs -r -0 -a "$2" rm -rf -- & b=$!
s=0
wait "$a" || s=1
wait "$b" || s=1
if [ -s "$3" ]; then xargs -r -0 -a "$3" rmdir -- || s=1; fi
exit "$s"
"""


class BenchError(Exception):
    """A problem that stops the benchmark; the message is for the user."""


def digest(entries: set[str]) -> str:
    h = hashlib.sha256()
    for line in sorted(entries):
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()[:16]


def entry_path(line: str) -> str:
    """The relative path of a `listing()` line (`type path [-> target]`)."""
    return line[2:].split(" -> ", 1)[0]


def count_files(entries: set[str]) -> int:
    """Entries that are not directories (files and links), as uv and janitor count files."""
    return sum(1 for line in entries if not line.startswith("d "))


def topmost(lines: set[str]) -> list[str]:
    """The lines whose parent directory is not among them: one line per differing tree."""
    dirs = {entry_path(line) for line in lines if line.startswith("d ")}
    out = []
    for line in sorted(lines):
        parent = entry_path(line).rpartition("/")[0]
        if parent not in dirs:
            out.append(line)
    return out


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


# ---------------------------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    """A console script beside this interpreter (the project's venv), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    return shutil.which(name)


def takes_uv_option(janitor: str) -> tuple[bool, str | None]:
    """Whether `janitor sweep --help` lists `--uv`; and why the help failed, if it did."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    try:
        got = subprocess.run(
            [janitor, "sweep", "--help"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    text = got.stdout + got.stderr
    found = re.search(r"(?<![\w-])--uv(?![\w-])", text) is not None
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    problem = None if got.returncode == 0 else f"exit {got.returncode}: {' | '.join(lines[-2:])}"
    return found, problem


def uv_version(uv: str) -> str | None:
    try:
        got = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return got.stdout.strip() or None


def compile_janitor(janitor: str | None) -> None:
    """Byte-compile the janitor package the console script runs, as an install from a wheel
    does: an editable install under PYTHONDONTWRITEBYTECODE would compile every module on every
    run, a cost no installed janitor pays."""
    if janitor is None:
        return
    script = Path(janitor)
    python = script.parent / "python"
    if not python.exists():
        return
    probe = "import janitor, os; print(os.path.dirname(janitor.__file__))"
    try:
        found = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, check=True, timeout=60
        )
        subprocess.run(
            [str(python), "-m", "compileall", "-q", found.stdout.strip()],
            capture_output=True,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        print("warning: could not byte-compile janitor; its start-up includes compiling")


@dataclass
class Commands:
    """How the tools are invoked: which janitor and uv, and janitor's extra arguments."""

    janitor: str | None
    uv: str | None
    janitor_args: list[str]
    janitor_takes_uv: bool = False

    def sweep(self, cache: Path, *options: str) -> list[str]:
        if self.janitor is None:
            raise BenchError("the `janitor` console script is not installed (see --janitor)")
        cmd = [self.janitor, "sweep", "--cache-dir", str(cache), "--force", *options]
        if self.janitor_takes_uv and self.uv is not None:
            cmd += ["--uv", self.uv]
        return [*cmd, *self.janitor_args]

    def uv_cache(self, *args: str) -> list[str]:
        if self.uv is None:
            raise BenchError("`uv` is not installed (see --uv)")
        return [self.uv, "cache", *args]


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    fs: str
    workload: str
    round: int
    position: int
    tool: str
    label: str = ""
    ok: bool = False
    wall_s: float | None = None
    maxrss_kib: int | None = None
    user_s: float | None = None
    sys_s: float | None = None
    returncode: int | None = None
    error: str | None = None
    tree_ok: bool | None = None
    tree_digest: str | None = None
    tree_diff: list[str] = field(default_factory=list)
    files_removed: int | None = None  # counted from the tree left
    removed_files_reported: int | None = None  # uv's own count
    summary: str | None = None  # the tool's last `Removed ...` line
    fs_freed_bytes: int | None = None  # free space gained on the tmpfs or ext4 image (statvfs)
    extra: dict[str, Any] = field(default_factory=dict)  # what the workload's check measured
    rss_source: str | None = None
    log: str | None = None
    device: dict[str, Any] | None = None  # the copy's block device, counted over the run


@dataclass
class ChildResult:
    returncode: int
    wall_s: float
    maxrss_kib: int
    user_s: float
    sys_s: float
    timed_out: bool
    rss_source: str


GNU_TIME = "/usr/bin/time"


def run_child(
    cmd: Sequence[str], cwd: Path, log: Path, timeout: float, env: dict[str, str] | None = None
) -> ChildResult:
    """Run `cmd`, measuring its wall time, CPU time and peak RSS.

    A child started from this process inherits the runner's peak RSS in its rusage (Linux
    carries the peak of the memory image it replaced across exec, and Python starts children
    with vfork), so peak RSS comes from GNU time, which forks the command from its own small
    image; without /usr/bin/time it falls back to wait4 and includes the runner's own RSS.
    """
    use_time = os.access(GNU_TIME, os.X_OK)
    report = log.with_suffix(".time")
    full = [GNU_TIME, "-f", "%M %U %S", "-o", str(report), *cmd] if use_time else list(cmd)
    with log.open("wb") as out:
        out.write(f"$ (cd {shlex.quote(str(cwd))} && {shlex.join(cmd)})\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a timeout or Ctrl-C kills the whole group
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss, user, system, source = usage.ru_maxrss, usage.ru_utime, usage.ru_stime, "wait4"
    if use_time:
        try:
            fields = report.read_text().strip().splitlines()[-1].split()
            maxrss, user, system = int(fields[0]), float(fields[1]), float(fields[2])
            source = "gnu-time"
        except (OSError, IndexError, ValueError):
            pass
    return ChildResult(proc.returncode, wall, maxrss, user, system, timed_out.is_set(), source)


def parallel(commands: Sequence[Sequence[str]]) -> None:
    """Run the commands at the same time; raise if any fails."""
    procs = [subprocess.Popen(cmd) for cmd in commands]
    failed = [shlex.join(cmd) for cmd, p in zip(commands, procs, strict=True) if p.wait() != 0]
    if failed:
        raise BenchError(f"failed: {'; '.join(failed)}")


def remove_trees(paths: Sequence[Path]) -> None:
    present = [p for p in paths if p.exists() or p.is_symlink()]
    if present:
        parallel([["rm", "-rf", "--", str(p)] for p in present])


def drop_caches() -> bool:
    """Write back dirty pages and drop the page, dentry and inode caches; False if not allowed."""
    os.sync()
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bfree * st.f_frsize


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())


def summary_line(log: Path) -> str | None:
    """The tool's last line that starts with `Removed` (uv's and janitor's totals)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        if line.strip().startswith("Removed"):
            return line.strip()
    return None


def removed_files(log: Path) -> int | None:
    """The count in uv's `Removed N files (...)` line."""
    words = (summary_line(log) or "").split()
    if len(words) >= 3 and words[2].startswith("file"):
        try:
            return int(words[1].replace(",", ""))
        except ValueError:
            return None
    return None


def disk_kib(paths: Sequence[Path]) -> int:
    """What the paths occupy together, hard links counted once (`du -skc`)."""
    cmd = ["du", "-skc", *map(str, paths)]
    got = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        return int(got.stdout.strip().splitlines()[-1].split()[0])
    except (IndexError, ValueError):
        raise BenchError(f"du failed on {paths}: {got.stderr.strip()}") from None


# ---------------------------------------------------------------------------------------------
# The block device under a copy
# ---------------------------------------------------------------------------------------------

# Fields of /sys/block/<dev>/stat (Documentation/block/stat.rst); discard fields since Linux 4.18.
_STAT_FIELDS = {
    "reads": 0,
    "writes": 4,
    "busy_ms": 9,  # io_ticks: time with at least one request in flight
    "discards": 11,
    "discard_ms": 14,  # summed over requests: equals busy time when they never overlap
}


def block_stat_file(path: Path) -> Path | None:
    """The sysfs stat file of the block device holding `path`; None for tmpfs, FUSE and others."""
    try:
        dev = os.stat(path).st_dev
    except OSError:
        return None
    if os.major(dev) == 0:  # anonymous devices: tmpfs, FUSE, overlayfs
        return None
    node = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}")
    try:
        node = node.resolve(strict=True)
    except OSError:
        return None
    if (node / "partition").exists():
        node = node.parent  # partitions count no discards of their own on older kernels
    stat_file = node / "stat"
    return stat_file if stat_file.is_file() else None


def read_block_stat(stat_file: Path | None) -> dict[str, int] | None:
    if stat_file is None:
        return None
    try:
        fields = stat_file.read_text().split()
    except OSError:
        return None
    return {k: int(fields[i]) for k, i in _STAT_FIELDS.items() if i < len(fields)}


def block_delta(
    stat_file: Path | None, before: dict[str, int] | None, after: dict[str, int] | None
) -> dict[str, Any] | None:
    if stat_file is None or before is None or after is None:
        return None
    delta: dict[str, Any] = {k: after[k] - before[k] for k in after if k in before}
    delta["name"] = stat_file.parent.name
    return delta


# ---------------------------------------------------------------------------------------------
# The slow filesystem
# ---------------------------------------------------------------------------------------------


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


def is_mounted(path: Path) -> bool:
    target = str(path)
    try:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == target for line in f)
    except OSError:
        return os.path.ismount(target)


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


# ---------------------------------------------------------------------------------------------
# A journaled ext4 on a loop device
# ---------------------------------------------------------------------------------------------


def ext4_problem() -> str | None:
    """Why this machine cannot mount the loop ext4 filesystem, or None if it can."""
    if os.geteuid() != 0:
        return "the ext4 image needs root (it mounts a loop device and drops caches)"
    if not os.path.exists("/dev/loop-control"):
        return "/dev/loop-control is missing (no loop devices here)"
    for tool in ("mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian: apt-get install e2fsprogs mount)"
    return None


def umount(mnt: Path) -> None:
    """Unmount `mnt`, lazily if it stays busy."""
    subprocess.run(["umount", str(mnt)], capture_output=True, check=False)
    if is_mounted(mnt):
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


@contextlib.contextmanager
def ext4_mounted(workdir: Path, need_kib: int) -> Iterator[Path]:
    """A fresh ext4 image (journaled, mkfs defaults) mounted without discard, for the block.

    The image is a sparse file in the work directory, sized for `need_kib` of copies. The same
    kernel and disk sit below it, but unlinks end in the ext4 journal: freed blocks are not
    discarded one file at a time as on a disk mounted with online discard.
    """
    base = workdir / "ext4"
    image, mnt = base / "image", base / "mnt"
    if is_mounted(mnt):
        umount(mnt)
    base.mkdir(parents=True, exist_ok=True)
    mnt.mkdir(exist_ok=True)
    size_kib = need_kib * 3 // 2 + 512 * 1024
    image.unlink(missing_ok=True)
    with image.open("wb") as f:
        f.truncate(size_kib * 1024)
    # One inode per 4 KiB: a uv cache is mostly small files, and mkfs's default runs out. Inode
    # tables and journal are initialised now, not by a kernel thread while the tools run.
    options = "nodiscard,lazy_itable_init=0,lazy_journal_init=0"
    mkfs = ["mkfs.ext4", "-q", "-F", "-i", "4096", "-E", options, str(image)]
    made = subprocess.run(mkfs, capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise BenchError(f"mkfs.ext4 failed: {made.stderr.strip()}")
    mount = ["mount", "-o", "loop,nodiscard", str(image), str(mnt)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        image.unlink(missing_ok=True)
        raise BenchError(f"cannot mount the ext4 image: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        umount(mnt)
        image.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# tmpfs
# ---------------------------------------------------------------------------------------------


def tmpfs_problem() -> str | None:
    """Why this machine cannot mount a tmpfs, or None if it can."""
    if os.geteuid() != 0:
        return "the tmpfs needs root (it mounts a filesystem and drops caches)"
    for tool in ("mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian: apt-get install mount)"
    return None


def mem_available_kib() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextlib.contextmanager
def tmpfs_mounted(workdir: Path, need_kib: int) -> Iterator[Path]:
    """A tmpfs under the work directory, sized for `need_kib` of copies, for the block.

    Every operation stays in memory: no disk, no journal, no discards. What the tools take
    there is the filesystem code's and their own work, nothing else.
    """
    mnt = workdir / "tmpfs" / "mnt"
    if is_mounted(mnt):
        umount(mnt)
    mnt.mkdir(parents=True, exist_ok=True)
    size_kib = need_kib * 5 // 4 + 256 * 1024
    available = mem_available_kib()
    if available is not None and size_kib > available * 0.8:
        raise BenchError(
            f"the tmpfs needs {size_kib / 2**20:.1f} GiB of memory for the copies, "
            f"{available / 2**20:.1f} GiB are available (use a smaller --files)"
        )
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "janitor-bench"]
    done = subprocess.run([*mount, str(mnt)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        umount(mnt)


# ---------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------


def ensure_generated(
    workdir: Path,
    name: str,
    gen_args: Sequence[str],
    fits: Callable[[dict[str, Any], Path], bool],
    jobs: int | None,
) -> tuple[Path, Path]:
    """A pristine gencache.py cache and its manifest, generated when missing or stale."""
    caches = workdir / "caches"
    caches.mkdir(parents=True, exist_ok=True)
    cache = caches / name
    manifest = cache.with_name(cache.name + ".manifest.json")
    if cache.is_dir() and manifest.is_file():
        try:
            data = json.loads(manifest.read_text())
        except ValueError:
            data = {}
        if data.get("generator") == GENERATOR_VERSION and fits(data, cache):
            print(f"reusing {cache} ({data['files']} files)")
            return cache, manifest
    manifest.unlink(missing_ok=True)
    if cache.exists():
        subprocess.run(["rm", "-rf", "--", str(cache)], check=True)
    cmd = [sys.executable, str(GENCACHE), str(cache), *gen_args]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    print(f"generating: {shlex.join(cmd)}", flush=True)
    try:
        failed = subprocess.run(cmd, check=False).returncode != 0
    except OSError as exc:
        raise BenchError(f"cannot run gencache.py: {exc}") from exc
    if failed or not manifest.is_file():
        raise BenchError("gencache.py failed")
    return cache, manifest


@dataclass
class Workload:
    """A pristine cache, how each tool works on it and how the tree it leaves is checked."""

    id: str  # how tables and logs name it: prune, package, max-size (max-size-N for several)
    kind: str  # prune, package, max-size
    pristine: Path  # the pristine cache
    sources: list[Path]  # copied into each tool's directory by one `cp -a` (hard links kept)
    entries: set[str]  # the pristine cache's listing
    files: int  # its files (all but directories)
    disk_kib: int  # what one copy of `sources` occupies
    text: str  # one line for the table's header
    tools: list[str]

    @property
    def cache_name(self) -> str:
        return self.pristine.name

    def label(self, tool: str) -> str:
        return LABELS[(self.kind, tool)]

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        raise NotImplementedError

    def prepare(self, cache: Path) -> None:
        """Called on every fresh copy, untimed."""

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.pristine),
            "files": self.files,
            "disk_kib": self.disk_kib,
            "tools": self.tools,
            "text": self.text,
        }


def compare(run: Run, left: set[str], expected: set[str], reference: str) -> None:
    run.tree_ok = left == expected
    if not run.tree_ok:
        extra = topmost(left - expected)
        missing = topmost(expected - left)
        run.tree_diff = [
            f"{len(left - expected)} entries left that {reference} removes "
            f"({len(extra)} trees), {len(expected - left)} removed that {reference} keeps "
            f"({len(missing)} trees)",
            *(f"+ {x}" for x in extra[:10]),
            *(f"- {x}" for x in missing[:10]),
        ]


def split_in_two(
    entries: set[str], roots: Sequence[str]
) -> tuple[list[str], list[str], list[str], tuple[int, int]]:
    """The removal set in two halves of about the same file count, for two `rm -rf` at once.

    Trees holding more than a sixteenth of the files are replaced by their children (the
    directory itself is emptied then, and removed after both halves), then the pieces are dealt
    largest first to the lighter half. Returns the halves, the directories to remove afterwards
    (deepest first) and the halves' file counts.
    """
    children: dict[str, list[str]] = {}
    dirs: set[str] = set()
    under: dict[str, int] = {}
    for line in entries:
        rel = entry_path(line)
        children.setdefault(rel.rpartition("/")[0], []).append(rel)
        if line.startswith("d "):
            dirs.add(rel)
            continue
        path = rel
        while True:
            under[path] = under.get(path, 0) + 1
            if "/" not in path:
                break
            path = path.rpartition("/")[0]
    pieces = {rel: under.get(rel, 0) for rel in roots}
    limit = max(1, sum(pieces.values()) // 16)
    emptied: list[str] = []
    while pieces:
        biggest = max(pieces, key=lambda p: (pieces[p], p))
        if pieces[biggest] <= limit or biggest not in dirs or not children.get(biggest):
            break
        del pieces[biggest]
        emptied.append(biggest)
        pieces.update({child: under.get(child, 0) for child in children[biggest]})
    halves: tuple[list[str], list[str]] = ([], [])
    weights = [0, 0]
    for rel in sorted(pieces, key=lambda p: (-pieces[p], p)):
        i = 0 if weights[0] <= weights[1] else 1
        halves[i].append(rel)
        weights[i] += pieces[rel]
    return halves[0], halves[1], emptied[::-1], (weights[0], weights[1])


def write_paths0(path: Path, paths: Sequence[str]) -> Path:
    path.write_bytes(b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths))
    return path


@dataclass
class PruneWork(Workload):
    """`janitor sweep` against `uv cache prune`, `rm -rf` (one and two) and `shutil.rmtree`."""

    manifest_path: Path
    manifest: dict[str, Any]
    expected: set[str]
    paths0: Path
    rm2_lists: tuple[Path, Path, Path]
    rm2_files: tuple[int, int]

    @classmethod
    def load(
        cls, workdir: Path, files: int, seed: int, jobs: int | None, tools: Sequence[str]
    ) -> PruneWork:
        def fits(data: dict[str, Any], cache: Path) -> bool:
            return (
                data.get("files_requested") == files
                and data.get("seed") == seed
                and data.get("cache") == str(cache)
            )

        args = ["--files", str(files), "--seed", str(seed)]
        pristine, manifest_path = ensure_generated(workdir, f"uv-{files}-s{seed}", args, fits, jobs)
        manifest = json.loads(manifest_path.read_text())
        roots: list[str] = manifest["prune_removes"]
        entries = listing(pristine)
        half_a, half_b, emptied, weights = split_in_two(entries, roots)
        lists = (
            write_paths0(manifest_path.with_suffix(".rm2-a.paths0"), half_a),
            write_paths0(manifest_path.with_suffix(".rm2-b.paths0"), half_b),
            write_paths0(manifest_path.with_suffix(".rm2-dirs.paths0"), emptied),
        )
        text = (
            f"{manifest['files']} files, {manifest['garbage_files']} of them to remove in "
            f"{len(roots)} trees; 2x rm -rf: {weights[0]} + {weights[1]} files"
            + (f" ({len(emptied)} trees split)" if emptied else "")
        )
        return cls(
            id="prune",
            kind="prune",
            pristine=pristine,
            sources=[pristine],
            entries=entries,
            files=count_files(entries),
            disk_kib=disk_kib([pristine]),
            text=text,
            tools=list(tools),
            manifest_path=manifest_path,
            manifest=manifest,
            expected=expected_after_prune(entries, roots),
            paths0=write_paths0(manifest_path.with_suffix(".paths0"), roots),
            rm2_lists=lists,
            rm2_files=weights,
        )

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        paths: list[str] = self.manifest["prune_removes"]
        if tool == "janitor":
            return cmds.sweep(cache, "-q")
        if tool == "uv":
            return cmds.uv_cache("prune", "--cache-dir", str(cache), "--force")
        # rm and rm2 run in the cache and get relative paths; rmtree gets the cache.
        if tool == "rm":
            if sum(len(p) + 1 for p in paths) < ARG_BYTES:
                return ["rm", "-rf", "--", *paths]
            return ["xargs", "-0", "-a", str(self.paths0), "rm", "-rf", "--"]
        if tool == "rm2":
            return ["sh", "-c", RM2_SCRIPT, "rm2", *map(str, self.rm2_lists)]
        if tool == "rmtree":
            return [sys.executable, "-c", RMTREE_SCRIPT, str(cache), str(self.manifest_path)]
        raise BenchError(f"unknown tool {tool}")

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        compare(run, left, self.expected, "uv cache prune")

    def info(self) -> dict[str, Any]:
        return super().info() | {
            "manifest": {k: v for k, v in self.manifest.items() if k != "prune_removes"},
            "trees_removed": len(self.manifest["prune_removes"]),
            "rm2_files": list(self.rm2_files),
        }


def build_real_cache(workdir: Path, cache: Path, venvs: Path, uv: str, log: Path) -> str | None:
    """Install the recipe with uv into `cache` and two venvs; None, or why it failed."""
    py = sys.executable
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_CACHE_DIR")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    common = ["--cache-dir", str(cache)]
    latest, older = venvs / "latest", venvs / "older"
    install = ["pip", "install", *common, "--link-mode", "hardlink", "--python"]
    steps = [
        [uv, "venv", *common, "--python", py, str(latest)],
        [uv, *install, str(latest / "bin" / "python"), *REAL_LATEST],
        [uv, "venv", *common, "--python", py, str(older)],
        [uv, *install, str(older / "bin" / "python"), *REAL_OLDER],
        [uv, "tool", "run", *common, "--python", py, *REAL_TOOL],
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        for cmd in steps:
            out.write(f"$ {shlex.join(cmd)}\n".encode())
            out.flush()
            try:
                code = subprocess.run(
                    cmd,
                    cwd=workdir,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=1800,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                return f"`{shlex.join(cmd[:3])} ...` took over 30 minutes (is the index reachable?)"
            except OSError as exc:
                return f"cannot run uv: {exc}"
            if code != 0:
                text = log.read_text(errors="replace")
                if _NETWORK_TROUBLE.search(text):
                    return f"the package index cannot be reached: {tail(log, 2)}"
                return f"`{shlex.join(cmd[:4])} ...` failed (exit {code}): {tail(log, 2)}"
    return None


def ensure_real_cache(workdir: Path, uv: str) -> tuple[Path, Path] | str:
    """The real cache and its venvs (built once, then reused), or why they cannot be had."""
    cache, venvs = workdir / "real-cache", workdir / "real-venvs"
    marker = workdir / "real-cache.json"
    recipe = {
        "recipe": REAL_RECIPE,
        "latest": list(REAL_LATEST),
        "older": list(REAL_OLDER),
        "tool": list(REAL_TOOL),
        "uv": uv_version(uv),
        "python": platform.python_version(),
    }
    if cache.is_dir() and venvs.is_dir() and marker.is_file():
        try:
            if json.loads(marker.read_text()) == recipe:
                return cache, venvs
        except ValueError:
            pass
    marker.unlink(missing_ok=True)
    remove_trees([cache, venvs])
    log = workdir / "logs" / "real-cache-build.log"
    print(
        f"building the real cache from the package index with {recipe['uv']} (once; log: {log})",
        flush=True,
    )
    started = time.perf_counter()
    why = build_real_cache(workdir, cache, venvs, uv, log)
    if why is not None:
        remove_trees([cache, venvs])
        return why
    marker.write_text(json.dumps(recipe, indent=1) + "\n")
    print(f"  built in {time.perf_counter() - started:.0f} s")
    return cache, venvs


@dataclass
class PackageWork(Workload):
    """`janitor sweep --package NAME` against `uv cache clean NAME` on the real cache."""

    package: str
    expected: set[str]  # the tree `uv cache clean` leaves
    uv_summary: str | None

    @classmethod
    def load(cls, workdir: Path, uv: str | None, tools: Sequence[str]) -> PackageWork | str:
        if uv is None:
            return "no uv to build the real cache with (see --uv)"
        got = ensure_real_cache(workdir, uv)
        if isinstance(got, str):
            return got
        cache, venvs = got
        entries = listing(cache)
        files = count_files(entries)
        expected, uv_summary = cls.reference(workdir, cache, venvs, uv, entries)
        archives = sum(1 for e in entries if re.fullmatch(r"d archive-v\d+/[^/]+", e))
        envs = sum(1 for e in entries if re.fullmatch(r"l environments-v\d+/[^/]+/[^/]+ -> .*", e))
        gone = entries - expected
        text = (
            f"real cache of {files} files, {archives} archives, {envs} cached environment(s), "
            f"2 venvs hard-linked to it; uv cache clean {PACKAGE} removes "
            f"{count_files(gone)} files in {len(topmost(gone))} trees"
        )
        if files < REAL_MIN_FILES:
            text += f" (fewer than the {REAL_MIN_FILES} files the recipe is meant to give)"
        print(f"real cache {cache}: {files} files, {archives} archives, {envs} environment(s)")
        return cls(
            id="package",
            kind="package",
            pristine=cache,
            sources=[cache, venvs],
            entries=entries,
            files=files,
            disk_kib=disk_kib([cache, venvs]),
            text=text,
            tools=list(tools),
            package=PACKAGE,
            expected=expected,
            uv_summary=uv_summary,
        )

    @staticmethod
    def reference(
        workdir: Path, cache: Path, venvs: Path, uv: str, entries: set[str]
    ) -> tuple[set[str], str | None]:
        """The tree `uv cache clean` leaves (run once on a scratch copy, then remembered)."""
        saved = workdir / f"real-cache.clean-{PACKAGE}.json"
        key = {"pristine": digest(entries), "uv": uv_version(uv), "package": PACKAGE}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(saved.read_text())
            if data["key"] == key:
                return set(data["left"]), data["summary"]
        scratch = workdir / "run" / "reference"
        remove_trees([scratch])
        scratch.mkdir(parents=True)
        try:
            parallel([["cp", "-a", "--", str(cache), str(venvs), f"{scratch}/"]])
            cmd = [uv, "cache", "clean", PACKAGE, "--cache-dir", str(scratch / cache.name)]
            got = subprocess.run([*cmd, "--force"], capture_output=True, text=True, check=False)
            if got.returncode != 0:
                raise BenchError(f"uv cache clean failed on the real cache: {got.stderr.strip()}")
            left = listing(scratch / cache.name)
        finally:
            remove_trees([scratch])
        lines = [x.strip() for x in (got.stderr + got.stdout).splitlines()]
        summary = next((x for x in reversed(lines) if x.startswith("Removed")), None)
        doc = {"key": key, "summary": summary, "left": sorted(left)}
        saved.write_text(json.dumps(doc) + "\n")
        return left, summary

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        if tool == "janitor":
            return cmds.sweep(cache, "--package", self.package)
        if tool == "uv":
            return cmds.uv_cache("clean", self.package, "--cache-dir", str(cache), "--force")
        raise BenchError(f"{tool} does not run the package workload")

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        compare(run, left, self.expected, f"uv cache clean {self.package}")

    def info(self) -> dict[str, Any]:
        return super().info() | {"package": self.package, "uv_reference": self.uv_summary}


def _used(version: dict[str, Any]) -> int:
    return int(version["used_ns"])


@dataclass
class MaxSizeWork(Workload):
    """`janitor sweep --max-size` (half the cache) on a clean cache of many small versions."""

    manifest: dict[str, Any]
    budget: int  # bytes on disk, hard links once, as janitor counts them
    keep: set[str]  # what is not a version: it must survive

    @classmethod
    def load(
        cls,
        workdir: Path,
        versions: int,
        packages: int | None,
        seed: int,
        jobs: int | None,
        several: bool,
        tools: Sequence[str],
    ) -> MaxSizeWork:
        npackages = max(1, min(versions, packages or versions // 10))

        def fits(data: dict[str, Any], cache: Path) -> bool:
            return (
                data.get("layout") == VERSIONS_LAYOUT
                and data.get("versions") == versions
                and data.get("packages") == npackages
                and data.get("seed") == seed
                and data.get("cache") == str(cache)
            )

        args = ["--versions", str(versions), "--packages", str(npackages), "--seed", str(seed)]
        name = f"versions-{versions}-p{npackages}-s{seed}"
        pristine, manifest_path = ensure_generated(workdir, name, args, fits, jobs)
        manifest = json.loads(manifest_path.read_text())
        entries = listing(pristine)
        budget = manifest["disk_bytes"] // 2
        version_paths = [
            p
            for v in manifest["entries"]
            for p in (
                v["link"],
                f"{v['link']}.rev",
                f"{v['link']}.lock",
                f"{ARCHIVE}/{v['archive']}",
            )
        ]
        # Package directories in the wheels bucket may go with their last version.
        keep = {
            line
            for line in expected_after_prune(entries, version_paths)
            if not (line.startswith(f"d {WHEELS}/") and line.count("/") >= 3)
        }
        text = (
            f"{manifest['versions']} versions of {manifest['packages']} packages, "
            f"{manifest['files']} files, {mib(manifest['disk_bytes'])} on disk; "
            f"--max-size {budget} ({mib(budget)}, half)"
        )
        return cls(
            id=f"max-size-{versions}" if several else "max-size",
            kind="max-size",
            pristine=pristine,
            sources=[pristine],
            entries=entries,
            files=count_files(entries),
            disk_kib=disk_kib([pristine]),
            text=text,
            tools=list(tools),
            manifest=manifest,
            budget=budget,
            keep=keep,
        )

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        if tool == "janitor":
            return cmds.sweep(cache, "--max-size", str(self.budget))
        raise BenchError(f"{tool} does not run the max-size workload")

    def prepare(self, cache: Path) -> None:
        apply_times(cache, self.manifest["entries"])

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        links = {entry_path(line) for line in left if line.startswith("l ")}
        kept: list[dict[str, Any]] = []
        gone: list[dict[str, Any]] = []
        problems: list[str] = []
        for v in self.manifest["entries"]:
            parts = (
                v["link"] in links,
                f"f {v['link']}.rev" in left,
                f"d {ARCHIVE}/{v['archive']}" in left,
            )
            if all(parts):
                kept.append(v)
            elif not any(parts):
                gone.append(v)
            elif len(problems) < 10:
                problems.append(
                    f"half evicted: {v['package']} {v['version']} (link, .rev, archive: {parts})"
                )
        lost = topmost(self.keep - left)
        if lost:
            problems.append(f"{len(self.keep - left)} entries removed that are no version's:")
            problems.extend(f"- {x}" for x in lost[:10])
        after = disk_usage(cache) if cache.is_dir() else 0
        if after > self.budget:
            problems.append(f"{after:,} bytes on disk after the run, over the budget")
        older: list[dict[str, Any]] = []
        if kept and gone:
            newest_gone = max(v["used_ns"] for v in gone)
            older = sorted((v for v in kept if v["used_ns"] < newest_gone), key=_used)
            if older:
                names = ", ".join(f"{v['package']} {v['version']}" for v in older[:6])
                problems.append(
                    f"not least recently used first: {len(older)} versions kept that were used "
                    f"before the newest evicted one (oldest: {names})"
                )
        # The newest evicted versions that would still have fitted under the budget.
        spare, surplus = self.budget - after, 0
        for v in sorted(gone, key=_used, reverse=True):
            if v["disk"] > spare:
                break
            spare -= v["disk"]
            surplus += 1
        run.extra = {
            "versions_evicted": len(gone),
            "versions_kept": len(kept),
            "disk_before": self.manifest["disk_bytes"],
            "disk_after": after,
            "budget": self.budget,
            "evicted_beyond_budget": surplus,
            "kept_out_of_order": len(older),
        }
        run.tree_ok = not problems
        run.tree_diff = problems

    def info(self) -> dict[str, Any]:
        return super().info() | {
            "manifest": {k: v for k, v in self.manifest.items() if k != "entries"},
            "budget": self.budget,
        }


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------


@dataclass
class Bench:
    workdir: Path
    cmds: Commands
    repeat: int
    timeout: float
    drop: bool
    server: SlowServer | None
    env: dict[str, str] | None = None  # for the timed tools
    mounts: dict[str, Path] = field(default_factory=dict)  # ext4, tmpfs: where they are mounted
    runs: list[Run] = field(default_factory=list)
    dropped: list[bool] = field(default_factory=list)

    def slow_dirs(self) -> tuple[Path, Path]:
        return self.workdir / "slow" / "backing", self.workdir / "slow" / "mnt"

    def copy_dir(self, fs: str, tool: str) -> Path:
        """Where the copy for `tool` lives (on the slow fs: in the backing directory)."""
        if fs == "local":
            return self.workdir / "run" / tool
        if fs == "slow":
            return self.slow_dirs()[0] / tool
        return self.mounts[fs] / tool

    def target(self, fs: str, tool: str, work: Workload) -> Path:
        """The cache the tool is pointed at (on the slow fs: through the mount)."""
        if fs == "slow":
            return self.slow_dirs()[1] / tool / work.cache_name
        return self.copy_dir(fs, tool) / work.cache_name

    def round(self, fs: str, rnd: int, work: Workload) -> None:
        """One round: copy for every tool, then run each (page cache dropped first), check."""
        order = work.tools if rnd % 2 else list(reversed(work.tools))
        copies = [self.copy_dir(fs, tool) for tool in order]
        remove_trees(copies)
        for dest in copies:
            dest.mkdir(parents=True)
        # One `cp -a` per copy (it keeps the hard links among its sources), all at once: file
        # creation is slow enough on a VM disk that copying dominates a small benchmark otherwise.
        sources = [str(s) for s in work.sources]
        parallel([["cp", "-a", "--", *sources, f"{dest}/"] for dest in copies])
        for dest in copies:
            work.prepare(dest / work.cache_name)
        this_round: list[Run] = []
        for position, tool in enumerate(order):
            run = self.one(fs, rnd, position, tool, work)
            this_round.append(run)
            self.runs.append(run)
        for run in this_round:
            self.check(run, work)
        remove_trees(copies)
        for run in this_round:
            print(f"  [{fs} {work.id} {rnd}/{self.repeat}] {describe(run)}", flush=True)
            if run.ok and run.tree_ok is False:
                for line in run.tree_diff:
                    print(f"      {line}")
        by_tool = {r.tool: r for r in this_round}
        jan, uv = by_tool.get("janitor"), by_tool.get("uv")
        if jan and uv and jan.ok and uv.ok and jan.tree_digest != uv.tree_digest:
            print(f"  [{fs} {work.id} {rnd}] MISMATCH: janitor and uv left different trees")

    def one(self, fs: str, rnd: int, position: int, tool: str, work: Workload) -> Run:
        run = Run(
            fs=fs, workload=work.id, round=rnd, position=position, tool=tool, label=work.label(tool)
        )
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{fs}-{work.id}-{tool}-{rnd}.log"
        run.log = str(log)
        copy = self.copy_dir(fs, tool)
        target = self.target(fs, tool, work)
        try:
            cmd = work.command(tool, target, self.cmds)
        except BenchError as exc:
            run.error = str(exc)
            return run
        # rm gets paths relative to the cache; uv refuses to run from inside the cache.
        cwd = target if tool in ("rm", "rm2") else self.workdir
        if self.drop:
            # Everything written back and every cache dropped: the copy, the tool's own files.
            self.dropped.append(drop_caches())
        else:
            os.sync()  # the previous run's deletions are written back before this one starts
        stat_file = block_stat_file(copy)
        before = read_block_stat(stat_file)
        free_before = free_bytes(copy)
        if fs != "slow":
            result = run_child(cmd, cwd, log, self.timeout, self.env)
        else:
            assert self.server is not None
            backing, mnt = self.slow_dirs()
            server_log = logs / f"{fs}-{work.id}-{tool}-{rnd}.server.log"
            with mounted(self.server, backing, mnt, server_log):
                result = run_child(cmd, cwd, log, self.timeout, self.env)
        run.device = block_delta(stat_file, before, read_block_stat(stat_file))
        os.sync()
        free_after = free_bytes(copy)
        # Only the benchmark writes to its own mounts: there the free space gained is exact.
        if fs in ("tmpfs", "ext4") and free_before is not None and free_after is not None:
            run.fs_freed_bytes = free_after - free_before
        run.returncode = result.returncode
        run.wall_s = round(result.wall_s, 4)
        run.maxrss_kib = result.maxrss_kib
        run.user_s = round(result.user_s, 4)
        run.sys_s = round(result.sys_s, 4)
        run.rss_source = result.rss_source
        if result.timed_out:
            run.error = f"killed after {self.timeout:.0f} s"
        elif result.returncode != 0:
            run.error = f"exit {result.returncode}: {tail(log)}"
        else:
            run.ok = True
        run.summary = summary_line(log)
        if tool == "uv":
            run.removed_files_reported = removed_files(log)
        return run

    def check(self, run: Run, work: Workload) -> None:
        """Check the tree the run left (the copy is deleted afterwards)."""
        cache = self.copy_dir(run.fs, run.tool) / work.cache_name
        if not cache.is_dir():
            run.tree_ok = False
            run.tree_diff = ["the cache directory itself is gone"]
            return
        left = listing(cache)
        run.tree_digest = digest(left)
        run.files_removed = work.files - count_files(left)
        work.check(run, cache, left)


def describe(run: Run) -> str:
    label = f"{run.label:<18}"
    if run.wall_s is None:
        return f"{label} FAILED: {run.error}"
    rss = f"{(run.maxrss_kib or 0) / 1024:.1f} MiB"
    if not run.ok:
        return f"{label} FAILED after {run.wall_s:.3f} s: {run.error}"
    tree = "tree ok" if run.tree_ok else "TREE DIFFERS"
    if run.workload == "prune" or run.tree_ok is None:
        return f"{label} {run.wall_s:8.3f} s  peak RSS {rss:>10}  {tree}"
    text = f"{label} {run.wall_s:8.3f} s  peak RSS {rss:>10}  {tree}, {run.files_removed} files"
    if run.extra.get("versions_evicted") is not None:
        text += f" ({run.extra['versions_evicted']} versions)"
    if run.fs_freed_bytes is not None:
        text += f", fs freed {mib(run.fs_freed_bytes)}"
    if run.summary and run.summary != "Removed":
        text += f"; says: {run.summary}"
    return text


def summarize(runs: Sequence[Run], plan: Sequence[tuple[str, Workload]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for fs, work in plan:
        group: list[dict[str, Any]] = []
        medians: dict[str, float] = {}
        for tool in work.tools:
            mine = [r for r in runs if r.fs == fs and r.workload == work.id and r.tool == tool]
            good = [r for r in mine if r.ok and r.wall_s is not None]
            row: dict[str, Any] = {
                "fs": fs,
                "workload": work.id,
                "tool": tool,
                "label": work.label(tool),
                "runs": len(mine),
                "ok": len(good),
                "failed": len(mine) - len(good),
                "tree_mismatches": sum(1 for r in good if r.tree_ok is False),
                "trees": len({r.tree_digest for r in good}),
                "errors": sorted({r.error for r in mine if r.error}),
            }
            if good:
                walls = [r.wall_s for r in good if r.wall_s is not None]
                rss = [(r.maxrss_kib or 0) / 1024 for r in good]
                row.update(
                    median_s=round(statistics.median(walls), 4),
                    min_s=round(min(walls), 4),
                    max_s=round(max(walls), 4),
                    peak_rss_mib=round(max(rss), 1),
                    median_rss_mib=round(statistics.median(rss), 1),
                    files_removed=statistics.median(r.files_removed or 0 for r in good),
                    summary=good[-1].summary,
                    extra=good[-1].extra,
                )
                freed = [r.fs_freed_bytes for r in good if r.fs_freed_bytes is not None]
                if freed:
                    row["fs_freed_bytes"] = statistics.median(freed)
                medians[tool] = statistics.median(walls)
                devices = [r.device for r in good if r.device]
                if devices:
                    row["device"] = {
                        "name": devices[0]["name"],
                        **{
                            k: statistics.median(d.get(k, 0) for d in devices) for k in _STAT_FIELDS
                        },
                    }
            group.append(row)
        for row in group:
            if row["tool"] not in medians:
                continue
            for ref in ("janitor", "uv"):
                if ref in medians and medians[ref] > 0:
                    row[f"vs_{ref}"] = round(medians[row["tool"]] / medians[ref], 2)
        rows.extend(group)
    return rows


def print_table(
    rows: Sequence[dict[str, Any]], header: str, plan: Sequence[tuple[str, Workload]]
) -> None:
    print()
    print(header)
    described: dict[int, tuple[Workload, list[str]]] = {}
    for fs, work in plan:
        described.setdefault(id(work), (work, []))[1].append(fs)
    for work, fss in described.values():
        print(f"  {work.id} ({', '.join(fss)}): {work.text}")
    cols = f"{'fs':<6} {'workload':<13} {'tool':<18} {'median':>9} {'min':>9} {'max':>9}"
    print(f"{cols} {'peak RSS':>10} {'/janitor':>9} {'/uv':>7}  tree")
    for row in rows:
        name = f"{row['fs']:<6} {row['workload']:<13} {row['label']:<18}"
        if "median_s" not in row:
            why = row["errors"][0] if row["errors"] else "not run"
            print(f"{name} FAILED: {why}")
            continue
        vs_j = f"{row['vs_janitor']:.2f}x" if "vs_janitor" in row else "n/a"
        vs_u = f"{row['vs_uv']:.2f}x" if "vs_uv" in row else "n/a"
        tree = "ok" if not row["tree_mismatches"] else f"{row['tree_mismatches']} DIFFER"
        if row["failed"]:
            tree += f", {row['failed']} failed"
        print(
            f"{name} {row['median_s']:>8.3f}s {row['min_s']:>8.3f}s {row['max_s']:>8.3f}s "
            f"{row['peak_rss_mib']:>6.1f} MiB {vs_j:>9} {vs_u:>7}  {tree}"
        )
    print_side_by_side(rows)
    print_workload_notes(rows, plan)


def print_side_by_side(rows: Sequence[dict[str, Any]]) -> None:
    """Median per workload and tool across filesystems, with each time over janitor's."""
    fss = list(dict.fromkeys(r["fs"] for r in rows))
    keys = list(dict.fromkeys((r["workload"], r["tool"]) for r in rows))
    by = {(r["fs"], r["workload"], r["tool"]): r for r in rows}
    print()
    print("side by side: median seconds (time over janitor's on the same filesystem)")
    print(f"{'workload':<13} {'tool':<18} " + " ".join(f"{fs:>17}" for fs in fss))
    for workload, tool in keys:
        cells = []
        label = ""
        for fs in fss:
            row = by.get((fs, workload, tool))
            label = label or (row["label"] if row else "")
            if row is None:
                cells.append("")
            elif "median_s" not in row:
                cells.append("failed")
            elif tool != "janitor" and "vs_janitor" in row:
                cells.append(f"{row['median_s']:.3f} ({row['vs_janitor']:.2f}x)")
            else:
                cells.append(f"{row['median_s']:.3f}")
        print(f"{workload:<13} {label:<18} " + " ".join(f"{c:>17}" for c in cells))


def print_workload_notes(
    rows: Sequence[dict[str, Any]], plan: Sequence[tuple[str, Workload]]
) -> None:
    """What the package and max-size runs removed and freed, and how eviction scales."""
    lines: list[str] = []
    scaling: dict[str, list[tuple[int, float]]] = {}
    works = {(fs, w.id): w for fs, w in plan}
    for row in rows:
        work = works.get((row["fs"], row["workload"]))
        if work is None or "median_s" not in row or work.kind == "prune":
            continue
        where = f"{row['workload']} on {row['fs']}"
        freed = f", fs freed {mib(row['fs_freed_bytes'])}" if "fs_freed_bytes" in row else ""
        if work.kind == "package":
            says = f"; says: {row['summary']}" if row.get("summary") else ""
            lines.append(
                f"  {where}: {row['label']} removed {row['files_removed']:.0f} files{freed}{says}"
            )
        elif isinstance(work, MaxSizeWork):
            x = row["extra"]
            versions = work.manifest["versions"]
            lines.append(
                f"  {where}: {versions} versions, budget {mib(work.budget)} of "
                f"{mib(work.manifest['disk_bytes'])}: evicted {x['versions_evicted']} versions "
                f"({row['files_removed']:.0f} files) in {row['median_s']:.3f} s "
                f"({row['median_s'] / versions * 1e3:.2f} ms per version in the cache), "
                f"{mib(x['disk_after'])} left; {x['evicted_beyond_budget']} of the newest "
                f"evicted would still have fitted{freed}"
            )
            scaling.setdefault(row["fs"], []).append((versions, row["median_s"]))
    for fs, points in scaling.items():
        points.sort()
        for (n1, t1), (n2, t2) in itertools.pairwise(points):
            if t1 > 0 and n2 > n1:
                power = math.log(t2 / t1) / math.log(n2 / n1)
                lines.append(
                    f"  max-size scaling on {fs}: {n1} -> {n2} versions: {t2 / t1:.2f}x the time "
                    f"for {n2 / n1:.2f}x the versions (time ~ versions^{power:.2f})"
                )
    if lines:
        print()
        print("\n".join(lines))


def print_devices(rows: Sequence[dict[str, Any]]) -> None:
    """What the block device did during each tool's run (medians): its busy time bounds them all."""
    shown = [r for r in rows if r.get("device") and "median_s" in r]
    if not shown:
        return
    print()
    print("block device during the runs (medians; busy = time with a request in flight):")
    for row in shown:
        dev = row["device"]
        line = (
            f"  {row['fs']:<6} {row['workload']:<13} {row['label']:<18} {dev['name']}: "
            f"busy {dev['busy_ms'] / 1000:6.2f} s of {row['median_s']:6.2f} s, "
            f"{dev['discards']:>7,.0f} discards"
        )
        if dev["discards"]:
            each = dev["discard_ms"] / dev["discards"] * 1000
            overlap = dev["discard_ms"] / dev["busy_ms"] if dev["busy_ms"] else 0.0
            line += (
                f" taking {dev['discard_ms'] / 1000:.2f} s ({each:.0f} us each, "
                f"{overlap:.2f} in flight on average)"
            )
        print(line)


def host_info(uv: str | None) -> dict[str, Any]:
    return {
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "uv": uv_version(uv) if uv else None,
        "machine": platform.machine(),
    }


def parse_list(value: str, allowed: Sequence[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"{what}: choose from {', '.join(allowed)}")
    return list(dict.fromkeys(items))


def parse_counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("--versions: comma-separated numbers") from None
    if not counts or min(counts) < 10:
        raise argparse.ArgumentTypeError("--versions: at least 10 versions")
    return sorted(set(counts))


def default_slow_files(files: int) -> int:
    """The slow fs pays a round trip per operation (uv prune: about 5 ms a file at 1 ms/op),
    so by default it gets a fifth of the local cache, at most 20k files."""
    return max(1000, min(files // 5, 20_000))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark janitor against uv, rm -rf and shutil.rmtree."
    )
    parser.add_argument(
        "--workload",
        default="auto",
        help="comma-separated: prune, package (real cache from the package index), max-size; "
        "auto (default): all that can run",
    )
    parser.add_argument("--files", type=int, default=100_000, help="prune cache size (100000)")
    parser.add_argument(
        "--slow-files",
        type=int,
        default=None,
        help="prune cache size on the slow fs (default: --files / 5, at most 20000)",
    )
    parser.add_argument(
        "--versions",
        default="3000",
        help="max-size: versions in the cache; several (1000,3000,9000) show how it scales",
    )
    parser.add_argument(
        "--packages", type=int, default=None, help="max-size: packages (default: versions / 10)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per filesystem (default 3)")
    parser.add_argument(
        "--fs",
        default="auto",
        help="comma-separated: local (the work directory's disk), tmpfs, ext4 (a journaled ext4 "
        "image on a loop device), slow (1 ms FUSE); auto (default): local, plus the others when "
        "this machine can mount them",
    )
    parser.add_argument("--latency-ms", type=float, default=1.0, help="slow fs latency per op")
    parser.add_argument(
        "--fuse",
        choices=("auto", "c", "python"),
        default="auto",
        help="slow fs server: slowfs.c (libfuse3), slowfs.py (fusepy); auto prefers C",
    )
    parser.add_argument("--fuse-threads", type=int, default=64, help="C server worker threads")
    parser.add_argument(
        "--fuse-options",
        default="",
        help="extra mount options for the slow fs, e.g. entry_timeout=0,attr_timeout=0",
    )
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument(
        "--janitor-args",
        default="",
        help="more arguments for `janitor sweep`, e.g. --janitor-args='--workers 2'",
    )
    parser.add_argument("--janitor", default=None, help="janitor executable (default: the venv's)")
    parser.add_argument("--uv", default=None, help="uv executable (default: the venv's)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--json", type=Path, default=None, help="results file")
    parser.add_argument("--timeout", type=float, default=3600, help="per run, seconds")
    parser.add_argument("--jobs", type=int, default=None, help="cache generator workers")
    parser.add_argument(
        "--no-drop-caches", action="store_true", help="keep the page cache between runs"
    )
    args = parser.parse_args(argv)

    try:
        tools = parse_list(args.tools, TOOLS, "--tools")
        if args.fs == "auto":
            fss = ["local"]
            for fs, problem in (
                ("tmpfs", tmpfs_problem()),
                ("ext4", ext4_problem()),
                ("slow", slow_fs_problem()),
            ):
                if problem is None:
                    fss.append(fs)
                else:
                    print(f"{fs} filesystem skipped: {problem}")
        else:
            fss = parse_list(args.fs, FILESYSTEMS, "--fs")
        auto_workloads = args.workload == "auto"
        wanted = (
            list(WORKLOADS)
            if auto_workloads
            else parse_list(args.workload, WORKLOADS, "--workload")
        )
        version_counts = parse_counts(args.versions)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    slow_files = args.slow_files or default_slow_files(args.files)
    if min(args.files, slow_files) < 1000 or args.repeat < 1:
        parser.error("--files and --slow-files must be at least 1000, --repeat at least 1")
    for fs, problem in (("tmpfs", tmpfs_problem()), ("ext4", ext4_problem())):
        if fs in fss and problem is not None:
            parser.error(f"--fs {fs}: {problem}")

    workdir: Path = args.workdir.absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    cmds = Commands(
        janitor=args.janitor or find_tool("janitor"),
        uv=args.uv or find_tool("uv"),
        janitor_args=shlex.split(args.janitor_args),
    )
    if cmds.janitor is not None:
        cmds.janitor_takes_uv, help_problem = takes_uv_option(cmds.janitor)
        if help_problem:
            print(f"warning: `janitor sweep --help` failed ({help_problem})")
        passing = f"passing --uv {cmds.uv}" if cmds.janitor_takes_uv else "no --uv option"
        print(f"janitor: {cmds.janitor} ({passing}); uv: {cmds.uv} ({uv_version(cmds.uv or '')})")
    compile_janitor(cmds.janitor)
    # The timed tools see no user configuration, and janitor's run log stays in the work dir.
    home = workdir / "home"
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config")}
    env["XDG_STATE_HOME"] = str(home / "state")

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    started = datetime.datetime.now(datetime.timezone.utc)
    server: SlowServer | None = None
    plan: list[tuple[str, Workload]] = []
    skipped: dict[str, str] = {}
    bench = Bench(
        workdir=workdir,
        cmds=cmds,
        repeat=args.repeat,
        timeout=args.timeout,
        drop=not args.no_drop_caches,
        server=None,
        env=env,
    )
    try:
        if "slow" in fss:
            problem = slow_fs_problem()
            if problem is not None:
                raise BenchError(f"--fs slow: {problem}")
            server = pick_server(
                workdir, args.fuse, args.latency_ms, args.fuse_threads, args.fuse_options
            )
            bench.server = server
            _backing, mnt = bench.slow_dirs()
            if is_mounted(mnt):
                unmount(mnt)
            note = "" if server.kind == "c" else " (tops out near 10k ops/s)"
            print(f"slow filesystem: {server.kind} server{note}, {args.latency_ms:g} ms per op")

        def tools_for(kind: str) -> list[str]:
            mine = [t for t in tools if t in WORKLOAD_TOOLS[kind]]
            if not mine:
                skipped[kind] = f"none of --tools {args.tools} runs it"
                if not auto_workloads:
                    print(f"{kind} workload not run: {skipped[kind]}")
            return mine

        prune_works: dict[int, PruneWork] = {}
        if "prune" in wanted and (prune_tools := tools_for("prune")):
            for fs in fss:
                n = slow_files if fs == "slow" else args.files
                if n not in prune_works:
                    prune_works[n] = PruneWork.load(workdir, n, args.seed, args.jobs, prune_tools)
        package_work: PackageWork | None = None
        if "package" in wanted and (package_tools := tools_for("package")):
            got = PackageWork.load(workdir, cmds.uv, package_tools)
            if isinstance(got, str):
                skipped["package"] = got
                print(f"package workload skipped: {got}")
            else:
                package_work = got
        size_works: list[MaxSizeWork] = []
        if "max-size" in wanted and (size_tools := tools_for("max-size")):
            size_works = [
                MaxSizeWork.load(
                    workdir,
                    n,
                    args.packages,
                    args.seed,
                    args.jobs,
                    len(version_counts) > 1,
                    size_tools,
                )
                for n in version_counts
            ]
        for fs in fss:
            if prune_works:
                plan.append((fs, prune_works[slow_files if fs == "slow" else args.files]))
            if package_work is not None:
                plan.append((fs, package_work))
            plan.extend((fs, w) for w in size_works)
        if not plan:
            raise BenchError("nothing to run")

        for fs in fss:
            works = [w for f, w in plan if f == fs]
            with contextlib.ExitStack() as stack:
                need_kib = max(w.disk_kib * len(w.tools) for w in works)
                if fs == "ext4":
                    bench.mounts[fs] = stack.enter_context(ext4_mounted(workdir, need_kib))
                elif fs == "tmpfs":
                    bench.mounts[fs] = stack.enter_context(tmpfs_mounted(workdir, need_kib))
                for work in works:
                    print(
                        f"{fs} filesystem, {work.id}: {work.files} files, {args.repeat} round(s), "
                        f"tools: {', '.join(work.tools)}",
                        flush=True,
                    )
                    for rnd in range(1, args.repeat + 1):
                        bench.round(fs, rnd, work)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

    rows = summarize(bench.runs, plan)
    if not bench.drop:
        cache_note = "page cache kept between runs (--no-drop-caches)"
    elif all(bench.dropped):
        cache_note = "page cache dropped before every run"
    else:
        cache_note = "page cache NOT dropped (writing /proc/sys/vm/drop_caches failed): warm runs"
    header = f"{args.repeat} round(s), medians; {cache_note}"
    if cmds.janitor_takes_uv:
        header += "; janitor gets --uv"
    if args.janitor_args:
        header += f"; janitor sweep {args.janitor_args}"
    if "slow" in fss and server is not None:
        header += f"; slow: {server.kind} FUSE server, {args.latency_ms:g} ms per operation"
        if args.fuse_options:
            header += f", -o {args.fuse_options}"
    if "ext4" in fss:
        header += "; ext4: journaled image on a loop device, mounted without discard"
    print_table(rows, header, plan)
    print_devices(rows)
    if any(r.rss_source == "wait4" for r in bench.runs):
        print("  note: no /usr/bin/time: peak RSS figures include the runner's own RSS")

    works = list({id(w): w for _fs, w in plan}.values())
    result = {
        "started": started.isoformat(timespec="seconds"),
        "host": host_info(cmds.uv),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "janitor": cmds.janitor,
        "janitor_takes_uv": cmds.janitor_takes_uv,
        "uv": cmds.uv,
        "filesystems": fss,
        "slow_fs": None
        if server is None
        else {
            "server": server.kind,
            "latency_ms": args.latency_ms,
            "options": args.fuse_options,
            "command": server.command,
        },
        "page_cache_dropped": bench.drop and all(bench.dropped),
        "workloads": [
            {"id": w.id} | w.info() | {"filesystems": [f for f, x in plan if x is w]} for w in works
        ],
        "skipped": skipped,
        "summary": rows,
        "runs": [asdict(r) for r in bench.runs],
    }
    kinds = [f"prune{args.files}" if w.kind == "prune" else w.id for w in works]
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out: Path = (
        args.json
        or RESULTS / f"bench-{'-'.join(dict.fromkeys(kinds))}-{'-'.join(fss)}-{stamp}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"results: {out}")
    mismatched = any(r.tree_ok is False for r in bench.runs if r.ok)
    return 1 if mismatched or any(not r.ok for r in bench.runs) else 0


if __name__ == "__main__":
    sys.exit(main())
