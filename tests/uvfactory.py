"""Genuine uv caches, built offline by the real uv from wheels and sdists made here.

Owns the test-side knowledge of how to drive uv: making packages, running uv hermetically, building
a deliberately untidy cache and describing it, snapshotting and copying trees. Imports uv's on-disk
vocabulary from `janitor.uv.layout` and nothing else from janitor.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import os
import secrets
import shutil
import string
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import msgpack
import uv

from janitor.uv.finduv import parse_version
from janitor.uv.follow import buckets_by_kind
from janitor.uv.layout import (
    ARCHIVE_ID_RE,
    REVISION_POINTERS,
    SHARD_PYPI,
    SOURCE_DIR,
    Kind,
    parse_bucket,
    parse_dist_info,
    pointer_id,
    site_packages_parts,
)
from janitor.uv.names import LOCK_FILE

UV_BIN = Path(uv.find_uv_bin())


def uv_version(binary: Path) -> str:
    """The release of a uv binary, as `X.Y.Z`."""
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    version = parse_version(done.stdout)
    if version is None:
        raise RuntimeError(f"{binary} --version said {done.stdout!r}")
    return ".".join(map(str, version))


# The release of the uv the tests depend on, and its buckets by kind.
UV_VERSION = uv_version(UV_BIN)
UV_BUCKETS = buckets_by_kind(UV_VERSION)
# The preview that gives a cache a content-addressed store of files (`files-v0`), from 0.12.8.
CONTENT_ADDRESSED = "content-addressed-cache"


@dataclass(frozen=True)
class UvRelease:
    """A uv binary that writes caches, its release and the preview features it runs with.

    Holds what the factory must do differently for older releases, as measured on them: absolute
    links into the archive bucket before 0.11.17, 21-character archive ids up to 0.11.8, wheel
    links named `name-version-tag` up to 0.6.3, and the shape of the archive record in `.rev`.
    """

    path: Path = UV_BIN
    version: str = UV_VERSION
    preview: str | None = None  # UV_PREVIEW_FEATURES for every uv command

    @property
    def key(self) -> tuple[int, int, int]:
        """The version as (major, minor, patch)."""
        major, minor, patch = (int(part) for part in self.version.split("."))
        return (major, minor, patch)

    @property
    def env(self) -> dict[str, str]:
        """The environment variables this release runs with."""
        return {"UV_PREVIEW_FEATURES": self.preview} if self.preview else {}

    @property
    def content_addressed(self) -> bool:
        """Whether it writes the content-addressed layout (24-character ids, `files-v0`)."""
        return (
            self.preview is not None
            and CONTENT_ADDRESSED in self.preview.split(",")
            and self.key >= (0, 12, 8)
        )

    @property
    def absolute_links(self) -> bool:
        """Whether its links into the archive bucket are absolute paths."""
        return self.key < (0, 11, 17)

    @property
    def archive_id_length(self) -> int:
        """The length of the (random) ids of archives it writes."""
        if self.content_addressed:
            return 24
        return 21 if self.key <= (0, 11, 8) else 16

    @property
    def buckets(self) -> dict[Kind, str]:
        """Its bucket names by kind."""
        return buckets_by_kind(self.version)

    def wheel_link_name(self, name: str, version: str) -> str:
        """The name of the link to a wheel's archive in its package's directory."""
        if self.key <= (0, 6, 3):
            return f"{name}-{version}-{_WHEEL_TAG}"
        return f"{version}-{_WHEEL_TAG}"

    def archive_record(self, archive_id: str, filename: str) -> object:
        """The archive record of a wheel's `.rev` (after its timestamp), in this release's shape."""
        if self.key < (0, 6, 0):
            return [archive_id, []]
        if self.key <= (0, 6, 3):
            return [archive_id, [], 0]
        if self.key < (0, 12, 0):
            return [archive_id, [], filename, 0]
        if (0, 12, 2) <= self.key < (0, 13, 0):
            return {
                "id": archive_id,
                "hashes": [],
                "filename": filename,
                "version": 0,
                "size": None,
            }
        return [archive_id, [], filename, 0, None]


def release_of(binary: Path, preview: str | None = None) -> UvRelease:
    """The release of a uv binary, asked once."""
    if binary == UV_BIN:
        return UvRelease(UV_BIN, UV_VERSION, preview)
    return UvRelease(binary, uv_version(binary), preview)


TEST_UV = UvRelease()
# The interpreter running the tests: passing it as `--python` keeps uv from looking for (or
# downloading) another one.
PYTHON = sys.executable

_WHEEL_TAG = "py3-none-any"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel_filename(name: str, version: str) -> str:
    """The file name of a pure-Python wheel for `name` and `version`."""
    return f"{name}-{version}-{_WHEEL_TAG}.whl"


def _wheel_contents(
    name: str,
    version: str,
    *,
    init_text: str = "",
    files: Mapping[str, str] | None = None,
    requires: Sequence[str] = (),
    console_scripts: Mapping[str, str] | None = None,
    n_files: int = 0,
) -> dict[str, str]:
    """Every member of a wheel, RECORD last, in archive order."""
    dist_info = f"{name}-{version}.dist-info"
    members: dict[str, str] = {f"{name}/__init__.py": f"__version__ = {version!r}\n{init_text}"}
    for index in range(n_files):
        members[f"{name}/_extra_{index:04d}.py"] = f"VALUE = {index}\n"
    members.update(files or {})
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {requirement}" for requirement in requires]
    members[f"{dist_info}/METADATA"] = "\n".join(metadata) + "\n"
    members[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: tests.uvfactory\nRoot-Is-Purelib: true\n"
        f"Tag: {_WHEEL_TAG}\n"
    )
    if console_scripts:
        lines = ["[console_scripts]"]
        lines += [f"{script} = {target}" for script, target in console_scripts.items()]
        members[f"{dist_info}/entry_points.txt"] = "\n".join(lines) + "\n"
    record = [
        f"{member},{_record_hash(text.encode())},{len(text.encode())}"
        for member, text in members.items()
    ]
    record.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    return members


def make_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    files: dict[str, str] | None = None,
    requires: Sequence[str] = (),
    console_scripts: dict[str, str] | None = None,
    n_files: int = 0,
    init_text: str = "",
) -> Path:
    """Write a valid `py3-none-any` wheel into `dest_dir` and return its path.

    `files` adds members (archive path -> text), `n_files` adds that many small modules, and
    `init_text` is appended to `name/__init__.py` so that two builds of one version can differ.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / wheel_filename(name, version)
    members = _wheel_contents(
        name,
        version,
        init_text=init_text,
        files=files,
        requires=requires,
        console_scripts=console_scripts,
        n_files=n_files,
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return path


_BACKEND_TEMPLATE = '''\
"""A build backend with no requirements: the wheel's members are spelled out below."""

import os
import zipfile

DIST_INFO = {dist_info!r}
WHEEL_NAME = {wheel_name!r}
MEMBERS = {members!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(target, exist_ok=True)
    for name in ("METADATA", "WHEEL"):
        with open(os.path.join(target, name), "w", encoding="utf-8") as handle:
            handle.write(MEMBERS[DIST_INFO + "/" + name])
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with zipfile.ZipFile(os.path.join(wheel_directory, WHEEL_NAME), "w") as archive:
        for member, text in MEMBERS.items():
            archive.writestr(member, text)
    return WHEEL_NAME
'''


def make_sdist(dest_dir: Path, name: str, version: str, *, init_text: str = "") -> Path:
    """Write `name-version.tar.gz` with a self-contained in-tree backend uv can build offline."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    members = _wheel_contents(name, version, init_text=init_text)
    root = f"{name}-{version}"
    sources = {
        "pyproject.toml": (
            "[build-system]\n"
            "requires = []\n"
            'build-backend = "backend"\n'
            'backend-path = ["."]\n'
            "\n"
            "[project]\n"
            f'name = "{name}"\n'
            f'version = "{version}"\n'
        ),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "backend.py": _BACKEND_TEMPLATE.format(
            dist_info=f"{name}-{version}.dist-info",
            wheel_name=wheel_filename(name, version),
            members=members,
        ),
    }
    path = dest_dir / f"{root}.tar.gz"
    now = int(time.time())
    with tarfile.open(path, "w:gz") as archive:
        directory = tarfile.TarInfo(root)
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        directory.mtime = now
        archive.addfile(directory)
        for member, text in sources.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{member}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = now
            archive.addfile(info, io.BytesIO(data))
    return path


def _uv_home(cache_dir: Path) -> Path:
    """Where uv may keep tools and interpreters for a cache: beside it, never in a real home."""
    return cache_dir.parent / f".{cache_dir.name}-uv-home"


def uv_env(
    cache_dir: Path, args: Sequence[str] = (), extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A hermetic, offline environment for running uv against `cache_dir`."""
    home = _uv_home(cache_dir)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("UV_") and key not in {"VIRTUAL_ENV", "CONDA_PREFIX"}
    }
    env.update(
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        UV_TOOL_DIR=str(home / "tools"),
        UV_TOOL_BIN_DIR=str(home / "bin"),
        UV_PYTHON_INSTALL_DIR=str(home / "python"),
        UV_PYTHON_BIN_DIR=str(home / "bin"),
    )
    # uv rejects UV_OFFLINE together with --refresh; those commands use --no-index instead.
    if not any(arg.startswith("--refresh") for arg in args):
        env["UV_OFFLINE"] = "1"
    env.update(extra or {})
    return env


