"""The Hugging Face hub cache, end to end: caches written by the real client, the client's own
deletion as the oracle, and a client downloading while janitor sweeps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from janitor.errors import EXIT_REFUSED, EXIT_USAGE
from tests.hubfactory import (
    HubCache,
    client,
    client_delete,
    client_scan,
    start_client,
    tree_of,
)
from tests.hubserver import Hub


def janitor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The console script, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "from janitor.entry import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def sweep_hub(root: Path, *args: str) -> dict[str, object]:
    """`janitor sweep hf --cache-dir ROOT --json ARGS`: its document (exit 0 asserted)."""
    result = janitor("sweep", "hf", "--cache-dir", str(root), "--json", *args)
    assert result.returncode == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    return document


def copy(cache: HubCache, tmp_path: Path, name: str) -> Path:
    """Another copy of a hub cache, for the client's own deletion."""
    root = tmp_path / name
    shutil.copytree(cache.root, root, symlinks=True)
    return root


def comparable(root: Path) -> dict[str, str]:
    """A cache's tree without what only the client keeps: the download locks, and the cached
    listings (`trees/<commit>.json`, `.no_exist/<commit>/`) of revisions no longer cached."""
    tree = tree_of(root)
    snapshots = {
        path.split("/")[2] for path in tree if path.count("/") >= 2 and "/snapshots/" in path
    }
    kept: dict[str, str] = {}
    for path, what in tree.items():
        parts = path.split("/")
        if parts[0] == ".locks":
            continue
        if (
            len(parts) >= 3
            and parts[1] == "trees"
            and parts[2].removesuffix(".json") not in snapshots
        ):
            continue
        if len(parts) >= 3 and parts[1] == ".no_exist" and parts[2] not in snapshots:
            continue
        if len(parts) == 2 and parts[1] in ("trees", ".no_exist") and what == "dir":
            continue
        kept[path] = what
    return kept


def revisions_of(root: Path, repo: str) -> list[str]:
    """Every commit of a repository the client sees in the cache."""
    repos = client_scan(root)["repos"]
    assert isinstance(repos, dict)
    return sorted(repos[repo]["revisions"])


def test_a_sweep_leaves_what_the_client_leaves_after_deleting_the_detached_revisions(
    hub_cache: HubCache, tmp_path: Path
) -> None:
    oracle = copy(hub_cache, tmp_path, "oracle")
    client_delete(oracle)
    document = sweep_hub(hub_cache.root)
    assert comparable(hub_cache.root) == comparable(oracle)
    after = client_scan(hub_cache.root)
    assert after["warnings"] == []
    assert after["repos"] == client_scan(oracle)["repos"]
    # Something was removed: the repository fetched by commit only, and main's old revision.
    removed = {item["path"] for item in document["removals"]}  # type: ignore[attr-defined]
    assert "models--gpt2" in removed
    assert f"models--org--moving/snapshots/{hub_cache.commits['moving-1']}" in removed


@pytest.mark.parametrize(
    ("selector", "repo"),
    [
        ("org/moving", "model/org/moving"),
        ("Org/Moving", None),
        ("datasets/org/data", "dataset/org/data"),
        ("models--org--tagged", "model/org/tagged"),
        ("gpt2", "model/gpt2"),
    ],
)
def test_package_removes_what_the_client_removes_for_every_revision_of_the_repo(
    hub_cache: HubCache, tmp_path: Path, selector: str, repo: str | None
) -> None:
    oracle = copy(hub_cache, tmp_path, "oracle")
    if repo is not None:
        client_delete(oracle, revisions_of(oracle, repo))
    document = sweep_hub(hub_cache.root, "--package", selector)
    assert comparable(hub_cache.root) == comparable(oracle)
    assert client_scan(hub_cache.root)["warnings"] == []
    if repo is None:  # the hub's names are case-sensitive: nothing of that spelling is cached
        assert document["removals"] == []


