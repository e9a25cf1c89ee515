"""The size budget as one quantity: `--max-size` is the cache's size as `uv cache size` (and
`du -s --block-size=1`) counts it, `--min-free` the room on its filesystem.

A genuine uv cache built like the one a user reported (venvs outside the cache holding every
wheel by hard link, and a `uv tool run` environment), and generated caches written by hand in
uv's layout, are swept for real and measured afterwards with `du`."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from janitor import sweep as sweeps
from janitor.cli.commands import app
from janitor.cli.output import follow
from janitor.policy import Policy
from janitor.units import format_size
from janitor.uv.layout import CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE, LOCK_FILE, Kind
from tests.clirun import du, sweep
from tests.uvfactory import (
    CONTENT_ADDRESSED,
    PYTHON,
    TEST_UV,
    UvCache,
    build_cache,
    clone_cache,
    copy_trees,
    make_wheel,
    run_uv,
    wheel_filename,
)

runner = CliRunner()
DAY = 86400.0
EVICTED = ("least recently used, over --max-size", "least recently used, under --min-free")


def evicted(document: dict[str, object]) -> set[tuple[str, str]]:
    return {
        (r["package"], r["version"])
        for r in document["removals"]  # type: ignore[attr-defined]
        if r["reason"] in EVICTED
    }


def set_used(links: list[Path], when: float) -> None:
    """Set the use times of a version's link and pointer files."""
    for path in links:
        os.utime(path, (when, when), follow_symlinks=False)


def version_files(root: Path, package: str, version: str) -> list[Path]:
    """A version's link and pointer files in the wheels bucket, or its built wheel's link in
    the sdists bucket."""
    wheels = root / TEST_UV.buckets[Kind.WHEELS]
    sdists = root / TEST_UV.buckets[Kind.SDISTS]
    found = [p for p in wheels.rglob(f"{version}-*") if p.parent.name == package]
    found += [p for p in sdists.rglob(f"{package}-{version}-*")]
    assert found, f"no entry of {package} {version}"
    return found


# --- A genuine cache, built like the reported one -------------------------------------------

# Oldest first: the order a least-recently-used eviction takes them in.
_USED = [("numpy", "1.0"), ("rich", "1.0"), ("requests", "1.0"), ("numpy", "2.0"), ("rich", "2.0")]


@dataclass(frozen=True)
class Built:
    root: Path
    venvs: tuple[Path, Path]


def _build(workdir: Path) -> Built:
    """numpy, rich and requests in two venvs outside the cache (every wheel hard-linked into
    one), and hatch run as a tool (a cached environment, its files hard-linked from the
    wheels' archives)."""
    find_links = workdir / "find-links"
    for version in ("1.0", "2.0"):
        make_wheel(find_links, "numpy", version, n_files=300)
        make_wheel(find_links, "rich", version, n_files=60)
    make_wheel(find_links, "requests", "1.0", n_files=40)
    make_wheel(
        find_links,
        "hatch",
        "1.0",
        requires=["requests"],
        console_scripts={"hatch": "hatch:main"},
        init_text="def main() -> None:\n    print('hatch ran')\n",
        n_files=20,
    )
    root = workdir / "cache"
    venvs = (workdir / "venv-old", workdir / "venv-new")
    for venv in venvs:
        run_uv("venv", "--python", PYTHON, venv, cache_dir=root)
    wanted_by_venv = (["numpy==1.0", "rich==1.0"], ["numpy==2.0", "rich==2.0"])
    for venv, wanted in zip(venvs, wanted_by_venv, strict=True):
        run_uv(
            *("pip", "install", "--python", venv, "--no-index", "--find-links", find_links),
            *wanted,
            "requests",
            cache_dir=root,
        )
    ran = run_uv(
        *("tool", "run", "--python", PYTHON, "--no-index", "--find-links", find_links),
        *("--from", "hatch", "hatch"),
        cache_dir=root,
    )
    assert "hatch ran" in ran.stdout, ran.stderr
    return Built(root, venvs)


