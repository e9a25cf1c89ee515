"""Property tests over generated uv caches: whatever the tree, a sweep keeps every archive a live
link reaches, never changes anything outside the cache, never ends in a traceback, and leaves a
cache that a second sweep finds nothing to do in. Swept beside an identical copy pruned by the
real `uv cache prune`, it keeps all uv keeps, and more only where janitor deviates by design.

The trees are valid cache skeletons filled with archives and with links of every sort: to
archives, to missing archives, to themselves and to each other, out of the cache and back, as
symlinks and as Windows link files, beside garbage pointer files, under odd names and in
directories without permissions (which root ignores: only what holds for both is asserted).
"""

from __future__ import annotations

import os
import stat
import string
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import anyio
import msgpack
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from janitor import graph as graphs
from janitor.cli.commands import app
from janitor.errors import EXIT_PARTIAL, EXIT_REFUSED, EXIT_USAGE
from janitor.inventory import Archive, Link, LinkState
from janitor.plan import ItemKind, Plan
from janitor.uv import follow
from janitor.uv import layout as uv
from janitor.uv import plan as plans
from janitor.uv.follow import Status
from janitor.uv.inventory import Entry, Environment, Inventory, TopEntry
from janitor.uv.links import resolve
from janitor.uv.scan import scan
from tests.clirun import try_sweep
from tests.uvfactory import UV_BUCKETS, UV_VERSION, run_uv, snapshot

runner = CliRunner()

CURRENT = dict(UV_BUCKETS)
# The release a sweep follows here: the uv the tests depend on, which it finds.
FOLLOWED = [follow.release(follow.version_of(UV_VERSION))[0]]
WHEELS = CURRENT[uv.Kind.WHEELS]
SDISTS = CURRENT[uv.Kind.SDISTS]
ENVIRONMENTS = CURRENT[uv.Kind.ENVIRONMENTS]
ARCHIVES = CURRENT[uv.Kind.ARCHIVE]
NEWER_WHEELS = "wheels-v99"  # written by a newer uv: janitor does not know it, and keeps it
LINK_BUCKETS = (
    WHEELS,
    WHEELS,
    WHEELS,
    SDISTS,
    SDISTS,
    ENVIRONMENTS,
    "wheels-v5",
    "built-wheels-v3",
    NEWER_WHEELS,
    CURRENT[uv.Kind.INTERPRETER],
)
STRAYS = (
    ".tmpbuild",
    "junk.txt",
    "ünïcødé dir",
    "archive-v0-copy",
    "wheels-v6",
    ".janitor-trash-not",
    NEWER_WHEELS,
    "foo-v1",  # a bucket of a kind janitor does not know: kept
)

ID_CHARS = string.ascii_letters + string.digits + "-_"
ODD_NAMES = (
    "wheels-v99",
    "archive-v0",
    "sdists-v1",
    "src",
    " spaced name ",
    "ünïcødé-1.0",
    ".hidden",
    "-",
    "pypi",
    "name.rev",
    "CACHEDIR.TAG",
    "日本語-1.0-py3-none-any",
)
PACKAGES = ("alpha", "beta", "Gamma_Pkg", "délta", "with space", "wheels-v99")
HASHES = ("0123456789abcdef", "fedcba9876543210")
REVISIONS = ("AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB")
VERSIONS = ("1.0", "2.0b1", "x")

SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _fits(name: str) -> bool:
    return name not in {".", ".."} and len(name.encode()) <= 200


odd_names = st.one_of(
    st.text(
        st.characters(codec="utf-8", exclude_characters="/\x00"),
        min_size=1,
        max_size=30,
    ),
    st.text(string.ascii_letters + string.digits + " .-_", min_size=150, max_size=200),
    st.sampled_from(ODD_NAMES),
).filter(_fits)
packages = st.one_of(st.sampled_from(PACKAGES), odd_names)
link_names = st.one_of(
    st.sampled_from(("1.0-py3-none-any", "2.0b1-py3-none-any", "alpha-1.0-py3-none-any")),
    odd_names,
)


# ----- what a tree holds -----


@dataclass(frozen=True)
class ArchiveSpec:
    """One directory of the archive bucket."""

    id: str
    files: tuple[tuple[str, bytes], ...]
    dist_info: tuple[str, str] | None
    venv: bool
    escape: bool  # holds a symlink out of the cache


@dataclass(frozen=True)
class Target:
    """Where a link leads: `kind` and the drawn numbers that pick its archive or link."""

    kind: str
    pick: int = 0
    style: str = "relative"


@dataclass(frozen=True)
class LinkSpec:
    """A symlink, a Windows link file or a garbage file, with maybe a pointer file beside it."""

    place: tuple[str, ...]
    form: str  # "symlink", "windows", "garbage"
    target: Target
    garbage: bytes = b""
    pointer: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class TreeSpec:
    """A whole cache and its surroundings."""

    archives: tuple[ArchiveSpec, ...]
    links: tuple[LinkSpec, ...]
    revision_pointers: tuple[tuple[str, str, bytes], ...]  # (package, version, content)
    strays: tuple[str, ...]
    locked: tuple[int, ...]  # picks of directories made unreadable
    aliases: tuple[tuple[str, int], ...] = ()  # archive entries that are links to archives
    lock_paths: tuple[str, ...] = ()  # more directories made unreadable, by relative path


