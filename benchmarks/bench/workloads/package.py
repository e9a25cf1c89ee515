"""The package workload: `janitor sweep --package pandas` against `uv cache clean pandas` on a real
cache built once from the package index with uv (two virtual environments hard-linked to it, a
cached tool environment). janitor must leave the tree uv leaves."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.commands import Commands, uv_version
from bench.common import BenchError, parallel, remove_trees, tail
from bench.timing import Run
from bench.trees import count_files, digest, listing, topmost
from bench.workloads.base import Workload, compare, copied

# The real cache of the package workload: what is installed, and the package that is removed.
PACKAGE = "pandas"
REAL_LATEST = (
    "pandas",
    "hatch",
    "black",
    "django",
    "boto3",
    "scipy",
    "matplotlib",
    "sqlalchemy",
    "sphinx",
)
# Older releases beside the latest (numpy<2: pandas 2.1 was built against numpy 1); enough of them
# that the cache holds over REAL_MIN_FILES files.
REAL_OLDER = (
    "django==4.2.*",
    "pandas==2.1.*",
    "numpy<2",
    "scipy==1.11.*",
    "boto3==1.34.*",
    "sphinx==7.*",
)
REAL_TOOL = ("--from", "httpie", "http", "--version")  # a cached environment
REAL_RECIPE = 2  # bump when the recipe changes: the cache is rebuilt
REAL_MIN_FILES = 30_000
_NETWORK_TROUBLE = re.compile(
    r"dns error|failed to lookup address|name resolution|failed to connect|connection refused|"
    r"connection reset|network is unreachable|error sending request|tcp connect error|"
    r"operation timed out|could not connect|failed to fetch",
    re.IGNORECASE,
)


def build_real_cache(workdir: Path, cache: Path, venvs: Path, uv: str, log: Path) -> str | None:
    """Install the recipe with uv into `cache` and two venvs; None, or why it failed."""
    py = sys.executable
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_CACHE_DIR")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    common = ["--cache-dir", str(cache)]
    latest, older = venvs / "latest", venvs / "older"
    install = ["pip", "install", *common, "--link-mode", "hardlink", "--python"]
    steps = [
        [uv, "venv", *common, "--python", py, str(latest)],
        [uv, *install, str(latest / "bin" / "python"), *REAL_LATEST],
        [uv, "venv", *common, "--python", py, str(older)],
        [uv, *install, str(older / "bin" / "python"), *REAL_OLDER],
        [uv, "tool", "run", *common, "--python", py, *REAL_TOOL],
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        for cmd in steps:
            out.write(f"$ {shlex.join(cmd)}\n".encode())
            out.flush()
            try:
                code = subprocess.run(
                    cmd,
                    cwd=workdir,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=1800,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                return f"`{shlex.join(cmd[:3])} ...` took over 30 minutes (is the index reachable?)"
            except OSError as exc:
                return f"cannot run uv: {exc}"
            if code != 0:
                text = log.read_text(errors="replace")
                if _NETWORK_TROUBLE.search(text):
                    return f"the package index cannot be reached: {tail(log, 2)}"
                return f"`{shlex.join(cmd[:4])} ...` failed (exit {code}): {tail(log, 2)}"
    return None


def ensure_real_cache(workdir: Path, uv: str) -> tuple[Path, Path] | str:
    """The real cache and its venvs (built once, then reused), or why they cannot be had."""
    cache, venvs = workdir / "real-cache", workdir / "real-venvs"
    marker = workdir / "real-cache.json"
    recipe = {
        "recipe": REAL_RECIPE,
        "latest": list(REAL_LATEST),
        "older": list(REAL_OLDER),
        "tool": list(REAL_TOOL),
        "uv": uv_version(uv),
        "python": platform.python_version(),
    }
    if cache.is_dir() and venvs.is_dir() and marker.is_file():
        try:
            if json.loads(marker.read_text()) == recipe:
                return cache, venvs
        except ValueError:
            pass
    marker.unlink(missing_ok=True)
    remove_trees([cache, venvs])
    log = workdir / "logs" / "real-cache-build.log"
    print(
        f"building the real cache from the package index with {recipe['uv']} (once; log: {log})",
        flush=True,
    )
    started = time.perf_counter()
    why = build_real_cache(workdir, cache, venvs, uv, log)
    if why is not None:
        remove_trees([cache, venvs])
        return why
    marker.write_text(json.dumps(recipe, indent=1) + "\n")
    print(f"  built in {time.perf_counter() - started:.0f} s")
    return cache, venvs


@dataclass
class PackageWork(Workload):
    """`janitor sweep --package NAME` against `uv cache clean NAME` on the real cache."""

    package: str
    expected: set[str]  # the tree `uv cache clean` leaves
    uv_summary: str | None

    @classmethod
    def load(cls, workdir: Path, uv: str | None, tools: Sequence[str]) -> PackageWork | str:
        if uv is None:
            return "no uv to build the real cache with (see --uv)"
        got = ensure_real_cache(workdir, uv)
        if isinstance(got, str):
            return got
        cache, venvs = got
        entries = listing(cache)
        files = count_files(entries)
        expected, uv_summary = cls.reference(workdir, cache, venvs, uv, entries)
        archives = sum(1 for e in entries if re.fullmatch(r"d archive-v\d+/[^/]+", e))
        envs = sum(1 for e in entries if re.fullmatch(r"l environments-v\d+/[^/]+/[^/]+ -> .*", e))
        gone = entries - expected
        text = (
            f"real cache of {files} files, {archives} archives, {envs} cached environment(s), "
            f"2 venvs hard-linked to it; uv cache clean {PACKAGE} removes "
            f"{count_files(gone)} files in {len(topmost(gone))} trees"
        )
        if files < REAL_MIN_FILES:
            text += f" (fewer than the {REAL_MIN_FILES} files the recipe is meant to give)"
        print(f"real cache {cache}: {files} files, {archives} archives, {envs} environment(s)")
        return cls(
            id="package",
            kind="package",
            **copied(cache, entries, text, tools, venvs),
            package=PACKAGE,
            expected=expected,
            uv_summary=uv_summary,
        )

    @staticmethod
    def reference(
        workdir: Path, cache: Path, venvs: Path, uv: str, entries: set[str]
    ) -> tuple[set[str], str | None]:
        """The tree `uv cache clean` leaves (run once on a scratch copy, then remembered)."""
        saved = workdir / f"real-cache.clean-{PACKAGE}.json"
        key = {"pristine": digest(entries), "uv": uv_version(uv), "package": PACKAGE}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(saved.read_text())
            if data["key"] == key:
                return set(data["left"]), data["summary"]
        scratch = workdir / "run" / "reference"
        remove_trees([scratch])
        scratch.mkdir(parents=True)
        try:
            parallel([["cp", "-a", "--", str(cache), str(venvs), f"{scratch}/"]])
            cmd = [uv, "cache", "clean", PACKAGE, "--cache-dir", str(scratch / cache.name)]
            got = subprocess.run([*cmd, "--force"], capture_output=True, text=True, check=False)
            if got.returncode != 0:
                raise BenchError(f"uv cache clean failed on the real cache: {got.stderr.strip()}")
            left = listing(scratch / cache.name)
        finally:
            remove_trees([scratch])
        lines = [x.strip() for x in (got.stderr + got.stdout).splitlines()]
        summary = next((x for x in reversed(lines) if x.startswith("Removed")), None)
        doc = {"key": key, "summary": summary, "left": sorted(left)}
        saved.write_text(json.dumps(doc) + "\n")
        return left, summary

    def command(self, tool: str, cache: Path, cmds: Commands) -> list[str]:
        if tool == "janitor":
            return cmds.sweep(cache, "--package", self.package)
        if tool == "uv":
            return cmds.uv_cache("clean", self.package, "--cache-dir", str(cache), "--force")
        raise BenchError(f"{tool} does not run the package workload")

    def check(self, run: Run, cache: Path, left: set[str]) -> None:
        compare(run, left, self.expected, f"uv cache clean {self.package}")

    def info(self) -> dict[str, Any]:
        return super().info() | {"package": self.package, "uv_reference": self.uv_summary}
