"""Finding the uv cache exactly as uv does, and refusing directories that are not one.

May import janitor.errors and janitor.layout.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from janitor.errors import Refused
from janitor.layout import uv


class Source(str, enum.Enum):
    """Where the cache directory came from."""

    FLAG = "--cache-dir"
    ENV = "UV_CACHE_DIR"
    DEFAULT = "default"


@dataclass(frozen=True)
class Location:
    """A cache directory and where it came from."""

    path: Path
    source: Source

    @property
    def explicit(self) -> bool:
        """Whether the user named this directory (a flag or UV_CACHE_DIR)."""
        return self.source is not Source.DEFAULT


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


def locate(cache_dir: Path | None, env: Mapping[str, str] | None = None) -> Location:
    """The cache directory to use, in uv's order: the flag, UV_CACHE_DIR, then the default."""
    env = os.environ if env is None else env
    if cache_dir is not None:
        return Location(Path(os.path.abspath(cache_dir)), Source.FLAG)
    from_env = env.get("UV_CACHE_DIR")
    if from_env:
        return Location(Path(os.path.abspath(from_env)), Source.ENV)
    return Location(Path(os.path.abspath(default_cache_dir(env))), Source.DEFAULT)


def _unsafe_roots() -> set[Path]:
    home = Path.home().resolve()
    roots = {home, *home.parents}
    roots.add(Path(Path.cwd().anchor).resolve())
    return roots


def has_cachedir_tag(path: Path) -> bool:
    """Whether `path` holds a CACHEDIR.TAG with the standard signature."""
    try:
        with open(path / uv.CACHEDIR_TAG, "rb") as handle:
            head = handle.read(len(uv.CACHEDIR_TAG_SIGNATURE))
    except OSError:
        return False
    return head == uv.CACHEDIR_TAG_SIGNATURE.encode()


def validate(location: Location) -> Path:
    """Resolve and check a cache directory; `Refused` unless it is a uv cache janitor may clean."""
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
    if not has_cachedir_tag(resolved):
        raise Refused(f"Not a uv cache: {resolved} has no {uv.CACHEDIR_TAG} with uv's signature")
    try:
        names = os.listdir(resolved)
    except OSError as err:
        raise Refused(f"Cannot read the cache at {resolved}: {err.strerror}") from err
    if not any(_is_uv_bucket(name) for name in names):
        raise Refused(f"Not a uv cache: {resolved} has a {uv.CACHEDIR_TAG} but no uv bucket")
    return resolved


def _is_uv_bucket(name: str) -> bool:
    parsed = uv.parse_bucket(name)
    return parsed is not None and parsed.kind in {kind.value for kind in uv.Kind}