archive_ids = st.one_of(
    st.text(ID_CHARS, min_size=16, max_size=16), st.text(ID_CHARS, min_size=21, max_size=21)
)


@st.composite
def archive_specs(draw: st.DrawFn, archive_id: str) -> ArchiveSpec:
    venv = draw(st.booleans()) and draw(st.booleans())
    package = draw(packages)
    version = draw(st.sampled_from(VERSIONS))
    dist_info = (package, version) if draw(st.booleans()) else None
    files = draw(
        st.lists(
            st.tuples(
                st.lists(
                    st.one_of(st.sampled_from(("pkg", "archive-v0", "sub")), odd_names),
                    min_size=1,
                    max_size=3,
                ).map("/".join),
                st.binary(max_size=64),
            ),
            max_size=4,
            unique_by=lambda pair: pair[0],
        )
    )
    return ArchiveSpec(archive_id, tuple(files), dist_info, venv, draw(st.booleans()))


TARGET_KINDS = (
    "archive",
    "archive",
    "archive",
    "missing",
    "self",
    "link",
    "through",
    "through",
    "bucket",
    "bucket",
    "broken",
    "outside",
    "dotdot",
)
ARCHIVE_STYLES = ("relative", "absolute", "inside", "detour", "dotted")


@st.composite
def targets(draw: st.DrawFn) -> Target:
    kind = draw(st.sampled_from(TARGET_KINDS))
    style = "relative"
    if kind == "archive":
        style = draw(st.sampled_from(ARCHIVE_STYLES))
    elif kind in ("outside", "link", "bucket"):
        style = draw(st.sampled_from(("relative", "absolute")))
    return Target(kind, draw(st.integers(0, 1000)), style)


@st.composite
def places(draw: st.DrawFn) -> tuple[str, ...]:
    bucket = draw(st.sampled_from(LINK_BUCKETS))
    package = draw(packages)
    name = draw(link_names)
    hash_ = draw(st.sampled_from(HASHES))
    if bucket == SDISTS:
        version = draw(st.sampled_from(VERSIONS))
        revision = draw(st.sampled_from(REVISIONS))
        shard = draw(st.sampled_from(("pypi", "index", "url", "nested")))
        if shard == "pypi":
            return (bucket, "pypi", package, version, revision, name)
        if shard == "index":
            return (bucket, "index", hash_, package, version, revision, name)
        if shard == "url":
            return (bucket, "url", hash_, revision, name)
        return (bucket, "pypi", package, version, revision, draw(odd_names), name)
    if bucket == ENVIRONMENTS:
        return (bucket, hash_, draw(st.sampled_from(HASHES)))
    if bucket == CURRENT[uv.Kind.INTERPRETER]:
        return (bucket, hash_, name)
    shard = draw(st.sampled_from(("pypi", "index", "url", "top")))
    if shard == "pypi":
        return (bucket, "pypi", package, name)
    if shard == "top":
        return (bucket, name)
    return (bucket, shard, hash_, package, name)


@st.composite
def link_specs(draw: st.DrawFn) -> LinkSpec:
    form = draw(st.sampled_from(("symlink", "symlink", "symlink", "windows", "garbage")))
    pointer = None
    if draw(st.booleans()):
        suffix = draw(st.sampled_from((".rev", ".http", ".msgpack", ".lock")))
        content = draw(
            st.one_of(
                st.binary(max_size=48),
                st.just(msgpack.packb([[1, 2], ["AAAAAAAAAAAAAAAA", [], "x.whl", 0]])),
            )
        )
        pointer = (suffix, content)
    return LinkSpec(draw(places()), form, draw(targets()), draw(st.binary(max_size=140)), pointer)


@st.composite
def tree_specs(draw: st.DrawFn) -> TreeSpec:
    ids = draw(st.lists(archive_ids, min_size=1, max_size=6, unique=True))
    archives = tuple(draw(archive_specs(archive_id)) for archive_id in ids)
    links = draw(st.lists(link_specs(), max_size=10))
    revision_pointers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PACKAGES),
                st.sampled_from(VERSIONS),
                st.one_of(
                    st.binary(max_size=32),
                    st.sampled_from(REVISIONS).map(
                        lambda revision: msgpack.packb([[1, 2], [revision, [], None]])
                    ),
                ),
            ),
            max_size=2,
        )
    )
    strays = draw(st.lists(st.sampled_from(STRAYS), max_size=2, unique=True))
    if NEWER_WHEELS not in strays:
        # Links placed in a newer wheels bucket are rare: it makes every other one stale.
        links = [
            replace(link, place=(WHEELS, *link.place[1:]))
            if link.place[0] == NEWER_WHEELS
            else link
            for link in links
        ]
    locked = draw(st.lists(st.integers(0, 1000), max_size=3))
    aliases = draw(st.lists(st.tuples(archive_ids, st.integers(0, 1000)), max_size=2))
    return TreeSpec(
        archives,
        tuple(links),
        tuple(revision_pointers),
        tuple(strays),
        tuple(locked),
        tuple(aliases),
    )


# ----- building a tree on disk -----


@dataclass
class Tree:
    """A tree built from a spec, and what the test needs to know about it."""

    root: Path
    outside: Path
    symlinks: list[str] = field(default_factory=list)  # relative paths
    link_files: list[str] = field(default_factory=list)
    link_dirs: list[Path] = field(default_factory=list)  # directories holding links