def _age(root: Path) -> None:
    """Use times in the order of `_USED`, hatch last (set on each copy: copying reads the
    pointer files, which may refresh their access times)."""
    now = time.time()
    for age, (package, version) in enumerate(reversed(_USED), start=1):
        set_used(version_files(root, package, version), now - age * DAY)
    set_used(version_files(root, "hatch", "1.0"), now)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Never modified: tests sweep a copy (`reported`)."""
    return _build(tmp_path_factory.mktemp("reported"))


def _clone(built: Built, workdir: Path) -> Built:
    """A copy of the cache and its venvs: hard links between them stay hard links."""
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "cache"
    venvs = (workdir / built.venvs[0].name, workdir / built.venvs[1].name)
    copy_trees([(built.root, root), *zip(built.venvs, venvs, strict=True)])
    _age(root)
    return Built(root, venvs)


@pytest.fixture
def reported(built: Built, tmp_path: Path) -> Built:
    return _clone(built, tmp_path / "swept")


def test_the_reported_cache_is_hard_linked_as_reported(reported: Built) -> None:
    """Every file of every wheel's archive but its RECORD (which uv rewrites on install) has
    another link: in a venv outside the cache, or in the tool's environment."""
    archives = reported.root / TEST_UV.buckets[Kind.ARCHIVE]
    for archive in archives.iterdir():
        if (archive / "pyvenv.cfg").exists():
            continue
        files = [p for p in archive.rglob("*") if p.is_file() and p.name != "RECORD"]
        assert len(files) > 20 and all(p.stat().st_nlink >= 2 for p in files), archive


def test_max_size_just_under_the_size_evicts_one_version(
    reported: Built, built: Built, tmp_path: Path
) -> None:
    """The fault: a budget a little under what the cache holds after its plain prune. Evicting
    the least recently used version (numpy 1.0, hard-linked into a venv) meets it; nothing more
    goes, and the cache is within the budget as `du` and `uv cache size` count it."""
    pruned = _clone(built, tmp_path / "pruned")
    sweep(pruned.root)
    budget = du(pruned.root) - 1
    before = du(reported.root)
    document = sweep(reported.root, "--max-size", str(budget))
    assert evicted(document) == {("numpy", "1.0")}, document["warnings"]
    assert not document["warnings"], document["warnings"]
    after = du(reported.root)
    assert after <= budget < before
    assert document["notes"][-1] == (
        f"--max-size {format_size(budget)}: the cache is {format_size(before)} as "
        f"`uv cache size` counts it, {format_size(after)} after this sweep"
    )
    size = run_uv("cache", "size", "--preview", cache_dir=reported.root).stdout.strip()
    assert int(size) == after
    # The rest of the cache, numpy 2.0 included, is intact.
    assert version_files(reported.root, "numpy", "2.0")
    assert version_files(reported.root, "rich", "1.0")


def test_max_size_takes_the_minimal_prefix_in_use_order(
    reported: Built, built: Built, tmp_path: Path
) -> None:
    """A budget just under what evicting numpy 1.0 leaves: numpy 1.0 and rich 1.0 go."""
    one = _clone(built, tmp_path / "one")
    for path in version_files(one.root, "numpy", "1.0"):
        path.unlink()
    sweep(one.root)
    budget = du(one.root) - 1
    document = sweep(reported.root, "--max-size", str(budget), "--dry-run")
    assert evicted(document) == {("numpy", "1.0"), ("rich", "1.0")}
    document = sweep(reported.root, "--max-size", str(budget))
    assert evicted(document) == {("numpy", "1.0"), ("rich", "1.0")}
    assert du(reported.root) <= budget


def run_with_free(root: Path, policy: Policy, free: int, dry_run: bool = True) -> sweeps.Result:
    """A sweep (a dry run unless said) whose filesystem has `free` bytes free, as the sweep
    measures it: the one measurement of a size budget that other processes change."""
    _uvs, releases, notes = follow(())
    request = sweeps.Request(
        root=root.resolve(),
        releases=tuple(releases),
        notes=tuple(notes),
        policy=policy,
        dry_run=dry_run,
        log=False,
        free_space=lambda _root: free,
    )
    return anyio.run(sweeps.run, request)


def test_min_free_passes_over_versions_hard_linked_outside(reported: Built) -> None:
    """For room on the disk, evicting numpy 1.0, rich 1.0 and requests 1.0 (every file in the
    old venv) frees nothing: they stay, and the one warning line says why. What the new venv
    no longer holds goes."""
    shutil.rmtree(reported.venvs[1])
    policy = Policy(min_free=2**50, now=time.time())
    result = run_with_free(reported.root, policy, free=2**40, dry_run=False)
    gone = {(i.package, i.version) for i in result.plan.items if i.reason.value in EVICTED}
    assert gone == {("numpy", "2.0"), ("rich", "2.0"), ("hatch", "1.0")}
    (warning,) = result.plan.warnings
    short = warning.split(": ")[1].split(" short")[0]
    assert warning == (
        f"the size budget (--min-free) cannot be met: {short} short after every eviction; "
        "3 versions not evicted: their files are hard-linked outside the cache, so "
        "evicting them frees next to nothing on disk"
    )
    assert short.endswith("TiB")
    for package, version in _USED[:3]:
        assert version_files(reported.root, package, version)


