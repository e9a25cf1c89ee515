"""`janitor doctor` on genuine caches: the uvs found, the cache and how it was found, each uv's
buckets, access times, the lock against a real running uv, leftovers; exit 1 on a problem."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.uv.layout import TRASH_DIR, Kind
from tests.test_lock import running_uv
from tests.uvfactory import UV_BIN, UV_VERSION, UvCache, copy_cache, new_archive_id, run_uv

runner = CliRunner()


def doctor(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["doctor", "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, document


def test_a_healthy_cache(uv_cache: UvCache) -> None:
    code, found = doctor("--cache-dir", str(uv_cache.root), "--uv", str(UV_BIN))
    assert found["problems"] == [], found
    assert code == 0
    [uv] = found["uvs"]
    assert (uv["version"], uv["path"], uv["found_by"]) == (UV_VERSION, str(UV_BIN), "--uv")
    assert uv["buckets_from"] == "table"
    assert uv_cache.buckets[Kind.WHEELS] in uv["buckets_here"]
    # What that uv's own prune removes at the top: the stale buckets and strays the cache holds.
    assert set(uv["its_prune_removes"]["top_level"]) >= {"wheels-v5", "built-wheels-v3"}
    assert found["found_by"] == "--cache-dir"
    assert found["top_level"][uv_cache.buckets[Kind.WHEELS]] == "current"
    assert found["top_level"]["wheels-v5"] == "stale"
    assert found["lock"] == "free"
    assert found["trash"] == []


def test_the_uv_found_and_the_cache_it_names(tmp_path: Path) -> None:
    """Without flags: the uv beside the running Python, and the cache `uv cache dir` names."""
    code, found = doctor()
    assert code == 0, found
    assert {uv["path"] for uv in found["uvs"]} == {str(UV_BIN)}
    assert found["found_by"] == "uv cache dir"
    assert found["cache_dir"] == str(Path(os.environ["XDG_CACHE_HOME"]) / "uv")
    assert found["exists"] is False


def test_a_running_uv_holds_the_lock(uv_cache: UvCache) -> None:
    with running_uv(uv_cache.root, 30):
        code, found = doctor("--cache-dir", str(uv_cache.root))
    assert found["lock"].startswith("held: a uv process is running"), found
    assert code == 0  # a running uv is no problem: a sweep waits for it


def test_leftovers_and_unknown_buckets_are_said(uv_cache: UvCache) -> None:
    (uv_cache.root / TRASH_DIR / "abc-1-tree").mkdir(parents=True)
    (uv_cache.root / "wheels-v99").mkdir()
    result = runner.invoke(app, ["doctor", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 1, result.output
    assert "problem: 1 trees an interrupted or failed sweep left in .janitor-trash" in result.stdout
    assert "wheels-v99: unknown" in result.stdout
    assert "note: kept as unknown (a newer uv or a preview layout): wheels-v99" in result.stdout


def test_no_uv_found_is_a_problem(uv_cache: UvCache, tmp_path: Path) -> None:
    """A doctor run by a Python with no uv anywhere near it (a venv without uv, a bare PATH)."""
    import subprocess
    import sys
    import venv

    bare = tmp_path / "bare-venv"
    venv.create(bare, with_pip=False)
    site = Path(__file__).resolve().parent.parent
    packages = [p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir()]
    python = bare / "bin" / "python"
    env = {**os.environ, "PATH": str(bare / "bin"), "PYTHONPATH": os.pathsep.join(
        [str(site), *map(str, packages)]
    )}  # fmt: skip
    assert shutil.which("uv", path=env["PATH"]) is None
    done = subprocess.run(
        [str(python), "-m", "janitor", "doctor", "--json", "--cache-dir", str(uv_cache.root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    found = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    assert found["uvs"] == []
    assert any(p.startswith("no uv found") for p in found["problems"]), found


@pytest.fixture(scope="module")
def two_copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of the test dependency's uv binary, in two directories: one release, twice."""
    base = tmp_path_factory.mktemp("two-uvs")
    copies = []
    for name in ("one", "two"):
        (base / name).mkdir()
        copies.append(Path(shutil.copy2(UV_BIN, base / name / UV_BIN.name)))
    return copies[0], copies[1]


