"""Age, version-count and size policies on genuine uv caches with times set by the tests,
the config file that holds their defaults, and the run log every sweep appends to."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.errors import EXIT_USAGE
from janitor.plan import ItemKind, Reason
from janitor.policy import Policy
from janitor.runlog import read_runs
from janitor.uv.layout import Kind
from tests.clirun import du, sweep
from tests.test_budget import run_with_free
from tests.uvfactory import UvCache, copy_cache

runner = CliRunner()
DAY = 86400.0


def removed(document: dict[str, object], kind: str | None = None) -> set[tuple[str, str]]:
    return {
        (r["package"], r["version"])
        for r in document["removals"]  # type: ignore[attr-defined]
        if r["package"] and (kind is None or r["kind"] == kind)
    }


def age_version(cache: UvCache, package: str, version: str, days: float) -> None:
    """Set the use times of one version's link and pointer files `days` into the past."""
    when = time.time() - days * DAY
    wheels = cache.root / cache.buckets[Kind.WHEELS]
    sdists = cache.root / cache.buckets[Kind.SDISTS]
    paths = [p for p in wheels.rglob(f"{version}-*") if p.parent.name == package]
    paths += [p for p in sdists.rglob(f"{package}-{version}-*")]
    assert paths, f"no entry of {package} {version}"
    for path in paths:
        os.utime(path, (when, when), follow_symlinks=False)


def age(cache: UvCache) -> None:
    """Every version used long ago except alpha 2.0 and beta 1.0."""
    for package, version in {("alpha", "1.0"), ("gamma", "1.0"), ("delta", "1.0")}:
        age_version(cache, package, version, 90)
    for package, version in {("alpha", "2.0"), ("beta", "1.0")}:
        age_version(cache, package, version, 1)


@pytest.fixture
def aged(uv_cache: UvCache) -> UvCache:
    """Every version used long ago except alpha 2.0 and beta 1.0."""
    age(uv_cache)
    return uv_cache


def pruned_size(cache: UvCache, workdir: Path) -> int:
    """The cache's size as `uv cache size` counts it after a plain sweep (of a copy)."""
    copy = workdir / "pruned"
    copy_cache(cache.root, copy)
    sweep(dataclasses.replace(cache, root=copy))
    return du(copy)


def test_older_than_removes_versions_not_used_since(aged: UvCache) -> None:
    document = sweep(aged, "--older-than", "30d")
    archives = removed(document, "archive")
    assert {("alpha", "1.0"), ("gamma", "1.0"), ("delta", "1.0")} <= archives
    assert ("alpha", "2.0") not in removed(document)
    assert ("beta", "1.0") not in removed(document)
    # Combined with the plain prune: the cached environment is gone as well.
    assert any(r["kind"] == "environment" for r in document["removals"])


def test_older_than_with_package(aged: UvCache) -> None:
    document = sweep(aged, "--older-than", "30d", "--package", "beta")
    assert ("alpha", "1.0") in removed(document, "archive")
    assert ("beta", "1.0") in removed(document, "archive")
    # A package sweep does not prune: the epsilon archive nothing links to stays.
    assert ("epsilon", "1.0") not in removed(document)


def test_scan_does_not_refresh_use_times(aged: UvCache) -> None:
    sweep(aged, "--dry-run", "--older-than", "30d")
    runner.invoke(app, ["report", "--cache-dir", str(aged.root)])
    document = sweep(aged, "--dry-run", "--older-than", "30d")
    assert ("alpha", "1.0") in removed(document)


def test_keep_versions_keeps_the_newest(uv_cache: UvCache) -> None:
    document = sweep(uv_cache, "--keep-versions", "1")
    assert ("alpha", "1.0") in removed(document, "archive")
    assert ("alpha", "2.0") not in removed(document)
    assert ("beta", "1.0") not in removed(document)
    none_kept = sweep(uv_cache, "--keep-versions", "0", "--dry-run")
    assert ("alpha", "2.0") in removed(none_kept, "archive")