def make_skeleton(root: Path) -> None:
    """A valid, empty uv cache: CACHEDIR.TAG, .gitignore and every current bucket."""
    root.mkdir()
    (root / uv.CACHEDIR_TAG).write_text(uv.CACHEDIR_TAG_SIGNATURE + "\n")
    (root / ".gitignore").write_text("*")
    for bucket in CURRENT.values():
        (root / bucket).mkdir()


def make_outside(outside: Path) -> None:
    (outside / "pkg" / "deep").mkdir(parents=True)
    (outside / "pkg" / "deep" / "precious.txt").write_text("keep me\n")
    (outside / "file.txt").write_text("keep me too\n")
    (outside / "pkg" / "back").symlink_to("..", target_is_directory=True)


def _write(path: Path, data: bytes) -> bool:
    """Write a file unless something is in the way (the generated names may collide)."""
    if os.path.lexists(path):
        return False
    path.write_bytes(data)
    return True


def _makedirs(path: Path) -> bool:
    """Create real directories only, never through a link or over a file."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        return False
    return not any(parent.is_symlink() for parent in [path, *path.parents])


def make_archive(archive_dir: Path, spec: ArchiveSpec, outside: Path) -> None:
    path = archive_dir / spec.id
    path.mkdir()
    for rel, data in spec.files:
        file = path / rel
        if _makedirs(file.parent):
            _write(file, data)
    if spec.dist_info is not None:
        name, version = spec.dist_info
        dist_info = f"{name}-{version}.dist-info"
        site = path / "lib" / "python3.11" / "site-packages" if spec.venv else path
        if _makedirs(site / dist_info):
            _write(site / dist_info / "METADATA", f"Name: {name}\nVersion: {version}\n".encode())
    if spec.venv:
        _write(path / "pyvenv.cfg", b"home = /usr/bin\n")
    if spec.escape:
        (path / "escape").symlink_to(outside, target_is_directory=True)


def _archive_target(tree: Tree, spec: LinkSpec, archive_id: str, parent: Path) -> str:
    archive = tree.root / ARCHIVES / archive_id
    relative = os.path.relpath(archive, parent)
    style = spec.target.style
    if style == "absolute":
        return str(archive)
    if style == "inside":
        return relative + "/pkg"
    if style == "detour":
        return f"../{parent.name}/{relative}"
    if style == "dotted":
        return relative.replace("/", "/./", 1).replace("..", "..//", 1)
    return relative


def link_target(tree: Tree, spec: LinkSpec, specs: Sequence[LinkSpec], ids: Sequence[str]) -> str:
    parent = tree.root.joinpath(*spec.place[:-1])
    kind, pick = spec.target.kind, spec.target.pick
    if kind == "archive" and ids:
        return _archive_target(tree, spec, ids[pick % len(ids)], parent)
    if kind in ("archive", "missing"):
        return os.path.relpath(tree.root / ARCHIVES / "ZZZZZZZZZZZZZZZZ", parent)
    if kind == "self":
        return spec.place[-1]
    if kind == "link":
        other = tree.root.joinpath(*specs[pick % len(specs)].place)
        return str(other) if spec.target.style == "absolute" else os.path.relpath(other, parent)
    if kind == "through":
        # Through another link as if it were a directory, e.g. one that leads to the bucket.
        other = tree.root.joinpath(*specs[pick % len(specs)].place)
        archive_id = ids[pick % len(ids)] if ids else "ZZZZZZZZZZZZZZZZ"
        return f"{os.path.relpath(other, parent)}/{archive_id}"
    if kind == "bucket":
        bucket = tree.root / ARCHIVES
        return str(bucket) if spec.target.style == "absolute" else os.path.relpath(bucket, parent)
    if kind == "outside":
        victim = tree.outside / ("file.txt" if pick % 2 else "pkg")
        return str(victim) if spec.target.style == "absolute" else os.path.relpath(victim, parent)
    if kind == "dotdot":
        return "../" * (pick % 40 + 1) + str(tree.outside).lstrip("/")
    return "nowhere/at/all"


def build(spec: TreeSpec, base: Path) -> Tree:
    """Write the tree of a spec under `base` (`cache` and `outside`)."""
    tree = Tree(base / "cache", base / "outside")
    make_skeleton(tree.root)
    make_outside(tree.outside)
    for name in spec.strays:
        if name.endswith(".txt"):
            _write(tree.root / name, b"not uv's\n")
        else:
            (tree.root / name).mkdir(exist_ok=True)
    for archive in spec.archives:
        make_archive(tree.root / ARCHIVES, archive, tree.outside)
    ids = [archive.id for archive in spec.archives]
    for alias, pick in spec.aliases:
        if ids and not os.path.lexists(tree.root / ARCHIVES / alias):
            (tree.root / ARCHIVES / alias).symlink_to(ids[pick % len(ids)])
    ids += [alias for alias, _ in spec.aliases if alias not in ids]
    for package, version, content in spec.revision_pointers:
        version_dir = tree.root / SDISTS / "pypi" / package / version
        if _makedirs(version_dir):
            _write(version_dir / "revision.rev", content)
    # Every directory first, so that no link is ever in the way of a directory made later.
    usable = [link for link in spec.links if _makedirs(tree.root.joinpath(*link.place[:-1]))]
    for link in usable:
        path = tree.root.joinpath(*link.place)
        if os.path.lexists(path) or not _makedirs(path.parent):
            continue
        rel = PurePosixPath(*link.place).as_posix()
        if link.form == "symlink":
            path.symlink_to(link_target(tree, link, usable, ids))
            tree.symlinks.append(rel)
        else:
            content = link.garbage
            if link.form == "windows" and ids:
                content = uv.format_link_file(ids[link.target.pick % len(ids)])
            _write(path, content)
            tree.link_files.append(rel)
        tree.link_dirs.append(path.parent)
        if link.pointer is not None:
            _write(path.parent / (path.name + link.pointer[0]), link.pointer[1])
    return tree


def lockable(tree: Tree) -> list[Path]:
    """Directories that may lose their permissions: buckets and what holds links, and archives."""
    found = {
        parent
        for path in tree.link_dirs
        for parent in (path, *path.parents)
        if parent.is_relative_to(tree.root) and parent != tree.root
    }
    found.update((tree.root / ARCHIVES).iterdir())
    return sorted(found)


def locked_dirs(tree: Tree, spec: TreeSpec) -> list[Path]:
    """The directories a spec takes every permission from."""
    candidates = lockable(tree)
    picked = {candidates[pick % len(candidates)] for pick in spec.locked} if candidates else set()
    picked.update(tree.root / rel for rel in spec.lock_paths)
    return sorted(path for path in picked if path.is_dir() and not path.is_symlink())


@contextmanager
def unreadable(paths: Sequence[Path], root: Path) -> Iterator[None]:
    """Take every permission from some directories; give every directory back its own after."""
    try:
        for path in sorted(paths, key=lambda path: len(path.parts), reverse=True):
            path.chmod(0)  # deepest first: a parent without permissions hides its children
        yield
    finally:
        restore(root)


def restore(root: Path) -> None:
    """Make every directory under `root` usable again, top down, so it can be walked and removed."""
    for dirpath, dirnames, _ in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP)


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory per example (hypothesis reruns the body, tmp_path would be shared)."""
    with tempfile.TemporaryDirectory(prefix="janitor-fuzz-") as where:
        base = Path(where).resolve()
        try:
            yield base
        finally:
            restore(base)


