"""janitor against a matrix of real uv releases, each on a genuine cache it wrote itself.

For every release: a plain sweep and `--ci` leave the tree that release's own `uv cache prune`
(`--ci`) leaves; after `--package X` its prune finds nothing of X; what was not swept still
installs offline; a dry run plans what the sweep removes; `janitor report` counts what
`uv cache size` counts. Then a cache two releases wrote, a machine without any uv, the
content-addressed preview, and `janitor dir` against `uv cache dir`. Each release's cache is built
once per session and copied (relocated: old releases link with absolute paths) for every test.
The comparisons with uv's own commands also run on FOUND: the test dependency's uv, which janitor
finds by itself, on the suite's pristine cache as it comes.

The only differences from uv allowed are janitor's by design: it never removes the root `.lock`
(uv up to 0.8.18 prunes it; janitor's own lock creates it), and it never removes a bucket it does
not know, nor the archives only such a bucket links to.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import site
import stat
import subprocess
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import msgpack
import pytest

from janitor.uv.follow import buckets_by_kind
from janitor.uv.layout import ARCHIVE_ID_RE, Kind, normalize, parse_bucket
from tests.clirun import du, janitor_json, sweep
from tests.uvfactory import (
    CONTENT_ADDRESSED,
    NO_DIFFERENCE,
    PYTHON,
    TEST_UV,
    UvCache,
    add_hand_made_entry,
    build_cache,
    clone_cache,
    install_scenario,
    release_of,
    snapshot,
    tree_difference,
    under_any,
)
from tests.uvreleases import PROJECT_ROOT, ReleaseUnavailable, fetch_all

# Releases from 0.5 to the test dependency's, each with its own bucket names, link form (absolute
# up to 0.11.16), archive ids (21 characters up to 0.11.8) and pointer formats.
MATRIX = ("0.5.31", "0.6.17", "0.8.24", "0.10.12", "0.11.33", "0.12.24", "0.13.0", "0.13.9")
# `uv cache size` exists from 0.9.
SIZED = tuple(v for v in MATRIX if tuple(map(int, v.split("."))) >= (0, 9, 0))
# A cache written by the first, then the second.
MIXED = ("0.12.24", "0.13.9")
# The content-addressed preview is measured on this release.
CONTENT_ADDRESSED_RELEASE = "0.13.9"
# A wheel package in two venvs, one in a venv and the tool environment, the built sdist, the
# package only the tool environment holds, and one whose old archive dangles.
PACKAGES = ("alpha", "beta", "gamma", "delta", "epsilon")
# One more input for the comparisons with uv's own commands: the test dependency's uv, which
# janitor finds by itself (no `--uv`), on the session's pristine cache, as it comes (none of the
# matrix's untidy extras but, where said, a build's leftovers).
FOUND = "found"
WITH_FOUND = (*MATRIX, FOUND)
# Names `--package` takes there: as written or not normalised, and the hand-made pypi entry's.
FOUND_PACKAGES = ("alpha", "BETA", "gamma", "epsilon", "zeta", "delta")
LOCK = ".lock"
NO_UV_NOTE = "no uv found"


class Builds:
    """The session's releases and the caches they wrote, each made once."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._binaries: dict[str, Path] | None = None
        self._error: str | None = None
        self._caches: dict[tuple[str, str | None], UvCache] = {}

    def binary(self, version: str) -> Path:
        """A release's binary; the test fails (never skips) when a release cannot be fetched."""
        if self._binaries is None and self._error is None:
            try:
                self._binaries = fetch_all(list(dict.fromkeys((*MATRIX, *MIXED))))
            except ReleaseUnavailable as error:
                self._error = str(error)
        if self._error is not None:
            pytest.fail(self._error, pytrace=False)
        assert self._binaries is not None
        return self._binaries[version]

    def cache(self, version: str, preview: str | None = None) -> UvCache:
        """The scenario cache `version` wrote (with `preview` features)."""
        key = (version, preview)
        if key not in self._caches:
            workdir = self._factory.mktemp(f"uv-{version}{'-preview' if preview else ''}")
            self._caches[key] = build_cache(workdir, self.binary(version), preview=preview)
        return self._caches[key]

    def mixed(self) -> UvCache:
        """The scenario written by MIXED[0], then installed again by MIXED[1] into new venvs.

        The description is the first release's; the venvs of both come along in copies.
        """
        key = ("+".join(MIXED), None)
        if key not in self._caches:
            older, newer = MIXED
            workdir = self._factory.mktemp("uv-mixed")
            cache = build_cache(workdir, self.binary(older))
            venvs = (workdir / "venv-newer-1", workdir / "venv-newer-2")
            install_scenario(cache.root, cache.find_links, venvs, release_of(self.binary(newer)))
            self._caches[key] = dataclasses.replace(cache, venvs=(*cache.venvs, *venvs))
        return self._caches[key]


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory, session_environ: dict[str, str]) -> Builds:
    """Releases and their caches, made under the session's guarded environment."""
    assert "UV_CACHE_DIR" not in session_environ
    return Builds(tmp_path_factory)