def test_two_uvs_of_one_release_named_with_uv_are_both_listed(
    uv_cache: UvCache, two_copies: tuple[Path, Path]
) -> None:
    first, second = two_copies
    result = runner.invoke(
        app, ["doctor", "--cache-dir", str(uv_cache.root), "--uv", str(first), "--uv", str(second)]
    )
    assert result.exit_code == 0, result.output
    assert f"  uv {UV_VERSION} at {first} (found by --uv)" in result.stdout.splitlines()
    assert f"  uv {UV_VERSION} at {second} (found by --uv)" in result.stdout.splitlines()
    code, found = doctor("--cache-dir", str(uv_cache.root), "--uv", str(first), "--uv", str(second))
    assert code == 0, found
    assert sorted(uv["path"] for uv in found["uvs"]) == sorted([str(first), str(second)])
    assert {uv["version"] for uv in found["uvs"]} == {UV_VERSION}


def test_a_copy_on_path_beside_the_pythons_own_uv_is_listed(
    uv_cache: UvCache, two_copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test extra's uv beside the running Python, and another uv of the same release on
    PATH: both found, both listed."""
    first, _ = two_copies
    monkeypatch.setenv("PATH", f"{first.parent}{os.pathsep}{os.environ['PATH']}")
    code, found = doctor("--cache-dir", str(uv_cache.root))
    assert code == 0, found
    listed = {uv["path"]: uv["found_by"] for uv in found["uvs"]}
    assert listed == {str(first): "PATH", str(UV_BIN): "the Python's scripts directory"}, listed


def uv_prune_removes(cache: Path) -> int:
    """How many files the real `uv cache prune` removes from `cache` (it says so on stderr)."""
    said = run_uv("cache", "prune", "--force", cache_dir=cache).stderr
    match = re.search(r"^Removed ([\d,]+) files?", said, re.MULTILINE)
    assert match is not None, said
    return int(match[1].replace(",", ""))


def test_its_prune_counts_what_uv_prune_and_a_sweep_remove(
    uv_cache: UvCache, tmp_path: Path
) -> None:
    """No stale bucket left at the top: the cached environment, a superseded revision and the
    archives nothing links to are still pruned, and doctor counts every file of them."""
    for stale in uv_cache.stale_paths:
        path = uv_cache.path(stale)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    twin, swept = tmp_path / "twin", tmp_path / "swept"
    copy_cache(uv_cache.root, twin)
    copy_cache(uv_cache.root, swept)
    code, found = doctor("--cache-dir", str(uv_cache.root), "--uv", str(UV_BIN))
    assert code == 0, found
    [uv] = found["uvs"]
    its_prune = uv["its_prune_removes"]
    assert its_prune["top_level"] == []
    assert its_prune["by_kind"] == {"revision": 1, "environment": 1, "archive": 4}, its_prune
    result = runner.invoke(app, ["sweep", "--json", "--cache-dir", str(swept), "--uv", str(UV_BIN)])
    assert result.exit_code == 0, result.output
    removed = json.loads(result.stdout)["totals"]
    assert its_prune["files"] == uv_prune_removes(twin) == removed["files"] > 0
    assert its_prune["disk_bytes"] == removed["disk_bytes"]
    text = runner.invoke(app, ["doctor", "--cache-dir", str(uv_cache.root), "--uv", str(UV_BIN)])
    assert (
        f"    its prune would remove: 1 revision, 1 environment, 4 archives: "
        f"{its_prune['files']} files" in text.stdout
    ), text.stdout


def test_its_prune_removes_buckets_it_does_not_know(uv_cache: UvCache, tmp_path: Path) -> None:
    """A bucket of a newer uv is kept by a sweep, but the older uv's own prune removes it, and
    the archives only its links reached."""
    archive_dir = uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]
    only_newer = new_archive_id(os.listdir(archive_dir))
    shutil.copytree(archive_dir / uv_cache.zeta_archive, archive_dir / only_newer)
    newer = uv_cache.root / "wheels-v99" / "pypi" / "kappa"
    newer.mkdir(parents=True)
    (newer / "1.0-py3-none-any").symlink_to(os.path.relpath(archive_dir / only_newer, newer))
    twin = tmp_path / "twin"
    copy_cache(uv_cache.root, twin)
    code, found = doctor("--cache-dir", str(uv_cache.root), "--uv", str(UV_BIN))
    assert code == 0, found
    [uv] = found["uvs"]
    its_prune = uv["its_prune_removes"]
    assert "wheels-v99" in its_prune["top_level"], its_prune
    assert its_prune["files"] == uv_prune_removes(twin)
    assert not (twin / "wheels-v99").exists()
    assert not (twin / uv_cache.buckets[Kind.ARCHIVE] / only_newer).exists()