def test_a_budget_short_is_said_in_human_units(reported: Built) -> None:
    result = runner.invoke(
        app, ["sweep", "--dry-run", "--max-size", "1", "--cache-dir", str(reported.root)]
    )
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stderr.splitlines() if "cannot be met" in line]
    assert line.startswith("warning: the size budget (--max-size) cannot be met: ")
    short = line.split("cannot be met: ")[1].split(" short")[0]
    assert short.endswith(("KiB", "MiB")) and "," not in short, line


# --- Generated caches, written by hand in uv's layout -----------------------------------------

_SIZES = st.sampled_from([0, 100, 5000, 20000, 70000])


@dataclass(frozen=True)
class VersionSpec:
    files: tuple[int, ...]  # sizes of its data files
    outside: bool  # every file hard-linked into a venv outside the cache
    borrow: int | None  # hard-link the first file of this earlier version's archive too
    second_link: bool  # a second wheel tag links the same archive


@dataclass(frozen=True)
class CacheSpec:
    packages: tuple[tuple[VersionSpec, ...], ...]
    environment: tuple[int, ...]  # versions (flat indices) a cached environment holds
    keep: tuple[int, ...]  # packages never evicted
    fraction: float  # the budget, as a fraction of the cache's size


@st.composite
def caches(draw: st.DrawFn) -> CacheSpec:
    packages = []
    count = 0
    for _ in range(draw(st.integers(1, 3))):
        versions = []
        for _ in range(draw(st.integers(1, 3))):
            borrow = draw(st.none() | st.integers(0, count - 1)) if count else None
            versions.append(
                VersionSpec(
                    tuple(draw(st.lists(_SIZES, min_size=1, max_size=3))),
                    draw(st.booleans()),
                    borrow,
                    draw(st.booleans()),
                )
            )
            count += 1
        packages.append(tuple(versions))
    environment = tuple(draw(st.lists(st.integers(0, count - 1), max_size=2, unique=True)))
    keep = tuple(draw(st.lists(st.integers(0, len(packages) - 1), max_size=1)))
    return CacheSpec(tuple(packages), environment, keep, draw(st.floats(0.0, 1.05)))