@pytest.fixture(scope="session", params=MATRIX)
def built(request: pytest.FixtureRequest, builds: Builds) -> UvCache:
    """The pristine cache of one release of the matrix (or FOUND's): never modify it, use
    `cache`."""
    version: str = request.param
    if version == FOUND:
        pristine: UvCache = request.getfixturevalue("pristine_cache")
        return pristine
    return builds.cache(version)


@pytest.fixture
def cache(built: UvCache, tmp_path: Path) -> UvCache:
    """A relocated private copy of the release's cache."""
    return clone_cache(built, tmp_path / "mine")


@pytest.fixture(scope="session")
def mixed_built(builds: Builds) -> UvCache:
    """The pristine cache two releases wrote."""
    return builds.mixed()


@pytest.fixture(scope="session")
def content_addressed_built(builds: Builds) -> UvCache:
    """The pristine cache the content-addressed preview wrote."""
    return builds.cache(CONTENT_ADDRESSED_RELEASE, CONTENT_ADDRESSED)


# ----- running janitor and uv -----


@functools.cache
def _prune_has_force(binary: Path) -> bool:
    # `--force` came between 0.8.20 and 0.8.24; the releases before it never wait for a lock.
    done = subprocess.run(
        [str(binary), "cache", "prune", "--help"], capture_output=True, text=True, check=True
    )
    return "--force" in done.stdout


def uv_prune(cache: UvCache, *args: str) -> str:
    """The cache's own uv's `uv cache prune -v ARGS`; its log."""
    force = ("--force",) if _prune_has_force(cache.uv.path) else ()
    return cache.run("cache", "prune", *force, "-v", *args).stderr


def removed_paths(document: dict[str, Any]) -> set[str]:
    """The paths a sweep document lists as removed."""
    return {entry["path"] for entry in document["removals"]}


def archive_path(cache: UvCache, archive_id: str) -> str:
    """An archive's path relative to the root."""
    return f"{cache.buckets[Kind.ARCHIVE]}/{archive_id}"


def found(cache: UvCache) -> bool:
    """Whether the cache is FOUND's: written by the uv janitor finds by itself."""
    return cache.uv == TEST_UV


def add_build_leftovers(cache: UvCache) -> tuple[str, ...]:
    """What a build leaves: a temporary build environment (with a link out of the cache) and a
    stray file. Janitor keeps none of it: returns no tree."""
    builds = cache.root / cache.buckets[Kind.BUILDS]
    (builds / ".tmpBuildEnv" / "bin").mkdir(parents=True)
    (builds / ".tmpBuildEnv" / "bin" / "python").symlink_to(PYTHON)
    (builds / "stray-file").write_text("x")
    return ()


def add_untidy_extras(cache: UvCache, *, on_found: bool = False) -> tuple[str, ...]:
    """What uv and janitor treat differently by design, and what a build leaves: a temporary
    build environment, a bucket of an unknown kind, a bucket of a newer wheels version linking
    to an archive of its own. Returns the trees janitor keeps and uv removes.

    FOUND's cache stays as it comes, with a build's leftovers only if `on_found`.
    """
    if found(cache):
        return add_build_leftovers(cache) if on_found else ()
    add_build_leftovers(cache)
    (cache.root / "foo-v1" / "sub").mkdir(parents=True)
    (cache.root / "foo-v1" / "sub" / "x.txt").write_text("not janitor's to judge\n")
    _, archive_id = add_hand_made_entry(cache, "wheels-v99", "omega99", "1.0")
    return ("foo-v1", "wheels-v99", archive_path(cache, archive_id))


# ----- what belongs to a package -----


def belongs_to(cache: UvCache, path: str, name: str) -> bool:
    """Whether a path (relative to the root) is part of package `name` in the cache: a path
    component named after it (its entries, `name-1.0-...` links, `name-1.0.dist-info`), its
    archives, or the cached environment holding it."""
    parts = PurePosixPath(path).parts
    if any(part == name or part.startswith(f"{name}-") for part in parts):
        return True
    mine = {archive_path(cache, i) for i, (n, _) in cache.archives.items() if n == name}
    if name in cache.env_packages:
        mine |= {archive_path(cache, cache.env_archive), str(cache.env_link.parent)}
    return under_any(path, mine)