def run_uv(
    *args: str | os.PathLike[str],
    cache_dir: Path,
    env_extra: Mapping[str, str] | None = None,
    check: bool = True,
    cwd: Path | None = None,
    binary: Path = UV_BIN,
) -> subprocess.CompletedProcess[str]:
    """Run a real uv (the test dependency's unless `binary` says) with `--cache-dir cache_dir`,
    offline and without any user configuration.

    Pass `--python PYTHON` (or a venv path) to commands that need an interpreter. The working
    directory defaults to a scratch directory beside the cache, so no project is discovered.
    """
    str_args = [os.fspath(arg) for arg in args]
    env = uv_env(cache_dir, str_args, env_extra)
    if cwd is None:
        cwd = _uv_home(cache_dir)
        cwd.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(binary), "--cache-dir", str(cache_dir), *str_args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{binary} {' '.join(str_args)} exited with {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class UvCache:
    """A cache built by `build_cache`, as read back from disk.

    Paths inside the cache are relative to `root` (so a copy is described by replacing `root`);
    `find_links` and `venvs` are absolute and shared by every copy.
    """

    root: Path
    find_links: Path
    venvs: tuple[Path, ...]
    # Current bucket name per kind, e.g. Kind.WHEELS -> "wheels-v8".
    buckets: dict[Kind, str]
    # Every archive holding an unzipped wheel: id -> (normalised name, version).
    archives: dict[str, tuple[str, str]]
    # Every symlink outside the archive bucket that points into it: relative path -> archive id.
    links: dict[PurePosixPath, str]
    # The cached environment of `uv tool run --from delta delta`.
    env_link: PurePosixPath
    env_archive: str
    # The packages in that environment: normalised name -> version.
    env_packages: dict[str, str]
    # Archives no link points to (epsilon's archive from before its wheel was rewritten).
    dangling_archives: frozenset[str]
    # The epsilon entry uv relinked, and the archive it points to now.
    relinked_entry: PurePosixPath
    relinked_archive: str
    # gamma's sdist revisions: the one `revision.rev` names, and the older one uv left beside it
    # when the sdist changed (made by uv itself, not by hand), with the archive of its wheel.
    sdist_revision: PurePosixPath
    sdist_link: PurePosixPath
    superseded_revision: PurePosixPath
    superseded_archive: str
    # Top-level entries `uv cache prune` removes: stale buckets, a temp dir, a stray file.
    stale_paths: tuple[PurePosixPath, ...]
    # The archive only the stale wheels bucket links to.
    stale_archive: str
    # Hand-made entries of the default index shard (`pypi/`) and zeta's archive.
    pypi_entries: tuple[PurePosixPath, ...]
    zeta_archive: str
    # The uv that wrote the cache (and that its commands should run with).
    uv: UvRelease = TEST_UV

    def path(self, relative: PurePosixPath | str) -> Path:
        """The absolute path of an entry given relative to the cache root."""
        return self.root / relative

    def run(
        self,
        *args: str | os.PathLike[str],
        check: bool = True,
        cwd: Path | None = None,
        env_extra: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the uv that wrote the cache, with its preview features, on this cache."""
        return run_uv(
            *args,
            cache_dir=self.root,
            env_extra={**self.uv.env, **(env_extra or {})},
            check=check,
            cwd=cwd,
            binary=self.uv.path,
        )

    def archive(self, archive_id: str) -> Path:
        """The absolute path of an archive."""
        return self.root / self.buckets[Kind.ARCHIVE] / archive_id


def new_archive_id(existing: Sequence[str] = (), length: int = 16) -> str:
    """A fresh archive id in uv's alphabet: 16 characters, or 21 (before 0.11.9), or 24
    lowercase letters and digits (the content-addressed preview)."""
    while True:
        if length == 24:
            alphabet = string.ascii_lowercase + string.digits
            candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        else:
            candidate = secrets.token_urlsafe(length)[:length]
        if candidate not in existing and ARCHIVE_ID_RE.match(candidate):
            return candidate


def _relative_link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))


def _archive_link(release: UvRelease, link: Path, target: Path) -> None:
    """A link into the archive bucket as `release` writes it: absolute or relative."""
    if release.absolute_links:
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    else:
        _relative_link(link, target)


def _timestamp() -> list[int]:
    now = time.time_ns()
    return [now // 1_000_000_000, now % 1_000_000_000]


def _touch_later(path: Path) -> None:
    """Move a file's mtime forward so uv sees it as changed whatever the clock resolution."""
    stat = path.stat()
    later = stat.st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))


