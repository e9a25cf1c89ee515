"""The cache factory builds what `UvCache` claims, and no test can reach a real cache."""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from janitor.uv.layout import (
    ARCHIVE_ID_RE,
    REVISION_POINTERS,
    SDIST_METADATA,
    SHARD_INDEX,
    SHARD_PYPI,
    SOURCE_DIR,
    Kind,
    metadata_name,
    parse_bucket,
    parse_dist_info,
    pointer_id,
)
from tests.uvfactory import (
    PYTHON,
    UV_BIN,
    UvCache,
    copy_cache,
    make_sdist,
    make_wheel,
    run_uv,
    snapshot,
    uv_env,
    venv_site_packages,
)


def _default_cache_candidates() -> list[Path]:
    home = Path(os.environ["HOME"])
    return [
        Path(os.environ["XDG_CACHE_HOME"]) / "uv",
        Path(os.environ["LOCALAPPDATA"]) / "uv" / "cache",
        home / ".cache" / "uv",
        home / "Library" / "Caches" / "uv",
    ]


def test_default_cache_locations_cannot_be_created(session_environ: dict[str, str]) -> None:
    assert "UV_CACHE_DIR" not in os.environ
    assert Path(os.environ["HOME"]) != Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert os.environ["HOME"] != session_environ["HOME"]
    for candidate in _default_cache_candidates():
        with pytest.raises(NotADirectoryError):
            os.makedirs(candidate)
        assert not candidate.exists()


