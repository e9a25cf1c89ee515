"""janitor against the real uv, on genuine caches: same trees as `uv cache prune`, and one-step
package removal that leaves `uv cache prune` nothing of the package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.layout.uv import Kind, normalize
from tests.clirun import sweep
from tests.uvfactory import PYTHON, UvCache, copy_cache, run_uv, snapshot

runner = CliRunner()


def uv_prune(cache: Path, *args: str) -> str:
    return run_uv("cache", "prune", "--force", "-v", *args, cache_dir=cache).stderr


def removed_archives(log: str, archive_bucket: str) -> set[str]:
    return set(re.findall(rf"{archive_bucket}/([A-Za-z0-9_-]+)", log))


def test_sweep_leaves_the_tree_uv_cache_prune_leaves(uv_cache: UvCache, tmp_path: Path) -> None:
    builds = uv_cache.root / uv_cache.buckets[Kind.BUILDS]
    (builds / ".tmpBuildEnv" / "bin").mkdir(parents=True)
    (builds / ".tmpBuildEnv" / "bin" / "python").symlink_to("/usr/bin/python3")
    (builds / "stray-file").write_text("x")
    twin = tmp_path / "twin"
    copy_cache(uv_cache.root, twin)
    assert snapshot(uv_cache.root) == snapshot(twin)

    document = sweep(uv_cache.root)
    uv_prune(twin)

    assert snapshot(uv_cache.root) == snapshot(twin)
    # The scenario is not trivial: both removed the same real garbage.
    removed = {entry["path"] for entry in document["removals"]}
    archive = uv_cache.buckets[Kind.ARCHIVE]
    for archive_id in uv_cache.dangling_archives | {uv_cache.env_archive}:
        assert f"{archive}/{archive_id}" in removed
    assert str(uv_cache.superseded_revision) in removed
    assert {str(p) for p in uv_cache.stale_paths} <= removed
    assert f"{uv_cache.buckets[Kind.BUILDS]}/.tmpBuildEnv" in removed


def test_sweep_ci_leaves_the_tree_uv_cache_prune_ci_leaves(
    uv_cache: UvCache, tmp_path: Path
) -> None:
    twin = tmp_path / "twin"
    copy_cache(uv_cache.root, twin)

    sweep(uv_cache.root, "--ci")
    uv_prune(twin, "--ci")

    assert snapshot(uv_cache.root) == snapshot(twin)
    assert not (uv_cache.root / uv_cache.buckets[Kind.WHEELS] / "index").exists()


@pytest.mark.parametrize("package", ["alpha", "BETA", "gamma", "epsilon", "zeta", "delta"])
def test_sweep_package_leaves_uv_cache_prune_nothing_of_it(uv_cache: UvCache, package: str) -> None:
    name = normalize(package)
    document = sweep(uv_cache.root, "--package", package)
    assert document["removals"], "the package was in the cache"

    log = uv_prune(uv_cache.root)

    archive = uv_cache.buckets[Kind.ARCHIVE]
    pruned = removed_archives(log, archive)
    of_package = {i for i, (n, _) in uv_cache.archives.items() if n == name}
    assert not pruned & of_package, log
    if name in uv_cache.env_packages:
        assert uv_cache.env_archive not in pruned
    # Nothing of the package is left anywhere in the cache.
    left = {i for i in of_package if (uv_cache.root / archive / i).exists()}
    assert left == set()
    assert not [p for p in snapshot(uv_cache.root) if f"/{name}/" in f"/{p}/"]


def test_sweep_package_removes_the_environments_holding_it(uv_cache: UvCache) -> None:
    document = sweep(uv_cache.root, "--package", "beta")

    kinds = {(e["kind"], e["path"]) for e in document["removals"]}
    env_dir = str(uv_cache.env_link.parent)
    assert ("environment", env_dir) in kinds
    archive = uv_cache.buckets[Kind.ARCHIVE]
    assert ("archive", f"{archive}/{uv_cache.env_archive}") in kinds
    assert not (uv_cache.root / env_dir).exists()


def test_other_packages_still_install_offline_from_the_swept_cache(
    uv_cache: UvCache, tmp_path: Path
) -> None:
    sweep(uv_cache.root, "--package", "alpha")
    sweep(uv_cache.root)

    venv = tmp_path / "venv"
    run_uv("venv", str(venv), "--python", PYTHON, cache_dir=uv_cache.root)

    def install(*requirements: str) -> str:
        result = run_uv(
            "pip",
            "install",
            "--offline",
            "--no-index",
            "--find-links",
            str(uv_cache.find_links),
            "--python",
            str(venv),
            *requirements,
            cache_dir=uv_cache.root,
        )
        return result.stderr

    log = install("beta==1.0", "gamma==1.0", "delta==1.0", "epsilon==1.0")
    # Every package came from the unzipped wheels left in the cache: nothing was prepared.
    assert "Installed 4 packages" in log, log
    assert "Prepared" not in log, log
    # The swept package is really gone: uv has to unzip it again.
    assert "Prepared 1 package" in install("alpha==2.0")


def test_dry_run_plans_exactly_what_the_sweep_removes(uv_cache: UvCache) -> None:
    before = snapshot(uv_cache.root)
    planned = sweep(uv_cache.root, "--dry-run")
    assert snapshot(uv_cache.root) == before
    assert planned["dry_run"] is True

    done = sweep(uv_cache.root)

    def paths(doc: dict[str, object]) -> list[str]:
        return [e["path"] for e in doc["removals"]]  # type: ignore[attr-defined]

    assert paths(planned) == paths(done)
    assert planned["totals"]["files"] == done["totals"]["files"]
    assert planned["totals"]["bytes"] == done["totals"]["bytes"]
