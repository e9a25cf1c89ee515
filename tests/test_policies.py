"""Age, version-count and size policies on genuine uv caches with times set by the tests,
the config file that holds their defaults, and the run log every sweep appends to."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.cli import app
from janitor.errors import EXIT_USAGE
from janitor.layout.uv import Kind
from janitor.runlog import read_runs
from tests.uvfactory import UvCache

runner = CliRunner()
DAY = 86400.0


def sweep(cache: UvCache, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["sweep", "--json", "--cache-dir", str(cache.root), *args])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


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


@pytest.fixture
def aged(uv_cache: UvCache) -> UvCache:
    """Every version used long ago except alpha 2.0 and beta 1.0."""
    for package, version in {("alpha", "1.0"), ("gamma", "1.0"), ("delta", "1.0")}:
        age_version(uv_cache, package, version, 90)
    for package, version in {("alpha", "2.0"), ("beta", "1.0")}:
        age_version(uv_cache, package, version, 1)
    return uv_cache


def test_older_than_removes_versions_not_used_since(aged: UvCache) -> None:
    document = sweep(aged, "--older-than", "30d")
    archives = removed(document, "archive")
    assert {("alpha", "1.0"), ("gamma", "1.0"), ("delta", "1.0")} <= archives
    assert ("alpha", "2.0") not in removed(document)
    assert ("beta", "1.0") not in removed(document)
    # Combined with the plain prune: the cached environment is gone as well.
    assert any(r["kind"] == "environment" for r in document["removals"])  # type: ignore[attr-defined]


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


def test_max_size_evicts_least_recently_used_first(aged: UvCache) -> None:
    plan = sweep(aged, "--dry-run")
    disk_after_prune = runner.invoke(app, ["report", "--json", "--cache-dir", str(aged.root)])
    assert disk_after_prune.exit_code == 0
    total = json.loads(disk_after_prune.stdout)["size_bytes"]
    freed = plan["totals"]["disk_bytes"]  # type: ignore[index]
    # A budget a little under what stays after the prune: one eviction is enough.
    document = sweep(aged, "--dry-run", "--max-size", str(total - freed - 1))
    evicted = {
        (r["package"], r["version"])
        for r in document["removals"]  # type: ignore[attr-defined]
        if r["reason"].startswith("least recently used")
    }
    assert evicted, document
    assert evicted <= {("alpha", "1.0"), ("gamma", "1.0"), ("delta", "1.0")}
    assert not [n for n in document["warnings"] if "cannot be met" in n]  # type: ignore[attr-defined]


def test_max_size_that_cannot_be_met_is_said(uv_cache: UvCache) -> None:
    document = sweep(uv_cache, "--max-size", "1")
    assert any("cannot be met" in note for note in document["warnings"])  # type: ignore[attr-defined]
    wheels = uv_cache.root / uv_cache.buckets[Kind.WHEELS]
    assert not [p for p in wheels.rglob("*") if p.is_symlink()]


def test_max_size_prefers_what_frees_disk(uv_cache: UvCache, tmp_path: Path) -> None:
    """An archive hard-linked into a live venv frees nothing, so it goes last."""
    archive = uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]
    alpha1 = next(i for i, pv in uv_cache.archives.items() if pv == ("alpha", "1.0"))
    outside = tmp_path / "venv-outside"
    outside.mkdir()
    for n, path in enumerate(p for p in (archive / alpha1).rglob("*") if p.is_file()):
        os.link(path, outside / f"f{n}")
    for package, version in {("alpha", "1.0"), ("alpha", "2.0"), ("gamma", "1.0")}:
        age_version(
            uv_cache, package, version, 10 if version == "1.0" and package == "alpha" else 20
        )
    report = json.loads(
        runner.invoke(app, ["report", "--json", "--cache-dir", str(uv_cache.root)]).stdout
    )
    plan = sweep(uv_cache, "--dry-run")
    budget = report["size_bytes"] - plan["totals"]["disk_bytes"] - 1  # type: ignore[index]
    document = sweep(uv_cache, "--dry-run", "--max-size", str(budget))
    evicted = [
        (r["package"], r["version"])
        for r in document["removals"]  # type: ignore[attr-defined]
        if r["reason"].startswith("least recently used")
    ]
    assert evicted and ("alpha", "1.0") not in evicted, evicted


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
    import shutil

    free = shutil.disk_usage(aged.root).free
    met = sweep(aged, "--dry-run", "--min-free", str(max(free - 2**30, 0)))
    assert not removed(met, "entry")
    document = sweep(aged, "--dry-run", "--min-free", str(free + 2**40))
    evicted = removed(document, "entry")
    assert {("alpha", "1.0"), ("alpha", "2.0"), ("gamma", "1.0")} <= evicted, document
    reasons = {r["reason"] for r in document["removals"]}  # type: ignore[attr-defined]
    assert "least recently used, under --min-free" in reasons
    notes = document["warnings"]
    assert any("(--min-free) cannot be met" in note for note in notes), notes  # type: ignore[attr-defined]


def test_the_tighter_of_max_size_and_min_free_decides_and_is_said(aged: UvCache) -> None:
    import shutil

    free = shutil.disk_usage(aged.root).free
    # A budget met already, and a free-space bound that is not: --min-free decides.
    document = sweep(aged, "--dry-run", "--max-size", "1TiB", "--min-free", str(free + 10**6))
    assert any("--min-free decided" in note for note in document["warnings"])  # type: ignore[attr-defined]
    reasons = {r["reason"] for r in document["removals"]}  # type: ignore[attr-defined]
    assert "least recently used, under --min-free" in reasons


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