# ----- inodes, for what is freed on disk -----


@dataclasses.dataclass
class Inode:
    """One inode under the trees walked: its allocated bytes and every path to it."""

    disk: int
    is_dir: bool
    is_link: bool
    paths: set[str]


def inodes(roots: Iterable[Path]) -> dict[tuple[int, int], Inode]:
    """Every inode under `roots` (links not followed), each with all its paths."""
    found: dict[tuple[int, int], Inode] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [*dirnames, *filenames]:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                key = (st.st_dev, st.st_ino)
                if key not in found:
                    found[key] = Inode(
                        st.st_blocks * 512,
                        stat.S_ISDIR(st.st_mode),
                        stat.S_ISLNK(st.st_mode),
                        set(),
                    )
                found[key].paths.add(path)
    return found


def trees_of(cache: UvCache) -> list[Path]:
    """The cache and its venvs: every link to the cache's files is in one of them."""
    return [cache.root, *cache.venvs]


@dataclasses.dataclass(frozen=True)
class Before:
    """The inodes of a cache and its venvs before a sweep, and what `du` counted."""

    inodes: dict[tuple[int, int], Inode]
    du: int

    @classmethod
    def of(cls, cache: UvCache) -> Before:
        """Walk the cache and its venvs now."""
        return cls(inodes(trees_of(cache)), du(*trees_of(cache)))


def check_freed(cache: UvCache, document: dict[str, Any], before: Before) -> None:
    """`disk_bytes` is what `du` saw go (janitor counts files, du directories too), and the
    content store lost exactly the files whose every other link went."""
    after = inodes(trees_of(cache))
    freed = [inode for key, inode in before.inodes.items() if key not in after]
    files = sum(inode.disk for inode in freed if not inode.is_dir)
    directories = sum(inode.disk for inode in freed if inode.is_dir)
    dropped = before.du - du(*trees_of(cache))
    assert dropped == files + directories
    # A symlink whose target is too long to live in its inode holds a data block (on ext4: 60
    # bytes or more, as the absolute links of uv before 0.11.17 are); du counts it.
    blocky_links = sorted(
        os.path.relpath(min(inode.paths), cache.root.parent)
        for inode in freed
        if inode.is_link and inode.disk
    )
    assert document["totals"]["disk_bytes"] == files, (
        f"janitor says {document['totals']['disk_bytes']} bytes freed on disk, du saw {files} "
        f"bytes of files go (and {directories} of directories); freed symlinks with data "
        f"blocks: {blocky_links}"
    )
    store = cache.buckets.get(Kind.FILES)
    if store is None:
        return
    prefix = str(cache.root / store) + os.sep
    objects = {
        key: inode
        for key, inode in before.inodes.items()
        if not inode.is_dir and any(p.startswith(prefix) for p in inode.paths)
    }
    lost_every_other_link = {
        key
        for key, inode in objects.items()
        if not any(os.path.lexists(p) for p in inode.paths if not p.startswith(prefix))
    }
    assert {key for key in objects if key not in after} == lost_every_other_link


# ----- per release: the cache is what its description says -----


def _shape(value: object) -> object:
    """A msgpack value's structure without its data: types, lengths and map keys."""
    if isinstance(value, (list, tuple)):
        return [_shape(item) for item in value]
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


def test_the_factory_describes_the_cache_each_release_writes(
    built: UvCache, tmp_path: Path
) -> None:
    release = built.uv
    archive_bucket = built.buckets[Kind.ARCHIVE]
    # Its own bucket names, and nothing else at the top but markers and the planted leftovers.
    names = set(os.listdir(built.root))
    planted = {str(path) for path in built.stale_paths}
    assert names - planted - {LOCK, "CACHEDIR.TAG", ".gitignore"} <= set(built.buckets.values())
    assert {built.buckets[kind] for kind in (Kind.WHEELS, Kind.SDISTS, Kind.ENVIRONMENTS)} <= names
    # Archive ids of the release's length; links of its form and names.
    ids = {*built.archives, built.env_archive, *built.dangling_archives}
    assert {len(i) for i in ids} == {release.archive_id_length}
    assert set(os.listdir(built.root / archive_bucket)) == ids | {built.stale_archive}
    for link, archive_id in built.links.items():
        assert os.path.isabs(os.readlink(built.root / link)) == release.absolute_links, link
        if link.parts[0] == built.buckets[Kind.WHEELS] and archive_id in built.archives:
            assert link.name == release.wheel_link_name(*built.archives[archive_id])
    # The hand-made pointer has the shape of the release's own.
    zeta = built.root / built.pypi_entries[1]
    alpha = next((built.root / built.buckets[Kind.WHEELS]).glob("index/*/alpha/*.rev"))
    assert _shape(msgpack.unpackb(zeta.read_bytes())) == _shape(msgpack.unpackb(alpha.read_bytes()))
    # A copy is a cache of its own: every link leads into the copy's archives.
    copy = clone_cache(built, tmp_path / "copy")
    for link, archive_id in built.links.items():
        assert (copy.root / link).resolve() == (copy.root / archive_bucket / archive_id).resolve()
    assert snapshot(copy.root, portable=True) == snapshot(built.root, portable=True)