@pytest.mark.parametrize(
    ("revision", "name"),
    [("v1.0", "tagged-1"), ("refs/pr/1", "tagged-pr"), ("main", "tagged-2"), (None, "tagged-2")],
)
def test_one_revision_by_ref_or_commit_goes_as_the_client_deletes_it(
    hub_cache: HubCache, tmp_path: Path, revision: str | None, name: str
) -> None:
    commit = hub_cache.commits[name]
    oracle = copy(hub_cache, tmp_path, "oracle")
    client_delete(oracle, [commit])
    sweep_hub(hub_cache.root, "--package", f"org/tagged@{revision or commit}")
    assert comparable(hub_cache.root) == comparable(oracle)
    assert client_scan(hub_cache.root)["warnings"] == []


def test_the_last_revision_takes_the_repository_as_the_client_does(
    hub_cache: HubCache, tmp_path: Path
) -> None:
    oracle = copy(hub_cache, tmp_path, "oracle")
    client_delete(oracle, [hub_cache.commits["data"]])
    document = sweep_hub(
        hub_cache.root, "--package", f"datasets/org/data@{hub_cache.commits['data']}"
    )
    assert not (hub_cache.root / "datasets--org--data").exists()
    assert comparable(hub_cache.root) == comparable(oracle)
    assert [item["kind"] for item in document["removals"]] == ["repo"]  # type: ignore[attr-defined]


def test_the_client_downloads_nothing_again_that_the_sweep_kept(
    hub_cache: HubCache, hub_server: tuple[Hub, str]
) -> None:
    hub, endpoint = hub_server
    sweep_hub(hub_cache.root)
    sent = len(hub.downloads)
    client(
        endpoint,
        hub_cache.root,
        """
        from huggingface_hub import snapshot_download
        snapshot_download("org/moving")
        snapshot_download("org/tagged", revision="v1.0")
        snapshot_download("org/tagged", revision="refs/pr/1")
        snapshot_download("org/tagged")
        snapshot_download("org/data", repo_type="dataset")
        """,
    )
    assert hub.downloads[sent:] == []


def test_a_dry_run_plans_exactly_what_the_sweep_removes(hub_cache: HubCache) -> None:
    before = tree_of(hub_cache.root)
    planned = sweep_hub(hub_cache.root, "--dry-run")
    assert tree_of(hub_cache.root) == before
    done = sweep_hub(hub_cache.root)
    assert [i["path"] for i in planned["removals"]] == [i["path"] for i in done["removals"]]  # type: ignore[attr-defined]
    assert planned["totals"] == done["totals"]


def _held_download(
    hub: Hub, endpoint: str, root: Path, repo: str
) -> tuple[subprocess.Popen[str], bytes]:
    """A client downloading a new revision of `repo` into `root`, held halfway through."""
    weights = os.urandom(200_000)
    first = hub.commit(repo, {"config.json": b'{"live": 1}\n'})
    client(endpoint, root, f'import huggingface_hub as h; h.snapshot_download("{repo}")')
    # The new revision shares its config with the first: only the weights are downloaded.
    hub.commit(repo, {"config.json": b'{"live": 1}\n', "model.bin": weights})
    assert (root / f"models--{repo.replace('/', '--')}" / "snapshots" / first).is_dir()
    held = hub.hold(weights)
    process = start_client(
        endpoint,
        root,
        f"""
        from huggingface_hub import snapshot_download
        print(snapshot_download("{repo}"))
        """,
    )
    assert held.reached.wait(60), "the client never started its download"
    return process, weights


