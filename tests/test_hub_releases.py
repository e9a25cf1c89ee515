"""Hub caches written by released clients other than the test venv's: a sweep and a named
removal leave what that client's own deletion leaves, and a download it left halfway goes.

A cache is written by whichever client the user has; these releases span the layout's changes
(0.36.0, the last 0.x, writes `<etag>.incomplete` and no `trees/`; 1.20.0 writes process-unique
`.incomplete` names). They are installed from the package index into `.hf-releases/` once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubfactory import (
    HubCache,
    client_delete,
    client_release,
    client_scan,
    fill,
    standard_hub,
    start_client,
)
from tests.hubserver import Hub
from tests.test_hub import comparable, sweep_hub

RELEASES = ("0.36.0", "1.20.0")


@pytest.fixture(scope="module", params=RELEASES)
def written(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[HubCache, Path, Hub, str]]:
    """A cache the release wrote from a hub of its own, the release, the hub and its endpoint."""
    release = client_release(request.param)
    hub = Hub()
    cache = standard_hub(hub)
    cache.root = tmp_path_factory.mktemp(f"hub-{request.param}") / "hub"
    with hub.serve() as endpoint:
        fill(endpoint, cache, release)
        yield cache, release, hub, endpoint


def _copy(cache: HubCache, tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(cache.root, root, symlinks=True)
    return root


def test_a_sweep_leaves_what_the_release_s_own_deletion_leaves(
    written: tuple[HubCache, Path, Hub, str], tmp_path: Path
) -> None:
    cache, release, _, _ = written
    mine, oracle = _copy(cache, tmp_path, "mine"), _copy(cache, tmp_path, "oracle")
    client_delete(oracle, release=release)
    document = sweep_hub(mine)
    assert document["removals"]
    assert comparable(mine) == comparable(oracle)
    assert client_scan(mine, release)["warnings"] == []


@pytest.mark.parametrize("selector", ["org/moving", "org/tagged@v1.0"])
def test_a_named_removal_leaves_what_the_release_s_own_deletion_leaves(
    written: tuple[HubCache, Path, Hub, str], tmp_path: Path, selector: str
) -> None:
    cache, release, _, _ = written
    mine, oracle = _copy(cache, tmp_path, "mine"), _copy(cache, tmp_path, "oracle")
    if "@" in selector:
        commits = [cache.commits["tagged-1"]]
    else:
        commits = [cache.commits["moving-1"], cache.commits["moving-2"]]
    client_delete(oracle, commits, release=release)
    sweep_hub(mine, "--package", selector)
    assert comparable(mine) == comparable(oracle)
    assert client_scan(mine, release)["warnings"] == []


def test_a_download_the_release_left_halfway_goes(
    written: tuple[HubCache, Path, Hub, str], tmp_path: Path
) -> None:
    cache, release, hub, endpoint = written
    root = _copy(cache, tmp_path, "killed")
    data = bytes(range(256)) * 1000
    hub.commit("org/halfway", {"w.bin": data})
    held = hub.hold(data)
    process = start_client(
        endpoint,
        root,
        'from huggingface_hub import hf_hub_download; hf_hub_download("org/halfway", "w.bin")',
        release,
    )
    try:
        assert held.reached.wait(60), "the client never started its download"
    finally:
        process.kill()
        process.communicate(timeout=60)
        held.release.set()
    blobs = root / "models--org--halfway" / "blobs"
    [incomplete] = [p for p in blobs.iterdir() if p.name.endswith(".incomplete")]
    document = sweep_hub(root)
    removed = {item["path"]: item["kind"] for item in document["removals"]}  # type: ignore[attr-defined]
    assert removed[incomplete.relative_to(root).as_posix()] == "download"
    assert not incomplete.exists()
