"""Finding the uv cache as uv does, and refusing directories that are not one.

The order is uv's: `--cache-dir`, then `UV_CACHE_DIR`, then what the newest uv found answers to
`uv cache dir` (which reads uv.toml's `cache-dir`), and only without a uv, uv's default places.
Standard library only (with janitor.errors, janitor.uv.finduv and janitor.uv.names, the light
part of uv's vocabulary), so that `janitor dir` starts quickly.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from janitor.errors import Refused
from janitor.uv import finduv
from janitor.uv.names import CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE, MARKERS, split_bucket


class Source(str, enum.Enum):
    """Where the cache directory came from."""

    FLAG = "--cache-dir"
    CONFIG = "config file"
    ENV = "UV_CACHE_DIR"
    UV = "uv cache dir"
    DEFAULT = "default"


class Location:
    """A cache directory and where it came from (a plain class: dataclasses cost start-up)."""

    __slots__ = ("path", "source")

    def __init__(self, path: Path, source: Source) -> None:
        self.path = path
        self.source = source

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Location) and (self.path, self.source) == (
            other.path,
            other.source,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.source))

    def __repr__(self) -> str:
        return f"Location({self.path!r}, {self.source})"

    @property
    def explicit(self) -> bool:
        """Whether the user named this directory (a flag, the config or UV_CACHE_DIR)."""
        return self.source in (Source.FLAG, Source.CONFIG, Source.ENV)


def _legacy_dir(env: Mapping[str, str], platform: str, home: Path) -> Path | None:
    if platform == "darwin":
        return home / "Library" / "Caches" / "uv"
    if platform == "win32":
        local = env.get("LOCALAPPDATA")
        return Path(local) / "uv" / "cache" if local else None
    return None


def default_cache_dir(
    env: Mapping[str, str] | None = None, platform: str | None = None, home: Path | None = None
) -> Path:
    """The directory uv uses when neither --cache-dir nor UV_CACHE_DIR is given."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home()) if home is None else home
    legacy = _legacy_dir(env, platform, home)
    if legacy is not None and legacy.exists():
        return legacy
    if platform == "win32":
        local = env.get("LOCALAPPDATA")
        base = Path(local) if local else home / "AppData" / "Local"
        return base / "uv" / "cache"
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "uv"
    return home / ".cache" / "uv"


def locate(
    cache_dir: Path | None,
    env: Mapping[str, str] | None = None,
    uvs: Sequence[finduv.Uv] = (),
    *,
    from_config: bool = False,
) -> Location:
    """The cache directory to use, in uv's order: the flag (or config), UV_CACHE_DIR, then what
    the newest of `uvs` says, then uv's default."""
    env = os.environ if env is None else env
    if cache_dir is not None:
        source = Source.CONFIG if from_config else Source.FLAG
        return Location(Path(os.path.abspath(cache_dir)), source)
    from_env = env.get("UV_CACHE_DIR")
    if from_env:
        return Location(Path(os.path.abspath(from_env)), Source.ENV)
    for found in uvs[:1]:
        answer = finduv.cache_dir(found, env)
        if answer is not None:
            return Location(answer, Source.UV)
    return Location(Path(os.path.abspath(default_cache_dir(env))), Source.DEFAULT)


def _unsafe_roots() -> set[Path]:
    home = Path.home().resolve()
    roots = {home, *home.parents}
    roots.add(Path(Path.cwd().anchor).resolve())
    return roots


def has_cachedir_tag(path: Path) -> bool:
    """Whether `path` holds a CACHEDIR.TAG with the standard signature."""
    signature = CACHEDIR_TAG_SIGNATURE.encode()
    try:
        with open(path / CACHEDIR_TAG, "rb") as handle:
            head = handle.read(len(signature))
    except OSError:
        return False
    return head == signature


def is_empty(names: Sequence[str]) -> bool:
    """Whether a cache's top-level names hold nothing but markers (as `uv cache clean` leaves)."""
    return all(name in MARKERS for name in names)


def validate(location: Location) -> Path:
    """Resolve and check a cache directory; `Refused` unless it is a uv cache janitor may clean.

    A directory that holds nothing but uv's markers (`uv cache clean` leaves only `.lock`) is an
    empty cache: there is nothing in it to remove, whatever it is.
    """
    path = location.path
    if not path.exists():
        raise Refused(
            f"No uv cache at {path} ({location.source.value}): the directory does not exist"
        )
    if not path.is_dir():
        raise Refused(f"Not a uv cache: {path} is not a directory")
    resolved = path.resolve()
    if resolved in _unsafe_roots():
        raise Refused(f"Refusing to clean {resolved}: it is a filesystem root or a home directory")
    try:
        names = os.listdir(resolved)
    except OSError as err:
        raise Refused(f"Cannot read the cache at {resolved}: {err.strerror}") from err
    if is_empty(names):
        return resolved
    if not has_cachedir_tag(resolved):
        raise Refused(f"Not a uv cache: {resolved} has no {CACHEDIR_TAG} with uv's signature")
    if not any(split_bucket(name) for name in names):
        raise Refused(f"Not a uv cache: {resolved} has a {CACHEDIR_TAG} but no uv bucket")
    return resolved