# ----- what must hold -----


def live_references(tree: Tree) -> dict[str, str]:
    """Links in the current link buckets that reach an archive now -> that archive's path.

    Symlinks by where the operating system resolves them (through other links and `..`);
    Windows link files by their content, as uv reads them on Windows.
    """
    current = CURRENT
    layout = follow.plan_layout(FOLLOWED, os.listdir(tree.root))
    buckets = {current[uv.Kind.WHEELS], current[uv.Kind.SDISTS], current[uv.Kind.ENVIRONMENTS]}
    # Buckets janitor does not know are kept, and so is what their links reach.
    buckets |= {n for n, status in layout.statuses.items() if status is follow.Status.UNKNOWN}
    archive_dir = os.path.realpath(tree.root / current[uv.Kind.ARCHIVE])
    found: dict[str, str] = {}
    for rel in [*tree.symlinks, *tree.link_files]:
        parts = PurePosixPath(rel).parts
        if parts[0] not in buckets:
            continue
        in_releases_buckets = parts[0] in (current[uv.Kind.WHEELS], current[uv.Kind.SDISTS])
        if in_releases_buckets and any(map(uv.skipped_by_reference_walk, parts[1:])):
            continue  # uv never looks for links in unpacked sources, locks or pointer names
        path = tree.root / rel
        if rel in tree.symlinks:
            try:
                real = os.path.realpath(path, strict=True)
            except OSError:
                continue
        else:
            data = path.read_bytes()
            parsed = uv.parse_link_file(data)
            if parsed is None or not uv.may_be_link_file(path.name, len(data)):
                continue
            real = os.path.realpath(os.path.join(archive_dir, parsed[1]))
        if os.path.dirname(real) == archive_dir and os.path.isdir(real):
            found[rel] = real
    return found


def still_reaches(tree: Tree, rel: str, real: str, content: bytes | None) -> bool:
    """Whether a link is still in place and still leads where it did."""
    path = tree.root / rel
    if content is not None:
        return not path.is_symlink() and path.is_file() and path.read_bytes() == content
    return path.is_symlink() and os.path.realpath(path) == real


def is_package_name(name: str) -> bool:
    """Whether `--package NAME` takes it: others are refused before the cache is read."""
    from packaging.utils import InvalidName, canonicalize_name

    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        return False
    return True


def check_exit(result: Result, document: dict[str, Any] | None) -> None:
    """0, or 1 with the errors listed."""
    assert result.exit_code in (0, EXIT_PARTIAL), result.output
    assert document is not None, result.output
    assert (result.exit_code == EXIT_PARTIAL) == bool(document["errors"]), result.output
    for error in document["errors"]:
        assert error["path"] and error["error"], error


# A link in a directory that cannot be listed (when not root), to an archive nothing else reaches.
HIDDEN_LINK = TreeSpec(
    archives=(ArchiveSpec("A" * 16, (("pkg/__init__.py", b""),), ("alpha", "1.0"), False, False),),
    links=(LinkSpec((WHEELS, "pypi", "alpha", "1.0-py3-none-any"), "symlink", Target("archive")),),
    revision_pointers=(),
    strays=(),
    locked=(),
    lock_paths=(f"{WHEELS}/pypi/alpha",),
)