# ----- per release: prune -----


def check_same_tree(ours: Path, theirs: Path, kept: Collection[str]) -> None:
    """janitor's tree is uv's, but for what janitor keeps by design; where it keeps no tree, the
    very same tree, root lock included."""
    assert tree_difference(ours, theirs, kept) == NO_DIFFERENCE
    if not kept:
        assert snapshot(ours) == snapshot(theirs)


@pytest.mark.parametrize("built", WITH_FOUND, indirect=True)
def test_sweep_leaves_the_tree_uv_cache_prune_leaves(cache: UvCache, tmp_path: Path) -> None:
    kept = add_untidy_extras(cache, on_found=True)
    twin = clone_cache(cache, tmp_path / "twin")
    assert snapshot(cache.root, portable=True) == snapshot(twin.root, portable=True)

    document = sweep(cache)
    uv_prune(twin)

    check_same_tree(cache.root, twin.root, kept)
    # The scenario is not trivial: both removed the same real garbage.
    removed = removed_paths(document)
    for archive_id in cache.dangling_archives | {cache.env_archive, cache.stale_archive}:
        assert archive_path(cache, archive_id) in removed
    assert str(cache.superseded_revision) in removed
    assert {str(p) for p in cache.stale_paths} <= removed
    # A build's leftovers went, where that release's prune removes them (0.12.24 on).
    leftover = f"{cache.buckets[Kind.BUILDS]}/.tmpBuildEnv"
    if not (twin.root / leftover).exists():
        assert leftover in removed
    # What janitor keeps by design is kept whole, and said so.
    assert not [p for p in removed if under_any(p, kept)]
    for name in (tree for tree in kept if "/" not in tree):  # the top-level buckets
        assert any(name in note for note in document["notes"]), document["notes"]


def test_sweep_frees_on_disk_what_du_sees_go(cache: UvCache) -> None:
    add_untidy_extras(cache)
    before = Before.of(cache)

    document = sweep(cache)

    check_freed(cache, document, before)


@pytest.mark.parametrize("built", WITH_FOUND, indirect=True)
def test_sweep_ci_leaves_the_tree_uv_cache_prune_ci_leaves(cache: UvCache, tmp_path: Path) -> None:
    kept = add_untidy_extras(cache)
    twin = clone_cache(cache, tmp_path / "twin")

    document = sweep(cache, "--ci")
    uv_prune(twin, "--ci")

    check_same_tree(cache.root, twin.root, kept)
    assert not (cache.root / cache.buckets[Kind.WHEELS] / "index").exists()
    assert f"{cache.buckets[Kind.WHEELS]}/index" in removed_paths(document)


# ----- per release: one package -----


def removed_archives(log: str, archive_bucket: str) -> set[str]:
    """The archive ids a `uv cache prune -v` log names."""
    return set(re.findall(rf"{archive_bucket}/([A-Za-z0-9_-]+)", log))


@pytest.mark.parametrize(
    ("built", "package"),
    [
        *((version, package) for version in MATRIX for package in PACKAGES),
        *((FOUND, package) for package in FOUND_PACKAGES),
    ],
    indirect=["built"],
)
def test_sweep_package_leaves_uv_cache_prune_nothing_of_it(cache: UvCache, package: str) -> None:
    name = normalize(package)
    assert any(belongs_to(cache, p, name) for p in snapshot(cache.root))
    document = sweep(cache, "--package", package)
    assert document["removals"], "the package was in the cache"
    before = snapshot(cache.root)

    log = uv_prune(cache)

    after = snapshot(cache.root)
    pruned = sorted(p for p in before.keys() - after.keys() if belongs_to(cache, p, name))
    assert pruned == [], log
    left = sorted(p for p in after if belongs_to(cache, p, name))
    assert left == []
    # Nor does its log name an archive of the package (or the environment holding it).
    archive = cache.buckets[Kind.ARCHIVE]
    pruned_ids = removed_archives(log, archive)
    of_package = {i for i, (n, _) in cache.archives.items() if n == name}
    assert not pruned_ids & of_package, log
    if name in cache.env_packages:
        assert cache.env_archive not in pruned_ids
    assert {i for i in of_package if (cache.root / archive / i).exists()} == set()
    assert not [p for p in after if f"/{name}/" in f"/{p}/"]


