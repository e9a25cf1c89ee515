"""Released uv binaries for the tests, fetched from the package index once and kept.

A release is the `uv-X.data/scripts/uv` member of its wheel, which `pip download` fetches for this
platform; it is kept in `.uv-releases/<version>/uv` at the top of the project (git-ignored), so a
second session runs offline. The test dependency's own uv is used for its release instead of a
download. A release that cannot be had raises `ReleaseUnavailable`, whose message says why and how
to fetch it by hand: the tests fail on it, never skip. Imports only tests.uvfactory.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tests.uvfactory import UV_BIN, UV_VERSION, uv_version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RELEASES_DIR = PROJECT_ROOT / ".uv-releases"
_PIP_TIMEOUT = 300.0


class ReleaseUnavailable(RuntimeError):
    """A uv release could not be found on disk nor fetched from the package index."""


def release_path(version: str) -> Path:
    """Where a fetched release's binary is kept."""
    return RELEASES_DIR / version / "uv"


def _answers(binary: Path, version: str) -> bool:
    try:
        return uv_version(binary) == version
    except (OSError, subprocess.CalledProcessError, RuntimeError):
        return False


def _pip_env() -> dict[str, str]:
    """The session's environment for pip: no pip cache, no version check, no prompts."""
    env = dict(os.environ)
    env.update(
        PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONUTF8="1"
    )
    return env


def _tail(text: str, lines: int = 12, width: int = 300) -> str:
    """The last lines of pip's output, each cut short (it lists every version it saw)."""
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(line if len(line) <= width else line[:width] + " ..." for line in kept)


def _download(version: str, dest: Path) -> Path:
    """The release's wheel for this platform, downloaded into `dest` by pip."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"uv=={version}",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(dest),
        "--quiet",
    ]
    try:
        done = subprocess.run(
            command,
            env=_pip_env(),
            capture_output=True,
            text=True,
            timeout=_PIP_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ReleaseUnavailable(f"uv {version}: `{' '.join(command)}` failed: {error}") from None
    wheels = sorted(dest.glob(f"uv-{version}-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise ReleaseUnavailable(
            f"uv {version}: `{' '.join(command)}` exited with {done.returncode} and left "
            f"{[w.name for w in wheels]}; pip said:\n{_tail(done.stdout + done.stderr)}"
        )
    return wheels[0]


def _extract(wheel: Path, version: str, target: Path) -> None:
    """Put the wheel's uv executable at `target`, atomically."""
    member = f"uv-{version}.data/scripts/uv"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(member) as source,
            open(partial, "wb") as sink,
        ):
            shutil.copyfileobj(source, sink)
    except (KeyError, zipfile.BadZipFile, OSError) as error:
        partial.unlink(missing_ok=True)
        raise ReleaseUnavailable(f"uv {version}: no {member} in {wheel.name}: {error}") from None
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(partial, target)


def fetch(version: str) -> Path:
    """The binary of uv `version`: the test dependency's, the one kept, or one fetched now."""
    if version == UV_VERSION:
        return UV_BIN
    target = release_path(version)
    if target.is_file() and _answers(target, version):
        return target
    RELEASES_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=RELEASES_DIR) as scratch:
        wheel = _download(version, Path(scratch))
        _extract(wheel, version, target)
    if not _answers(target, version):
        raise ReleaseUnavailable(f"uv {version}: {target} does not answer `uv --version`")
    return target


def fetch_all(versions: list[str]) -> dict[str, Path]:
    """Every release asked for; one message names all that could not be had."""
    found: dict[str, Path] = {}
    failures: list[str] = []
    for version in versions:
        try:
            found[version] = fetch(version)
        except ReleaseUnavailable as error:
            failures.append(str(error))
    if failures:
        raise ReleaseUnavailable(
            "uv releases the tests need could not be fetched from the package index (fetch one "
            f"by hand: `pip download uv==X --no-deps --only-binary=:all: -d DIR`, then put the "
            f"wheel's uv-X.data/scripts/uv at {RELEASES_DIR}/X/uv):\n" + "\n\n".join(failures)
        )
    return found