def test_uv_cannot_create_its_default_cache(tmp_path: Path) -> None:
    env = {**os.environ, "UV_NO_CONFIG": "1", "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}
    shown = subprocess.run(
        [str(UV_BIN), "cache", "dir"], env=env, capture_output=True, text=True, check=True
    )
    assert Path(shown.stdout.strip()) == Path(os.environ["XDG_CACHE_HOME"]) / "uv"
    venv = tmp_path / "venv"
    made = subprocess.run(
        [str(UV_BIN), "venv", "--python", PYTHON, str(venv)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 2, made.stderr
    assert "Failed to initialize cache" in made.stderr
    assert Path(os.environ["XDG_CACHE_HOME"]).is_file()
    assert not venv.exists()


def test_session_fixtures_run_guarded(session_environ: dict[str, str]) -> None:
    assert "UV_CACHE_DIR" not in session_environ
    assert Path(session_environ["XDG_CACHE_HOME"]).is_file()
    assert Path(session_environ["LOCALAPPDATA"]).is_file()
    assert Path(session_environ["HOME"]) != Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert (Path(session_environ["HOME"]) / ".cache").is_file()


def test_run_uv_is_offline_and_hermetic(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    env = uv_env(cache, ["pip", "install", "x"])
    assert env["UV_OFFLINE"] == "1"
    assert env["UV_NO_CONFIG"] == "1"
    assert env["UV_PYTHON_DOWNLOADS"] == "never"
    for name in ("UV_TOOL_DIR", "UV_TOOL_BIN_DIR", "UV_PYTHON_INSTALL_DIR"):
        assert Path(env[name]).is_relative_to(tmp_path)
    assert "UV_OFFLINE" not in uv_env(cache, ["--refresh-package", "x"])
    assert run_uv("cache", "dir", cache_dir=cache).stdout.strip() == str(cache)
    with pytest.raises(AssertionError, match="exited with 2"):
        run_uv("no-such-command", cache_dir=cache)
    assert run_uv("no-such-command", cache_dir=cache, check=False).returncode == 2


def _members_with_valid_record(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        lines = archive.read(record_name).decode().splitlines()
        recorded = {}
        for line in lines:
            path, digest, size = line.rsplit(",", 2)
            recorded[path] = (digest, size)
        for name in names:
            data = archive.read(name)
            if name == record_name:
                assert recorded[name] == ("", "")
                continue
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert recorded[name] == (f"sha256={expected.decode()}", str(len(data)))
        assert sorted(recorded) == sorted(names)
    return names


def test_make_wheel_writes_a_valid_wheel(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "2.1",
        files={"pkg/extra.py": "X = 1\n"},
        requires=["other>=1"],
        console_scripts={"pkg-cli": "pkg:main"},
        n_files=3,
    )
    assert wheel.name == "pkg-2.1-py3-none-any.whl"
    names = _members_with_valid_record(wheel)
    assert len([n for n in names if n.startswith("pkg/_extra_")]) == 3
    assert "pkg/extra.py" in names
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("pkg-2.1.dist-info/METADATA").decode()
        entry_points = archive.read("pkg-2.1.dist-info/entry_points.txt").decode()
    assert "Requires-Dist: other>=1\n" in metadata
    assert "pkg-cli = pkg:main" in entry_points


def test_sdist_builds_offline(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dist", "kappa", "0.3")
    assert sdist.name == "kappa-0.3.tar.gz"
    out = tmp_path / "wheels"
    run_uv(
        "build", "--python", PYTHON, "--wheel", "--out-dir", out, sdist, cache_dir=tmp_path / "c"
    )
    (wheel,) = out.glob("*.whl")
    assert wheel.name == "kappa-0.3-py3-none-any.whl"
    _members_with_valid_record(wheel)


def test_links_resolve_into_the_archive_bucket(uv_cache: UvCache) -> None:
    archive_dir = uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]
    on_disk = set(os.listdir(archive_dir))
    assert set(uv_cache.archives) | {uv_cache.env_archive} == on_disk
    assert all(ARCHIVE_ID_RE.match(archive_id) for archive_id in on_disk)
    for link, archive_id in uv_cache.links.items():
        path = uv_cache.path(link)
        assert path.is_symlink()
        assert not os.path.isabs(os.readlink(path))
        assert path.resolve() == (archive_dir / archive_id).resolve()
        assert path.resolve().is_dir()
    assert set(uv_cache.links.values()) == on_disk - uv_cache.dangling_archives


def test_alpha_versions_live_in_two_venvs(uv_cache: UvCache) -> None:
    wheels = uv_cache.buckets[Kind.WHEELS]
    alpha = sorted(
        uv_cache.archives[archive_id]
        for link, archive_id in uv_cache.links.items()
        if link.parts[:2] == (wheels, SHARD_INDEX) and link.parent.name == "alpha"
    )
    assert alpha == [("alpha", "1.0"), ("alpha", "2.0")]
    installed = [
        {parse_dist_info(entry) for entry in os.listdir(venv_site_packages(venv))}
        for venv in uv_cache.venvs
    ]
    assert {("alpha", "1.0"), ("beta", "1.0"), ("gamma", "1.0")} <= installed[0]
    assert {("alpha", "2.0"), ("epsilon", "1.0")} <= installed[1]


def test_installs_hard_link_out_of_archives(pristine_cache: UvCache) -> None:
    (alpha,) = [i for i, pkg in pristine_cache.archives.items() if pkg == ("alpha", "1.0")]
    in_archive = pristine_cache.archive(alpha) / "alpha" / "__init__.py"
    in_venv = venv_site_packages(pristine_cache.venvs[0]) / "alpha" / "__init__.py"
    assert in_archive.stat().st_ino == in_venv.stat().st_ino


def test_relinked_entry_leaves_its_old_archive_dangling(uv_cache: UvCache) -> None:
    (dangling,) = uv_cache.dangling_archives
    assert uv_cache.archives[dangling] == ("epsilon", "1.0")
    assert uv_cache.links[uv_cache.relinked_entry] == uv_cache.relinked_archive != dangling
    rev = uv_cache.path(uv_cache.relinked_entry.with_name(uv_cache.relinked_entry.name + ".rev"))
    assert pointer_id(rev.name, rev.read_bytes()) == uv_cache.relinked_archive
    old = uv_cache.archive(dangling) / "epsilon" / "__init__.py"
    new = uv_cache.archive(uv_cache.relinked_archive) / "epsilon" / "__init__.py"
    assert "CHANGED" not in old.read_text()
    assert "CHANGED" in new.read_text()
    target = uv_cache.archive(dangling).resolve()
    for bucket in (Kind.WHEELS, Kind.SDISTS, Kind.ENVIRONMENTS):
        for dirpath, dirnames, filenames in os.walk(uv_cache.root / uv_cache.buckets[bucket]):
            for name in [*dirnames, *filenames]:
                path = Path(dirpath) / name
                assert not (path.is_symlink() and path.resolve() == target), path


def test_tool_run_leaves_a_cached_environment(uv_cache: UvCache) -> None:
    bucket, outer, inner = uv_cache.env_link.parts
    assert bucket == uv_cache.buckets[Kind.ENVIRONMENTS]
    assert len(outer) == len(inner) == 16
    venv = uv_cache.archive(uv_cache.env_archive)
    assert uv_cache.path(uv_cache.env_link).resolve() == venv.resolve()
    assert (venv / "pyvenv.cfg").is_file()
    site = venv_site_packages(venv)
    assert site.parent.name.startswith("python3.")
    assert (site / "delta-1.0.dist-info").is_dir()
    assert uv_cache.env_packages == {"delta": "1.0", "beta": "1.0"}
    assert uv_cache.env_archive not in uv_cache.archives


def test_sdist_revisions(uv_cache: UvCache) -> None:
    sdists = uv_cache.buckets[Kind.SDISTS]
    current = uv_cache.sdist_revision
    assert current.parts[:2] == (sdists, SHARD_INDEX)
    assert current.parts[3:5] == ("gamma", "1.0")
    assert uv_cache.sdist_link == current / "gamma-1.0-py3-none-any"
    assert uv_cache.archives[uv_cache.links[uv_cache.sdist_link]] == ("gamma", "1.0")
    version_dir = uv_cache.path(current.parent)
    (pointer,) = [version_dir / n for n in REVISION_POINTERS if (version_dir / n).exists()]
    assert pointer_id(pointer.name, pointer.read_bytes()) == current.name
    superseded = uv_cache.superseded_revision
    assert superseded.parent == current.parent
    assert superseded.name != current.name
    assert len(superseded.name) == 16
    for revision in (current, superseded):
        path = uv_cache.path(revision)
        assert (path / SOURCE_DIR / "pyproject.toml").is_file()
        assert metadata_name((path / SDIST_METADATA).read_bytes()) == "gamma"
    old_link = superseded / "gamma-1.0-py3-none-any"
    assert uv_cache.links[old_link] == uv_cache.superseded_archive
    assert uv_cache.superseded_archive != uv_cache.links[uv_cache.sdist_link]


def test_stale_and_default_index_entries(uv_cache: UvCache) -> None:
    for stale in uv_cache.stale_paths:
        assert os.path.lexists(uv_cache.path(stale))
    wheels = parse_bucket(uv_cache.buckets[Kind.WHEELS])
    stale_wheels = parse_bucket(uv_cache.stale_paths[0].name)
    assert wheels is not None and stale_wheels is not None
    assert stale_wheels.kind == wheels.kind and stale_wheels.version < wheels.version
    stale_links = [p for p in uv_cache.links if p.parts[0] == uv_cache.stale_paths[0].name]
    assert [uv_cache.links[p] for p in stale_links] == [uv_cache.stale_archive]
    assert uv_cache.archives[uv_cache.stale_archive] == ("omega", "1.0")

    link, rev, simple = uv_cache.pypi_entries
    assert link == PurePosixPath(
        uv_cache.buckets[Kind.WHEELS], SHARD_PYPI, "zeta", "1.0-py3-none-any"
    )
    assert (
        os.readlink(uv_cache.path(link))
        == f"../../../{uv_cache.buckets[Kind.ARCHIVE]}/{uv_cache.zeta_archive}"
    )
    assert uv_cache.links[link] == uv_cache.zeta_archive
    assert pointer_id(rev.name, uv_cache.path(rev).read_bytes()) == uv_cache.zeta_archive
    assert simple.parts[:2] == (uv_cache.buckets[Kind.SIMPLE], SHARD_PYPI)
    assert uv_cache.path(simple).is_file()
    zeta = uv_cache.archive(uv_cache.zeta_archive)
    assert (zeta / "zeta" / "__init__.py").is_file()
    assert (zeta / "zeta-1.0.dist-info" / "METADATA").is_file()


def test_uv_prune_removes_what_the_scenario_promises(uv_cache: UvCache) -> None:
    run_uv("cache", "prune", cache_dir=uv_cache.root)
    removed_archives = {
        *uv_cache.dangling_archives,
        uv_cache.env_archive,
        uv_cache.superseded_archive,
        uv_cache.stale_archive,
    }
    assert len(removed_archives) == 4
    left = set(os.listdir(uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]))
    assert left == set(uv_cache.archives) - removed_archives
    for gone in (*uv_cache.stale_paths, uv_cache.env_link, uv_cache.superseded_revision):
        assert not os.path.lexists(uv_cache.path(gone)), gone
    for kept in (uv_cache.sdist_link, uv_cache.relinked_entry, *uv_cache.pypi_entries):
        assert os.path.lexists(uv_cache.path(kept)), kept


def test_copy_keeps_links_and_hard_links(pristine_cache: UvCache, uv_cache: UvCache) -> None:
    assert uv_cache.root != pristine_cache.root
    assert snapshot(uv_cache.root) == snapshot(pristine_cache.root)
    assert uv_cache.path(uv_cache.env_link).is_symlink()
    (delta,) = [i for i, pkg in uv_cache.archives.items() if pkg == ("delta", "1.0")]
    in_env = venv_site_packages(uv_cache.archive(uv_cache.env_archive)) / "delta" / "__init__.py"
    in_wheel = uv_cache.archive(delta) / "delta" / "__init__.py"
    assert in_env.stat().st_ino == in_wheel.stat().st_ino
    assert (
        in_env.stat().st_ino
        != (
            venv_site_packages(pristine_cache.archive(pristine_cache.env_archive))
            / "delta"
            / "__init__.py"
        )
        .stat()
        .st_ino
    )


def test_snapshot_sees_every_kind_of_change(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "d").mkdir(parents=True)
    (tree / "d" / "f").write_text("one")
    (tree / "l").symlink_to("d/f")
    before = snapshot(tree)
    assert before == {
        "d": ("dir",),
        "d/f": ("file", "3", hashlib.sha256(b"one").hexdigest()),
        "l": ("link", "d/f"),
    }
    copy_cache(tree, tmp_path / "copy")
    assert snapshot(tmp_path / "copy") == before
    (tree / "d" / "f").write_text("two")
    assert snapshot(tree) != before
    (tree / "d" / "f").write_text("one")
    (tree / "l").unlink()
    (tree / "l").symlink_to("d")
    assert snapshot(tree) != before
