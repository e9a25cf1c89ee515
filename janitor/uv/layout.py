"""uv's on-disk vocabulary: bucket names, markers, link formats, pointer files and package names.

Everything janitor knows about how uv lays out its cache lives here, so that scan, plan and the
tests share one definition; the names the quick paths need are owned by `janitor.uv.names`
(light enough for them) and listed here with the rest. Pure functions only: no I/O. Imports
nothing from janitor but janitor.uv.names.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgpack

from janitor.uv.names import CACHEDIR_TAG as CACHEDIR_TAG
from janitor.uv.names import CACHEDIR_TAG_SIGNATURE as CACHEDIR_TAG_SIGNATURE
from janitor.uv.names import LOCK_FILE as LOCK_FILE
from janitor.uv.names import MARKERS as MARKERS
from janitor.uv.names import TRASH_DIR as TRASH_DIR
from janitor.uv.names import bucket_name, split_bucket
from janitor.uv.names import normalize as normalize


class Kind(str, enum.Enum):
    """The kinds of bucket uv knows (the part of `<kind>-v<N>` before the version)."""

    WHEELS = "wheels"
    SDISTS = "sdists"
    FLAT_INDEX = "flat-index"
    GIT = "git"
    INTERPRETER = "interpreter"
    SIMPLE = "simple"
    ARCHIVE = "archive"
    BUILDS = "builds"
    ENVIRONMENTS = "environments"
    PYTHON = "python"
    BINARIES = "binaries"
    OSV = "osv"
    FILES = "files"  # the content-addressed-cache preview: files the archives hard-link to
    BUILT_WHEELS = "built-wheels"  # before 0.4.13: built sdists (today's sdists bucket)


# Which kinds' buckets hold links into the archive bucket.
LINK_KINDS = (Kind.WHEELS, Kind.SDISTS, Kind.ENVIRONMENTS, Kind.BUILT_WHEELS)
# Which kinds' buckets hold per-package entries, sharded by index (what `uv cache clean` finds).
SHARDED_KINDS = (Kind.WHEELS, Kind.SDISTS, Kind.SIMPLE, Kind.BUILT_WHEELS)

# Archive ids: 16 characters of a URL-safe alphabet since uv 0.11.9, 21 before; 24 lowercase
# letters and digits in the content-addressed-cache preview.
ARCHIVE_ID_RE = re.compile(r"^(?:[A-Za-z0-9_-]{16}|[A-Za-z0-9_-]{21}|[a-z0-9]{24})$")
# A Windows link file: the whole content is `archive-v<N>/<id>`.
_LINK_FILE_RE = re.compile(rb"^archive-v(?P<version>[0-9]{1,3})/(?P<id>[A-Za-z0-9_-]{1,64})$")
# A link file is tiny; anything larger is not one and is not read.
LINK_FILE_MAX_BYTES = 128

# Files beside links that are never links themselves (uv skips them when it looks for links too).
POINTER_SUFFIXES = frozenset({".http", ".rev", ".msgpack", ".lock", ".whl", ".rkyv", ".json"})
# Directories inside the sdists bucket that hold unpacked sources, never links.
SOURCE_DIR = "src"
REVISION_POINTERS = ("revision.http", "revision.rev")
SDIST_METADATA = "metadata.msgpack"

# The three ways uv shards per-package entries.
SHARD_PYPI = "pypi"
SHARD_INDEX = "index"
SHARD_URL = "url"
SHARD_PATH = "path"
SHARD_GIT = "git"


@dataclass(frozen=True, order=True)
class BucketName:
    """A parsed top-level bucket name such as `wheels-v8`."""

    kind: str
    version: int

    def __str__(self) -> str:
        return bucket_name(self.kind, self.version)


def parse_bucket(name: str) -> BucketName | None:
    """Parse `<kind>-v<N>`; None for anything else."""
    parsed = split_bucket(name)
    return None if parsed is None else BucketName(*parsed)


def kind_of(name: str) -> Kind | None:
    """The kind of a bucket name (`wheels` of `wheels-v8`), if it is one janitor knows."""
    parsed = parse_bucket(name)
    if parsed is None:
        return None
    try:
        return Kind(parsed.kind)
    except ValueError:
        return None


def parse_link_file(content: bytes) -> tuple[int, str] | None:
    """Parse a Windows link file's content into (archive version, archive id)."""
    match = _LINK_FILE_RE.match(content)
    if match is None:
        return None
    return int(match["version"]), match["id"].decode("ascii")


def format_link_file(archive_id: str, version: int = 0) -> bytes:
    """The content uv writes into a Windows link file."""
    return f"archive-v{version}/{archive_id}".encode()