@settings(SETTINGS, max_examples=100)
@given(spec=tree_specs(), selector=st.one_of(st.none(), packages))
@example(spec=HIDDEN_LINK, selector=None)
@example(spec=HIDDEN_LINK, selector="beta")
@example(spec=replace(HIDDEN_LINK, lock_paths=(WHEELS, ARCHIVES)), selector=None)
@example(spec=replace(HIDDEN_LINK, lock_paths=(f"{ARCHIVES}/{'A' * 16}",)), selector="alpha")
def test_a_sweep_keeps_what_live_links_reach_and_nothing_outside_changes(
    spec: TreeSpec, selector: str | None
) -> None:
    with scratch() as base:
        tree = build(spec, base)
        references = live_references(tree)
        archives = {real: snapshot(Path(real)) for real in set(references.values())}
        contents = {rel: (tree.root / rel).read_bytes() for rel in tree.link_files}
        outside = snapshot(tree.outside)
        locked = locked_dirs(tree, spec)
        args = ("--package", selector) if selector is not None else ()
        if selector is not None and not is_package_name(selector):
            before = snapshot(tree.root)
            refused, _ = try_sweep(tree.root, *args)
            assert refused.exit_code == EXIT_USAGE, refused.output
            assert refused.stderr.startswith("error: invalid package name "), refused.stderr
            assert len(refused.stderr.splitlines()) == 1, refused.stderr
            assert snapshot(tree.root) == before
            return

        with unreadable(locked, tree.root):
            first, first_doc = try_sweep(tree.root, *args)
            check_exit(first, first_doc)
            between = snapshot(tree.root)
            second, second_doc = try_sweep(tree.root, *args)
            check_exit(second, second_doc)
            after = snapshot(tree.root)

        assert snapshot(tree.outside) == outside
        for rel, real in references.items():
            if still_reaches(tree, rel, real, contents.get(rel)):
                assert os.path.isdir(real), (rel, real)
                assert snapshot(Path(real)) == archives[real], (rel, real)
        if first.exit_code == 0:
            assert second.exit_code == 0, second.output
            assert second_doc is not None
            assert second_doc["removals"] == []
            assert after == between


# ----- against uv's own prune -----

# Permissions hide nothing from root.
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# Where janitor keeps more than uv's prune does, by design.
UNKNOWN_BUCKET = "a bucket janitor does not know, or what its links reach"
WINDOWS_LINK = "an archive a Windows link file names"
INTO_ARCHIVE = "an archive a link leads inside"
UNREADABLE = "what a link that cannot be read may reach"
UNREADABLE_DIRS = "directories without permissions"


def is_unknown(name: str) -> bool:
    """Whether a top-level name is a bucket janitor does not know (and keeps)."""
    return follow.plan_layout(FOLLOWED, [name]).status(name) is Status.UNKNOWN


def without_deviations(spec: TreeSpec) -> TreeSpec:
    """The spec without what janitor keeps by design and uv's prune removes: no unknown bucket,
    no Windows link file, no link into an archive's inside, no directory without permissions."""
    links = []
    for link in spec.links:
        target = link.target
        if target.style == "inside":
            target = replace(target, style="relative")
        form = "symlink" if link.form == "windows" else link.form
        place = (WHEELS, *link.place[1:]) if link.place[0] == NEWER_WHEELS else link.place
        links.append(replace(link, place=place, form=form, target=target))
    strays = tuple(name for name in spec.strays if not is_unknown(name))
    return replace(spec, links=tuple(links), strays=strays, locked=(), lock_paths=())


def deviations(tree: Tree, locked: Sequence[Path]) -> set[str]:
    """Which of janitor's deviations from uv's prune a freshly built tree has, judged from the
    tree itself (by the operating system's resolution of its links), not by janitor's scan."""
    found = set()
    if any(is_unknown(name) for name in os.listdir(tree.root)):
        found.add(UNKNOWN_BUCKET)
    for rel in tree.link_files:
        data = (tree.root / rel).read_bytes()
        if uv.parse_link_file(data) and uv.may_be_link_file(PurePosixPath(rel).name, len(data)):
            found.add(WINDOWS_LINK)
    archive_dir = os.path.realpath(tree.root / ARCHIVES)
    for rel in tree.symlinks:
        inside = os.path.relpath(os.path.realpath(tree.root / rel), archive_dir).split(os.sep)
        if len(inside) > 1 and inside[0] not in ("..", "."):
            found.add(INTO_ARCHIVE)
    if locked and not IS_ROOT:
        found.add(UNREADABLE_DIRS)
    return found


def comparable(tree: Tree, base: Path) -> dict[str, tuple[str, ...]]:
    """A tree's snapshot, with the directory it was built in taken out of link targets."""
    where = str(base).lstrip("/")
    return {
        path: ("link", entry[1].replace(where, "<base>")) if entry[0] == "link" else entry
        for path, entry in snapshot(tree.root).items()
    }