def test_max_size_evicts_least_recently_used_first(aged: UvCache, tmp_path: Path) -> None:
    """A budget a byte under what the plain prune leaves: one version, of the least recently
    used, goes, and the cache is within the budget as `du` counts it."""
    budget = pruned_size(aged, tmp_path) - 1
    age(aged)  # copying the cache read its pointer files
    document = sweep(aged, "--max-size", str(budget))
    evicted = {
        (r["package"], r["version"])
        for r in document["removals"]
        if r["reason"].startswith("least recently used")
    }
    assert len(evicted) == 1, document
    assert evicted <= {("alpha", "1.0"), ("gamma", "1.0"), ("delta", "1.0")}
    assert not document["warnings"], document["warnings"]
    assert du(aged.root) <= budget


def test_max_size_that_cannot_be_met_is_said(uv_cache: UvCache) -> None:
    document = sweep(uv_cache, "--max-size", "1")
    assert any("cannot be met" in note for note in document["warnings"])
    wheels = uv_cache.root / uv_cache.buckets[Kind.WHEELS]
    assert not [p for p in wheels.rglob("*") if p.is_symlink()]


def test_max_size_evicts_in_use_order_what_is_hard_linked_outside(
    uv_cache: UvCache, tmp_path: Path
) -> None:
    """An archive hard-linked into a venv outside the cache still counts in the cache's size
    (as `uv cache size` counts it), and leaves it when evicted: it goes first when it is the
    least recently used."""
    archive = uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]
    alpha1 = next(i for i, pv in uv_cache.archives.items() if pv == ("alpha", "1.0"))
    outside = tmp_path / "venv-outside"
    outside.mkdir()
    for n, path in enumerate(p for p in (archive / alpha1).rglob("*") if p.is_file()):
        os.link(path, outside / f"f{n}")
    budget = pruned_size(uv_cache, tmp_path) - 1
    for package, version, days in (
        ("alpha", "1.0", 20),
        ("gamma", "1.0", 15),
        ("alpha", "2.0", 10),
    ):
        age_version(uv_cache, package, version, days)
    document = sweep(uv_cache, "--max-size", str(budget))
    evicted = {
        (r["package"], r["version"])
        for r in document["removals"]
        if r["reason"].startswith("least recently used")
    }
    assert evicted == {("alpha", "1.0")}, evicted
    assert du(uv_cache.root) <= budget


def test_config_file_sets_defaults_and_flags_override(aged: UvCache, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sweep]\nolder-than = "30d"\n')
    document = sweep(aged, "--config", str(config), "--dry-run")
    assert ("alpha", "1.0") in removed(document, "archive")
    overridden = sweep(aged, "--config", str(config), "--older-than", "1000d", "--dry-run")
    assert ("alpha", "1.0") not in removed(overridden, "archive")


def test_broken_config_is_a_usage_error(uv_cache: UvCache, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sweep]\nolder-than = "soon"\n')
    result = runner.invoke(
        app, ["sweep", "--config", str(config), "--cache-dir", str(uv_cache.root)]
    )
    assert result.exit_code == EXIT_USAGE
    assert len(result.stderr.strip().splitlines()) == 1
    assert "older-than" in result.stderr


def test_bad_durations_and_sizes_are_usage_errors(uv_cache: UvCache) -> None:
    for args in (["--older-than", "yesterday"], ["--max-size", "big"]):
        result = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root), *args])
        assert result.exit_code == EXIT_USAGE, result.output


def test_every_sweep_appends_to_the_run_log(uv_cache: UvCache) -> None:
    before = len(read_runs(limit=None))
    runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root), "--package", "alpha"])
    runs = read_runs(limit=None)
    assert len(runs) == before + 2
    assert runs[-1]["policy"]["packages"] == ["alpha"]
    assert runs[-2]["totals"]["files"] > 0
    assert runs[-1]["exit_code"] == 0