def test_a_running_download_is_never_disturbed(
    hub_cache: HubCache, hub_server: tuple[Hub, str]
) -> None:
    hub, endpoint = hub_server
    repo = "org/live-download"
    folder = hub_cache.root / "models--org--live-download"
    process, weights = _held_download(hub, endpoint, hub_cache.root, repo)
    try:
        incomplete = [
            p.name for p in (folder / "blobs").iterdir() if p.name.endswith(".incomplete")
        ]
        assert incomplete, "the download should be halfway"
        pruned = janitor("sweep", "hf", "--cache-dir", str(hub_cache.root), "-v")
        assert pruned.returncode == 0, pruned.stderr
        assert "kept org/live-download: a download into it is running" in pruned.stderr
        named = janitor("sweep", "hf", "--cache-dir", str(hub_cache.root), "-p", repo)
        assert named.returncode == 0, named.stderr
        assert "warning: kept org/live-download: a download into it is running" in named.stderr
        assert folder.is_dir()
        assert [
            p.name for p in (folder / "blobs").iterdir() if p.name.endswith(".incomplete")
        ] == incomplete
    finally:
        for held in hub.holds.values():
            held.release.set()
        out, error = process.communicate(timeout=120)
    assert process.returncode == 0, error
    snapshot = Path(out.strip().splitlines()[-1])
    assert (snapshot / "model.bin").read_bytes() == weights
    # Once the download is over, the revision main left behind goes like any other.
    after = sweep_hub(hub_cache.root)
    paths = {item["path"] for item in after["removals"]}  # type: ignore[attr-defined]
    assert any(path.startswith("models--org--live-download/snapshots/") for path in paths)
    assert client_scan(hub_cache.root)["warnings"] == []


def test_a_download_killed_halfway_goes_once_its_lock_is_free(
    hub_cache: HubCache, hub_server: tuple[Hub, str]
) -> None:
    hub, endpoint = hub_server
    folder = hub_cache.root / "models--org--killed-download"
    process, _ = _held_download(hub, endpoint, hub_cache.root, "org/killed-download")
    process.kill()
    process.communicate(timeout=60)
    for held in hub.holds.values():
        held.release.set()
    incomplete = [p for p in (folder / "blobs").iterdir() if p.name.endswith(".incomplete")]
    assert len(incomplete) == 1
    document = sweep_hub(hub_cache.root)
    kinds = {item["path"]: item["kind"] for item in document["removals"]}  # type: ignore[attr-defined]
    rel = incomplete[0].relative_to(hub_cache.root).as_posix()
    assert kinds[rel] == "download"
    assert not incomplete[0].exists()
    assert client_scan(hub_cache.root)["warnings"] == []


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (
            ["sweep", "hf", "-p", "foo bar"],
            EXIT_USAGE,
            "error: invalid repository for --package: 'foo bar' is not a repository",
        ),
        (
            ["sweep", "hf", "-p", "org/name@"],
            EXIT_USAGE,
            "error: invalid repository for --package: 'org/name@': nothing after '@'",
        ),
        (
            ["sweep", "hf", "--keep", "org/x@main"],
            EXIT_USAGE,
            "error: --keep takes a repository, not a revision: 'org/x@main'",
        ),
        (["sweep", "hf", "--ci"], EXIT_USAGE, "error: --ci applies to uv's cache"),
        (["sweep", "all", "--cache-dir", "/tmp"], EXIT_USAGE, "error: --cache-dir names one cache"),
        (["sweep", "all", "-p", "x"], EXIT_USAGE, "error: --package names one cache's packages"),
    ],
)
def test_bad_input_is_one_line_and_its_own_exit_code(args: list[str], code: int, line: str) -> None:
    result = janitor(*args)
    assert result.returncode == code, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(line), result.stderr


def test_a_directory_that_is_not_a_hub_cache_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = janitor("sweep", "hf", "--cache-dir", str(tmp_path))
    assert result.returncode == EXIT_REFUSED
    assert result.stderr == (
        f"error: Not a Hugging Face cache: {tmp_path} has no models--, datasets-- or spaces-- "
        "folder and no CACHEDIR.TAG of the client\n"
    )
    assert (tmp_path / "notes.txt").exists()