def kept_by_design(inventory: Inventory) -> dict[str, str]:
    """Archives janitor keeps that uv's prune would not, each with the deviation that keeps it,
    as janitor's own scan of the tree sees them."""
    unknown = {top.name for top in inventory.top if top.status is Status.UNKNOWN}
    reasons: dict[str, str] = {}
    if any(link.state is LinkState.UNREADABLE for link in inventory.links):
        return dict.fromkeys(inventory.archives, UNREADABLE)
    for link in inventory.links:
        if link.state is not LinkState.ARCHIVE or link.archive is None:
            continue
        where = resolve(inventory.root, link.path, link.target, link.windows)
        if link.windows:
            reasons.setdefault(link.archive, WINDOWS_LINK)
        elif {PurePosixPath(path).parts[0] for path in (link.path, *link.via)} & unknown:
            reasons.setdefault(link.archive, UNKNOWN_BUCKET)
        elif where is not None and where.count("/") > 1:
            reasons.setdefault(link.archive, INTO_ARCHIVE)
    # An archive and the entries of the bucket that are symlinks to it live and die together.
    pairs = [(a.id, a.alias_of) for a in inventory.archives.values() if a.alias_of is not None]
    grown = True
    while grown:
        grown = False
        for pair in pairs:
            known = [reasons[one] for one in pair if one in reasons]
            for one in pair:
                if known and one not in reasons:
                    reasons[one] = known[0]
                    grown = True
    return reasons


def explain(path: str, inventory: Inventory, archives: dict[str, str]) -> str | None:
    """Why janitor keeps a path uv's prune removed, if it is one of the deviations by design."""
    parts = PurePosixPath(path).parts
    if parts[0] == ARCHIVES and len(parts) > 1:
        return archives.get(parts[1])
    status = inventory.layout.status(parts[0])
    if status is Status.UNKNOWN:
        return UNKNOWN_BUCKET
    if status is Status.MARKER and len(parts) == 1:
        return "a marker"
    return None


def topmost(paths: Iterable[str]) -> list[str]:
    """The paths none of whose parents is among them, sorted."""
    chosen: list[str] = []
    for path in sorted(paths):  # a parent sorts before what is below it
        if graphs.covering(path, chosen) is None:
            chosen.append(path)
    return chosen


def twins(spec: TreeSpec, base: Path) -> tuple[Tree, Tree]:
    """The same tree built twice, side by side: one for janitor, one for uv."""
    trees = []
    for name in ("janitor", "uv"):
        (base / name).mkdir()
        trees.append(build(spec, base / name))
    return trees[0], trees[1]


def one_link(place: tuple[str, ...], form: str = "symlink", style: str = "relative") -> TreeSpec:
    """Two archives, the first linked from `place`, the second from nowhere."""
    archive = HIDDEN_LINK.archives[0]
    return TreeSpec(
        archives=(archive, replace(archive, id="B" * 16)),
        links=(LinkSpec(place, form, Target("archive", 0, style)),),
        revision_pointers=(),
        strays=(),
        locked=(),
    )


PLAIN_LINK = one_link((WHEELS, "pypi", "alpha", "1.0-py3-none-any"))


@settings(SETTINGS, max_examples=80)
@given(spec=st.one_of(tree_specs(), tree_specs().map(without_deviations)))
@example(spec=PLAIN_LINK)
@example(spec=replace(one_link((NEWER_WHEELS, "pypi", "alpha", "1.0")), strays=(NEWER_WHEELS,)))
@example(spec=replace(PLAIN_LINK, strays=("foo-v1", ".tmpbuild", "junk.txt", "wheels-v6")))
@example(spec=replace(PLAIN_LINK, links=(replace(PLAIN_LINK.links[0], form="windows"),)))
@example(spec=one_link((SDISTS, "pypi", "alpha", "1.0", REVISIONS[0], "a"), style="inside"))
@example(spec=HIDDEN_LINK)
# uv's prune looks for no link in wheels and sdists entries named `src`, `.lock`, `.gitignore`,
# `*.rev`, `*.http`, `*.msgpack`, `*.whl` or `*.lock`, nor below them, and neither does janitor.
@example(spec=one_link((WHEELS, "pypi", "alpha", "name.rev")))
@example(spec=one_link((WHEELS, "pypi", uv.SOURCE_DIR, "1.0-py3-none-any")))
def test_a_sweep_keeps_what_uv_cache_prune_keeps_and_more_only_by_design(spec: TreeSpec) -> None:
    """The same tree swept by janitor and pruned by the real uv: janitor keeps all that uv keeps,
    anything more only by one of its deviations, and without those the two trees are the same."""
    with scratch() as base:
        ours, theirs = twins(spec, base)
        locked = locked_dirs(ours, spec)
        features = deviations(ours, locked)
        note(f"deviations: {sorted(features)}")

        with unreadable([*locked, *locked_dirs(theirs, spec)], base):
            result, document = try_sweep(ours.root)
            pruned = run_uv("cache", "prune", "--force", cache_dir=theirs.root, check=False)
        check_exit(result, document)
        assert document is not None
        if pruned.returncode != 0:
            cause = pruned.stderr.strip().splitlines()[-1].split("`")[0]
            event(f"uv cache prune failed: {cause.strip()}")
            if UNREADABLE_DIRS in features:
                return
            if spec.aliases and "failed to canonicalize path" in pruned.stderr:
                # uv 0.13.9 removes an archive, then fails on an entry of the archive bucket that
                # is a link to it (depending on listing order) and stops halfway. janitor must
                # not: no entry of the archive bucket may be left leading nowhere.
                archive_dir = ours.root / ARCHIVES
                for entry in archive_dir.iterdir() if archive_dir.is_dir() else ():
                    assert not entry.is_symlink() or entry.exists(), entry
                return
        assert pruned.returncode == 0, f"uv cache prune failed:\n{pruned.stderr}"

        after_janitor = comparable(ours, base / "janitor")
        after_uv = comparable(theirs, base / "uv")
        # (a) Whatever uv's prune keeps, janitor keeps, unchanged.
        lost = topmost(p for p, entry in after_uv.items() if after_janitor.get(p) != entry)
        assert not lost, f"janitor removed or changed what uv's prune keeps: {lost}"

        # (b) What janitor keeps beyond that is one of its deviations, as janitor's scan sees it.
        extra = topmost(p for p, entry in after_janitor.items() if after_uv.get(p) != entry)
        inventory = anyio.run(lambda: scan(ours.root, releases=FOLLOWED))
        archives = kept_by_design(inventory)
        reasons = {path: explain(path, inventory, archives) for path in extra}
        note(f"kept beyond uv's prune: {reasons}")
        # Where directories lost their permissions, what janitor said it could not remove stays.
        failed = {error["path"] for error in document["errors"]}
        if failed and UNREADABLE_DIRS in features:
            failed.add(uv.TRASH_DIR)
        else:
            failed = set()
        unexplained = {
            path: [(link.path, link.target) for link in inventory.links if link.archive == name]
            for path, reason in reasons.items()
            if reason is None and graphs.covering(path, failed) is None
            for name in [PurePosixPath(path).name]
        }
        assert not unexplained, (
            f"janitor keeps what uv's prune removes, for no known reason (path: links janitor "
            f"sees reach it): {unexplained}"
        )

        # (c) Without any of the deviations, the trees are the same.
        if not features:
            assert not extra, f"janitor keeps what uv's prune removes: {reasons}"


