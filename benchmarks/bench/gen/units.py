"""The pieces a generated cache is planned in, each written by one function of `write`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bench.gen.shapes import WheelSpec


@dataclass(frozen=True)
class WheelEntry:
    """A live unzipped wheel: the archive and its link, `.rev` and `.lock` in the wheels bucket."""

    index: str
    archive_id: str
    wheel: WheelSpec
    timestamp: tuple[int, int]


@dataclass(frozen=True)
class StaleRevision:
    revision: str
    source: WheelSpec
    built_archive: str | None  # the archive of the revision's built wheel, if it was built


@dataclass(frozen=True)
class SdistEntry:
    """A source distribution built into a wheel, plus older revisions uv no longer points at."""

    index: str
    revision: str
    archive_id: str
    wheel: WheelSpec
    source: WheelSpec
    timestamp: tuple[int, int]
    stale: tuple[StaleRevision, ...] = ()


@dataclass(frozen=True)
class DanglingArchive:
    """An archive nothing links to; `stale_link` is a link to it left in an old wheels bucket."""

    archive_id: str
    wheel: WheelSpec
    stale_link: bool = False


@dataclass(frozen=True)
class StaleBuiltWheel:
    """A built wheel in a bucket of an old uv release (unzipped in place)."""

    index: str
    revision: str
    wheel: WheelSpec


@dataclass(frozen=True)
class TempDir:
    """An in-flight temporary directory: at the top (`rel` = `.tmpXXXXXX`) or in builds."""

    rel: str
    wheel: WheelSpec
    venv: bool = False


@dataclass(frozen=True)
class EnvSkeleton:
    """A cached environment: the link in the environments bucket and the venv archive."""

    key: str
    digest: str
    archive_id: str
    seed: int


@dataclass(frozen=True)
class EnvPackage:
    """One package installed into a cached environment; hard-linked out of `source` if given."""

    archive_id: str
    wheel: WheelSpec
    source: str | None
    script: bool


Unit = (
    WheelEntry | SdistEntry | DanglingArchive | StaleBuiltWheel | TempDir | EnvSkeleton | EnvPackage
)


class Counts(NamedTuple):
    files: int
    dirs: int
    bytes: int
    garbage_files: int
    garbage_dirs: int
    garbage_bytes: int
