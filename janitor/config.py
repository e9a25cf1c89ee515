"""janitor's config file: where it lives, what it may say, and its values as typed defaults.

Owns `config.toml` and its `[sweep]` table. Reads one file and never writes; every problem is a
`ConfigError` with one line naming the file, the key and what is wrong. Light enough for the
console script's quick path, which reads the defaults of every sweep: the TOML parser is
imported only when there is a file to parse. Imports janitor.units, janitor.errors and
janitor.uv.names.
"""

from __future__ import annotations

import datetime
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from janitor.errors import UsageError
from janitor.units import parse_duration, parse_size
from janitor.uv.names import is_package_name, normalize

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

APP_NAME = "janitor"
CONFIG_FILE = "config.toml"
SWEEP_TABLE = "sweep"


class ConfigError(UsageError):
    """The config file cannot be read or says something janitor does not accept."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = " ".join(problem.split())
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {self.problem}")


class SweepDefaults:
    """Values from `[sweep]`; None where the file does not set them. Immutable.

    A plain class rather than a NamedTuple or a dataclass: either needs `typing` or
    `dataclasses`, whose import costs the quick path more than this whole module. The fields are
    the annotated class attributes; the constructor takes them by keyword.
    """

    older_than: datetime.timedelta | None = None
    keep_versions: int | None = None
    max_size: int | None = None
    ci: bool | None = None
    packages: tuple[str, ...] | None = None
    cache_dir: Path | None = None
    workers: int | None = None
    processes: int | None = None
    wait: datetime.timedelta | None = None
    min_free: int | None = None
    keep: tuple[str, ...] | None = None
    uv: tuple[Path, ...] | None = None
    # Not from the file: why the default file could not be read (a warning, not an error).
    warning: str | None = None

    def __init__(self, **values: object) -> None:
        unknown = sorted(values.keys() - _FIELDS)
        if unknown:
            raise TypeError(f"SweepDefaults has no field {unknown[0]!r}")
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SweepDefaults is immutable: cannot set {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SweepDefaults):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        given = (f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"SweepDefaults({', '.join(given)})"


_FIELDS = tuple(SweepDefaults.__annotations__)


class _Invalid(Exception):
    """A value's problem, before the file and key are known."""


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names.update({list: "an array", dict: "a table"})
    return names.get(type(value), type(value).__name__)


def _duration(value: object, _base: Path) -> datetime.timedelta:
    if not isinstance(value, str):
        raise _Invalid(f'expected a duration string such as "30d", got {_type_name(value)}')
    try:
        return parse_duration(value)
    except ValueError as error:
        raise _Invalid(str(error)) from None


def _count(minimum: int) -> Callable[[object, Path], int]:
    def convert(value: object, _base: Path) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Invalid(f"expected an integer, got {_type_name(value)}")
        if value < minimum:
            raise _Invalid(f"expected an integer of at least {minimum}, got {value}")
        return value

    return convert


def _size(value: object, _base: Path) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise _Invalid(f'expected a size such as "10GiB" or a byte count, got {value}')
        return value
    if not isinstance(value, str):
        raise _Invalid(f'expected a size string such as "10GiB", got {_type_name(value)}')
    try:
        return parse_size(value)
    except ValueError as error:
        raise _Invalid(str(error)) from None


def _flag(value: object, _base: Path) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_type_name(value)}")
    return value


def _packages(value: object, _base: Path) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid(
            f'expected an array of package names such as ["hatch"], got {_type_name(value)}'
        )
    names: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str):
            raise _Invalid(f"expected package names as strings, got {_type_name(item)}")
        if not is_package_name(item):
            raise _Invalid(f"{item!r} is not a valid package name")
        names[normalize(item)] = None
    return tuple(names)


def _directory(value: object, base: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise _Invalid(f"expected a non-empty path string, got {_type_name(value)}")
    # A relative path means the same thing wherever janitor runs: it is relative to the file.
    return base / Path(value).expanduser()


def _binaries(value: object, base: Path) -> tuple[Path, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise _Invalid("expected a path string or an array of them, got an empty array")
    return tuple(_directory(item, base) for item in values)


def _seconds(value: object, base: Path) -> datetime.timedelta:
    if isinstance(value, str):
        return _duration(value, base)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _Invalid(
            f'expected seconds or a duration string such as "5min", got {_type_name(value)}'
        )
    if not math.isfinite(value) or value < 0:
        raise _Invalid(f"expected a non-negative number of seconds, got {value}")
    try:
        return datetime.timedelta(seconds=value)
    except OverflowError:
        raise _Invalid(f"{value} seconds is too long") from None


# TOML key -> (SweepDefaults field, converter).
_SWEEP_KEYS: Mapping[str, tuple[str, Callable[[object, Path], Any]]] = {
    "older-than": ("older_than", _duration),
    "keep-versions": ("keep_versions", _count(0)),
    "max-size": ("max_size", _size),
    "ci": ("ci", _flag),
    "packages": ("packages", _packages),
    "cache-dir": ("cache_dir", _directory),
    "workers": ("workers", _count(1)),
    "processes": ("processes", _count(0)),
    "wait": ("wait", _seconds),
    "min-free": ("min_free", _size),
    "keep": ("keep", _packages),
    "uv": ("uv", _binaries),
}


def _unknown(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(known)}"
    return f"unknown key {key!r}; {hint}"


def default_config_path() -> Path:
    """Where janitor looks for `config.toml` when no path is given."""
    import platformdirs

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / CONFIG_FILE


def parse_config(text: str, path: Path) -> SweepDefaults:
    """The defaults in the TOML `text` of the file at `path` (relative paths resolve beside it)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, None, f"invalid TOML: {error}") from None
    for key in document:
        if key != SWEEP_TABLE:
            raise ConfigError(path, key, _unknown(key, [SWEEP_TABLE]))
    table = document.get(SWEEP_TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(path, SWEEP_TABLE, f"expected a table, got {_type_name(table)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        entry = _SWEEP_KEYS.get(key)
        name = f"{SWEEP_TABLE}.{key}"
        if entry is None:
            raise ConfigError(path, name, _unknown(key, sorted(_SWEEP_KEYS)))
        field, convert = entry
        try:
            values[field] = convert(value, path.parent)
        except _Invalid as error:
            raise ConfigError(path, name, str(error)) from None
    return SweepDefaults(**values)


def load_config(path: Path | None = None) -> SweepDefaults:
    """Defaults from `path`, or from the default file if there is one (explicit: must exist).

    A default file that cannot be reached (a home directory another user cannot read) is no
    error: the defaults apply, with a warning saying why.
    """
    explicit = path is not None
    source = path if path is not None else default_config_path()
    try:
        data = source.read_bytes()
    except (FileNotFoundError, NotADirectoryError) as error:
        if not explicit:
            return SweepDefaults()
        problem = "no such file" if isinstance(error, FileNotFoundError) else "not a directory"
        raise ConfigError(source, None, problem) from None
    except OSError as error:
        if not explicit:
            return SweepDefaults(warning=f"cannot read {source}: {error.strerror or error}")
        raise ConfigError(source, None, error.strerror or str(error)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            source, None, f"not UTF-8 text: {error.reason} at byte {error.start}"
        ) from None
    return parse_config(text, source)