BREAKS = ("no tag", "wrong tag", "no bucket", "a file", "missing")


@settings(SETTINGS, max_examples=15)
@given(spec=tree_specs(), how=st.sampled_from(BREAKS), selector=st.one_of(st.none(), packages))
def test_what_is_not_a_cache_is_refused_in_one_line(
    spec: TreeSpec, how: str, selector: str | None
) -> None:
    with scratch() as base:
        tree = build(spec, base)
        target = tree.root
        if how == "no tag":
            (tree.root / uv.CACHEDIR_TAG).unlink()
        elif how == "wrong tag":
            (tree.root / uv.CACHEDIR_TAG).write_text("Signature: 0000\n")
        elif how == "no bucket":
            for name in os.listdir(tree.root):
                if uv.parse_bucket(name) is not None:
                    os.rename(tree.root / name, tree.outside / f"moved-{name}")
            # Something that is not a marker: a directory of markers alone is an empty cache.
            (tree.root / "precious.txt").write_text("not janitor's to remove\n")
        elif how == "a file":
            target = tree.outside / "file.txt"
        else:
            target = base / "nowhere"
        before = snapshot(base)
        args = ("--package", selector) if selector is not None else ()

        result = runner.invoke(app, ["sweep", "--cache-dir", str(target), "--json", *args])

        # A name that is not a package name is refused first, before the cache is looked at.
        refused = selector is None or is_package_name(selector)
        assert result.exit_code == (EXIT_REFUSED if refused else EXIT_USAGE), result.output
        assert isinstance(result.exception, SystemExit)
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ")
        assert snapshot(base) == before


# ----- the pure layer -----


def check_plan(inventory: Inventory, plan: Plan) -> None:
    """What holds for every plan: it stays in the cache, is ordered, and kills no live archive."""
    paths = [item.path for item in plan.items]
    assert len(paths) == len(set(paths))
    for path in paths:
        assert path and not path.startswith("/") and ".." not in path.split("/"), path
        parent = path.rpartition("/")[0]
        assert not parent or graphs.covering(parent, set(paths)) is None, path
    phases = [item.phase for item in plan.items]
    assert phases == sorted(phases)
    holders = {item.path for item in plan.items if item.kind is not ItemKind.ARCHIVE}
    archive_bucket = inventory.bucket(uv.Kind.ARCHIVE)
    doomed = set()
    for item in plan.items:
        if item.kind is ItemKind.ARCHIVE:
            bucket, _, archive_id = item.path.partition("/")
            assert bucket == archive_bucket and archive_id in inventory.archives, item
            assert set(item.requires) <= holders, item
            doomed.add(archive_id)
    if any(
        link.state is LinkState.UNREADABLE and graphs.covering(link.path, holders) is None
        for link in inventory.links
    ):
        assert not doomed
    assert not reached(inventory, holders) & doomed


def held(link: Link, holders: set[str]) -> bool:
    """Whether a link, or a link its way leads through, is inside a removed path."""
    return any(graphs.covering(path, holders) is not None for path in (link.path, *link.via))