def _archive_links(root: Path, archive_bucket: str) -> dict[PurePosixPath, str]:
    """Every symlink in the cache, outside the archive bucket, that resolves into it."""
    archive_dir = (root / archive_bucket).resolve()
    links: dict[PurePosixPath, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == root and archive_bucket in dirnames:
            dirnames.remove(archive_bucket)
        for name in [*dirnames, *filenames]:
            path = here / name
            if not path.is_symlink():
                continue
            target = (path.parent / os.readlink(path)).resolve()
            if target.parent == archive_dir:
                links[PurePosixPath(path.relative_to(root).as_posix())] = target.name
    return links


def _dist_infos(directory: Path) -> list[tuple[str, str]]:
    found = []
    for entry in directory.iterdir():
        parsed = parse_dist_info(entry.name)
        if parsed is not None and entry.is_dir():
            found.append((str(parsed[0]), parsed[1]))
    return found


def venv_site_packages(venv: Path) -> Path:
    """The site-packages directory of a venv or a venv archive."""
    for parts in site_packages_parts(os.listdir(venv)):
        base = venv.joinpath(*parts)
        if parts == ("lib",):
            candidates = sorted(base.glob("python3*/site-packages"))
            if candidates:
                return candidates[0]
        elif base.is_dir():
            return base
    raise FileNotFoundError(f"no site-packages in {venv}")


def _only(items: Sequence[PurePosixPath], what: str) -> PurePosixPath:
    if len(items) != 1:
        raise RuntimeError(f"expected exactly one {what}, found {list(items)}")
    return items[0]


def _hand_made_archive(path: Path, name: str, version: str) -> None:
    """An unzipped wheel as uv leaves it in the archive bucket."""
    (path / name).mkdir(parents=True)
    (path / name / "__init__.py").write_text(f"__version__ = {version!r}\n")
    dist_info = path / f"{name}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )


def _run(release: UvRelease, root: Path, *args: str | os.PathLike[str]) -> str:
    """Run `release` on the cache at `root`; its stdout."""
    return run_uv(*args, cache_dir=root, env_extra=release.env, binary=release.path).stdout


def _pip_install(
    root: Path, venv: Path, find_links: Path, *args: str, release: UvRelease = TEST_UV
) -> None:
    _run(
        release,
        root,
        *("pip", "install", "--python", str(venv), "--no-index", "--find-links", str(find_links)),
        *args,
    )


def make_packages(find_links: Path) -> None:
    """The wheels and the sdist every scenario installs, in a find-links directory."""
    make_wheel(find_links, "alpha", "1.0")
    make_wheel(find_links, "alpha", "2.0")
    make_wheel(find_links, "beta", "1.0")
    make_wheel(find_links, "epsilon", "1.0")
    make_wheel(
        find_links,
        "delta",
        "1.0",
        requires=["beta"],
        console_scripts={"delta": "delta:main"},
        init_text="def main() -> None:\n    print('delta ran')\n",
    )
    make_sdist(find_links, "gamma", "1.0")


def install_scenario(
    root: Path, find_links: Path, venvs: Sequence[Path], release: UvRelease = TEST_UV
) -> None:
    """With `release`: two venvs, alpha 1.0, beta and gamma (built) in the first, alpha 2.0 and
    epsilon in the second, and delta run as a tool (a cached environment with beta)."""
    first, second = venvs
    for venv in venvs:
        _run(release, root, "venv", "--python", PYTHON, venv)
    _pip_install(root, first, find_links, "alpha==1.0", "beta", "gamma", release=release)
    _pip_install(root, second, find_links, "alpha==2.0", "epsilon", release=release)
    ran = run_uv(
        *("tool", "run", "--python", PYTHON, "--no-index", "--find-links", str(find_links)),
        *("--from", "delta", "delta"),
        cache_dir=root,
        env_extra=release.env,
        binary=release.path,
    )
    if "delta ran" not in ran.stdout:
        raise RuntimeError(f"the delta tool did not run: {ran.stdout!r} {ran.stderr!r}")


def _populate_with_uv(
    root: Path, find_links: Path, venvs: tuple[Path, Path], release: UvRelease = TEST_UV
) -> None:
    """Everything uv writes on its own: two venvs, a built sdist and a cached tool environment."""
    make_packages(find_links)
    install_scenario(root, find_links, venvs, release)


def _rebuild_with_uv(
    root: Path, find_links: Path, venvs: tuple[Path, Path], release: UvRelease = TEST_UV
) -> None:
    """Change epsilon's wheel and gamma's sdist in place and make uv pick up both changes."""
    make_wheel(find_links, "epsilon", "1.0", init_text="CHANGED = True\n")
    _touch_later(find_links / wheel_filename("epsilon", "1.0"))
    _pip_install(
        root,
        venvs[1],
        find_links,
        *("--reinstall", "--refresh-package", "epsilon", "epsilon"),
        release=release,
    )
    _touch_later(make_sdist(find_links, "gamma", "1.0", init_text="CHANGED = True\n"))
    _pip_install(
        root,
        venvs[0],
        find_links,
        *("--reinstall", "--refresh-package", "gamma", "gamma"),
        release=release,
    )


def _sdist_revisions(root: Path, version_dir: PurePosixPath) -> tuple[PurePosixPath, PurePosixPath]:
    """(current, superseded) revision dirs of an sdist version, as its revision pointer says."""
    pointer = next(
        root / version_dir / name
        for name in REVISION_POINTERS
        if (root / version_dir / name).exists()
    )
    current = pointer_id(pointer.name, pointer.read_bytes())
    revisions = [
        version_dir / entry.name
        for entry in (root / version_dir).iterdir()
        if entry.is_dir() and (entry / SOURCE_DIR).is_dir()
    ]
    if current is None or len(revisions) != 2:
        raise RuntimeError(f"uv left no superseded revision in {version_dir}: {revisions}")
    return (
        _only([r for r in revisions if r.name == current], "current revision"),
        _only([r for r in revisions if r.name != current], "superseded revision"),
    )


def _add_stale_entries(
    root: Path, buckets: Mapping[Kind, str], release: UvRelease = TEST_UV
) -> tuple[list[PurePosixPath], str]:
    """Leftovers of older uv releases and killed runs; returns them and the stale-only archive."""
    archive_dir = root / buckets[Kind.ARCHIVE]
    stale_archive = new_archive_id(os.listdir(archive_dir), release.archive_id_length)
    _hand_made_archive(archive_dir / stale_archive, "omega", "1.0")
    wheels = parse_bucket(buckets[Kind.WHEELS])
    if wheels is None:
        raise RuntimeError(f"unexpected wheels bucket name {buckets[Kind.WHEELS]}")
    stale_wheels = f"{Kind.WHEELS.value}-v{max(wheels.version - 3, 0)}"
    if stale_wheels == buckets[Kind.WHEELS]:
        raise RuntimeError(f"{buckets[Kind.WHEELS]} has no older version to leave stale")
    _archive_link(
        release,
        root / stale_wheels / SHARD_PYPI / "omega" / f"1.0-{_WHEEL_TAG}",
        archive_dir / stale_archive,
    )
    stale_built = "built-wheels-v3"
    (root / stale_built / SHARD_PYPI).mkdir(parents=True)
    (root / stale_built / SHARD_PYPI / "omega.msgpack").write_bytes(msgpack.packb(["omega"]))
    temp = ".tmpabc123"
    (root / temp).mkdir()
    (root / temp / "partial.whl").write_bytes(b"partial")
    junk = "junk.txt"
    (root / junk).write_text("not uv's\n")
    return [PurePosixPath(name) for name in (stale_wheels, stale_built, temp, junk)], stale_archive


def _add_pypi_entries(
    root: Path, buckets: Mapping[Kind, str], release: UvRelease = TEST_UV
) -> tuple[list[PurePosixPath], str]:
    """zeta 1.0 in the default index shard, which only the public index fills, written as
    `release` writes its entries (link form and name, pointer format, archive id)."""
    archive_dir = root / buckets[Kind.ARCHIVE]
    archive_id = new_archive_id(os.listdir(archive_dir), release.archive_id_length)
    _hand_made_archive(archive_dir / archive_id, "zeta", "1.0")
    package_dir = PurePosixPath(buckets[Kind.WHEELS], SHARD_PYPI, "zeta")
    link = package_dir / release.wheel_link_name("zeta", "1.0")
    _archive_link(release, root / link, archive_dir / archive_id)
    revision = link.with_name(f"{link.name}.rev")
    record = release.archive_record(archive_id, wheel_filename("zeta", "1.0"))
    (root / revision).write_bytes(msgpack.packb([_timestamp(), record]))
    simple = PurePosixPath(buckets[Kind.SIMPLE], SHARD_PYPI, "zeta.rkyv")
    (root / simple).parent.mkdir(parents=True, exist_ok=True)
    (root / simple).write_bytes(b"\x00" * 32)
    return [link, revision, simple], archive_id


def add_hand_made_entry(
    cache: UvCache, bucket: str, name: str, version: str
) -> tuple[PurePosixPath, str]:
    """An unzipped wheel and a link to it in `bucket`'s `pypi/` shard, as the cache's uv
    writes them; returns the link (relative to the root) and the archive id."""
    archive_dir = cache.root / cache.buckets[Kind.ARCHIVE]
    archive_id = new_archive_id(os.listdir(archive_dir), cache.uv.archive_id_length)
    _hand_made_archive(archive_dir / archive_id, name, version)
    link = PurePosixPath(bucket, SHARD_PYPI, name, cache.uv.wheel_link_name(name, version))
    _archive_link(cache.uv, cache.root / link, archive_dir / archive_id)
    return link, archive_id


def _wheel_archives(archive_dir: Path, skip: str) -> dict[str, tuple[str, str]]:
    """archive id -> (name, version) of the one dist-info in each archive but `skip`."""
    archives: dict[str, tuple[str, str]] = {}
    for entry in sorted(archive_dir.iterdir()):
        if entry.name == skip:
            continue
        found = _dist_infos(entry)
        if len(found) != 1:
            raise RuntimeError(f"archive {entry.name} holds {found}, not one wheel")
        archives[entry.name] = found[0]
    return archives


def build_cache(workdir: Path, binary: Path = UV_BIN, *, preview: str | None = None) -> UvCache:
    """Build a genuine, deliberately untidy uv cache under `workdir` and describe it.

    `binary` is the uv that writes it (the test dependency's by default) and `preview` its
    UV_PREVIEW_FEATURES. Every release from 0.5 on runs the same scenario; what differs is how
    it writes (see `UvRelease`), and the hand-made entries follow it.
    """
    release = release_of(binary, preview)
    root = workdir / "cache"
    find_links = workdir / "find-links"
    venvs = (workdir / "venv-alpha1", workdir / "venv-alpha2")

    _populate_with_uv(root, find_links, venvs, release)
    buckets = release.buckets
    archive_bucket = buckets[Kind.ARCHIVE]
    before = _archive_links(root, archive_bucket)
    _rebuild_with_uv(root, find_links, venvs, release)
    stale_paths, stale_archive = _add_stale_entries(root, buckets, release)
    pypi_entries, zeta_archive = _add_pypi_entries(root, buckets, release)

    links = _archive_links(root, archive_bucket)
    relinked_entry = _only(
        [p for p in before if p.parts[0] == buckets[Kind.WHEELS] and p.parent.name == "epsilon"],
        "epsilon entry",
    )
    dangling = frozenset(os.listdir(root / archive_bucket)) - set(links.values())
    if dangling != {before[relinked_entry]} or links[relinked_entry] == before[relinked_entry]:
        raise RuntimeError(f"uv did not relink epsilon as expected: dangling {sorted(dangling)}")
    sdist_links = [p for p in links if p.parts[0] == buckets[Kind.SDISTS]]
    version_dir = _only(sorted({p.parent.parent for p in sdist_links}), "gamma version dir")
    current, superseded = _sdist_revisions(root, version_dir)
    superseded_link = _only([p for p in sdist_links if p.parent == superseded], "old gamma link")
    env_link = _only(
        [p for p in links if p.parts[0] == buckets[Kind.ENVIRONMENTS]], "cached environment"
    )
    env_archive = links[env_link]
    env_site = venv_site_packages(root / archive_bucket / env_archive)

    return UvCache(
        root=root,
        find_links=find_links,
        venvs=venvs,
        buckets=dict(buckets),
        archives=_wheel_archives(root / archive_bucket, skip=env_archive),
        links=links,
        env_link=env_link,
        env_archive=env_archive,
        env_packages=dict(_dist_infos(env_site)),
        dangling_archives=dangling,
        relinked_entry=relinked_entry,
        relinked_archive=links[relinked_entry],
        sdist_revision=current,
        sdist_link=_only([p for p in sdist_links if p.parent == current], "gamma link"),
        superseded_revision=superseded,
        superseded_archive=links[superseded_link],
        stale_paths=tuple(stale_paths),
        stale_archive=stale_archive,
        pypi_entries=tuple(pypi_entries),
        zeta_archive=zeta_archive,
        uv=release,
    )


def snapshot(root: Path, *, portable: bool = False) -> dict[str, tuple[str, ...]]:
    """Each entry under `root`, unfollowed: ("dir",), ("file", size, sha256) or ("link", target).

    With `portable`, an absolute link target inside `root` is written `$ROOT/...`, so that the
    snapshots of two relocated copies compare equal.
    """
    prefix = str(root) + os.sep
    result: dict[str, tuple[str, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for name in [*dirnames, *filenames]:
            path = here / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                target = os.readlink(path)
                if portable and (target == str(root) or target.startswith(prefix)):
                    target = "$ROOT" + target[len(str(root)) :]
                result[key] = ("link", target)
            elif path.is_dir():
                result[key] = ("dir",)
            else:
                data = path.read_bytes()
                result[key] = ("file", str(len(data)), hashlib.sha256(data).hexdigest())
    return result


def under_any(path: str, prefixes: Iterable[str]) -> bool:
    """Whether a relative path is one of `prefixes` or inside one."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def tree_difference(ours: Path, theirs: Path, kept: Collection[str] = ()) -> dict[str, list[str]]:
    """Where janitor's tree (`ours`) differs from uv's (`theirs`), beyond what janitor keeps by
    design: the root `.lock` and the trees `kept` (buckets it does not know, what they link to)."""
    mine, uvs = snapshot(ours, portable=True), snapshot(theirs, portable=True)
    return {
        "kept by janitor only": sorted(
            p for p in mine.keys() - uvs.keys() if p != LOCK_FILE and not under_any(p, kept)
        ),
        "removed by janitor only": sorted(uvs.keys() - mine.keys()),
        "changed": sorted(p for p in mine.keys() & uvs.keys() if mine[p] != uvs[p]),
    }


NO_DIFFERENCE: dict[str, list[str]] = {
    "kept by janitor only": [],
    "removed by janitor only": [],
    "changed": [],
}


def copy_trees(pairs: Sequence[tuple[Path, Path]], *, relocate: bool = False) -> None:
    """Copy trees (source, destination) together: symlinks stay symlinks, and files hard-linked
    together, within a tree or across them, stay so.

    With `relocate`, an absolute link that points into one of the sources is rewritten to point
    to the same place in its copy: what moving a cache written with absolute links means (uv
    before 0.11.17 writes them). Every other link is copied as it is.
    """
    seen: dict[tuple[int, int], str] = {}

    def copy(source: str, target: str) -> str:
        stat = os.lstat(source)
        key = (stat.st_dev, stat.st_ino)
        if stat.st_nlink > 1 and key in seen:
            os.link(seen[key], target)
            return target
        shutil.copy2(source, target)
        seen[key] = target
        return target

    for src, dst in pairs:
        shutil.copytree(src, dst, symlinks=True, copy_function=copy)
    if not relocate:
        return
    prefixes: list[tuple[str, str]] = []
    for src, dst in pairs:
        prefixes.extend((str(spelling), str(dst)) for spelling in {src, src.resolve()})
    for _, dst in pairs:
        for dirpath, dirnames, filenames in os.walk(dst):
            for name in [*dirnames, *filenames]:
                link = os.path.join(dirpath, name)
                if not os.path.islink(link):
                    continue
                target = os.readlink(link)
                for old, new in prefixes:
                    if target == old or target.startswith(old + os.sep):
                        os.unlink(link)
                        os.symlink(new + target[len(old) :], link)
                        break


def copy_cache(src: Path, dst: Path, *, relocate: bool = False) -> None:
    """Copy a cache tree: symlinks stay symlinks, and files hard-linked together stay so.

    With `relocate`, absolute links into `src` are rewritten into `dst` (see `copy_trees`).
    """
    copy_trees([(src, dst)], relocate=relocate)


def clone_cache(cache: UvCache, workdir: Path) -> UvCache:
    """A relocated copy of a built cache and its venvs under `workdir`, described anew.

    The venvs come along so that files they hard-link with the cache keep their link counts;
    the find-links directory is shared.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / cache.root.name
    venvs = tuple(workdir / venv.name for venv in cache.venvs)
    copy_trees([(cache.root, root), *zip(cache.venvs, venvs, strict=True)], relocate=True)
    return dataclasses.replace(cache, root=root, venvs=venvs)