def _write(path: Path, size: int, seed: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((seed.encode() * (size // max(len(seed), 1) + 1))[:size])


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))


def _generate(spec: CacheSpec, workdir: Path) -> tuple[Path, list[tuple[str, str, float]]]:
    """The cache of `spec` under `workdir`: uv 0.13.9's buckets, relative links into the
    archive bucket, `.rev` pointers, a venv outside; returns it and (package, version, used)."""
    buckets = TEST_UV.buckets
    root = workdir / "cache"
    root.mkdir(parents=True)
    (root / CACHEDIR_TAG).write_text(CACHEDIR_TAG_SIGNATURE + "\n")
    (root / ".gitignore").write_text("*")
    (root / LOCK_FILE).write_bytes(b"")
    archive_dir = root / buckets[Kind.ARCHIVE]
    venv = workdir / "venv" / "site-packages"
    venv.mkdir(parents=True)
    archives: list[Path] = []
    versions: list[tuple[str, str, float]] = []
    now = time.time()
    for p, package_versions in enumerate(spec.packages):
        name = f"pkg{p}"
        for v, version_spec in enumerate(package_versions):
            index = len(archives)
            version = f"{v + 1}.0"
            archive = archive_dir / f"a{index:015d}"
            archives.append(archive)
            dist_info = archive / f"{name}-{version}.dist-info"
            _write(dist_info / "METADATA", 60, f"Name: {name}\nVersion: {version}\n")
            for n, size in enumerate(version_spec.files):
                _write(archive / name / f"f{n}.bin", size, f"{name}{version}{n}")
            if version_spec.borrow is not None:
                source = archives[version_spec.borrow]
                first = next(p for p in sorted(source.rglob("f0.bin")))
                os.link(first, archive / name / "borrowed.bin")
            if version_spec.outside:
                for n, path in enumerate(sorted(archive.rglob("*.bin"))):
                    os.link(path, venv / f"{name}-{version}-{n}.bin")
            wheels = root / buckets[Kind.WHEELS] / "pypi" / name
            tags = ["py3-none-any", *(["py2.py3-none-any"] if version_spec.second_link else [])]
            used = now - (len(archives) * 7 % 11 + len(archives) / 100) * DAY
            for tag in tags:
                link = wheels / f"{version}-{tag}"
                _link(link, archive)
                record = TEST_UV.archive_record(archive.name, wheel_filename(name, version))
                pointer = link.with_name(f"{link.name}.rev")
                pointer.write_bytes(msgpack.packb([[int(now), 0], record]))
            versions.append((name, version, used))
    if spec.environment:
        env_archive = archive_dir / "venvarchive00000"
        site = env_archive / "lib" / "python3.12" / "site-packages"
        site.mkdir(parents=True)
        (env_archive / "pyvenv.cfg").write_text("home = /usr/bin\n")
        for index in spec.environment:
            for n, path in enumerate(sorted(archives[index].rglob("*.bin"))):
                os.link(path, site / f"{archives[index].name}-{n}.bin")
        env = root / buckets[Kind.ENVIRONMENTS] / "0123456789abcdef"
        _link(env / "0123456789abcdef", env_archive)
    return root, versions


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=caches())
def test_max_size_meets_the_budget_with_the_fewest_versions_in_use_order(
    spec: CacheSpec, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """After `--max-size B` the cache's du is at most B when B can be met; without the last
    version evicted it would exceed B; the versions evicted are the least recently used."""
    workdir = tmp_path_factory.mktemp("generated")
    root, versions = _generate(spec, workdir / "swept")
    copy = workdir / "copy"
    copy.mkdir()
    copy_trees([(root, copy / "cache"), (root.parent / "venv", copy / "venv")])
    # Use times are set on both once the copy is made (copying reads the pointer files).
    for cache in (root, copy / "cache"):
        for name, version, used in versions:
            set_used(version_files(cache, name, version), used)
    budget = int(du(root) * spec.fraction)
    kept = {f"pkg{p}" for p in spec.keep}
    keep_args = [arg for name in sorted(kept) for arg in ("--keep", name)]
    document = sweep(root, "--max-size", str(budget), "--processes", "0", *keep_args)
    gone = evicted(document)
    order = sorted((used, name, version) for name, version, used in versions if name not in kept)
    in_order = [(name, version) for _used, name, version in order]
    assert gone == set(in_order[: len(gone)]), (in_order, gone)
    after = du(root)
    warnings = document["warnings"]
    if any("(--max-size) cannot be met" in w for w in warnings):
        assert gone == set(in_order) and after > budget, (after, budget)
        return
    assert after <= budget, (after, budget, warnings)
    if gone:
        # Evict all but the last by hand on the copy, prune it: the budget is not met.
        for name, version in in_order[: len(gone) - 1]:
            for path in version_files(copy / "cache", name, version):
                path.unlink()
        sweep(copy / "cache", "--processes", "0")
        assert du(copy / "cache") > budget


# --- uv's content-addressed store --------------------------------------------------------------


@pytest.fixture(scope="module")
def content_addressed(tmp_path_factory: pytest.TempPathFactory) -> UvCache:
    """A cache written with `content-addressed-cache`: the archives' files are hard links of
    the objects in `files-v0`, and the venvs outside hard-link them too. Never modified."""
    return build_cache(tmp_path_factory.mktemp("content"), preview=CONTENT_ADDRESSED)


def test_max_size_counts_files_held_by_the_content_store_once(
    content_addressed: UvCache, tmp_path: Path
) -> None:
    """Evicting alpha 1.0 takes its archive off the cache, but its files stay in `files-v0`
    (its venv still links them): the budget a byte under what that leaves needs gamma 1.0 too,
    the next least recently used."""
    cache = clone_cache(content_addressed, tmp_path / "swept")
    by_hand = clone_cache(content_addressed, tmp_path / "by-hand")
    assert any((cache.root / "files-v0").iterdir())
    for path in version_files(by_hand.root, "alpha", "1.0"):
        path.unlink()
    sweep(by_hand.root)
    budget = du(by_hand.root) - 1
    now = time.time()
    set_used(version_files(cache.root, "alpha", "1.0"), now - 30 * DAY)
    set_used(version_files(cache.root, "gamma", "1.0"), now - 20 * DAY)
    document = sweep(cache.root, "--max-size", str(budget))
    assert evicted(document) == {("alpha", "1.0"), ("gamma", "1.0")}, document["warnings"]
    assert du(cache.root) <= budget
    size = cache.run("cache", "size", "--preview").stdout.strip()
    assert int(size) == du(cache.root)
