"""The generated table of uv releases and the extractor that reads bucket names out of uv."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import uv

import janitor
from janitor.uv import releases
from janitor.uv.binary import bucket_names
from janitor.uv.releases import buckets_of, newest_release, version_key
from tests.uvfactory import NO_DIFFERENCE, UV_BIN, UvCache, copy_cache, tree_difference
from tools import uv_releases

ALWAYS = {"archive-v0", "builds-v0", "environments-v2", "binaries-v0"}

# Rows read from real release binaries before the table existed (see DESIGN.md).
ROWS: dict[str, dict[str, int]] = {
    "0.8.24": dict(wheels=5, sdists=9, simple=18, flat_index=2, git=0, interpreter=4, python=0),
    "0.10.12": dict(wheels=6, sdists=9, simple=20, flat_index=2, git=0, interpreter=4, python=0),
    "0.11.33": dict(
        wheels=6, sdists=9, simple=24, flat_index=4, git=0, interpreter=4, python=0, osv=0
    ),
    "0.12.24": dict(
        wheels=6, sdists=9, simple=25, flat_index=5, git=1, interpreter=4, python=0, osv=0
    ),
    "0.13.0": dict(
        wheels=7, sdists=10, simple=26, flat_index=6, git=1, interpreter=4, python=1, osv=1
    ),
    "0.13.9": dict(
        wheels=8, sdists=11, simple=28, flat_index=7, git=2, interpreter=5, python=1, osv=1
    ),
}

CURRENT_CHAIN = (
    b"wheels-v8sdists-v11flat-index-v7git-v2interpreter-v5simple-v28archive-v0files-v0builds-v0"
    b"environments-v2python-v1binaries-v0osv-v1"
)


def names(text: str) -> tuple[str, ...]:
    """Space-separated bucket names, sorted."""
    return tuple(sorted(text.split()))


CURRENT = names(
    "wheels-v8 sdists-v11 flat-index-v7 git-v2 interpreter-v5 simple-v28 archive-v0 files-v0 "
    "builds-v0 environments-v2 python-v1 binaries-v0 osv-v1"
)
KINDS = frozenset(name.rsplit("-v", 1)[0] for name in CURRENT)


def write(tmp_path: Path, *parts: bytes, size: int = 1 << 20) -> Path:
    """A fake executable: filler bytes, then the parts at evenly spread offsets."""
    blob = bytearray(b"\x00\x01\x02 some text \xff" * (size // 16))
    step = len(blob) // (len(parts) + 1)
    for n, part in enumerate(parts, start=1):
        blob[n * step : n * step + len(part)] = part
    path = tmp_path / "uv"
    path.write_bytes(bytes(blob))
    return path


# (a) The installed uv.


def test_installed_uv_matches_its_row() -> None:
    version = importlib.metadata.version("uv")
    expected = buckets_of(version)
    assert expected is not None, f"uv {version} is not in the table: regenerate it"
    assert bucket_names(uv.find_uv_bin(), releases.current_kinds()) == expected


def test_the_test_uv_is_pinned_to_the_newest_release_in_the_table() -> None:
    """The `test` extra pins the uv that writes the test caches to the table's newest release:
    a new uv on the index is added with `nox -s uv-releases -- --from X.Y.Z` and the pin moved
    with it, instead of reaching CI unannounced."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    project = Path(__file__).resolve().parent.parent / "pyproject.toml"
    extras = tomllib.loads(project.read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pins = [re.fullmatch(r"uv==(\S+)", spec) for spec in extras["test"]]
    assert [pin.group(1) for pin in pins if pin] == [newest_release()]


def test_a_uv_newer_than_the_table_is_followed_by_reading_its_binary(
    uv_cache: UvCache, tmp_path: Path
) -> None:
    """janitor as it was before the installed uv came out (its table one release short) sweeps a
    cache that uv wrote, holding the previous release's interpreter bucket: it reads the bucket
    names out of the binary, says so, and leaves the tree uv's own `uv cache prune` leaves.
    (uv 0.13.10 moved interpreter-v5 to interpreter-v6: following the table's newest instead
    would keep both.)"""
    installed = importlib.metadata.version("uv")
    assert installed == newest_release()
    previous_names = releases.RELEASES[-2][1]
    [previous] = [name for name in previous_names if name.startswith("interpreter-v")]
    [current] = [name for name in buckets_of(installed) or () if name.startswith("interpreter-v")]
    assert previous != current, "the newest release no longer changes the interpreter bucket"
    shutil.copytree(uv_cache.path(current), uv_cache.path(previous))
    twin = dataclasses.replace(uv_cache, root=tmp_path / "twin")
    copy_cache(uv_cache.root, twin.root)

    older = tmp_path / "older"
    shutil.copytree(
        Path(janitor.__file__).parent,
        older / "janitor",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    table = uv_releases.render(releases.RELEASES[:-1], releases.SKIPPED)
    (older / "janitor" / "uv" / "releases_table.py").write_text(table, encoding="utf-8")
    swept = subprocess.run(
        [
            *(sys.executable, "-c", "from janitor.entry import main; main()", "sweep", "-v"),
            *("--cache-dir", str(uv_cache.root), "--uv", str(UV_BIN)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # Not the repo: `-c` puts the working directory first on the path.
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(older)},
    )
    assert swept.returncode == 0, swept.stderr
    assert (
        f"uv {installed} is not in janitor's table: its bucket names were read from {UV_BIN}"
        in swept.stderr
    ), swept.stderr
    twin.run("cache", "prune")
    assert not uv_cache.path(previous).exists()
    assert uv_cache.path(current).is_dir()
    assert tree_difference(uv_cache.root, twin.root) == NO_DIFFERENCE


# (b) The table against rows read earlier, and the buckets every release shares.


@pytest.mark.parametrize("version", list(ROWS))
def test_table_agrees_with_known_rows(version: str) -> None:
    names = buckets_of(version)
    assert names is not None
    expected = {f"{kind.replace('_', '-')}-v{n}" for kind, n in ROWS[version].items()}
    assert expected | ALWAYS <= set(names)
    # Nothing else but the content-addressed files bucket.
    assert set(names) - expected - ALWAYS <= {"files-v0"}
    if "osv" not in ROWS[version]:
        assert not any(name.startswith("osv-") for name in names)


def test_files_bucket_from_0_12_8() -> None:
    # The `content-addressed-cache` preview flag exists in 0.12.7, but the `files-v0` literal
    # first appears in 0.12.8's binaries.
    for version, names in releases.RELEASES:
        has_files = "files-v0" in names
        assert has_files == (version_key(version) >= (0, 12, 8)), version


def test_table_is_sorted_unique_and_well_formed() -> None:
    versions = [v for v, _ in releases.RELEASES]
    assert versions == sorted(versions, key=version_key)
    assert len(set(versions)) == len(versions)
    assert version_key(versions[0]) <= (0, 1, 0)
    assert version_key(newest_release()) >= (0, 13, 9)
    for version, names in releases.RELEASES:
        assert list(names) == sorted(set(names)), version
        assert "archive-v0" in names, version
        assert len(names) >= 7, version
    assert buckets_of("0.13.9") is not None
    assert buckets_of("9.9.9") is None
    assert buckets_of("not a version") is None


def test_kinds() -> None:
    assert "built-wheels" in releases.all_kinds()
    assert "built-wheels" not in releases.current_kinds()
    assert {"wheels", "sdists", "archive", "files"} <= releases.current_kinds()


# (c) The extractor on files that are not uv, and on synthetic ones.


def test_not_uv() -> None:
    assert bucket_names(sys.executable, releases.all_kinds()) is None


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert bucket_names(path, KINDS) is None


def test_glued_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, b"struct ResolutionMetadata with 6 elements" + CURRENT_CHAIN + b"Failed")
    assert bucket_names(path, KINDS) == CURRENT
    # Without a vocabulary the glued `elementswheels` cannot be split: no answer, not a guess.
    assert bucket_names(path) is None
    # A vocabulary without the first kind: no answer either.
    assert bucket_names(path, KINDS - {"wheels"}) is None


def test_clean_start_needs_no_vocabulary(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x00\x00" + CURRENT_CHAIN + b"\x19failed to parse")
    assert bucket_names(path) == CURRENT


def test_glued_lowercase_tail(tmp_path: Path) -> None:
    path = write(tmp_path, b"causes a deadlock" + CURRENT_CHAIN + b"event crates")
    assert bucket_names(path, KINDS) == CURRENT


def test_hyphenated_prefix_is_not_split(tmp_path: Path) -> None:
    # `built-wheels-v3` must not be read as `wheels-v3` when only `wheels` is known.
    chain = b"built-wheels-v3flat-index-v0git-v0interpreter-v2simple-v12archive-v0wheels-v1"
    path = write(tmp_path, b"a text" + chain + b"Next")
    assert bucket_names(path, {"wheels"}) is None
    assert bucket_names(path, {"built-wheels"}) == (
        "archive-v0",
        "built-wheels-v3",
        "flat-index-v0",
        "git-v0",
        "interpreter-v2",
        "simple-v12",
        "wheels-v1",
    )


def test_chain_across_chunk_boundary(tmp_path: Path) -> None:
    blob = bytearray(b"\x00" * (9 << 20))
    for offset in ((4 << 20) - 60, (8 << 20) - 3):
        blob[:] = b"\x00" * len(blob)
        blob[offset : offset + len(CURRENT_CHAIN)] = CURRENT_CHAIN
        path = tmp_path / "uv"
        path.write_bytes(bytes(blob))
        assert bucket_names(path) == CURRENT, offset


def test_no_archive_no_answer(tmp_path: Path) -> None:
    chain = CURRENT_CHAIN.replace(b"archive-v0", b"")
    assert bucket_names(write(tmp_path, b"\x00" + chain + b"\x00"), KINDS) is None


def test_unrelated_versioned_strings_are_ignored(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"\x00reqsign-aws-v4\x00",
        b"\x00id-smime-mod-msg-v3\x00pypy3.10-v7\x00",
        b"\x00" + CURRENT_CHAIN + b"\x00",
    )
    assert bucket_names(path, KINDS) == CURRENT


def test_pooled_literal_is_added_when_known(tmp_path: Path) -> None:
    # An 8-byte literal can sit in a pool of 8-byte constants, away from the chain.
    chain = CURRENT_CHAIN.replace(b"files-v0", b"")
    pool = b"blessingfiles-v0REGISTRYUV_INDEX"
    blob = bytearray(b"\x00" * (1 << 20))
    blob[4096 : 4096 + len(pool)] = pool  # files-v0 at offset 4104, a multiple of 8
    blob[8001 : 8001 + len(chain)] = chain
    path = tmp_path / "uv"
    path.write_bytes(bytes(blob))
    assert bucket_names(path, KINDS) == CURRENT
    # Not aligned to its size: not a pool entry.
    blob[4096 : 4096 + len(pool)] = b"\x00" * len(pool)
    blob[4097 : 4097 + len(pool)] = pool
    path.write_bytes(bytes(blob))
    assert bucket_names(path, KINDS) == tuple(n for n in CURRENT if n != "files-v0")
    # Not a known kind: ignored.
    assert bucket_names(path, KINDS - {"files"}) == tuple(n for n in CURRENT if n != "files-v0")


def test_windows_migration_list(tmp_path: Path) -> None:
    # Windows builds also hold the bucket list of uv 0.3.0 (a cache migration); identical
    # literals are shared, so archive-v0 and builds-v0 may sit only in that older list.
    current = b"wheels-v6sdists-v9flat-index-v4git-v0interpreter-v4simple-v24files-v0"
    current += b"environments-v2python-v0binaries-v0osv-v0"
    old = b"built-wheels-v3flat-index-v0git-v0interpreter-v2simple-v12wheels-v1archive-v0builds-v0"
    old += b"environments-v1"
    path = write(tmp_path, b"\x00" + current + b"\x19", b"\x00" + old + b"\x1a")
    expected = names(
        "wheels-v6 sdists-v9 flat-index-v4 git-v0 interpreter-v4 simple-v24 files-v0 "
        "environments-v2 python-v0 binaries-v0 osv-v0 archive-v0 builds-v0"
    )
    assert bucket_names(path, KINDS) == expected
    # Without a vocabulary, built-wheels-v3 cannot be told from a current bucket.
    assert bucket_names(path) is None


def test_ragged_chain_is_doubt(tmp_path: Path) -> None:
    # A versioned string glued after the chain that does not start where the last token ends.
    path = write(tmp_path, b"\x00" + CURRENT_CHAIN + b"-x-v1\x00")
    assert bucket_names(path, KINDS) is None


# (d) Versions compare as numbers.


def test_versions_compare_numerically() -> None:
    assert version_key("0.10.0") > version_key("0.9.30")
    assert version_key("0.13.10") > version_key("0.13.9")
    assert sorted(["0.10.12", "0.9.3", "0.13.0", "0.2.37"], key=version_key) == [
        "0.2.37",
        "0.9.3",
        "0.10.12",
        "0.13.0",
    ]
    with pytest.raises(ValueError):
        version_key("0.1.0a1")