@pytest.mark.parametrize("built", [FOUND], indirect=True)
def test_sweep_package_removes_the_environments_holding_it(cache: UvCache) -> None:
    document = sweep(cache, "--package", "beta")

    kinds = {(e["kind"], e["path"]) for e in document["removals"]}
    env_dir = str(cache.env_link.parent)
    assert ("environment", env_dir) in kinds
    archive = cache.buckets[Kind.ARCHIVE]
    assert ("archive", f"{archive}/{cache.env_archive}") in kinds
    assert not (cache.root / env_dir).exists()


@pytest.mark.parametrize("built", WITH_FOUND, indirect=True)
def test_other_packages_still_install_offline_from_the_swept_cache(
    cache: UvCache, tmp_path: Path
) -> None:
    sweep(cache, "--package", "alpha")
    sweep(cache)

    venv = tmp_path / "venv"
    cache.run("venv", str(venv), "--python", PYTHON)

    def install(*requirements: str) -> str:
        result = cache.run(
            *("pip", "install", "--offline", "--no-index", "--find-links", str(cache.find_links)),
            *("--python", str(venv), *requirements),
        )
        return result.stderr

    log = install("beta==1.0", "gamma==1.0", "delta==1.0", "epsilon==1.0")
    # Every package came from the unzipped wheels left in the cache: nothing was prepared.
    assert "Installed 4 packages" in log, log
    assert "Prepared" not in log, log
    # The swept package is really gone: uv has to unzip it again.
    assert "Prepared 1 package" in install("alpha==2.0")


@pytest.mark.parametrize("built", WITH_FOUND, indirect=True)
def test_dry_run_plans_exactly_what_the_sweep_removes(cache: UvCache) -> None:
    add_untidy_extras(cache)
    before = snapshot(cache.root)
    planned = sweep(cache, "--dry-run")
    assert snapshot(cache.root) == before
    assert planned["dry_run"] is True

    done = sweep(cache)

    def items(document: dict[str, Any]) -> list[tuple[str, str, int, int, int]]:
        return [
            (e["path"], e["kind"], e["files"], e["dirs"], e["bytes"]) for e in document["removals"]
        ]

    assert items(planned) == items(done)
    for total in ("items", "files", "dirs", "bytes"):
        assert planned["totals"][total] == done["totals"][total], total
    assert done["removals"]


@pytest.mark.parametrize("built", SIZED, indirect=True)
def test_report_size_is_uv_cache_size(cache: UvCache) -> None:
    add_untidy_extras(cache)
    document = janitor_json("report", "--cache-dir", str(cache.root), f"--uv={cache.uv.path}")

    # It may warn on stderr that it is experimental; the number is alone on stdout.
    shown = cache.run("cache", "size").stdout.split()

    assert len(shown) == 1 and shown[0].isdigit(), shown
    assert document["size_bytes"] == int(shown[0])


# ----- a cache two releases wrote -----


def _mixed_results(
    builds: Builds, built: UvCache, tmp_path: Path, *args: str
) -> tuple[UvCache, ...]:
    """(janitor following both, the older's prune, the newer's prune), each on its own copy."""
    older, newer = (builds.binary(version) for version in MIXED)
    ours = clone_cache(built, tmp_path / "janitor")
    sweep(ours, *args, uvs=[older, newer])
    results = [ours]
    for version, binary in zip(MIXED, (older, newer), strict=True):
        twin = clone_cache(built, tmp_path / f"prune-{version}")
        uv_prune(dataclasses.replace(twin, uv=release_of(binary)), *args)
        results.append(twin)
    return tuple(results)


def _links_resolve(root: Path, buckets: Iterable[str]) -> list[str]:
    """Links in these buckets whose target is gone."""
    broken = []
    for bucket in buckets:
        for dirpath, dirnames, filenames in os.walk(root / bucket):
            for name in [*dirnames, *filenames]:
                path = Path(dirpath, name)
                if path.is_symlink() and not path.exists():
                    broken.append(str(path.relative_to(root)))
    return broken


