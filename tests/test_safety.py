"""Never delete outside the cache, never follow a link; keep what cannot be proved dead.

Genuine uv caches, broken on purpose by hand in the ways a real uv cannot: links that escape
from every bucket, from inside an archive and from a stale bucket; Windows link files; garbage
pointer files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.uv.layout import Kind, format_link_file
from tests.uvfactory import UvCache, new_archive_id, snapshot

runner = CliRunner()


def janitor(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.output


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A tree outside the cache that escaping links point at."""
    victim = tmp_path / "outside"
    (victim / "pkg" / "deep").mkdir(parents=True)
    (victim / "pkg" / "deep" / "precious.txt").write_text("keep me\n")
    (victim / "file.txt").write_text("keep me too\n")
    return victim


def plant_escaping_links(cache: UvCache, victim: Path) -> list[Path]:
    """Links to `victim` from every bucket, an archive, a stale bucket and the top level."""
    root = cache.root
    b = cache.buckets
    index = next((root / b[Kind.WHEELS] / "index").iterdir())
    places = [
        root / b[Kind.WHEELS] / "pypi" / "alpha" / "9.9-py3-none-any",  # a package's entry
        index / "alpha" / "evil-absolute",
        root / b[Kind.SDISTS] / "evil",
        root / cache.sdist_revision / "evil-in-revision",
        root / cache.superseded_revision / "evil-in-superseded",
        root / b[Kind.ENVIRONMENTS] / "evilenv" / "evilenv",
        root / b[Kind.ARCHIVE] / sorted(cache.dangling_archives)[0] / "evil",  # inside an archive
        root / b[Kind.ARCHIVE] / cache.env_archive / "lib" / "evil",
        root / "wheels-v5" / "evil",  # a stale bucket
        root / b[Kind.INTERPRETER] / "evil",
        root / "evil-top-level",
        root / b[Kind.ARCHIVE] / new_archive_id(list(cache.archives)),  # an archive that is a link
    ]
    for n, place in enumerate(places):
        place.parent.mkdir(parents=True, exist_ok=True)
        target = victim if n % 2 else Path(os.path.relpath(victim, place.parent))
        place.symlink_to(target, target_is_directory=True)
    file_link = root / b[Kind.WHEELS] / "pypi" / "alpha" / "9.8-py3-none-any"
    file_link.symlink_to(victim / "file.txt")
    return [*places, file_link]


COMMANDS = [
    ["sweep"],
    ["sweep", "--ci"],
    ["sweep", "--package", "alpha"],
    ["sweep", "--package", "delta", "--package", "gamma"],
    ["sweep", "--dry-run", "-v"],
    ["report"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_links_out_of_the_cache_are_never_followed(
    uv_cache: UvCache, outside: Path, command: list[str]
) -> None:
    planted = plant_escaping_links(uv_cache, outside)
    before = snapshot(outside)

    janitor(*command, "--cache-dir", str(uv_cache.root))
    janitor("sweep", "--cache-dir", str(uv_cache.root))  # and a prune after it

    assert snapshot(outside) == before
    # The escaping links themselves were removed as links where their trees went.
    assert not (uv_cache.root / "evil-top-level").is_symlink()
    assert not (uv_cache.root / "wheels-v5").exists()
    assert any(p.is_symlink() for p in planted), "links in live entries stay"


def test_an_archive_kept_alive_by_a_link_through_an_outside_path(
    uv_cache: UvCache, tmp_path: Path
) -> None:
    """A link that leaves the cache and comes back is judged by where it really leads."""
    archive = uv_cache.buckets[Kind.ARCHIVE]
    dangling = sorted(uv_cache.dangling_archives)[0]
    detour = tmp_path / "detour"
    detour.symlink_to(uv_cache.root / archive, target_is_directory=True)
    link = uv_cache.root / uv_cache.buckets[Kind.WHEELS] / "pypi" / "eps" / "1.0-py3-none-any"
    link.parent.mkdir(parents=True)
    link.symlink_to(Path(os.path.relpath(detour, link.parent)) / dangling)

    janitor("sweep", "--cache-dir", str(uv_cache.root))

    assert (uv_cache.root / archive / dangling).is_dir()


def write_windows_link(cache: UvCache, package: str, archive_id: str) -> Path:
    link = cache.root / cache.buckets[Kind.WHEELS] / "pypi" / package / "1.0-py3-none-any"
    link.parent.mkdir(parents=True)
    link.write_bytes(format_link_file(archive_id))
    (link.parent / "1.0-py3-none-any.rev").write_bytes(b"\x92\x90\x90")
    return link


def test_windows_link_files_keep_their_archives_and_go_with_their_package(
    uv_cache: UvCache,
) -> None:
    archive = uv_cache.buckets[Kind.ARCHIVE]
    dangling = sorted(uv_cache.dangling_archives)[0]
    link = write_windows_link(uv_cache, "winpkg", dangling)

    report = janitor("sweep", "--cache-dir", str(uv_cache.root), "--json")
    removed = {e["path"] for e in report["removals"]}
    assert f"{archive}/{dangling}" not in removed
    assert (uv_cache.root / archive / dangling).is_dir()

    # An id may start with `-` (uv draws them at random): after `--`, as the README says.
    why = janitor("why", "--cache-dir", str(uv_cache.root), "--json", "--", dangling)
    assert [r["path"] for r in why["referenced_by"]] == [link.relative_to(uv_cache.root).as_posix()]
    assert why["referenced_by"][0]["windows_link_file"] is True

    janitor("sweep", "--package", "winpkg", "--cache-dir", str(uv_cache.root))
    assert not link.exists()
    assert not (uv_cache.root / archive / dangling).exists()


@pytest.mark.parametrize(
    "content", [b"archive-v0/", b"archive-v0/../../outside", b"\xff\xfe garbage", b"archive-v9/x"]
)
def test_garbage_link_files_are_not_links(uv_cache: UvCache, content: bytes) -> None:
    path = uv_cache.root / uv_cache.buckets[Kind.WHEELS] / "pypi" / "junk" / "1.0-py3-none-any"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    janitor("sweep", "--cache-dir", str(uv_cache.root))
    janitor("sweep", "--package", "beta", "--cache-dir", str(uv_cache.root))

    assert path.read_bytes() == content


def test_an_unparsable_revision_pointer_keeps_every_revision(uv_cache: UvCache) -> None:
    superseded = uv_cache.root / uv_cache.superseded_revision
    pointer = superseded.parent / "revision.rev"
    pointer.write_bytes(b"\xc1 not msgpack")

    result = runner.invoke(app, ["sweep", "-v", "--cache-dir", str(uv_cache.root)])

    assert result.exit_code == 0, result.output
    assert superseded.is_dir()
    assert "cannot parse revision.rev" in result.output


def test_a_link_to_a_missing_archive_protects_nothing_and_breaks_nothing(
    uv_cache: UvCache,
) -> None:
    link = uv_cache.root / uv_cache.buckets[Kind.WHEELS] / "pypi" / "ghost" / "1.0-py3-none-any"
    link.parent.mkdir(parents=True)
    missing = new_archive_id(list(uv_cache.archives))
    link.symlink_to(f"../../../{uv_cache.buckets[Kind.ARCHIVE]}/{missing}")

    janitor("sweep", "--cache-dir", str(uv_cache.root))
    janitor("sweep", "--package", "ghost", "--cache-dir", str(uv_cache.root))

    assert not link.is_symlink()