def test_report_shows_the_last_runs(uv_cache: UvCache) -> None:
    runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root), "--keep-versions", "1"])
    result = runner.invoke(app, ["report", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 0, result.output
    assert "Last sweeps:" in result.stdout
    assert "keep_versions=1" in result.stdout
    assert "Biggest packages:" in result.stdout


def test_min_free_evicts_until_the_disk_has_room(aged: UvCache) -> None:
    """More free space than this small cache could ever give: every version is evicted, and the
    note says the bound cannot be met; a bound met already evicts nothing."""
    free = 2**40  # what the filesystem has free, as the sweep measures it
    met = run_with_free(aged.root, Policy(min_free=free - 2**30, now=time.time()), free)
    assert not [i for i in met.plan.items if i.kind is ItemKind.ENTRY]
    planned = run_with_free(aged.root, Policy(min_free=free + 2**40, now=time.time()), free)
    evicted = {(i.package, i.version) for i in planned.plan.items if i.kind is ItemKind.ENTRY}
    assert {("alpha", "1.0"), ("alpha", "2.0"), ("gamma", "1.0")} <= evicted, planned.plan
    assert Reason.LOW_SPACE in {i.reason for i in planned.plan.items}
    (warning,) = planned.plan.warnings
    assert (
        warning
        == "the size budget (--min-free) cannot be met: 1024.0GiB short after every eviction"
    )


def test_the_tighter_of_max_size_and_min_free_decides_and_is_said(
    aged: UvCache, tmp_path: Path
) -> None:
    """Free space is what the test says it is (the sweep's one measurement that other processes
    change): the outcome does not depend on what else runs on the machine."""
    free = 2**40
    # A budget met already, and a free-space bound that is not: --min-free decides.
    policy = Policy(max_size=2**40, min_free=free + 10**6, now=time.time())
    planned = run_with_free(aged.root, policy, free).plan
    assert planned.warnings[0] == "--min-free decided the eviction", planned.warnings
    assert {i.reason for i in planned.items if i.kind is ItemKind.ENTRY} == {Reason.LOW_SPACE}
    # A free-space bound met already, and a budget that is not: --max-size decides.
    budget = pruned_size(aged, tmp_path) - 1
    age(aged)
    policy = Policy(max_size=budget, min_free=free - 10**6, now=time.time())
    planned = run_with_free(aged.root, policy, free).plan
    assert planned.warnings == ("--max-size decided the eviction",)
    assert {i.reason for i in planned.items if i.kind is ItemKind.ENTRY} == {Reason.OVER_SIZE}


def test_keep_protects_a_package_from_every_policy(aged: UvCache) -> None:
    document = sweep(aged, "--dry-run", "--older-than", "30d", "--keep", "Alpha")
    assert ("gamma", "1.0") in removed(document, "entry")
    assert not {pv for pv in removed(document) if pv[0] == "alpha"}
    document = sweep(aged, "--dry-run", "--max-size", "0", "--keep", "alpha", "--keep", "gamma")
    assert not {pv for pv in removed(document, "entry") if pv[0] in ("alpha", "gamma")}
    assert removed(document, "entry"), "other versions are still evicted"


def test_keep_from_the_config_file(aged: UvCache, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sweep]\nolder-than = "30d"\nkeep = ["alpha"]\n')
    document = sweep(aged, "--dry-run", "--config", str(config))
    assert not {pv for pv in removed(document) if pv[0] == "alpha"}
    assert ("gamma", "1.0") in removed(document, "entry")


def test_a_budget_that_cannot_be_met_is_said_without_verbose(uv_cache: UvCache) -> None:
    result = runner.invoke(
        app, ["sweep", "--dry-run", "--max-size", "0", "--cache-dir", str(uv_cache.root)]
    )
    assert result.exit_code == 0, result.output
    assert any(
        line.startswith("warning: the size budget (--max-size) cannot be met")
        for line in result.stderr.splitlines()
    ), result.stderr