def _bucket_names(root: Path, kinds: Iterable[Kind]) -> set[str]:
    wanted = {kind.value for kind in kinds}
    return {
        name
        for name in os.listdir(root)
        if (parsed := parse_bucket(name)) is not None and parsed.kind in wanted
    }


@pytest.mark.slow
@pytest.mark.parametrize("ci", [(), ("--ci",)], ids=["prune", "prune-ci"])
def test_mixed_cache_following_both_keeps_what_either_uses(
    builds: Builds, mixed_built: UvCache, tmp_path: Path, ci: tuple[str, ...]
) -> None:
    ours, older, newer = _mixed_results(builds, mixed_built, tmp_path, *ci)

    mine = snapshot(ours.root, portable=True)
    either = {**snapshot(older.root, portable=True), **snapshot(newer.root, portable=True)}
    # Nothing either release keeps is gone.
    assert sorted(either.keys() - mine.keys()) == []
    # Both releases' current buckets of the kinds that hold links are there, and every link in
    # them still leads to its archive.
    link_kinds = (Kind.WHEELS, Kind.SDISTS)
    current = {
        name
        for version in MIXED
        for kind, name in release_of(builds.binary(version)).buckets.items()
        if kind in link_kinds
    }
    stale = {str(path) for path in mixed_built.stale_paths}
    assert current == _bucket_names(mixed_built.root, link_kinds) - stale
    assert current <= set(os.listdir(ours.root))
    assert _links_resolve(ours.root, current) == []
    # What neither uses is gone: stale buckets, strays, the cached environments, dangling archives.
    for path in (*mixed_built.stale_paths, mixed_built.env_link):
        assert str(path) not in mine
    for archive_id in mixed_built.dangling_archives | {mixed_built.env_archive}:
        assert archive_path(mixed_built, archive_id) not in mine


@pytest.mark.slow
@pytest.mark.parametrize("ci", [(), ("--ci",)], ids=["prune", "prune-ci"])
def test_mixed_cache_following_both_removes_only_what_neither_uses(
    builds: Builds, mixed_built: UvCache, tmp_path: Path, ci: tuple[str, ...]
) -> None:
    ours, older, newer = _mixed_results(builds, mixed_built, tmp_path, *ci)

    mine = snapshot(ours.root, portable=True)
    either = {**snapshot(older.root, portable=True), **snapshot(newer.root, portable=True)}
    assert sorted(mine.keys() - either.keys()) == []
    assert sorted(p for p in mine if mine[p] != either[p]) == []


@pytest.mark.slow
def test_mixed_cache_following_only_the_newest_is_its_prune(
    builds: Builds, mixed_built: UvCache, tmp_path: Path
) -> None:
    newest = release_of(builds.binary(MIXED[-1]))
    older = release_of(builds.binary(MIXED[0]))
    ours = dataclasses.replace(clone_cache(mixed_built, tmp_path / "janitor"), uv=newest)
    twin = dataclasses.replace(clone_cache(mixed_built, tmp_path / "twin"), uv=newest)

    document = sweep(ours)
    uv_prune(twin)

    assert tree_difference(ours.root, twin.root) == NO_DIFFERENCE
    # The older release's buckets went, with what only they linked to.
    assert {older.buckets[Kind.WHEELS], older.buckets[Kind.SDISTS]} <= removed_paths(document)


# ----- no uv at all -----