def test_the_client_s_place_is_found_as_the_client_finds_it(
    hub_cache: HubCache, tmp_path: Path
) -> None:
    env = dict(os.environ, HF_HOME=str(hub_cache.root.parent))
    (hub_cache.root.parent / "hub").exists() or hub_cache.root.rename(hub_cache.root.parent / "hub")
    result = janitor("sweep", "hf", "-n", env=env)
    assert result.returncode == 0, result.stderr
    assert "models--gpt2" in result.stdout
    missing = janitor("sweep", "hf", env=dict(os.environ))
    assert missing.returncode == 0
    assert missing.stderr.startswith("No Hugging Face cache found at: ")


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"HF_HOME": "/srv/hf"},
        {"HF_HOME": "~/hf-home"},
        {"HF_HUB_CACHE": "/data/hub", "HF_HOME": "/srv/hf"},
        {"HUGGINGFACE_HUB_CACHE": "/legacy/hub"},
        {"XDG_CACHE_HOME": "/xdg"},
        {"HF_HUB_CACHE": "$HOME/models"},
    ],
)
def test_dir_hf_names_the_cache_the_client_uses(settings: dict[str, str]) -> None:
    env = {**os.environ, **settings}
    env.pop("HF_ENDPOINT", None)
    asked = subprocess.run(
        [
            sys.executable,
            "-c",
            "from huggingface_hub import constants; print(constants.HF_HUB_CACHE)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = janitor("dir", "hf", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == asked.stdout


def test_report_gives_the_client_s_sizes_and_du_s(hub_cache: HubCache) -> None:
    result = janitor("report", "hf", "--cache-dir", str(hub_cache.root), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    du = subprocess.run(
        ["du", "-s", "--block-size=1", str(hub_cache.root)], capture_output=True, text=True
    )
    assert document["size_bytes"] == int(du.stdout.split()[0])
    seen = client_scan(hub_cache.root)["repos"]
    assert isinstance(seen, dict)
    mine = {
        f"{repo['repo_type']}/{repo['repo'].removeprefix('datasets/')}": {
            "size_on_disk": repo["size_on_disk"],
            "revisions": {
                r["commit"]: {"refs": r["refs"], "size_on_disk": r["size_on_disk"]}
                for r in repo["revisions"]
            },
        }
        for repo in document["repos"]
    }
    assert mine == seen
    text = janitor("report", "hf", "--cache-dir", str(hub_cache.root))
    assert text.returncode == 0
    assert "detached" in text.stdout and "refs/pr/1" in text.stdout


def test_why_names_the_snapshots_that_link_to_a_blob(hub_cache: HubCache) -> None:
    from tests.hubserver import etag_of

    etag = etag_of(hub_cache.contents["weights"])
    result = janitor("why", "--cache-dir", str(hub_cache.root), etag, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["blob"] == f"models--org--moving/blobs/{etag}"
    assert sorted((link["commit"], link["refs"]) for link in document["referenced_by"]) == sorted(
        [(hub_cache.commits["moving-1"], []), (hub_cache.commits["moving-2"], ["main"])]
    )
    missing = janitor("why", "--cache-dir", str(hub_cache.root), "0" * 40)
    assert missing.returncode == EXIT_USAGE
    assert missing.stderr == (
        f"error: No blob {'0' * 40} in {hub_cache.root}: `janitor report hf` lists the "
        "repositories and revisions\n"
    )


def test_doctor_hf_says_what_needs_attention(hub_cache: HubCache) -> None:
    healthy = janitor("doctor", "hf", "--cache-dir", str(hub_cache.root))
    assert healthy.returncode == 0, healthy.stdout
    assert "repositories: 4, revisions: 7 (2 detached: a plain sweep removes them)" in (
        healthy.stdout
    )
    # A ref naming a commit that is not cached: the client's scan calls the repository corrupted.
    (hub_cache.root / "models--org--tagged" / "refs" / "gone").write_text("f" * 40)
    broken = janitor("doctor", "hf", "--cache-dir", str(hub_cache.root), "--json")
    assert broken.returncode == 1
    problems = json.loads(broken.stdout)["problems"]
    assert problems == [
        f"org/tagged: refs name commits the cache does not hold ({'f' * 40}): the client's "
        "scan reports the repository as corrupted"
    ]
    assert client_scan(hub_cache.root)["warnings"] != []
