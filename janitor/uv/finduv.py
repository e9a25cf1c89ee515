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

import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from janitor.errors import UsageError

_TIMEOUT = 20.0
_MEMO_NAME = "uv-versions.tsv"
_WINDOWS = sys.platform == "win32"
_EXE = ".exe" if _WINDOWS else ""


class Uv:
    """A uv binary and its version (a plain class: dataclasses cost start-up time)."""

    __slots__ = ("found_by", "path", "version")

    def __init__(self, version: tuple[int, int, int], path: Path, found_by: str = "") -> None:
        self.version = version
        self.path = path
        self.found_by = found_by

    @property
    def release(self) -> str:
        """The version as uv prints it."""
        return ".".join(map(str, self.version))

    def _key(self) -> tuple[tuple[int, int, int], str]:
        return (self.version, str(self.path))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Uv) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Uv) -> bool:
        return self._key() < other._key()

    def __repr__(self) -> str:
        return f"Uv({self.version!r}, {str(self.path)!r}, {self.found_by!r})"

    def __str__(self) -> str:
        return f"uv {self.release} ({self.path})"


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from `uv --version` output: `uv 0.13.9 (x86_64-unknown-linux-gnu)`,
    or `uv 0.8.24` in releases before 0.10.12."""
    words = text.split()
    if len(words) < 2 or words[0] != "uv":
        return None
    parts = words[1].split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    return (int(parts[0]), int(parts[1]), int(parts[2]))


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
        (_scripts(), "the Python's scripts directory"),
        (os.path.dirname(sys.executable), "the Python's directory"),
    ):
        if base:
            found.append((Path(base) / f"uv{_EXE}", label))
    return found


def _scripts() -> str:
    """Where pip puts the running Python's scripts (`sysconfig`'s "scripts" path)."""
    if _WINDOWS:
        import sysconfig  # slow to import; on POSIX the path is known

        return sysconfig.get_path("scripts")
    return os.path.join(sys.prefix, "bin")


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
    """Versions by binary identity, read once and written back if anything new was learnt.

    One line per binary: `path TAB identity TAB X.Y.Z`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        self.entries: dict[str, tuple[str, tuple[int, int, int]]] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            return
        for line in text.splitlines():
            fields = line.split("\t")
            version = parse_version(f"uv {fields[2]}") if len(fields) == 3 else None
            if version is not None:
                self.entries[fields[0]] = (fields[1], version)

    def get(self, path: Path, identity: str) -> tuple[int, int, int] | None:
        entry = self.entries.get(str(path))
        return entry[1] if entry is not None and entry[0] == identity else None

    def put(self, path: Path, identity: str, version: tuple[int, int, int]) -> None:
        self.entries[str(path)] = (identity, version)
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        lines = [
            f"{path}\t{identity}\t{'.'.join(map(str, version))}\n"
            for path, (identity, version) in sorted(self.entries.items())
            if "\t" not in path and "\n" not in path
        ]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_text("".join(lines), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass  # remembering is an optimisation only


def _ask(path: Path, args: Iterable[str], env: Mapping[str, str]) -> str | None:
    """What a uv prints on stdout for `args`, or None when it fails or cannot be run."""
    import subprocess  # only when a uv has to be asked: it costs start-up time

    try:
        done = subprocess.run(
            [str(path), *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env=_quiet_env(env),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _ask_version(path: Path, env: Mapping[str, str]) -> tuple[int, int, int] | None:
    answer = _ask(path, ["--version"], env)
    return parse_version(answer) if answer is not None else None


def _quiet_env(env: Mapping[str, str]) -> dict[str, str]:
    """The user's environment, minus what would make uv use a throw-away cache or talk."""
    quiet = {k: v for k, v in env.items() if k not in {"UV_NO_CACHE", "RUST_LOG"}}
    quiet["UV_NO_PROGRESS"] = "1"
    return quiet


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
        return sorted({uv for uv in uvs if uv is not None}, key=Uv._key, reverse=True)
    unique: dict[Path, Uv] = {}
    for uv in _probe_all(candidates(env), env):
        if uv is not None and uv.path not in unique:
            unique[uv.path] = uv
    return sorted(unique.values(), key=Uv._key, reverse=True)


def cache_dir(uv: Uv, env: Mapping[str, str] | None = None) -> Path | None:
    """The cache directory `uv cache dir` names (uv.toml and UV_CACHE_DIR included), if it says."""
    answer = _ask(uv.path, ["cache", "dir"], os.environ if env is None else env)
    lines = answer.strip().splitlines() if answer is not None else []
    return Path(os.path.abspath(lines[-1].strip())) if lines else None