@pytest.fixture(scope="session")
def python_without_uv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python whose scripts directory (and its own) hold no uv."""
    venv = tmp_path_factory.mktemp("python-without-uv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    assert not (venv / "bin" / "uv").exists()
    return python


def run_janitor_without_uv(python: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    """`python -m janitor ARGS --json` with no uv on PATH, in HOME or beside the Python."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("UV_") and key not in {"VIRTUAL_ENV", "XDG_BIN_HOME", "CARGO_HOME"}
    }
    paths = [str(PROJECT_ROOT), *site.getsitepackages()]
    env.update(PATH=str(empty), PYTHONPATH=os.pathsep.join(paths))
    done = subprocess.run(
        [str(python), "-m", "janitor", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def _newest_of_each_kind(names: Iterable[str]) -> set[str]:
    newest: dict[str, tuple[int, str]] = {}
    for name in names:
        parsed = parse_bucket(name)
        if parsed is not None and parsed.version >= newest.get(parsed.kind, (-1, ""))[0]:
            newest[parsed.kind] = (parsed.version, name)
    return {name for _, name in newest.values()}


@pytest.mark.slow
@pytest.mark.parametrize("written_by", ["+".join(MIXED), "0.5.31", "0.8.24", "0.11.33"])
def test_without_uv_the_newest_bucket_of_each_kind_stays(
    builds: Builds, python_without_uv: Path, written_by: str, tmp_path: Path
) -> None:
    pristine = builds.mixed() if "+" in written_by else builds.cache(written_by)
    cache = clone_cache(pristine, tmp_path / "mine")
    names = os.listdir(cache.root)
    newest = _newest_of_each_kind(names)
    # Without a uv, janitor follows the newest layout it knows, and keeps the newest bucket of
    # each kind on the disk; the older ones are stale.
    known = set(buckets_by_kind().values())
    older = {name for name in names if parse_bucket(name) is not None} - newest - known
    assert older, "the cache holds older buckets"

    document = run_janitor_without_uv(
        python_without_uv, tmp_path, "sweep", "--cache-dir", str(cache.root)
    )

    # Said in the document: among the warnings (which need the user) or the notes.
    said = [*document.get("warnings", []), *document["notes"]]
    assert any(NO_UV_NOTE in line for line in said), said
    left = set(os.listdir(cache.root))
    assert sorted(newest - left) == []
    assert _links_resolve(cache.root, newest) == []
    assert sorted(older & left) == []


# ----- the content-addressed preview -----


# Files of the content store no archive links to: one with no other link (uv removes it), one
# hard-linked from a venv (uv keeps it).
LONE_OBJECT = "00/" + "0" * 63 + "1"
VENV_OBJECT = "ff/" + "f" * 63 + "e"


def add_hand_made_objects(cache: UvCache) -> None:
    """LONE_OBJECT and VENV_OBJECT in the content store."""
    store = cache.root / cache.buckets[Kind.FILES]
    for name in (LONE_OBJECT, VENV_OBJECT):
        (store / name).parent.mkdir(exist_ok=True)
        (store / name).write_bytes(os.urandom(5000))
    os.link(store / VENV_OBJECT, cache.venvs[0] / "outside-link.bin")


@pytest.fixture
def content_addressed(content_addressed_built: UvCache, tmp_path: Path) -> UvCache:
    """A private copy of the content-addressed cache, with the hand-made store files."""
    cache = clone_cache(content_addressed_built, tmp_path / "mine")
    add_hand_made_objects(cache)
    return cache


def test_content_addressed_cache_is_what_the_factory_says(
    content_addressed_built: UvCache,
) -> None:
    cache = content_addressed_built
    assert cache.uv.content_addressed
    store = cache.root / cache.buckets[Kind.FILES]
    assert store.is_dir() and any(store.iterdir())
    for archive_id in cache.archives:
        assert re.fullmatch(r"[a-z0-9]{24}", archive_id) and ARCHIVE_ID_RE.match(archive_id)


def test_content_addressed_archive_ids_are_recognised(content_addressed: UvCache) -> None:
    cache = content_addressed
    for archive_id, (name, version) in cache.archives.items():
        found = janitor_json(
            "why", archive_id, "--cache-dir", str(cache.root), f"--uv={cache.uv.path}"
        )
        assert found["archive"] == archive_path(cache, archive_id)
        assert found["packages"] == [{"name": name, "version": version}]


def test_content_addressed_sweep_is_prune(content_addressed: UvCache, tmp_path: Path) -> None:
    cache = content_addressed
    kept = add_untidy_extras(cache)
    twin = clone_cache(cache, tmp_path / "twin")
    before = Before.of(cache)

    document = sweep(cache)
    uv_prune(twin)

    assert tree_difference(cache.root, twin.root, kept) == NO_DIFFERENCE
    removed = removed_paths(document)
    for archive_id in cache.dangling_archives:
        assert len(archive_id) == 24
        assert archive_path(cache, archive_id) in removed
    store = cache.root / cache.buckets[Kind.FILES]
    assert not (store / LONE_OBJECT).exists()
    assert (store / VENV_OBJECT).exists()
    check_freed(cache, document, before)


def test_content_addressed_sweep_ci_is_prune_ci(content_addressed: UvCache, tmp_path: Path) -> None:
    cache = content_addressed
    kept = add_untidy_extras(cache)
    twin = clone_cache(cache, tmp_path / "twin")
    before = Before.of(cache)

    document = sweep(cache, "--ci")
    uv_prune(twin, "--ci")

    assert tree_difference(cache.root, twin.root, kept) == NO_DIFFERENCE
    # Unzipped wheels went, and with them files of the store nothing else links to.
    assert any(e["kind"] == "objects" for e in document["removals"])
    check_freed(cache, document, before)


def _extras_of(cache: UvCache, name: str) -> set[str]:
    """What `--package NAME` removes by design beyond `uv cache clean NAME`: the cached
    environments holding it, their archives, and its archives nothing linked to."""
    extras = {
        archive_path(cache, archive_id)
        for archive_id in cache.dangling_archives
        if cache.archives[archive_id][0] == name
    }
    if name in cache.env_packages:
        extras |= {str(cache.env_link.parent), archive_path(cache, cache.env_archive)}
    return extras


def _clean_without(cleaned: UvCache, extras: set[str]) -> dict[str, tuple[str, ...]]:
    """The tree `uv cache clean` left, less `extras` and the files of the store whose other
    links were all in them (and the shard directories that leaves empty)."""
    tree = snapshot(cleaned.root, portable=True)
    in_extras: dict[tuple[int, int], int] = {}
    for key, inode in inodes([cleaned.root]).items():
        inside = [
            p
            for p in inode.paths
            if under_any(Path(p).relative_to(cleaned.root).as_posix(), extras)
        ]
        if inside:
            in_extras[key] = len(inside)
    store = cleaned.buckets[Kind.FILES]
    expected: dict[str, tuple[str, ...]] = {}
    for path, entry in tree.items():
        if under_any(path, extras):
            continue
        if entry[0] == "file" and path.startswith(store + "/"):
            st = os.lstat(cleaned.root / path)
            if st.st_nlink - in_extras.get((st.st_dev, st.st_ino), 0) == 1:
                continue
        expected[path] = entry
    emptied = {
        path
        for path, entry in expected.items()
        if entry == ("dir",)
        and PurePosixPath(path).parent == PurePosixPath(store)
        and not any(other.startswith(path + "/") for other in expected)
    }
    return {path: entry for path, entry in expected.items() if path not in emptied}


@pytest.mark.parametrize("package", PACKAGES)
def test_content_addressed_sweep_package_is_clean(
    content_addressed: UvCache, package: str, tmp_path: Path
) -> None:
    cache = content_addressed
    name = normalize(package)
    twin = clone_cache(cache, tmp_path / "twin")
    extras = _extras_of(cache, name)
    before = Before.of(cache)

    document = sweep(cache, "--package", package)
    twin.run("cache", "clean", "-v", package)

    # uv leaves what janitor removes by design; the rest is the same tree.
    assert sorted(extras - snapshot(twin.root).keys()) == []
    expected = _clean_without(twin, extras)
    mine = snapshot(cache.root, portable=True)
    assert sorted(mine.keys() - expected.keys()) == []
    assert sorted(expected.keys() - mine.keys()) == []
    assert sorted(p for p in mine if mine[p] != expected[p]) == []
    assert extras <= removed_paths(document)
    check_freed(cache, document, before)


# ----- janitor dir -----

DIR_RELEASES = ("0.13.9", "0.5.31")
WHERE = ("user uv.toml", "project uv.toml", "relative in a project uv.toml", "UV_CACHE_DIR")


def _output(command: Sequence[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    return lines[0]


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("version", DIR_RELEASES)
def test_janitor_dir_is_uv_cache_dir(
    builds: Builds, version: str, where: str, tmp_path: Path
) -> None:
    binary = builds.binary(version)
    user_config = Path(os.environ["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text(f'cache-dir = "{tmp_path / "from-user-config"}"\n')
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("UV_")}
    expected = tmp_path / "from-user-config"
    if where != "user uv.toml":
        relative = where.startswith("relative")
        value = "relative-cache" if relative else str(tmp_path / "from-project")
        (project / "uv.toml").write_text(f'cache-dir = "{value}"\n')
        cwd = project / "sub" if relative else project
        expected = cwd / value
    if where == "UV_CACHE_DIR":
        env["UV_CACHE_DIR"] = str(tmp_path / "from-env")
        expected = tmp_path / "from-env"

    uv_says = _output([str(binary), "cache", "dir"], env, cwd)
    janitor_says = _output([sys.executable, "-m", "janitor", "dir", f"--uv={binary}"], env, cwd)

    assert cwd / uv_says == expected
    if where.startswith("relative"):
        # uv prints a relative setting as it is written; janitor names the same directory.
        assert uv_says == "relative-cache"
        assert janitor_says == str(cwd / uv_says)
    else:
        assert janitor_says == uv_says