def may_be_link_file(name: str, size: int) -> bool:
    """Whether a regular file could be a Windows link file, judged by name and size alone."""
    if size > LINK_FILE_MAX_BYTES or size == 0 or name.startswith("."):
        return False
    dot = name.rfind(".")
    return dot < 0 or name[dot:].lower() not in POINTER_SUFFIXES


# What uv (from 0.7.9) passes over when it walks the wheels and sdists buckets for links: these
# names, and names with these extensions (any case), with everything below them.
_REFERENCE_WALK_NAMES = frozenset({SOURCE_DIR, ".lock", ".gitignore"})
_REFERENCE_WALK_EXTENSIONS = frozenset({"lock", "whl", "http", "rev", "msgpack"})


def skipped_by_reference_walk(name: str) -> bool:
    """Whether uv's walk for links passes over an entry of this name (and what is below it)."""
    if name in _REFERENCE_WALK_NAMES:
        return True
    dot = name.rfind(".")
    # As a path's extension: none for a name that only starts with a dot.
    return dot > 0 and name[dot + 1 :].lower() in _REFERENCE_WALK_EXTENSIONS


def is_pointer_name(name: str) -> bool:
    """Whether `name` is a pointer or lock file that uv never uses as a link."""
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in POINTER_SUFFIXES


def _first_msgpack_object(data: bytes) -> Any:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(data) + 1)
    unpacker.feed(data)
    return next(unpacker)


def _id_of(value: Any) -> str | None:
    """The id of a serialised revision or archive: element 0 of an array, or its `id` key."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        return value[0]
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None


def pointer_id(name: str, data: bytes) -> str | None:
    """The revision or archive id named by a `.rev` or `.http` pointer file; None if unparsable.

    `.rev` holds `[cache_info, revision]`; `.http` starts with the revision itself, followed by
    uv's HTTP cache policy.
    """
    try:
        obj = _first_msgpack_object(data)
    except Exception:
        return None
    if name.endswith(".rev"):
        if isinstance(obj, (list, tuple)) and len(obj) >= 2:
            return _id_of(obj[1])
        if isinstance(obj, dict):
            return _id_of(obj.get("revision"))
        return None
    return _id_of(obj)


def metadata_name(data: bytes) -> str | None:
    """The package name in a `metadata.msgpack` (positional array, element 0, or a `name` key)."""
    try:
        obj = _first_msgpack_object(data)
    except Exception:
        return None
    name: Any = None
    if isinstance(obj, (list, tuple)) and obj:
        name = obj[0]
    elif isinstance(obj, dict):
        name = obj.get("name")
    return normalize(name) if isinstance(name, str) and name else None


# A version as uv writes it in a wheel's name: PEP 440's normalised form.
_VERSION_RE = re.compile(
    r"(?:[1-9][0-9]*!)?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*"
    r"(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?"
    r"(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?"
)
_WHEEL_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?")
_TAG_RE = re.compile(r"[A-Za-z0-9_.]+")


_DIST_INFO_RE = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)\.dist-info$")


def parse_dist_info(dirname: str) -> tuple[str, str] | None:
    """(name, version) from a `name-version.dist-info` directory name."""
    match = _DIST_INFO_RE.match(dirname)
    if match is None:
        return None
    return normalize(match["name"]), match["version"]


def parse_wheel_entry(link_name: str, package_dir: str | None = None) -> tuple[str, str] | None:
    """(name, version) of a link named after a wheel without its `.whl`: `1.0-py3-none-any`
    under its package's directory in the wheels bucket (pass that directory's name), or
    `pkg-1.0-py3-none-any` (uv before 0.6.4, and built sdists).

    The parts are those of a wheel's file name: name, version, an optional build tag (starting
    with a digit), and the python, abi and platform tags.
    """
    parts = link_name.split("-")
    if package_dir is None:
        if len(parts) not in (5, 6) or not _WHEEL_NAME_RE.fullmatch(parts[0]):
            return None
        name, rest = parts[0], parts[1:]
    else:
        if len(parts) not in (4, 5) or not package_dir:
            return None
        name, rest = package_dir, parts
    version, *middle = rest[:-3]
    if middle and not middle[0][:1].isdigit():
        return None  # not a build tag
    if not _VERSION_RE.fullmatch(version) or not all(_TAG_RE.fullmatch(tag) for tag in rest[-3:]):
        return None
    return normalize(name), version


def site_packages_parts(venv_entries: Iterable[str]) -> list[tuple[str, ...]]:
    """Relative paths of candidate site-packages directories inside a venv archive."""
    names = set(venv_entries)
    parts: list[tuple[str, ...]] = []
    if "Lib" in names:
        parts.append(("Lib", "site-packages"))
    if "lib" in names:
        parts.append(("lib",))  # `lib/python3.X/site-packages`: the caller lists the X
    return parts
