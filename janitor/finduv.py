"""Which uv binaries this user has, their versions, and the cache directory uv says it uses.

A cache is written by whichever uv the user runs, so janitor follows the uvs it can find: the
ones named with `--uv` (or the config's `uv`), else the `uv` on PATH and the usual install places
(`~/.local/bin`, `~/.cargo/bin`, the running Python's scripts directory). Each is asked for its
version once; the answer is remembered by the binary's identity (path, size, mtime, inode), so a
later run pays a `stat` instead of a process. Standard library only: `janitor dir` and the quick
paths of the CLI use it before anything heavy is imported. Imports nothing from janitor but
janitor.errors.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from janitor.errors import UsageError

_VERSION_RE = re.compile(r"^uv (\d+)\.(\d+)\.(\d+)\b")
_TIMEOUT = 20.0
_MEMO_NAME = "uv-versions.json"
_EXE = ".exe" if sys.platform == "win32" else ""


@dataclass(frozen=True, order=True)
class Uv:
    """A uv binary and its version."""

    version: tuple[int, int, int]
    path: Path
    found_by: str = ""

    @property
    def release(self) -> str:
        """The version as uv prints it."""
        return ".".join(map(str, self.version))

    def __str__(self) -> str:
        return f"uv {self.release} ({self.path})"


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from `uv --version` output such as `uv 0.13.9 (abc 2026-01-01)`."""
    match = _VERSION_RE.match(text.strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())


def candidates(env: Mapping[str, str] | None = None) -> list[tuple[Path, str]]:
    """Where a uv may be installed, in the order uv's own installers and pip put it."""
    env = os.environ if env is None else env
    found: list[tuple[Path, str]] = []
    on_path = shutil.which("uv", path=env.get("PATH", os.defpath))
    if on_path:
        found.append((Path(on_path), "PATH"))
    home = _home(env)
    for base, label in (
        (env.get("XDG_BIN_HOME"), "$XDG_BIN_HOME"),
        (str(home / ".local" / "bin"), "~/.local/bin"),
        (env.get("CARGO_HOME") and str(Path(env["CARGO_HOME"]) / "bin"), "$CARGO_HOME/bin"),
        (str(home / ".cargo" / "bin"), "~/.cargo/bin"),
        (sysconfig.get_path("scripts"), "the Python's scripts directory"),
        (os.path.dirname(sys.executable), "the Python's directory"),
    ):
        if base:
            found.append((Path(base) / f"uv{_EXE}", label))
    return found


def _memo_path(env: Mapping[str, str]) -> Path:
    """Where versions are remembered: janitor's state directory (as platformdirs puts it)."""
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or _home(env) / "AppData" / "Local") / "janitor"
    elif sys.platform == "darwin":
        base = _home(env) / "Library" / "Application Support" / "janitor"
    else:
        state = env.get("XDG_STATE_HOME", "")
        base = Path(state) if os.path.isabs(state) else _home(env) / ".local" / "state"
        base = base / "janitor"
    return base / _MEMO_NAME


def _identity(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


class _Memo:
    """Versions by binary identity, read once and written back if anything new was learnt."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.entries: dict[str, list[object]] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def get(self, path: Path, identity: str) -> tuple[int, int, int] | None:
        entry = self.entries.get(str(path))
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == identity:
            version = entry[1]
            if isinstance(version, list) and len(version) == 3:
                return (int(version[0]), int(version[1]), int(version[2]))
        return None

    def put(self, path: Path, identity: str, version: tuple[int, int, int]) -> None:
        self.entries[str(path)] = [identity, list(version)]
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_text(json.dumps(self.entries, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass  # remembering is an optimisation only


def _ask_version(path: Path, env: Mapping[str, str]) -> tuple[int, int, int] | None:
    try:
        done = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env=_quiet_env(env),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_version(done.stdout) if done.returncode == 0 else None


def _quiet_env(env: Mapping[str, str]) -> dict[str, str]:
    """The user's environment, minus what would make uv use a throw-away cache or talk."""
    quiet = {k: v for k, v in env.items() if k not in {"UV_NO_CACHE", "RUST_LOG"}}
    quiet["UV_NO_PROGRESS"] = "1"
    return quiet


def probe(path: Path, found_by: str, env: Mapping[str, str] | None = None) -> Uv | None:
    """The uv at `path`, or None when it is not there or does not answer like uv."""
    env = os.environ if env is None else env
    return _probe_all([(path, found_by)], env)[0] if path else None


def _probe_all(places: Iterable[tuple[Path, str]], env: Mapping[str, str]) -> list[Uv | None]:
    memo = _Memo(_memo_path(env))
    found: list[Uv | None] = []
    for path, label in places:
        try:
            real = path.resolve()
            st = real.stat()
        except OSError:
            found.append(None)
            continue
        if not os.path.isfile(real) or not os.access(real, os.X_OK):
            found.append(None)
            continue
        identity = _identity(st)
        version = memo.get(real, identity)
        if version is None:
            version = _ask_version(real, env)
            if version is not None:
                memo.put(real, identity, version)
        found.append(Uv(version, real, label) if version is not None else None)
    memo.save()
    return found


def find(
    explicit: Iterable[os.PathLike[str] | str] = (), env: Mapping[str, str] | None = None
) -> list[Uv]:
    """The uvs to follow, newest first: the explicit ones (which must work), else all found."""
    env = os.environ if env is None else env
    named = [Path(path) for path in explicit]
    if named:
        uvs = _probe_all([(path, "--uv") for path in named], env)
        for path, uv in zip(named, uvs, strict=True):
            if uv is None:
                raise UsageError(f"--uv {path}: not a uv binary that answers `uv --version`")
        return sorted({uv for uv in uvs if uv is not None}, reverse=True)
    unique: dict[Path, Uv] = {}
    for uv in _probe_all(candidates(env), env):
        if uv is not None and uv.path not in unique:
            unique[uv.path] = uv
    return sorted(unique.values(), key=lambda uv: (uv.version, str(uv.path)), reverse=True)


def cache_dir(uv: Uv, env: Mapping[str, str] | None = None) -> Path | None:
    """The cache directory `uv cache dir` names (uv.toml and UV_CACHE_DIR included), if it says."""
    env = os.environ if env is None else env
    try:
        done = subprocess.run(
            [str(uv.path), "cache", "dir"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env=_quiet_env(env),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None
    return Path(os.path.abspath(lines[-1].strip()))
