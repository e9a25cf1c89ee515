"""The hub workload: `janitor sweep hf` against the client's own deletion of every detached revision
(`scan_cache_dir().delete_revisions(*detached).execute()`, what `hf cache prune` does) and `rm -rf`
of the detached snapshot folders plus the blobs only they reach, on a synthetic Hugging Face hub
cache (bench/gen/hub_cache.py). The client and `rm` must leave the tree the manifest says the
client leaves; janitor that tree less the detached revisions' `trees/<commit>.json` and
`.no_exist/<commit>/`, which it also removes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.commands import Commands
from bench.common import BenchError
from bench.gen.hub_cache import HUB_GENERATOR_VERSION, generate, verify
from bench.timing import Run
from bench.trees import expected_after_prune, listing
from bench.workloads.base import Workload, compare, copied

ARG_BYTES = 512 * 1024  # stay well below ARG_MAX for `rm -rf PATHS...`

CLIENT_SCRIPT = """
import sys
from huggingface_hub import scan_cache_dir
info = scan_cache_dir(sys.argv[1])
detached = [v.commit_hash for r in info.repos for v in r.revisions if not v.refs]
info.delete_revisions(*detached).execute()
"""


def client_available() -> bool:
    """Whether the runner's interpreter has huggingface_hub (a test dependency of janitor)."""
    return importlib.util.find_spec("huggingface_hub") is not None


def _load(workdir: Path, repos: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The pristine hub cache and its manifest, generated (and checked) when missing or stale."""
    caches = workdir / "caches"
    caches.mkdir(parents=True, exist_ok=True)
    cache = caches / f"hub-{repos}-s{seed}"
    path = cache.with_name(cache.name + ".manifest.json")
    if cache.is_dir() and path.is_file():
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except ValueError:
            data = {}
        if data.get("generator") == HUB_GENERATOR_VERSION and data.get("cache") == str(cache):
            print(f"reusing {cache} ({data['revisions']} revisions)")
            return cache, data
    path.unlink(missing_ok=True)
    if cache.exists():
        subprocess.run(["rm", "-rf", "--", str(cache)], check=True)
    print(f"generating a hub cache of {repos} repositories in {cache}", flush=True)
    manifest = generate(cache, repos, seed)
    problem = verify(cache, manifest)
    if problem is not None:
        path.unlink(missing_ok=True)
        raise BenchError(f"the generated hub cache is not what the client writes: {problem}")
    return cache, manifest


@dataclass
class HubWork(Workload):
    """`janitor sweep hf` against the client's `delete_revisions` and `rm -rf`."""

    manifest_path: Path
    manifest: dict[str, Any]
    expected_client: set[str]
    expected_janitor: set[str]
    paths0: Path

    @classmethod
    def load(cls, workdir: Path, repos: int, seed: int, tools: Sequence[str]) -> HubWork:
        pristine, manifest = _load(workdir, repos, seed)
        manifest_path = pristine.with_name(pristine.name + ".manifest.json")
        removes: list[str] = manifest["client_removes"]
        entries = listing(pristine)
        expected_client = expected_after_prune(entries, removes)
        expected_janitor = expected_after_prune(expected_client, manifest["janitor_also_removes"])
        paths0 = manifest_path.with_suffix(".paths0")
        paths0.write_bytes(b"".join(p.encode() + b"\0" for p in removes))
        snapshots = sum(1 for p in removes if "/snapshots/" in p)
        text = (
            f"{repos} repos, {manifest['revisions']} revisions ({snapshots} detached), "
            f"{manifest['large_blobs']} sparse weight blobs; "
            f"{len(removes) - snapshots} blobs only detached revisions reach"
        )
        return cls(
            id="hub",
            kind="hub",
            **copied(pristine, entries, text, tools),
            manifest_path=manifest_path,
            manifest=manifest,
            expected_client=expected_client,
            expected_janitor=expected_janitor,
            paths0=paths0,
        )

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        paths: list[str] = self.manifest["client_removes"]
        if tool == "janitor":
            return cmds.sweep_hf(cache, "-q")
        if tool == "client":
            return [sys.executable, "-c", CLIENT_SCRIPT, str(cache)]
        if tool == "rm":  # run in the cache, on relative paths
            if sum(len(p) + 1 for p in paths) < ARG_BYTES:
                return ["rm", "-rf", "--", *paths]
            return ["xargs", "-0", "-a", str(self.paths0), "rm", "-rf", "--"]
        raise BenchError(f"unknown tool {tool}")

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        if run.tool == "janitor":
            compare(
                run, left, self.expected_janitor, "the client's delete_revisions, less listings"
            )
        else:
            compare(run, left, self.expected_client, "the client's delete_revisions")

    def info(self) -> dict[str, Any]:
        keep = ("repos", "seed", "revisions", "large_blobs")
        return super().info() | {
            "manifest": {k: self.manifest[k] for k in keep},
            "detached": len(self.manifest["detached"]),
            "client_removes": len(self.manifest["client_removes"]),
        }
