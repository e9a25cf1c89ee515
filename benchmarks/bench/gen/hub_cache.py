"""A synthetic Hugging Face hub cache, laid out as huggingface_hub 2.4 writes it, and its manifest.

Each repository has several revisions, `main` having moved forward through them, so that most
revisions are detached and share most of their blobs with the current one: a config that changes
with every commit, a tokenizer and a README that change now and then, and one to four weight
shards that change every other commit. Some repositories keep a tag on their first revision and a
`refs/pr/1` on a middle one; a fifth are datasets. Every revision has its `trees/<commit>.json`,
some a `.no_exist/<commit>/` marker, and every blob the `.locks/<folder>/<etag>.lock` its download
left. Small files are written whole; weight shards are sparse (one block of data, the rest a
hole): their size is apparent, so the workload times the tools' metadata work, not the freeing
of extents. Etags have the client's shapes (git sha1 for small files, sha256 for large ones) but
are derived from a seed, not from the content: no tool reads the content.

The manifest lists what deleting the detached revisions removes, as the client's own
`delete_revisions` does it (snapshot folders, blobs only they reach) and what janitor also removes
(their `trees/<commit>.json` and `.no_exist/<commit>/`). Standard library only; the client's scan
checks the result (`verify`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HUB_GENERATOR_VERSION = 1
TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by huggingface_hub.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)
LARGE_MIN, LARGE_MAX = 64 * 2**20, 2 * 2**30


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _File:
    path: str  # inside the snapshot
    etag: str
    size: int
    large: bool


@dataclass
class _Repo:
    folder: str
    commits: list[str] = field(default_factory=list)
    files: dict[str, list[_File]] = field(default_factory=dict)  # commit -> its files
    refs: dict[str, str] = field(default_factory=dict)  # ref name -> commit
    missing: set[str] = field(default_factory=set)  # commits with a .no_exist marker


def _plan_repo(draw: random.Random, index: int) -> _Repo:
    kind = "datasets" if index % 5 == 4 else "models"
    repo = _Repo(f"{kind}--org{index % 7}--repo-{index:04d}")
    revisions = draw.randint(3, 8)
    shards = draw.randint(1, 4)
    current: dict[str, _File] = {}

    def fresh(path: str, seed: str, large: bool) -> _File:
        if large:
            size = draw.randint(LARGE_MIN, LARGE_MAX)
            return _File(path, _sha256(seed), size, True)
        return _File(path, _sha1(seed), draw.randint(200, 60_000), False)

    for rev in range(revisions):
        seed = f"{repo.folder}/{rev}"
        commit = _sha1(f"commit {seed}")
        changes = {"config.json": True}
        changes["tokenizer.json"] = rev == 0 or draw.random() < 0.3
        changes["README.md"] = rev == 0 or draw.random() < 0.2
        for shard in range(shards):
            name = f"model-{shard + 1:05d}-of-{shards:05d}.safetensors"
            changes[name] = rev % 2 == 0
        if kind == "datasets":
            changes["data/train-00000.parquet"] = rev == 0 or draw.random() < 0.5
        for path, changed in changes.items():
            if changed or path not in current:
                current[path] = fresh(
                    path, f"{seed}/{path}", path.endswith((".safetensors", ".parquet"))
                )
        repo.commits.append(commit)
        repo.files[commit] = list(current.values())
        if draw.random() < 0.3:
            repo.missing.add(commit)
    repo.refs["main"] = repo.commits[-1]
    if draw.random() < 0.2:
        repo.refs["v1.0"] = repo.commits[0]
    if revisions > 3 and draw.random() < 0.15:
        repo.refs["refs/pr/1"] = repo.commits[revisions // 2]
    return repo


def _write_file(path: Path, size: int, *, sparse: bool, seed: str) -> None:
    data = (seed.encode() * (4096 // len(seed) + 1))[: min(size, 4096)]
    with open(path, "wb") as handle:
        handle.write(data)
        if sparse and size > len(data):
            handle.truncate(size)
        elif size > len(data):
            handle.write(b"\0" * (size - len(data)))


def _write_repo(root: Path, repo: _Repo) -> None:
    base = root / repo.folder
    blobs = base / "blobs"
    blobs.mkdir(parents=True)
    locks = root / ".locks" / repo.folder
    locks.mkdir(parents=True)
    written: set[str] = set()
    for commit in repo.commits:
        snapshot = base / "snapshots" / commit
        for item in repo.files[commit]:
            if item.etag not in written:
                _write_file(blobs / item.etag, item.size, sparse=item.large, seed=item.etag)
                (locks / f"{item.etag}.lock").touch()
                written.add(item.etag)
            link = snapshot / item.path
            link.parent.mkdir(parents=True, exist_ok=True)
            up = "../" * (item.path.count("/") + 2)
            link.symlink_to(f"{up}blobs/{item.etag}")
        trees = base / "trees"
        trees.mkdir(exist_ok=True)
        listing = [
            {"type": "file", "path": f.path, "size": f.size, "oid": f.etag}
            for f in repo.files[commit]
        ]
        (trees / f"{commit}.json").write_text(json.dumps(listing))
        if commit in repo.missing:
            marker = base / ".no_exist" / commit / "generation_config.json"
            marker.parent.mkdir(parents=True)
            marker.touch()
    for ref, commit in repo.refs.items():
        path = base / "refs" / ref
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(commit)  # the client writes the hash without a newline


def generate(dest: Path, repos: int, seed: int) -> dict[str, Any]:
    """Write the cache at `dest` and return its manifest (also written beside it)."""
    draw = random.Random(seed)
    planned = [_plan_repo(draw, index) for index in range(repos)]
    dest.mkdir(parents=True)
    (dest / "CACHEDIR.TAG").write_text(TAG)
    for repo in planned:
        _write_repo(dest, repo)
    detached: list[str] = []
    removes: list[str] = []  # what the client's deletion of the detached revisions removes
    listings: list[str] = []  # what janitor also removes
    revisions = large = 0
    for repo in planned:
        named = set(repo.refs.values())
        gone = [c for c in repo.commits if c not in named]
        revisions += len(repo.commits)
        large += len({f.etag for fs in repo.files.values() for f in fs if f.large})
        kept = {f.etag for c in repo.commits if c in named for f in repo.files[c]}
        only = sorted({f.etag for c in gone for f in repo.files[c]} - kept)
        detached.extend(gone)
        removes.extend(f"{repo.folder}/snapshots/{c}" for c in gone)
        removes.extend(f"{repo.folder}/blobs/{etag}" for etag in only)
        listings.extend(f"{repo.folder}/trees/{c}.json" for c in gone)
        listings.extend(f"{repo.folder}/.no_exist/{c}" for c in gone if c in repo.missing)
    manifest = {
        "generator": HUB_GENERATOR_VERSION,
        "cache": str(dest),
        "repos": repos,
        "seed": seed,
        "revisions": revisions,
        "large_blobs": large,
        "detached": detached,
        "client_removes": removes,
        "janitor_also_removes": listings,
    }
    dest.with_name(dest.name + ".manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


VERIFY_SCRIPT = """
import json, sys
from huggingface_hub import scan_cache_dir
info = scan_cache_dir(sys.argv[1])
print(json.dumps({
    "warnings": [str(w) for w in info.warnings],
    "detached": sorted(v.commit_hash for r in info.repos for v in r.revisions if not v.refs),
    "revisions": sum(len(r.revisions) for r in info.repos),
}))
"""


def verify(cache: Path, manifest: dict[str, Any]) -> str | None:
    """What is wrong with the cache as the client's `scan_cache_dir()` reads it; None if nothing."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", VERIFY_SCRIPT, str(cache)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run the client's scan: {exc}"
    if done.returncode != 0:
        return f"the client's scan failed: {done.stderr.strip().splitlines()[-1:]}"
    seen = json.loads(done.stdout)
    if seen["warnings"]:
        return f"the client warns: {seen['warnings'][:3]}"
    if seen["detached"] != sorted(manifest["detached"]):
        return "the client sees other detached revisions than the manifest lists"
    if seen["revisions"] != manifest["revisions"]:
        return f"the client sees {seen['revisions']} revisions, not {manifest['revisions']}"
    return None
