"""Generate a synthetic uv cache, laid out exactly as uv 0.13 writes it on Linux.

    python benchmarks/gencache.py DEST --files 100000 [--seed 0] [--jobs 3] [--verify]
    python benchmarks/gencache.py DEST --versions 3000 [--packages 300] [--seed 0] [--verify]

The cache holds live entries (unzipped wheels linked from the wheels and sdists buckets, the
sdists' sources and built wheels, simple-index files) and about as many files of garbage that
`uv cache prune` removes: dangling archives, cached environments (one of them large), stale
buckets, a dangling source revision here and there, in-flight `.tmp*` directories.

Besides DEST it writes DEST.manifest.json: the relative top-level paths `uv cache prune` removes
(the roots of the trees it deletes, exactly as it logs them with -v) and file counts, so that
`rm -rf` and `shutil.rmtree` can be timed on the same work. `--verify` runs the real uv on a copy
and checks the manifest against what uv logs and leaves.

With --versions it writes a different cache instead: a clean one (nothing for `uv cache prune`)
holding that many versions of --packages packages, each a small unzipped wheel with its link,
`.rev` and `.lock` in the wheels bucket, written at times spread over a year and last used (the
`.rev`'s access time) up to half a year later; its manifest lists every version with its times
and what evicting it frees, for timing and checking `janitor sweep --max-size`.

The output depends only on --files (or --versions, --packages) and --seed, not on --jobs or
scheduling. Files are written with os.open/os.write relative to directory descriptors by a pool
of worker processes.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import msgpack

from janitor.layout.follow import buckets_by_kind
from janitor.layout.uv import (
    CACHEDIR_TAG,
    CACHEDIR_TAG_SIGNATURE,
    LOCK_FILE,
    SDIST_METADATA,
    SHARD_INDEX,
    SHARD_PYPI,
    SOURCE_DIR,
    BucketName,
    Kind,
    normalize,
    parse_bucket,
)

GENERATOR_VERSION = 1

# The buckets of the newest uv release janitor knows (the one the benchmarks run).
BUCKETS = buckets_by_kind()
ARCHIVE = BUCKETS[Kind.ARCHIVE]
WHEELS = BUCKETS[Kind.WHEELS]
SDISTS = BUCKETS[Kind.SDISTS]
ENVIRONMENTS = BUCKETS[Kind.ENVIRONMENTS]
BUILDS = BUCKETS[Kind.BUILDS]
SIMPLE = BUCKETS[Kind.SIMPLE]
INTERPRETER = BUCKETS[Kind.INTERPRETER]
# Buckets of older uv releases: an older wheels bucket and a kind that no longer exists.
_WHEELS = parse_bucket(WHEELS)
assert _WHEELS is not None
STALE_WHEELS = str(BucketName(Kind.WHEELS.value, _WHEELS.version - 3))
STALE_BUILT_WHEELS = str(BucketName("built-wheels", 3))
REVISION_REV = "revision.rev"
TAG = "py3-none-any"
PYTHON = "python3.11"

# File sizes: mostly small modules, some medium files (extensions, data), a few large ones.
P_LARGE = 0.0001
P_MEDIUM = 0.025
SMALL = (200, 8 * 1024)
MEDIUM = (8 * 1024, 256 * 1024)
LARGE = (1024 * 1024, 4 * 1024 * 1024)
CONTENT_BYTES = 12 * 1024 * 1024  # shared content buffer; files are slices of it

ID_ALPHABET = string.ascii_letters + string.digits + "_-"
TMP_ALPHABET = string.ascii_letters + string.digits
_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "py",
    "zen",
    "tor",
    "ax",
    "bel",
    "cor",
    "dat",
    "fer",
    "gul",
    "hox",
    "jin",
    "lat",
    "mor",
    "nex",
    "pix",
    "qua",
    "rum",
    "sol",
    "tek",
    "vel",
    "wiz",
    "yam",
    "bro",
    "cli",
    "dra",
    "eno",
    "fla",
    "gri",
    "hyp",
    "ion",
    "jet",
    "kry",
    "lum",
)
_SUFFIXES = ("utils", "core", "io", "client", "sdk", "plugin", "tools", "api")
_WORDS = (
    "core",
    "utils",
    "config",
    "models",
    "api",
    "client",
    "server",
    "types",
    "errors",
    "compat",
    "base",
    "helpers",
    "parser",
    "render",
    "cli",
    "main",
    "schema",
    "_internal",
    "backends",
    "plugins",
    "data",
    "fields",
    "validators",
    "encoding",
    "decoder",
    "session",
    "cache",
    "tools",
    "events",
    "hooks",
    "loader",
    "metrics",
    "frames",
    "graph",
    "nodes",
    "query",
    "storage",
    "transport",
)

# A file: name, size, offset into the content buffer, or explicit data (then size is len(data)).
FileSpec = tuple[str, int, int, bytes | None]
# A directory relative to the tree's root ("" for the root itself) and the files directly in it.
DirSpec = tuple[str, list[FileSpec]]


def _loguniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _offset(rng: random.Random, size: int) -> int:
    return rng.randrange(0, CONTENT_BYTES - size + 1)


def _blob(rng: random.Random, name: str, bounds: tuple[int, int]) -> FileSpec:
    size = _loguniform(rng, *bounds)
    return (name, size, _offset(rng, size), None)


def _id16(rng: random.Random) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(16))


def _hex16(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def _tmp_name(rng: random.Random) -> str:
    return ".tmp" + "".join(rng.choice(TMP_ALPHABET) for _ in range(6))


def _fake_hash(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` positive integers."""
    if parts <= 1:
        return [total]
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in itertools.pairwise([0, *cuts, total])]


# ---------------------------------------------------------------------------------------------
# Tree shapes (pure functions of their spec, so a tree can be re-derived to hard-link into it)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WheelSpec:
    """An unzipped wheel: `nfiles` files in total, dist-info included."""

    name: str  # normalised project name
    version: str
    nfiles: int
    seed: int
    deep: bool = False

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def dist_info(self) -> str:
        return f"{self.module}-{self.version}.dist-info"

    @property
    def wheel_stem(self) -> str:
        return f"{self.module}-{self.version}-{TAG}"


