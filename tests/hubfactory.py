"""Hub caches written by the real `huggingface_hub` client, from the tests' own hub on 127.0.0.1.

The client runs in a subprocess of its own (its settings are read at import, from the
environment), pointed at the hub with `HF_ENDPOINT`, with Xet off so that files come over plain
HTTP. `build_hub_cache` makes the caches most tests share: `main` moving forward (a detached
revision sharing blobs with the new one), tags and `refs/pr/1`, a repository fetched only by
commit hash, a dataset, a file known to be missing, and a download killed halfway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.hubserver import Hub

# Released clients the tests also write caches with, installed on first use (git-ignored).
RELEASES_DIR = Path(__file__).resolve().parent.parent / ".hf-releases"


def client_release(version: str) -> Path:
    """A released huggingface_hub, with what it needs, installed apart from the test venv."""
    target = RELEASES_DIR / version
    if not (target / "huggingface_hub").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(target),
                f"huggingface_hub=={version}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return target


def client_env(endpoint: str, cache: Path, release: Path | None = None) -> dict[str, str]:
    """The environment the client runs in: this hub, this cache, nothing else (and, with
    `release`, that client instead of the test venv's)."""
    env = dict(os.environ)
    if release is not None:
        env["PYTHONPATH"] = str(release)
    for name in ("HF_HOME", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN"):
        env.pop(name, None)
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HUB_CACHE=str(cache),
        # The client's own home (token, settings) beside the cache: the tests' default places
        # are unreachable on purpose.
        HF_HOME=f"{cache}.home",
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
        HF_HUB_ETAG_TIMEOUT="30",
        HF_HUB_DOWNLOAD_TIMEOUT="30",
    )
    return env


def client(
    endpoint: str, cache: Path, code: str, release: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `code` with the real client; it fails the test when the client fails."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=client_env(endpoint, cache, release),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def start_client(
    endpoint: str, cache: Path, code: str, release: Path | None = None
) -> subprocess.Popen[str]:
    """Start the real client on `code` without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=client_env(endpoint, cache, release),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def client_scan(cache: Path, release: Path | None = None) -> dict[str, object]:
    """What the client's own `scan_cache_dir()` reports: repos, revisions, refs and warnings."""
    code = """
        import json
        from huggingface_hub import scan_cache_dir
        info = scan_cache_dir()
        print(json.dumps({
            "warnings": [str(w) for w in info.warnings],
            "size_on_disk": info.size_on_disk,
            "repos": {
                f"{r.repo_type}/{r.repo_id}": {
                    "size_on_disk": r.size_on_disk,
                    "revisions": {
                        v.commit_hash: {"refs": sorted(v.refs), "size_on_disk": v.size_on_disk}
                        for v in r.revisions
                    },
                }
                for r in info.repos
            },
        }))
    """
    result = client("http://127.0.0.1:9", cache, code, release)
    document: dict[str, object] = json.loads(result.stdout)
    return document


def client_delete(
    cache: Path, revisions: list[str] | None = None, release: Path | None = None
) -> None:
    """The client's own deletion: the revisions named, or every detached one (`None`)."""
    code = f"""
        from huggingface_hub import scan_cache_dir
        info = scan_cache_dir()
        wanted = {revisions!r}
        if wanted is None:
            wanted = [v.commit_hash for r in info.repos for v in r.revisions if not v.refs]
        if wanted:
            info.delete_revisions(*wanted).execute()
    """
    client("http://127.0.0.1:9", cache, code, release)


@dataclass
class HubCache:
    """A hub cache the client wrote, and what the tests need to know of it."""

    root: Path
    commits: dict[str, str] = field(default_factory=dict)  # a name the tests use -> commit
    contents: dict[str, bytes] = field(default_factory=dict)  # a name -> a file's content


def _blob(seed: str, size: int) -> bytes:
    chunk = (seed * (size // len(seed) + 1)).encode()
    return chunk[:size]


def standard_hub(hub: Hub) -> HubCache:
    """The repositories of the shared cache (the cache itself is written by `fill`)."""
    cache = HubCache(Path())
    weights = _blob("weights-v1 ", 300_000)
    tokenizer = _blob("tokenizer ", 5_000)
    cache.contents.update(weights=weights, tokenizer=tokenizer)
    c = cache.commits
    c["moving-1"] = hub.commit(
        "org/moving",
        {"config.json": b'{"v": 1}\n', "model.bin": weights, "tok/tokenizer.json": tokenizer},
    )
    c["moving-2"] = hub.commit(
        "org/moving",
        {"config.json": b'{"v": 2}\n', "model.bin": weights, "tok/tokenizer.json": tokenizer},
    )
    c["tagged-1"] = hub.commit("org/tagged", {"a.txt": b"one\n"}, refs=("main", "v1.0"))
    c["tagged-pr"] = hub.commit("org/tagged", {"a.txt": b"pull request\n"}, refs=("refs/pr/1",))
    c["tagged-2"] = hub.commit("org/tagged", {"a.txt": b"two\n", "big.bin": _blob("t2 ", 4000)})
    c["gpt2"] = hub.commit("gpt2", {"config.json": b'{"n": 12}\n'})
    c["data"] = hub.commit(
        "org/data",
        {"train.csv": b"a,b\n1,2\n", "big.parquet": _blob("pq ", 9000)},
        repo_type="dataset",
    )
    return cache


def fill(endpoint: str, cache: HubCache, release: Path | None = None) -> None:
    """Write the standard repositories into the cache with the real client."""
    c = cache.commits
    client(
        endpoint,
        cache.root,
        f"""
        from huggingface_hub import hf_hub_download, snapshot_download
        from huggingface_hub.errors import EntryNotFoundError
        snapshot_download("org/moving", revision="{c["moving-1"]}")
        snapshot_download("org/moving")
        snapshot_download("org/tagged", revision="v1.0")
        snapshot_download("org/tagged", revision="refs/pr/1")
        snapshot_download("org/tagged")
        hf_hub_download("gpt2", "config.json", revision="{c["gpt2"]}")
        snapshot_download("org/data", repo_type="dataset")
        try:
            hf_hub_download("org/tagged", "missing.txt")
        except EntryNotFoundError:
            pass
        """,
        release,
    )


def tree_of(root: Path, skip: Mapping[str, bool] | None = None) -> dict[str, str]:
    """Every path under `root` with what it is: a link's target, a file's size, `dir`."""
    found: dict[str, str] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = f"file {path.stat().st_size}"
    return found
