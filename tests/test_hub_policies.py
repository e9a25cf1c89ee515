"""Policies on the Hugging Face hub cache, and one size budget over uv's cache and the hub's.

The caches are written by the real clients; last use is set by hand (access and modification
times), the oracle for what remains is the hub client's own deletion and `du`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.clirun import du
from tests.hubfactory import HubCache, client_delete, client_scan
from tests.test_hub import comparable
from tests.uvfactory import UvCache

DAY = 86400.0


def janitor(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The console script with --json, which must exit 0; its document."""
    done = subprocess.run(
        [sys.executable, "-c", "from janitor.entry import main; main()", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def touch_tree(root: Path, when: float) -> None:
    """Every file, link and folder under `root` last used and changed at `when`."""
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.utime(Path(directory, name), (when, when), follow_symlinks=False)


def use_revision(cache: HubCache, repo: str, commit: str, when: float) -> None:
    """A revision last used at `when`: its snapshot folder, and the blobs only it links to."""
    folder = cache.root / repo
    snapshot = folder / "snapshots" / commit
    shared = {
        os.readlink(link)
        for other in (folder / "snapshots").iterdir()
        if other.name != commit
        for link in other.rglob("*")
        if link.is_symlink()
    }
    for link in snapshot.rglob("*"):
        if link.is_symlink() and os.readlink(link) not in shared:
            os.utime(link.resolve(), (when, when))
    os.utime(snapshot, (when, when))


def revisions(root: Path) -> dict[str, list[str]]:
    """Each repository's commits, as the client sees them."""
    repos = client_scan(root)["repos"]
    assert isinstance(repos, dict)
    return {name: sorted(repo["revisions"]) for name, repo in repos.items()}


def test_keep_versions_keeps_what_refs_name_first_then_the_most_recently_used(
    hub_cache: HubCache, tmp_path: Path
) -> None:
    # The oracle's copy first: copying reads the blobs, which is a use.
    oracle = tmp_path / "oracle"
    shutil.copytree(hub_cache.root, oracle, symlinks=True)
    now = time.time()
    touch_tree(hub_cache.root, now - 10 * DAY)
    commits = hub_cache.commits
    # refs/pr/1's revision is the most recently used; main's and v1.0's are older but named.
    use_revision(hub_cache, "models--org--tagged", commits["tagged-pr"], now - DAY)
    use_revision(hub_cache, "models--org--tagged", commits["tagged-2"], now - 2 * DAY)
    document = janitor("sweep", "hf", "--cache-dir", str(hub_cache.root), "--keep-versions", "1")
    # The client's deletion of the detached revisions and of all but the most recently used of
    # org/tagged's three named ones.
    client_delete(oracle)
    client_delete(oracle, [commits["tagged-1"], commits["tagged-2"]])
    assert comparable(hub_cache.root) == comparable(oracle)
    assert revisions(hub_cache.root)["model/org/tagged"] == [commits["tagged-pr"]]
    reasons = {item["reason"] for item in document["removals"]}
    assert "beyond --keep-versions" in reasons


def test_older_than_removes_the_revisions_not_used_since(
    hub_cache: HubCache, tmp_path: Path
) -> None:
    oracle = tmp_path / "oracle"  # first: copying reads the blobs, which is a use
    shutil.copytree(hub_cache.root, oracle, symlinks=True)
    now = time.time()
    touch_tree(hub_cache.root, now - DAY)
    old = hub_cache.commits["tagged-1"]
    use_revision(hub_cache, "models--org--tagged", old, now - 60 * DAY)
    janitor("sweep", "hf", "--cache-dir", str(hub_cache.root), "--older-than", "30d")
    client_delete(oracle)
    client_delete(oracle, [old])
    assert comparable(hub_cache.root) == comparable(oracle)
    # A whole repository not used since goes as one.
    touch_tree(hub_cache.root / "datasets--org--data", now - 90 * DAY)
    document = janitor("sweep", "hf", "--cache-dir", str(hub_cache.root), "--older-than", "30d")
    assert [(i["path"], i["kind"]) for i in document["removals"]] == [
        ("datasets--org--data", "repo")
    ]
    assert client_scan(hub_cache.root)["warnings"] == []


def test_max_size_just_under_the_size_evicts_the_least_recently_used_revision(
    hub_cache: HubCache, tmp_path: Path
) -> None:
    pruned = tmp_path / "pruned"  # first: copying reads the blobs, which is a use
    shutil.copytree(hub_cache.root, pruned, symlinks=True)
    janitor("sweep", "hf", "--cache-dir", str(pruned))
    now = time.time()
    touch_tree(hub_cache.root, now - DAY)
    oldest = hub_cache.commits["tagged-pr"]
    use_revision(hub_cache, "models--org--tagged", oldest, now - 5 * DAY)
    budget = du(pruned) - 1
    document = janitor("sweep", "hf", "--cache-dir", str(hub_cache.root), "--max-size", str(budget))
    evicted = {
        item["version"]
        for item in document["removals"]
        if item["reason"] == "least recently used, over --max-size"
    }
    assert evicted == {oldest}
    assert du(hub_cache.root) <= budget
    assert client_scan(hub_cache.root)["warnings"] == []


def _both(
    uv_cache: UvCache, hub_cache: HubCache, tmp_path: Path, name: str
) -> tuple[Path, Path, dict[str, str]]:
    """Copies of both caches, and the environment that names them to `janitor sweep all`."""
    uv_root, hub_root = tmp_path / name / "uv", tmp_path / name / "hub"
    shutil.copytree(uv_cache.root, uv_root, symlinks=True)
    shutil.copytree(hub_cache.root, hub_root, symlinks=True)
    env = dict(os.environ, UV_CACHE_DIR=str(uv_root), HF_HUB_CACHE=str(hub_root))
    return uv_root, hub_root, env


def _evicted(document: dict[str, Any]) -> dict[str, list[str]]:
    return {
        cache: [
            item["path"]
            for item in part["removals"]
            if item["reason"] == "least recently used, over --max-size"
        ]
        for cache, part in document["caches"].items()
    }


def test_one_budget_over_uv_and_the_hub_evicts_across_them_in_last_use_order(
    uv_cache: UvCache, hub_cache: HubCache, tmp_path: Path
) -> None:
    now = time.time()
    uv_root, hub_root, env = _both(uv_cache, hub_cache, tmp_path, "pruned")
    janitor("sweep", "all", env=env)
    together = du(uv_root, hub_root)
    for older, newer in (("hf", "uv"), ("uv", "hf")):
        uv_root, hub_root, env = _both(uv_cache, hub_cache, tmp_path, older)
        roots = {"uv": uv_root, "hf": hub_root}
        touch_tree(roots[older], now - 20 * DAY)
        touch_tree(roots[newer], now - DAY)
        document = janitor("sweep", "all", "--max-size", str(together - 1), env=env)
        evicted = _evicted(document)
        # One byte over: the least recently used version of the two caches goes, and only it.
        assert evicted[newer] == [], evicted
        assert len(evicted[older]) >= 1, evicted
        versions = {
            (item["package"], item["version"])
            for item in document["caches"][older]["removals"]
            if item["reason"] == "least recently used, over --max-size"
        }
        assert len(versions) == 1, versions
        assert du(uv_root, hub_root) <= together - 1
    assert client_scan(hub_root)["warnings"] == []


def test_report_all_gives_both_caches_and_their_total(
    uv_cache: UvCache, hub_cache: HubCache, tmp_path: Path
) -> None:
    uv_root, hub_root, env = _both(uv_cache, hub_cache, tmp_path, "report")
    document = janitor("report", "all", env=env)
    assert set(document["caches"]) == {"uv", "hf"}
    assert document["caches"]["uv"]["size_bytes"] == du(uv_root)
    assert document["caches"]["hf"]["size_bytes"] == du(hub_root)
    assert document["total_size_bytes"] == du(uv_root) + du(hub_root)