def _module_file(rng: random.Random, used: set[str]) -> FileSpec:
    r = rng.random()
    if r < P_LARGE:
        stem, ext, bounds = f"_{rng.choice(_WORDS)}", ".cpython-311-x86_64-linux-gnu.so", LARGE
    elif r < P_LARGE + P_MEDIUM:
        stem, ext, bounds = rng.choice(_WORDS), rng.choice((".so", ".json", ".py", ".dat")), MEDIUM
        if ext == ".so":
            stem, ext = f"_{stem}", ".cpython-311-x86_64-linux-gnu.so"
    else:
        stem = rng.choice(_WORDS)
        ext = rng.choices((".py", ".pyi", ".txt", ".json"), (90, 5, 3, 2))[0]
        bounds = SMALL
    name = stem + ext
    n = 1
    while name in used:
        n += 1
        name = f"{stem}{n}{ext}"
    used.add(name)
    return _blob(rng, name, bounds)


def code_tree(rng: random.Random, top: str, count: int, deep: bool) -> list[DirSpec]:
    """A Python package `top` of `count` files with subpackages, parents before children."""
    out: list[DirSpec] = []
    stack: list[tuple[str, int, int]] = [(top, max(1, count), 0)]
    while stack:
        path, n, depth = stack.pop()
        used = {"__init__.py"}
        files: list[FileSpec] = [_blob(rng, "__init__.py", (20, 2000))]
        n -= 1
        wide = rng.random() < 0.03
        cap = 300 if wide else (8 if deep and depth < 12 else 30)
        here = min(n, rng.randint(1, cap)) if n > 0 else 0
        rest = n - here
        if 0 < rest < 3:
            here, rest = n, 0
        files.extend(_module_file(rng, used) for _ in range(here))
        out.append((path, files))
        if rest:
            if deep and depth < 12 and rng.random() < 0.7:
                k = 1
            else:
                k = rng.randint(1, min(rest, 2 + rest // 40, 12))
            subdirs: set[str] = set()
            for part in _split(rng, rest, k):
                sub = rng.choice(_WORDS).lstrip("_")
                while sub in subdirs or f"{sub}.py" in used:
                    sub = f"{sub}{len(subdirs)}"
                subdirs.add(sub)
                stack.append((f"{path}/{sub}", part, depth + 1))
    return out


def _record(rng: random.Random, tree: Sequence[DirSpec], record_path: str) -> bytes:
    lines = [
        f"{d}/{name},sha256={_fake_hash(rng)},{size if data is None else len(data)}\n"
        for d, files in tree
        for name, size, _off, data in files
    ]
    lines.append(f"{record_path},,\n")
    return "".join(lines).encode()


def _metadata(rng: random.Random, name: str, version: str) -> FileSpec:
    head = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {name}\n\n"
    size = _loguniform(rng, 300, 20_000)
    return ("METADATA", len(head) + size, _offset(rng, size), head.encode())


def wheel_tree(spec: WheelSpec) -> list[DirSpec]:
    """The directories and files of an unzipped wheel, as uv leaves it in the archive bucket."""
    rng = random.Random(spec.seed)
    extras = [n for n in ("top_level.txt", "LICENSE", "entry_points.txt") if rng.random() < 0.4]
    code = code_tree(rng, spec.module, max(1, spec.nfiles - 3 - len(extras)), spec.deep)
    wheel = f"Wheel-Version: 1.0\nGenerator: gencache\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    dist: list[FileSpec] = [_metadata(rng, spec.name, spec.version)]
    dist.append(("WHEEL", 0, 0, wheel.encode()))
    dist.extend(_blob(rng, extra, (20, 12_000)) for extra in extras)
    record = _record(rng, [*code, (spec.dist_info, dist)], f"{spec.dist_info}/RECORD")
    dist.append(("RECORD", 0, 0, record))
    return [*code, (spec.dist_info, dist)]


def source_tree(spec: WheelSpec) -> list[DirSpec]:
    """An unpacked source distribution (the `src/` of an sdists revision), relative to `src/`."""
    rng = random.Random(spec.seed ^ 0x5D157)
    pyproject = (
        f'[project]\nname = "{spec.name}"\nversion = "{spec.version}"\n\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    top: list[FileSpec] = [
        ("pyproject.toml", 0, 0, pyproject.encode()),
        _blob(rng, "PKG-INFO", (300, 20_000)),
        _blob(rng, "README.md", (200, 16_000)),
        _blob(rng, "LICENSE", (1000, 12_000)),
    ]
    n = max(2, spec.nfiles - len(top))
    tests = n // 4 if n >= 8 else 0
    out: list[DirSpec] = [("", top), ("src", [])]
    out.extend(code_tree(rng, f"src/{spec.module}", n - tests, spec.deep))
    if tests:
        out.extend(code_tree(rng, "tests", tests, False))
    return out


def tree_files(tree: Iterable[DirSpec]) -> int:
    return sum(len(files) for _d, files in tree)


# ---------------------------------------------------------------------------------------------
# Work units
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def make_content(seed: int) -> bytes:
    """The content buffer all files are slices of: printable, deterministic for a seed."""
    raw = random.Random(seed ^ 0xC0FFEE).randbytes(CONTENT_BYTES)
    alphabet = (string.ascii_letters + string.digits + " " * 12 + "\n" * 3 + "_().:=,'").encode()
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    return raw.translate(table)


class Writer:
    """Creates files under a cache root and counts them (index 1: garbage, 0: live)."""

    def __init__(self, root: str, content: bytes) -> None:
        self.root = root
        self.content = memoryview(content)
        self.files = [0, 0]
        self.dirs = [0, 0]
        self.bytes = [0, 0]

    def counts(self) -> Counts:
        return Counts(
            self.files[0], self.dirs[0], self.bytes[0], self.files[1], self.dirs[1], self.bytes[1]
        )

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def mkdirs(self, rel: str, garbage: bool) -> None:
        """Create `rel` and any missing parents, counting those it created."""
        path = self.path(rel)
        missing: list[str] = []
        while not os.path.isdir(path):
            missing.append(path)
            path = os.path.dirname(path)
        for p in reversed(missing):
            try:
                os.mkdir(p)
            except FileExistsError:
                continue
            self.dirs[garbage] += 1

    def _write_fd(self, dfd: int, spec: FileSpec, g: int) -> None:
        name, size, off, data = spec
        fd = os.open(name, _OPEN_FLAGS, 0o644, dir_fd=dfd)
        try:
            if data is not None:
                chunks: list[bytes | memoryview] = [data]
                if size > len(data):
                    chunks.append(self.content[off : off + size - len(data)])
            else:
                chunks = [self.content[off : off + size]] if size else []
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                self.bytes[g] += len(chunk)
        finally:
            os.close(fd)
        self.files[g] += 1

    def file(self, rel: str, spec: FileSpec, garbage: bool) -> None:
        dfd = os.open(self.path(rel), _DIR_FLAGS)
        try:
            self._write_fd(dfd, spec, garbage)
        finally:
            os.close(dfd)

    def data(self, rel: str, name: str, data: bytes, garbage: bool) -> None:
        self.file(rel, (name, len(data), 0, data), garbage)

    def symlink(self, target: str, rel: str, garbage: bool) -> None:
        os.symlink(target, self.path(rel))
        self.files[garbage] += 1

    def tree(self, base: str, tree: Iterable[DirSpec], garbage: bool) -> None:
        g = int(garbage)
        for reldir, files in tree:
            rel = f"{base}/{reldir}" if reldir else base
            self.mkdirs(rel, garbage)
            dfd = os.open(self.path(rel), _DIR_FLAGS)
            try:
                for spec in files:
                    self._write_fd(dfd, spec, g)
            finally:
                os.close(dfd)

    def link_tree(self, source: str, base: str, tree: Iterable[DirSpec], skip: str) -> None:
        """Hard-link the files of `tree` from `source` into `base` (garbage), except `skip`."""
        for reldir, files in tree:
            rel = f"{base}/{reldir}" if reldir else base
            self.mkdirs(rel, True)
            src = self.path(f"{source}/{reldir}")
            dst = self.path(rel)
            for name, _size, _off, _data in files:
                if f"{reldir}/{name}" == skip:
                    continue
                os.link(f"{src}/{name}", f"{dst}/{name}", follow_symlinks=False)
                self.files[1] += 1


def _rev_pointer(archive_id: str, wheel: WheelSpec, ts: tuple[int, int]) -> bytes:
    data: bytes = msgpack.packb(
        [list(ts), [archive_id, [], f"{wheel.wheel_stem}.whl", 0, None]], use_bin_type=True
    )
    return data


def _archive_link(depth: int, archive_id: str) -> str:
    return "../" * depth + f"{ARCHIVE}/{archive_id}"


def write_wheel_entry(w: Writer, u: WheelEntry) -> None:
    w.tree(f"{ARCHIVE}/{u.archive_id}", wheel_tree(u.wheel), False)
    shard = f"{WHEELS}/{SHARD_INDEX}/{u.index}/{u.wheel.name}"
    w.mkdirs(shard, False)
    entry = f"{u.wheel.version}-{TAG}"
    w.symlink(_archive_link(4, u.archive_id), f"{shard}/{entry}", False)
    w.data(shard, f"{entry}.rev", _rev_pointer(u.archive_id, u.wheel, u.timestamp), False)
    w.data(shard, f"{entry}.lock", b"", False)


def _write_revision(
    w: Writer, rel: str, source: WheelSpec, archive_id: str | None, garbage: bool
) -> None:
    w.mkdirs(rel, garbage)
    w.tree(f"{rel}/{SOURCE_DIR}", source_tree(source), garbage)
    if archive_id is None:
        return
    rng = random.Random(source.seed ^ 0x3E1)
    stem = source.wheel_stem
    w.symlink(_archive_link(6, archive_id), f"{rel}/{stem}", garbage)
    w.file(rel, _blob(rng, f"{stem}.whl", (4 * 1024, 2 * 1024 * 1024)), garbage)
    meta = msgpack.packb([source.name, source.version, [], None, [], False], use_bin_type=True)
    w.data(rel, SDIST_METADATA, meta, garbage)
    w.data(rel, f"{source.version}-{TAG}.lock", b"", garbage)


def write_sdist_entry(w: Writer, u: SdistEntry) -> None:
    version_dir = f"{SDISTS}/{SHARD_INDEX}/{u.index}/{u.wheel.name}/{u.wheel.version}"
    w.mkdirs(version_dir, False)
    w.data(version_dir, LOCK_FILE, b"", False)
    pointer = msgpack.packb(
        [[list(u.timestamp), None, None, {}, {}], [u.revision, [], None]], use_bin_type=True
    )
    w.data(version_dir, REVISION_REV, pointer, False)
    _write_revision(w, f"{version_dir}/{u.revision}", u.source, u.archive_id, False)
    w.tree(f"{ARCHIVE}/{u.archive_id}", wheel_tree(u.wheel), False)
    for stale in u.stale:
        _write_revision(
            w, f"{version_dir}/{stale.revision}", stale.source, stale.built_archive, True
        )
        if stale.built_archive is not None:
            w.tree(f"{ARCHIVE}/{stale.built_archive}", wheel_tree(stale.source), True)


def write_dangling(w: Writer, u: DanglingArchive) -> None:
    w.tree(f"{ARCHIVE}/{u.archive_id}", wheel_tree(u.wheel), True)
    if u.stale_link:
        shard = f"{STALE_WHEELS}/{SHARD_PYPI}/{u.wheel.name}"
        w.mkdirs(shard, True)
        entry = f"{u.wheel.version}-{TAG}"
        w.symlink(_archive_link(3, u.archive_id), f"{shard}/{entry}", True)
        pointer = msgpack.packb([u.archive_id, [], f"{u.wheel.wheel_stem}.whl"], use_bin_type=True)
        w.data(shard, f"{entry}.http", pointer, True)


def write_stale_built(w: Writer, u: StaleBuiltWheel) -> None:
    rel = f"{STALE_BUILT_WHEELS}/{SHARD_INDEX}/{u.index}/{u.wheel.name}/{u.revision}"
    w.tree(f"{rel}/{u.wheel.wheel_stem}", wheel_tree(u.wheel), True)
    rng = random.Random(u.wheel.seed ^ 0xB1)
    w.file(rel, _blob(rng, f"{u.wheel.wheel_stem}.whl", (4 * 1024, 1024 * 1024)), True)
    meta = msgpack.packb([u.wheel.name, u.wheel.version, [], None, [], False], use_bin_type=True)
    w.data(rel, SDIST_METADATA, meta, True)


_ACTIVATE = (
    ("activate", 4267),
    ("activate.bat", 2640),
    ("activate.fish", 4347),
    ("activate.nu", 3950),
    ("activate.ps1", 2765),
    ("activate.xsh", 3867),
    ("activate_this.py", 2383),
    ("deactivate.bat", 1730),
    ("pydoc.bat", 1219),
)


def _write_venv(w: Writer, rel: str, seed: int) -> None:
    """A virtual environment as uv creates it, without packages."""
    rng = random.Random(seed)
    w.mkdirs(f"{rel}/bin", True)
    w.mkdirs(f"{rel}/lib/{PYTHON}/site-packages", True)
    w.data(rel, ".gitignore", b"*", True)
    w.data(rel, CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE.encode(), True)
    cfg = (
        "home = /usr/bin\nimplementation = CPython\nuv = 0.13.9\nversion_info = 3.11.7\n"
        "include-system-site-packages = false\nrelocatable = true\n"
    )
    w.data(rel, "pyvenv.cfg", cfg.encode(), True)
    w.symlink("lib", f"{rel}/lib64", True)
    for name, size in _ACTIVATE:
        w.file(f"{rel}/bin", (name, size, _offset(rng, size), None), True)
    w.symlink(f"/usr/bin/{PYTHON}", f"{rel}/bin/python", True)
    w.symlink("python", f"{rel}/bin/python3", True)
    w.symlink("python", f"{rel}/bin/{PYTHON}", True)


def write_env_skeleton(w: Writer, u: EnvSkeleton) -> None:
    _write_venv(w, f"{ARCHIVE}/{u.archive_id}", u.seed)
    key = f"{ENVIRONMENTS}/{u.key}"
    w.mkdirs(key, True)
    w.symlink(_archive_link(2, u.archive_id), f"{key}/{u.digest}", True)
    w.data(key, f"{u.digest}.lock", b"", True)


def _site_packages(archive_id: str) -> str:
    return f"{ARCHIVE}/{archive_id}/lib/{PYTHON}/site-packages"


def write_env_package(w: Writer, u: EnvPackage) -> None:
    site = _site_packages(u.archive_id)
    tree = wheel_tree(u.wheel)
    record = f"{u.wheel.dist_info}/RECORD"
    if u.source is not None:
        w.link_tree(f"{ARCHIVE}/{u.source}", site, tree, record)
    else:
        w.tree(
            site, [(d, [f for f in files if f"{d}/{f[0]}" != record]) for d, files in tree], True
        )
    rng = random.Random(u.wheel.seed ^ 0xE1)
    dist = f"{site}/{u.wheel.dist_info}"
    w.data(dist, "RECORD", _record(rng, tree, record), True)
    w.data(dist, "INSTALLER", b"uv", True)
    w.data(dist, "REQUESTED", b"", True)
    cache_info = json.dumps({"timestamp": {"secs_since_epoch": 1_750_000_000, "nanos": 0}})
    w.data(dist, "uv_cache.json", cache_info.encode(), True)
    if u.script:
        script = (
            f"#!/usr/bin/{PYTHON}\nimport sys\nfrom {u.wheel.module} import main\n"
            "if __name__ == '__main__':\n    sys.exit(main())\n"
        )
        w.data(f"{ARCHIVE}/{u.archive_id}/bin", u.wheel.name, script.encode(), True)


def write_temp(w: Writer, u: TempDir) -> None:
    if u.venv:
        _write_venv(w, u.rel, u.wheel.seed)
        w.tree(f"{u.rel}/lib/{PYTHON}/site-packages", wheel_tree(u.wheel), True)
    else:
        w.tree(u.rel, wheel_tree(u.wheel), True)


def write_unit(w: Writer, unit: Unit) -> None:
    if isinstance(unit, WheelEntry):
        write_wheel_entry(w, unit)
    elif isinstance(unit, SdistEntry):
        write_sdist_entry(w, unit)
    elif isinstance(unit, DanglingArchive):
        write_dangling(w, unit)
    elif isinstance(unit, StaleBuiltWheel):
        write_stale_built(w, unit)
    elif isinstance(unit, TempDir):
        write_temp(w, unit)
    elif isinstance(unit, EnvSkeleton):
        write_env_skeleton(w, unit)
    else:
        write_env_package(w, unit)


_WORKER: dict[str, Writer] = {}


def _init_worker(root: str, seed: int) -> None:
    _WORKER["w"] = Writer(root, make_content(seed))


def _run_batch(units: list[Unit]) -> Counts:
    w = _WORKER["w"]
    w.files, w.dirs, w.bytes = [0, 0], [0, 0], [0, 0]
    for unit in units:
        write_unit(w, unit)
    return w.counts()


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    files: int
    seed: int
    phase1: list[Unit] = field(default_factory=list)
    phase2: list[Unit] = field(default_factory=list)  # hard-links into phase-1 archives
    prune: list[str] = field(default_factory=list)
    simple: list[tuple[str, str, int]] = field(default_factory=list)  # (index, name, size)
    indexes: list[str] = field(default_factory=list)
    targets: dict[str, int] = field(default_factory=dict)


class _Names:
    """Plausible project names and unique (name, version) pairs, from one random stream."""

    def __init__(self, rng: random.Random, pool: int) -> None:
        self.rng = rng
        names: set[str] = set()
        while len(names) < pool:
            name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
            if rng.random() < 0.3:
                name += "-" + rng.choice(_SUFFIXES)
            names.add(normalize(name))
        self.pool = sorted(names)
        self.used: set[tuple[str, str]] = set()

    def fresh_name(self) -> str:
        while True:
            name = normalize("".join(self.rng.choice(_SYLLABLES) for _ in range(4)))
            if name not in self.pool:
                self.pool.append(name)
                return name

    def pair(self, name: str | None = None) -> tuple[str, str]:
        while True:
            chosen = name or self.rng.choice(self.pool)
            major = self.rng.choice((0, 0, 1, 1, 2, 3, 4, 5, 10, 23, 2024))
            version = f"{major}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 12)}"
            if (chosen, version) not in self.used:
                self.used.add((chosen, version))
                return chosen, version


def _archive_size(rng: random.Random, big: bool = False) -> int:
    r = rng.random()
    if big:
        if r < 0.4:
            return rng.randint(10, 80)
        if r < 0.8:
            return rng.randint(80, 600)
        if r < 0.97:
            return rng.randint(600, 3000)
        return rng.randint(3000, 9000)
    if r < 0.55:
        return rng.randint(4, 15)
    if r < 0.85:
        return rng.randint(15, 80)
    if r < 0.97:
        return rng.randint(80, 500)
    return rng.randint(500, 3000)


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def archive(self) -> str:
        while True:
            new = _id16(self.rng)
            if new not in self.seen:
                self.seen.add(new)
                return new

    def hex(self) -> str:
        while True:
            new = _hex16(self.rng)
            if new not in self.seen:
                self.seen.add(new)
                return new


def _targets(files: int) -> dict[str, int]:
    live = files // 2
    garbage = files - live
    big_env = min(50_000, int(files * 0.4)) if files >= 100_000 else int(files * 0.15)
    rest = garbage - big_env
    return {
        "live_sdists": int(live * 0.18),
        "live_wheels": int(live * 0.80),
        "big_env": big_env,
        "small_envs": int(rest * 0.2),
        "stale_buckets": int(rest * 0.3),
        "stale_revisions": int(rest * 0.08),
        "temp": int(rest * 0.05),
        "dangling": int(rest * 0.37),
    }


def make_plan(files: int, seed: int) -> Plan:
    """Everything the cache will hold, decided up front from the seed."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    plan = Plan(files=files, seed=seed, targets=_targets(files))
    t = plan.targets
    names = _Names(rng, max(20, files // 120))
    plan.indexes = [ids.hex() for _ in range(1 + files // 200_000)]
    base_ts = 1_750_000_000 + rng.randrange(0, 30_000_000)

    def ts() -> tuple[int, int]:
        return (base_ts + rng.randrange(0, 5_000_000), rng.randrange(0, 1_000_000_000))

    def spec(name: str, version: str, n: int) -> WheelSpec:
        deep = n > 60 and rng.random() < 0.08
        return WheelSpec(name, version, max(4, n), rng.getrandbits(63), deep)

    live_wheels: list[WheelEntry] = []
    budget = t["live_wheels"]
    while budget > 0:
        n = min(_archive_size(rng), max(4, budget - 3))
        name, version = names.pair()
        entry = WheelEntry(rng.choice(plan.indexes), ids.archive(), spec(name, version, n), ts())
        live_wheels.append(entry)
        budget -= entry.wheel.nfiles + 3

    sdists: list[SdistEntry] = []
    budget, stale_budget = t["live_sdists"], t["stale_revisions"]
    while budget > 0:
        n = min(_archive_size(rng), max(4, budget // 2))
        name, version = names.pair(names.fresh_name())
        built = spec(name, version, n)
        source = WheelSpec(
            name, version, max(6, int(n * rng.uniform(0.6, 1.5))), rng.getrandbits(63)
        )
        stale: list[StaleRevision] = []
        while stale_budget > 0 and (rng.random() < 0.25 or stale_budget == t["stale_revisions"]):
            old = WheelSpec(name, version, source.nfiles, rng.getrandbits(63))
            old_archive = ids.archive() if rng.random() < 0.6 else None
            stale.append(StaleRevision(ids.archive(), old, old_archive))
            stale_budget -= 4 + 2 * old.nfiles if old_archive else old.nfiles
        sdist = SdistEntry(
            rng.choice(plan.indexes),
            ids.archive(),
            ids.archive(),
            built,
            source,
            ts(),
            tuple(stale),
        )
        sdists.append(sdist)
        budget -= built.nfiles + source.nfiles + 6
        for s in stale:
            plan.prune.append(f"{SDISTS}/{SHARD_INDEX}/{sdist.index}/{name}/{version}/{s.revision}")
            if s.built_archive:
                plan.prune.append(f"{ARCHIVE}/{s.built_archive}")

    dangling: list[Unit] = []
    budget = t["dangling"] + t["stale_buckets"] // 2
    stale_links = t["stale_buckets"] // 2
    while budget > 0:
        n = min(_archive_size(rng), max(4, budget))
        name, version = names.pair()
        link = stale_links > 0 and rng.random() < 0.5
        unit = DanglingArchive(ids.archive(), spec(name, version, n), link)
        dangling.append(unit)
        plan.prune.append(f"{ARCHIVE}/{unit.archive_id}")
        budget -= n + (2 if link else 0)
        stale_links -= n + 2 if link else 0
    if any(isinstance(u, DanglingArchive) and u.stale_link for u in dangling):
        plan.prune.append(STALE_WHEELS)

    budget = t["stale_buckets"] - t["stale_buckets"] // 2
    while budget > 0:
        n = min(_archive_size(rng), max(4, budget - 2))
        name, version = names.pair()
        dangling.append(
            StaleBuiltWheel(rng.choice(plan.indexes), ids.archive(), spec(name, version, n))
        )
        budget -= n + 2
    if budget < t["stale_buckets"] - t["stale_buckets"] // 2:
        plan.prune.append(STALE_BUILT_WHEELS)

    temp_top = _tmp_name(rng)
    temp_build = f"{BUILDS}/{_tmp_name(rng)}"
    half = max(4, t["temp"] // 2)
    name, version = names.pair()
    dangling.append(TempDir(temp_top, spec(name, version, half)))
    name, version = names.pair()
    dangling.append(TempDir(temp_build, spec(name, version, max(4, half - 30)), venv=True))
    plan.prune.extend([temp_top, temp_build])

    # Cached environments: one large one, and small tool environments.
    envs: list[tuple[int, bool]] = [(t["big_env"], True)]
    budget = t["small_envs"]
    while budget > 0:
        n = min(rng.randint(40, 2000), budget)
        envs.append((n, False))
        budget -= n
    live_sources = [(e.archive_id, e.wheel) for e in live_wheels]
    for size, big in envs:
        key, digest, venv = ids.hex(), ids.hex(), ids.archive()
        plan.phase1.append(EnvSkeleton(key, digest, venv, rng.getrandbits(63)))
        plan.prune.extend([f"{ENVIRONMENTS}/{key}", f"{ARCHIVE}/{venv}"])
        remaining = size - 20
        taken: set[str] = set()
        while remaining > 0:
            package: WheelSpec | None = None
            linked: str | None = None
            if live_sources and rng.random() < 0.5:
                aid, candidate = rng.choice(live_sources)
                if candidate.name not in taken and candidate.nfiles + 4 <= remaining + 20:
                    package, linked = candidate, aid
            if package is None:
                n = min(_archive_size(rng, big), max(4, remaining - 4))
                nm, version = names.pair()
                if nm in taken:
                    nm, version = names.pair(names.fresh_name())
                package = spec(nm, version, n)
            if package.name in taken:
                continue
            taken.add(package.name)
            script = rng.random() < 0.2
            plan.phase2.append(EnvPackage(venv, package, linked, script))
            remaining -= package.nfiles + 4 + int(script)

    for pkg in sorted({e.wheel.name for e in live_wheels} | {e.wheel.name for e in sdists}):
        plan.simple.append((rng.choice(plan.indexes), pkg, _loguniform(rng, 1000, 200_000)))

    plan.phase1 = [*live_wheels, *sdists, *dangling, *plan.phase1]
    plan.prune.sort()
    return plan


def _unit_weight(unit: Unit) -> int:
    if isinstance(unit, SdistEntry):
        return unit.wheel.nfiles + unit.source.nfiles + sum(2 * s.source.nfiles for s in unit.stale)
    if isinstance(unit, EnvSkeleton):
        return 20
    return unit.wheel.nfiles


def _batches(units: Sequence[Unit], target: int) -> Iterator[list[Unit]]:
    """Units grouped into batches of about `target` files, heaviest first."""
    batch: list[Unit] = []
    weight = 0
    for unit in sorted(units, key=_unit_weight, reverse=True):
        batch.append(unit)
        weight += _unit_weight(unit)
        if weight >= target:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def _write_top(w: Writer, plan: Plan, content_seed: int) -> None:
    """The root markers, the current buckets and the small live entries."""
    rng = random.Random(content_seed ^ 0x70)
    w.data("", CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE.encode(), False)
    w.data("", ".gitignore", b"*", False)
    w.data("", LOCK_FILE, b"", False)
    for bucket in (ARCHIVE, BUILDS, ENVIRONMENTS, INTERPRETER, SDISTS, SIMPLE, WHEELS):
        w.mkdirs(bucket, False)
    w.data(SDISTS, ".gitignore", b"", False)
    w.data(SDISTS, ".git", b"", False)
    for index, name, size in plan.simple:
        w.mkdirs(f"{SIMPLE}/{SHARD_INDEX}/{index}", False)
        w.file(
            f"{SIMPLE}/{SHARD_INDEX}/{index}",
            (f"{name}.rkyv", size, _offset(rng, size), None),
            False,
        )
    shard = f"{INTERPRETER}/{_hex16(rng)}"
    w.mkdirs(shard, False)
    for _ in range(2):
        w.file(shard, _blob(rng, f"{_hex16(rng)}.msgpack", (2000, 8000)), False)


def generate(dest: Path, files: int, seed: int, jobs: int) -> dict[str, Any]:
    """Write the cache at `dest` and return its manifest (also written beside it)."""
    started = time.perf_counter()
    plan = make_plan(files, seed)
    dest.mkdir(parents=True)
    root = str(dest)
    top = Writer(root, make_content(seed))
    _write_top(top, plan, seed)
    totals = [top.counts()]
    target = max(200, files // (jobs * 40))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(root, seed)) as pool:
        for phase in (plan.phase1, plan.phase2):
            totals.extend(pool.imap_unordered(_run_batch, _batches(phase, target)))
    total = Counts(*(sum(c[i] for c in totals) for i in range(6)))
    elapsed = time.perf_counter() - started
    manifest: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "files_requested": files,
        "seed": seed,
        "cache": os.path.abspath(root),
        "prune_removes": plan.prune,
        "files": total.files + total.garbage_files,
        "dirs": total.dirs + total.garbage_dirs,
        "bytes": total.bytes + total.garbage_bytes,
        "garbage_files": total.garbage_files,
        "garbage_dirs": total.garbage_dirs,
        "garbage_bytes": total.garbage_bytes,
        "live_files": total.files,
        "targets": plan.targets,
        "generation_seconds": round(elapsed, 3),
    }
    manifest_path(dest).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def manifest_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".manifest.json")


# ---------------------------------------------------------------------------------------------
# A cache of many versions, for size-budget eviction
# ---------------------------------------------------------------------------------------------

VERSIONS_LAYOUT = "versions"
VERSIONS_SPAN_S = 365 * 86_400  # creation times spread over a year, last uses up to half after


@dataclass(frozen=True)
class VersionTimes:
    """When a version was written (its link, `.rev` and `.lock`) and last used (`.rev` atime)."""

    entry: WheelEntry
    created_ns: int
    used_ns: int

    @property
    def link(self) -> str:
        u = self.entry
        return f"{WHEELS}/{SHARD_INDEX}/{u.index}/{u.wheel.name}/{u.wheel.version}-{TAG}"


def make_versions_plan(packages: int, versions: int, seed: int) -> tuple[Plan, list[VersionTimes]]:
    """`versions` small wheel versions spread over `packages` packages, with distinct times."""
    rng = random.Random(seed ^ 0x7E5)
    ids = _Ids(rng)
    packages = max(1, min(packages, versions))
    names = _Names(rng, packages)
    plan = Plan(files=0, seed=seed, indexes=[ids.hex()])
    base_ns = (1_700_000_000 + rng.randrange(0, 30_000_000)) * 10**9
    used: set[int] = set()
    out: list[VersionTimes] = []
    for name, count in zip(names.pool, _split(rng, versions, packages), strict=True):
        for _ in range(count):
            _, version = names.pair(name)
            created = base_ns + rng.randrange(0, VERSIONS_SPAN_S * 10**9)
            last = created + rng.randrange(1, VERSIONS_SPAN_S * 10**9 // 2)
            while last in used:
                last += 1
            used.add(last)
            wheel = WheelSpec(name, version, rng.randint(4, 10), rng.getrandbits(63))
            entry = WheelEntry(plan.indexes[0], ids.archive(), wheel, divmod(created, 10**9))
            out.append(VersionTimes(entry, created, last))
        plan.simple.append((plan.indexes[0], name, _loguniform(rng, 1000, 200_000)))
    plan.phase1 = [v.entry for v in out]
    return plan, out


def apply_times(root: Path, versions: Iterable[dict[str, Any]]) -> None:
    """Set the times of every version's link, `.rev` and `.lock` as the manifest records them.

    A copy keeps them (`cp -a`), but reading the pristine cache to copy it moves its access times,
    and a version's last use is the newest of them: the runner calls this on every copy.
    """
    for v in versions:
        link = os.path.join(root, v["link"])
        created, last = v["created_ns"], v["used_ns"]
        os.utime(f"{link}.rev", ns=(last, created))
        os.utime(f"{link}.lock", ns=(created, created))
        os.utime(link, ns=(created, created), follow_symlinks=False)


def disk_usage(path: Path | str) -> int:
    """Bytes allocated to the files (not directories) of a tree, each inode once, as janitor's
    `--max-size` counts the cache."""
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [str(path)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=False)
                if st.st_nlink > 1:
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def generate_versions(
    dest: Path, packages: int, versions: int, seed: int, jobs: int
) -> dict[str, Any]:
    """Write a clean cache of many small versions at `dest`; return its manifest."""
    started = time.perf_counter()
    plan, times = make_versions_plan(packages, versions, seed)
    dest.mkdir(parents=True)
    root = str(dest)
    top = Writer(root, make_content(seed))
    _write_top(top, plan, seed)
    totals = [top.counts()]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(root, seed)) as pool:
        totals.extend(pool.imap_unordered(_run_batch, _batches(plan.phase1, 2000)))
    total = Counts(*(sum(c[i] for c in totals) for i in range(6)))
    listed: list[dict[str, Any]] = []
    for v in times:
        u = v.entry
        listed.append(
            {
                "link": v.link,
                "archive": u.archive_id,
                "package": u.wheel.name,
                "version": u.wheel.version,
                "created_ns": v.created_ns,
                "used_ns": v.used_ns,
                # What evicting the version frees: its archive and its pointer files.
                "disk": disk_usage(dest / ARCHIVE / u.archive_id)
                + sum(
                    os.lstat(f"{dest / v.link}{ext}").st_blocks * 512 for ext in (".rev", ".lock")
                ),
            }
        )
    apply_times(dest, listed)
    manifest: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "layout": VERSIONS_LAYOUT,
        "packages": len(plan.simple),
        "versions": len(times),
        "seed": seed,
        "cache": os.path.abspath(root),
        "files": total.files,
        "dirs": total.dirs,
        "bytes": total.bytes,
        "disk_bytes": disk_usage(dest),
        "generation_seconds": round(time.perf_counter() - started, 3),
        "entries": listed,
    }
    manifest_path(dest).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


# ---------------------------------------------------------------------------------------------
# Verification against the real uv
# ---------------------------------------------------------------------------------------------

_REMOVING = re.compile(r"Removing [a-z ]+: (?P<path>.+)$")
_REMOVED = re.compile(r"Removed (?P<n>[0-9]+) files?")


def listing(root: Path) -> set[str]:
    """Every entry under `root` as `type path [-> target]`, symlinks not followed."""
    out: set[str] = set()
    base = len(str(root)) + 1
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                rel = entry.path[base:]
                if entry.is_symlink():
                    out.add(f"l {rel} -> {os.readlink(entry.path)}")
                elif entry.is_dir(follow_symlinks=False):
                    out.add(f"d {rel}")
                    stack.append(entry.path)
                else:
                    out.add(f"f {rel}")
    return out


def expected_after_prune(pristine: set[str], removed: Iterable[str]) -> set[str]:
    gone = tuple(removed)
    prefixes = tuple(f"{p}/" for p in gone)
    keep: set[str] = set()
    for line in pristine:
        rel = line[2:].split(" -> ", 1)[0]
        if rel in gone or rel.startswith(prefixes):
            continue
        keep.add(line)
    return keep


def find_uv() -> str:
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.exists() else (shutil.which("uv") or "uv")


def verify(dest: Path, manifest: dict[str, Any], uv: str) -> list[str]:
    """Run `uv cache prune -v` on a copy of `dest`; return the differences from the manifest."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gencache-verify-", dir=dest.parent) as tmp:
        copy = Path(tmp) / "cache"
        subprocess.run(["cp", "-a", str(dest), str(copy)], check=True)
        before = listing(copy)
        proc = subprocess.run(
            [uv, "cache", "prune", "--cache-dir", str(copy), "--force", "-v"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return [f"uv cache prune failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"]
        logged: set[str] = set()
        removed_files: int | None = None
        for line in (proc.stderr + proc.stdout).splitlines():
            if (m := _REMOVING.search(line)) is not None:
                logged.add(os.path.relpath(m["path"], copy))
            elif (m := _REMOVED.search(line)) is not None:
                removed_files = int(m["n"])
        wanted = set(manifest["prune_removes"])
        problems.extend(f"uv removed, not in manifest: {p}" for p in sorted(logged - wanted))
        problems.extend(f"in manifest, uv kept: {p}" for p in sorted(wanted - logged))
        if removed_files != manifest["garbage_files"]:
            problems.append(
                f"uv reports {removed_files} files removed, manifest {manifest['garbage_files']}"
            )
        after = listing(copy)
        expected = expected_after_prune(before, wanted)
        problems.extend(f"left by uv, not expected: {x}" for x in sorted(after - expected)[:20])
        problems.extend(f"expected, not left by uv: {x}" for x in sorted(expected - after)[:20])
        if len(before) != manifest["files"] + manifest["dirs"]:
            problems.append(
                f"cache holds {len(before)} entries, manifest counts "
                f"{manifest['files'] + manifest['dirs']}"
            )
    return problems


def verify_versions(dest: Path, manifest: dict[str, Any], uv: str) -> list[str]:
    """Run `uv cache prune -v` on a copy of a versions cache: it must find nothing to remove."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gencache-verify-", dir=dest.parent) as tmp:
        copy = Path(tmp) / "cache"
        subprocess.run(["cp", "-a", str(dest), str(copy)], check=True)
        before = listing(copy)
        missing = [v["link"] for v in manifest["entries"] if f"f {v['link']}.rev" not in before]
        problems.extend(f"manifest version missing from the cache: {p}" for p in missing[:20])
        proc = subprocess.run(
            [uv, "cache", "prune", "--cache-dir", str(copy), "--force", "-v"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return [f"uv cache prune failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"]
        lines = (proc.stderr + proc.stdout).splitlines()
        removed = [m["path"] for line in lines if (m := _REMOVING.search(line)) is not None]
        problems.extend(f"uv removed: {os.path.relpath(p, copy)}" for p in removed)
        after = listing(copy)
        problems.extend(f"gone after uv cache prune: {x}" for x in sorted(before - after)[:20])
        if len(before) != manifest["files"] + manifest["dirs"]:
            problems.append(
                f"cache holds {len(before)} entries, manifest counts "
                f"{manifest['files'] + manifest['dirs']}"
            )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic uv cache.")
    parser.add_argument("dest", type=Path, help="directory to create (must not exist)")
    parser.add_argument("--files", type=int, default=10_000, help="about how many files")
    parser.add_argument(
        "--versions",
        type=int,
        default=None,
        help="instead: a clean cache of this many small package versions (for --max-size)",
    )
    parser.add_argument(
        "--packages", type=int, default=None, help="with --versions: how many packages (1/10)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=min(4, (os.cpu_count() or 1) + 1))
    parser.add_argument("--force", action="store_true", help="replace DEST if it exists")
    parser.add_argument(
        "--verify", action="store_true", help="check the manifest against `uv cache prune -v`"
    )
    parser.add_argument("--uv", default=None, help="uv binary for --verify")
    args = parser.parse_args(argv)
    dest: Path = args.dest.absolute()
    if args.versions is None and args.files < 1000:
        parser.error("--files must be at least 1000")
    if args.versions is not None and args.versions < 1:
        parser.error("--versions must be at least 1")
    if dest.exists() or dest.is_symlink():
        if not args.force:
            parser.error(f"{dest} exists (use --force to replace it)")
        shutil.rmtree(dest)
    if args.versions is not None:
        packages = args.packages or max(1, args.versions // 10)
        manifest = generate_versions(dest, packages, args.versions, args.seed, max(1, args.jobs))
        secs = manifest["generation_seconds"]
        print(
            f"{dest}: {manifest['versions']} versions of {manifest['packages']} packages, "
            f"{manifest['files']} files, {manifest['dirs']} dirs, "
            f"{manifest['disk_bytes'] / 2**20:.1f} MiB on disk in {secs:.1f} s"
        )
        if args.verify:
            problems = verify_versions(dest, manifest, args.uv or find_uv())
            for problem in problems:
                print(f"verify: {problem}", file=sys.stderr)
            if problems:
                return 1
            print("verify: uv cache prune finds nothing to remove")
        return 0
    manifest = generate(dest, args.files, args.seed, max(1, args.jobs))
    secs = manifest["generation_seconds"]
    rss_self = _maxrss_mib("self")
    rss_children = _maxrss_mib("children")
    print(
        f"{dest}: {manifest['files']} files, {manifest['dirs']} dirs, "
        f"{manifest['bytes'] / 2**20:.0f} MiB in {secs:.1f} s "
        f"({manifest['files'] / secs:,.0f} files/s); garbage {manifest['garbage_files']} files "
        f"in {len(manifest['prune_removes'])} trees; peak RSS {rss_self:.0f} MiB (main), "
        f"{rss_children:.0f} MiB (largest worker)"
    )
    if args.verify:
        problems = verify(dest, manifest, args.uv or find_uv())
        for problem in problems:
            print(f"verify: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("verify: uv cache prune removes exactly the manifest's paths")
    return 0


def _maxrss_mib(who: str) -> float:
    import resource

    which = resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN
    return resource.getrusage(which).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
