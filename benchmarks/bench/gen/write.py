"""What each planned unit writes into the cache, and the pool workers that write batches of them."""

from __future__ import annotations

import json
import random

import msgpack

from bench.gen.files import Writer, make_content
from bench.gen.layout import (
    ARCHIVE,
    ENVIRONMENTS,
    PYTHON,
    REVISION_REV,
    SDISTS,
    STALE_BUILT_WHEELS,
    STALE_WHEELS,
    TAG,
    WHEELS,
)
from bench.gen.rand import blob, offset
from bench.gen.shapes import WheelSpec, record_bytes, source_tree, wheel_tree
from bench.gen.units import (
    Counts,
    DanglingArchive,
    EnvPackage,
    EnvSkeleton,
    SdistEntry,
    StaleBuiltWheel,
    TempDir,
    Unit,
    WheelEntry,
)
from janitor.uv.layout import (
    CACHEDIR_TAG,
    CACHEDIR_TAG_SIGNATURE,
    LOCK_FILE,
    SDIST_METADATA,
    SHARD_INDEX,
    SHARD_PYPI,
    SOURCE_DIR,
)


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
    w.file(rel, blob(rng, f"{stem}.whl", (4 * 1024, 2 * 1024 * 1024)), garbage)
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
    w.file(rel, blob(rng, f"{u.wheel.wheel_stem}.whl", (4 * 1024, 1024 * 1024)), True)
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
        w.file(f"{rel}/bin", (name, size, offset(rng, size), None), True)
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
    w.data(dist, "RECORD", record_bytes(rng, tree, record), True)
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


def init_worker(root: str, seed: int) -> None:
    _WORKER["w"] = Writer(root, make_content(seed))


def run_batch(units: list[Unit]) -> Counts:
    w = _WORKER["w"]
    w.files, w.dirs, w.bytes = [0, 0], [0, 0], [0, 0]
    for unit in units:
        write_unit(w, unit)
    return w.counts()