def reached(inventory: Inventory, holders: set[str]) -> set[str]:
    """Archives a link that survives the removal of `holders` reaches, aliases included."""
    found = {
        link.archive
        for link in inventory.links
        if link.state is LinkState.ARCHIVE and link.archive is not None and not held(link, holders)
    }
    groups = [{a.id, a.alias_of} for a in inventory.archives.values() if a.alias_of is not None]
    grown = True
    while grown:
        grown = False
        for group in groups:
            if group & found and not group <= found:
                found |= group
                grown = True
    return found & set(inventory.archives)


def check_prune(inventory: Inventory, plan: Plan) -> None:
    """A prune keeps an archive only for a reason: a surviving link reaches it (perhaps through
    an alias), or a link that cannot be read survives."""
    check_plan(inventory, plan)
    holders = {item.path for item in plan.items if item.kind is not ItemKind.ARCHIVE}
    doomed = {item.path.partition("/")[2] for item in plan.items if item.kind is ItemKind.ARCHIVE}
    if not any(
        link.state is LinkState.UNREADABLE and graphs.covering(link.path, holders) is None
        for link in inventory.links
    ):
        assert set(inventory.archives) - doomed == reached(inventory, holders)


@settings(SETTINGS, max_examples=80)
@given(spec=tree_specs(), selectors=st.lists(packages, max_size=3))
def test_plans_of_scanned_trees_never_doom_a_linked_archive(
    spec: TreeSpec, selectors: list[str]
) -> None:
    with scratch() as base:
        tree = build(spec, base)
        inventory = anyio.run(lambda: scan(tree.root, releases=FOLLOWED))
    check_prune(inventory, plans.prune(inventory))
    check_prune(inventory, plans.prune(inventory, ci=True))
    check_plan(inventory, plans.packages(inventory, selectors))
    # What holds the links of each planned archive is planned before it.
    for plan in (plans.prune(inventory), plans.packages(inventory, selectors)):
        position = {item.path: n for n, item in enumerate(plan.items)}
        for n, item in enumerate(plan.items):
            assert all(position[required] < n for required in item.requires), item


rel_paths = st.lists(st.sampled_from(("a", "b", "pypi", "x y", "日")), min_size=1, max_size=3)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    """Inventories as a scan could return them, without a disk."""
    ids = draw(st.lists(archive_ids, max_size=6, unique=True))
    archives = {
        archive_id: Archive(
            archive_id,
            f"{ARCHIVES}/{archive_id}",
            tuple(draw(st.lists(st.tuples(st.sampled_from(PACKAGES[:3]), st.just("1.0")))))[:2],
            venv=draw(st.booleans()),
        )
        for archive_id in ids
    }
    # Entries that are symlinks to a directory of the bucket (a scan resolves them to the end).
    aliases = (
        draw(st.lists(st.sampled_from(ids), max_size=len(ids) - 1, unique=True)) if ids else []
    )
    directories = [archive_id for archive_id in ids if archive_id not in aliases]
    for alias in aliases:
        target = draw(st.sampled_from(directories))
        archives[alias] = replace(archives[alias], is_link=True, alias_of=target)
    links = []
    for n in range(draw(st.integers(0, 10))):
        bucket = draw(st.sampled_from(LINK_BUCKETS))
        path = "/".join((bucket, *draw(rel_paths), f"link{n}"))
        state = draw(st.sampled_from(list(LinkState)))
        archive = None
        if state is LinkState.ARCHIVE and ids:
            archive = draw(st.sampled_from(ids))
        elif state is LinkState.ARCHIVE:
            state = LinkState.MISSING
        if state is LinkState.MISSING:
            archive = "ZZZZZZZZZZZZZZZZ"
        via = tuple(
            "/".join((other, *draw(rel_paths), "hop"))
            for other in draw(st.lists(st.sampled_from(LINK_BUCKETS), max_size=2))
        )
        package = draw(st.sampled_from(PACKAGES))
        links.append(Link(path, bucket, "t", state, archive, package, via=via))
    entries = tuple(
        Entry(f"{bucket}/pypi/{package}", bucket, uv.normalize(package))
        for bucket in (WHEELS, SDISTS)
        for package in draw(st.lists(st.sampled_from(PACKAGES), max_size=3, unique=True))
    )
    env_paths = {
        "/".join(link.path.split("/")[:2]) for link in links if link.bucket == ENVIRONMENTS
    }
    environments = tuple(
        Environment(
            path,
            tuple(
                sorted(
                    link.archive
                    for link in links
                    if link.archive is not None and link.path.startswith(path + "/")
                )
            ),
        )
        for path in sorted(env_paths)
    )
    tops = {
        *CURRENT.values(),
        *(link.bucket for link in links),
        *draw(st.lists(st.sampled_from(STRAYS))),
    }
    layout = follow.plan_layout(FOLLOWED, tops)
    top = tuple(TopEntry(name, True, layout.status(name)) for name in sorted(tops))
    return Inventory(
        root=Path("/cache"),
        layout=layout,
        top=top,
        links=tuple(links),
        archives=archives,
        entries=entries,
        environments=environments,
    )


@settings(SETTINGS, max_examples=300)
@given(inventory=inventories(), selectors=st.lists(st.sampled_from(PACKAGES), max_size=3))
def test_plans_never_doom_an_archive_a_surviving_link_reaches(
    inventory: Inventory, selectors: list[str]
) -> None:
    check_prune(inventory, plans.prune(inventory))
    check_prune(inventory, plans.prune(inventory, ci=True))
    check_plan(inventory, plans.packages(inventory, selectors))
