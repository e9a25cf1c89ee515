"""The deletion engine on real trees: Windows faults injected through `Ops`, accounting checked
against `du`, links removed as links, parallel workers within their bound, and bounded memory.

Faults are real `OSError`s raised at chosen calls of an `Ops` subclass, carrying the `winerror`
Windows would set, so every platform runs the Windows paths.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath

import pytest

from janitor.inventory import Usage
from janitor.measure import measure
from janitor.plan import Item, ItemKind, Plan, Reason
from janitor.remove.engine import execute
from janitor.remove.fsops import FIRST_BACKOFF, RETRIES, Ops, long_path
from janitor.remove.outcome import Failure, Outcome
from janitor.uv import layout as uv
from janitor.uv import plan as plans
from janitor.uv.scan import scan
from tests.clirun import du
from tests.uvfactory import UvCache, snapshot

pytestmark = pytest.mark.anyio

SHARING_VIOLATION = "The process cannot access the file because it is being used by another process"
ACCESS_DENIED = "Access is denied"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class AccessDenied(PermissionError):
    """ERROR_ACCESS_DENIED: a read-only file, or a directory Windows will not rename."""

    winerror = 5


class SharingViolation(PermissionError):
    """ERROR_SHARING_VIOLATION: another process has the file open."""

    winerror = 32


class DirNotEmpty(OSError):
    """ERROR_DIR_NOT_EMPTY: Windows has not yet released the entries just deleted."""

    winerror = 145


def sharing_violation(path: str) -> OSError:
    return SharingViolation(errno.EACCES, SHARING_VIOLATION, path)


def busy(path: str) -> OSError:
    return OSError(errno.EBUSY, os.strerror(errno.EBUSY), path)


def access_denied(path: str) -> OSError:
    return AccessDenied(errno.EACCES, ACCESS_DENIED, path)


Fault = Callable[[str, str], "OSError | None"]


def fail(call: str, where: str, error: Callable[[str], OSError], times: int | None = None) -> Fault:
    """`call` on the path ending in `where` raises `error(path)`: `times` times, or always."""
    left = [times]
    tail = os.sep + where.replace("/", os.sep)

    def fault(name: str, path: str) -> OSError | None:
        if name != call or not path.endswith(tail) or left[0] == 0:
            return None
        if left[0] is not None:
            left[0] -= 1
        return error(path)

    return fault


class Faulty(Ops):
    """The real calls, logged in order; each fault may raise before a mutation is attempted."""

    def __init__(self, *faults: Fault) -> None:
        self.faults = faults
        self.lock = threading.Lock()
        self.attempts: list[tuple[str, str]] = []
        self.done: list[tuple[str, str]] = []
        self.chmods: list[str] = []
        self.sleeps: list[float] = []

    def _attempt(self, call: str, path: str) -> None:
        with self.lock:
            self.attempts.append((call, path))
            errors = [error for fault in self.faults if (error := fault(call, path))]
        if errors:
            raise errors[0]

    def _done(self, call: str, path: str) -> None:
        with self.lock:
            self.done.append((call, path))

    def rename(self, src: str, dst: str) -> None:
        self._attempt("rename", src)
        super().rename(src, dst)
        self._done("rename", src)

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        self._attempt("unlink", path)
        super().unlink(path, name, dir_fd)
        self._done("unlink", path)

    def rmdir(self, path: str) -> None:
        self._attempt("rmdir", path)
        super().rmdir(path)
        self._done("rmdir", path)

    def chmod(self, path: str, mode: int) -> None:
        with self.lock:
            self.chmods.append(path)
        super().chmod(path, mode)

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
        super().sleep(seconds)

    def tries(self, call: str, where: str) -> int:
        tail = os.sep + where.replace("/", os.sep)
        return sum(1 for name, path in self.attempts if name == call and path.endswith(tail))


def windows_read_only(call: str, path: str) -> OSError | None:
    """Windows refuses to delete a file or directory while its read-only attribute is set."""
    if call in ("unlink", "rmdir") and not os.lstat(path).st_mode & stat.S_IWRITE:
        return access_denied(path)
    return None


def cache_root(tmp_path: Path) -> Path:
    root = tmp_path / "cache"
    root.mkdir(parents=True)
    return root.resolve()


def make_tree(base: Path, files: Mapping[str, bytes]) -> None:
    base.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def temporary(name: str) -> Item:
    return Item(name, ItemKind.BUCKET, Reason.TEMPORARY)


def gone(path: Path) -> bool:
    return not os.path.lexists(path)


def resolves_to(link: Path) -> Path:
    return Path(os.path.realpath(link))


def blocks(*paths: Path) -> int:
    return sum(os.lstat(path).st_blocks * 512 for path in paths)


# ----- Windows, through injected faults -----


async def test_read_only_entries_are_made_writable_and_removed(tmp_path: Path) -> None:
    root = cache_root(tmp_path)
    tree = root / ".tmpdata"
    make_tree(tree, {"ro/readonly.txt": b"r" * 10, "ro/plain.txt": b"p", "top.txt": b"t"})
    (tree / "empty-ro").mkdir()
    for path, mode in [("ro/readonly.txt", 0o444), ("top.txt", 0o444), ("ro", 0o555)]:
        (tree / path).chmod(mode)
    (tree / "empty-ro").chmod(0o555)
    expected = measure(str(tree))
    ops = Faulty(windows_read_only)

    removal = await execute(root, Plan((temporary(".tmpdata"),)), ops=ops, trash=uv.TRASH_DIR)

    assert removal.failures == []
    assert snapshot(root) == {}
    assert removal.total == expected == Usage(3, 3, 12, expected.disk)
    assert {os.path.basename(path) for path in ops.chmods} == {
        "readonly.txt",
        "top.txt",
        "ro",
        "empty-ro",
    }
    assert ops.tries("unlink", "ro/readonly.txt") == 2
    assert ops.tries("unlink", "ro/plain.txt") == 1
    assert ops.tries("rmdir", "empty-ro") == 2
    assert ops.sleeps == []


TRANSIENT = {"sharing violation": sharing_violation, "EBUSY": busy}


@pytest.mark.parametrize("error", list(TRANSIENT.values()), ids=list(TRANSIENT))
async def test_a_file_in_use_is_removed_after_a_bounded_backoff(
    tmp_path: Path, error: Callable[[str], OSError]
) -> None:
    root = cache_root(tmp_path)
    tree = root / ".tmpdata"
    make_tree(tree, {"sub/in-use.pyd": b"x" * 100, "sub/other.txt": b"o", "top.txt": b"t"})
    expected = measure(str(tree))
    ops = Faulty(fail("unlink", "sub/in-use.pyd", error, times=3))

    removal = await execute(root, Plan((temporary(".tmpdata"),)), ops=ops, trash=uv.TRASH_DIR)

    assert removal.failures == []
    assert snapshot(root) == {}
    assert removal.total == expected
    assert ops.tries("unlink", "sub/in-use.pyd") == 4
    assert ops.sleeps == [FIRST_BACKOFF, 2 * FIRST_BACKOFF, 4 * FIRST_BACKOFF]


@pytest.mark.parametrize("error", list(TRANSIENT.values()), ids=list(TRANSIENT))
async def test_a_file_that_stays_in_use_is_reported_and_the_rest_removed(
    tmp_path: Path, error: Callable[[str], OSError]
) -> None:
    root = cache_root(tmp_path)
    tree = root / ".tmpdata"
    make_tree(
        tree,
        {"sub/locked.pyd": b"L" * 100, "sub/b.txt": b"bb", "a.txt": b"a", "other/c.txt": b"ccc"},
    )
    make_tree(root / ".tmpmore", {"x/y.txt": b"y"})
    freed = blocks(tree / "sub" / "b.txt", tree / "a.txt", tree / "other" / "c.txt")
    ops = Faulty(fail("unlink", "sub/locked.pyd", error))

    removal = await execute(
        root, Plan((temporary(".tmpdata"), temporary(".tmpmore"))), ops=ops, trash=uv.TRASH_DIR
    )

    data, more = removal.outcomes
    assert more.ok
    assert not data.ok
    [failure] = removal.failures
    assert failure == data.failures[0]
    assert failure.error == error("").strerror
    left_in = failure.path.removesuffix("/sub/locked.pyd")
    assert PurePosixPath(left_in).parent.as_posix() == uv.TRASH_DIR
    assert (root / failure.path).read_bytes() == b"L" * 100
    assert set(snapshot(root)) == {uv.TRASH_DIR, left_in, f"{left_in}/sub", failure.path}
    assert data.usage == Usage(3, 1, 6, freed)
    assert ops.tries("unlink", "sub/locked.pyd") == RETRIES
    assert ops.sleeps == [FIRST_BACKOFF * 2**n for n in range(RETRIES - 1)]

    # The next run finishes what this one left in the trash.
    again = await execute(
        root, Plan((Item(left_in, ItemKind.LEFTOVER, Reason.LEFTOVER),)), trash=uv.TRASH_DIR
    )
    assert again.failures == []
    assert snapshot(root) == {}


APPEARING = {
    "pending delete": {},
    "entries appeared": {"late.txt": b"late", "late-dir/deeper/x.txt": b"xx"},
}


@pytest.mark.parametrize("appears", list(APPEARING.values()), ids=list(APPEARING))
async def test_a_directory_not_empty_after_its_last_unlink_is_cleared_and_retried(
    tmp_path: Path, appears: dict[str, bytes]
) -> None:
    root = cache_root(tmp_path)
    tree = root / ".tmpdata"
    make_tree(tree, {"sub/a.txt": b"a", "sub/b.txt": b"b", "c.txt": b"c"})
    expected = measure(str(tree))
    late: list[Usage] = []

    def not_empty_once(call: str, path: str) -> OSError | None:
        if call != "rmdir" or os.path.basename(path) != "sub" or late:
            return None
        make_tree(Path(path), appears)
        names = {rel.split("/")[0] for rel in appears}
        late.append(sum((measure(os.path.join(path, name)) for name in names), Usage()))
        return DirNotEmpty(errno.ENOTEMPTY, "The directory is not empty", path)

    ops = Faulty(not_empty_once)

    removal = await execute(root, Plan((temporary(".tmpdata"),)), ops=ops, trash=uv.TRASH_DIR)

    assert removal.failures == []
    assert snapshot(root) == {}
    assert removal.total == expected + late[0]
    assert ops.tries("rmdir", "sub") == 2
    assert ops.sleeps == [FIRST_BACKOFF]


def beta_plan_parts(cache: UvCache, plan: Plan) -> tuple[Item, Item, str]:
    """beta's wheels entry, the archive that needs it gone first, and the link inside it."""
    [entry] = [item for item in plan.items if item.kind is ItemKind.ENTRY]
    [archive] = [item for item in plan.items if item.requires == (entry.path,)]
    [link] = [str(path) for path in cache.links if str(path).startswith(entry.path + "/")]
    assert archive.path == f"{cache.buckets[uv.Kind.ARCHIVE]}/{cache.links[PurePosixPath(link)]}"
    return entry, archive, link


async def test_an_entry_windows_will_not_rename_is_deleted_in_place_before_its_archive(
    uv_cache: UvCache,
) -> None:
    root = uv_cache.root.resolve()
    the_plan = plans.packages(await scan(root), ["beta"])
    entry, archive, link = beta_plan_parts(uv_cache, the_plan)
    ops = Faulty(fail("rename", entry.path, access_denied))

    removal = await execute(root, the_plan, ops=ops, trash=uv.TRASH_DIR)

    assert removal.failures == []
    assert all(outcome.ok for outcome in removal.outcomes)
    assert [outcome.item for outcome in removal.outcomes] == list(the_plan.items)
    assert gone(root / entry.path)
    assert gone(root / archive.path)
    assert ops.tries("rename", entry.path) == 1
    # Deleted where it was, and its link gone before the archive was touched.
    link_gone = ops.done.index(("unlink", str(root / link)))
    archive_moved = ops.done.index(("rename", str(root / archive.path)))
    assert link_gone < archive_moved
    assert not any(path.startswith(str(root / archive.path)) for _, path in ops.done[:link_gone])
    for other, archive_id in uv_cache.links.items():
        if other.parts[0] == uv_cache.buckets[uv.Kind.WHEELS] and other.parent.name != "beta":
            assert resolves_to(root / other) == root / archive.path.rpartition("/")[0] / archive_id


async def test_an_archive_is_kept_when_the_entry_linking_to_it_cannot_be_removed(
    uv_cache: UvCache,
) -> None:
    root = uv_cache.root.resolve()
    the_plan = plans.packages(await scan(root), ["beta"])
    entry, archive, link = beta_plan_parts(uv_cache, the_plan)
    kept = snapshot(root / archive.path)
    ops = Faulty(fail("rename", entry.path, access_denied), fail("unlink", link, sharing_violation))

    removal = await execute(root, the_plan, ops=ops, trash=uv.TRASH_DIR)

    outcomes = {outcome.item.path: outcome for outcome in removal.outcomes}
    assert outcomes[entry.path].failures == (Failure(link, SHARING_VIOLATION),)
    assert outcomes[archive.path] == Outcome(
        archive, Usage(), skipped=f"kept: {entry.path} could not be removed"
    )
    assert removal.failures == [
        Failure(link, SHARING_VIOLATION),
        Failure(archive.path, f"kept: {entry.path} could not be removed"),
    ]
    assert snapshot(root / archive.path) == kept
    assert resolves_to(root / link) == root / archive.path
    assert not any(path.startswith(str(root / archive.path)) for _, path in ops.attempts)
    # The cached environment and its archive do not depend on beta's entry: they are gone.
    others = [
        outcome for path, outcome in outcomes.items() if path not in (entry.path, archive.path)
    ]
    assert len(others) == 2
    assert all(outcome.ok and gone(root / outcome.item.path) for outcome in others)


@pytest.mark.parametrize(
    ("path", "platform", "expected"),
    [
        ("C:\\x", "win32", "\\\\?\\C:\\x"),
        ("C:\\Users\\me\\uv\\archive-v0\\id", "win32", "\\\\?\\C:\\Users\\me\\uv\\archive-v0\\id"),
        ("\\\\server\\share\\x", "win32", "\\\\?\\UNC\\server\\share\\x"),
        ("\\\\?\\C:\\x", "win32", "\\\\?\\C:\\x"),
        ("\\\\?\\UNC\\server\\share\\x", "win32", "\\\\?\\UNC\\server\\share\\x"),
        ("\\\\.\\C:\\x", "win32", "\\\\.\\C:\\x"),
        ("/home/me/.cache/uv/archive-v0/id", "linux", "/home/me/.cache/uv/archive-v0/id"),
        ("C:\\x", "linux", "C:\\x"),
        ("\\\\server\\share\\x", "darwin", "\\\\server\\share\\x"),
    ],
)
def test_long_path(path: str, platform: str, expected: str) -> None:
    assert long_path(path, platform=platform) == expected
    assert long_path(expected, platform=platform) == expected


async def test_links_are_removed_as_links_and_their_targets_kept(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, {"precious.txt": b"keep me", "pkg/deep.txt": b"keep me too"})
    root = cache_root(tmp_path)
    tree = root / ".tmpdata"
    make_tree(tree, {"real/inner.txt": b"inner"})
    (tree / "inner-link").symlink_to("real", target_is_directory=True)
    (tree / "real" / "loop").symlink_to("..", target_is_directory=True)
    (tree / "escape").symlink_to(outside, target_is_directory=True)
    (tree / "real" / "escape-file").symlink_to(outside / "precious.txt")
    (tree / "dangling").symlink_to(tmp_path / "nowhere")
    (root / "escape-top").symlink_to(outside, target_is_directory=True)
    (root / "via").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    # The file's blocks, and those of links whose long targets do not fit in their inode.
    freed = blocks(
        tree / "real" / "inner.txt",
        tree / "inner-link",
        tree / "real" / "loop",
        tree / "escape",
        tree / "real" / "escape-file",
        tree / "dangling",
    )
    top_freed = blocks(root / "escape-top")
    ops = Faulty()
    the_plan = Plan(
        (
            temporary(".tmpdata"),
            Item("escape-top", ItemKind.BUCKET, Reason.UNKNOWN),
            Item("via/pkg", ItemKind.BUCKET, Reason.UNKNOWN),
        )
    )

    removal = await execute(root, the_plan, ops=ops, trash=uv.TRASH_DIR)

    assert snapshot(outside) == before
    assert set(snapshot(root)) == {"via"}
    assert os.readlink(root / "via") == str(outside)
    data, top, via = removal.outcomes
    assert data.ok
    assert data.usage == Usage(6, 2, 5, freed)
    assert top.ok
    assert top.usage == Usage(1, 0, 0, top_freed)
    assert via.failures == (Failure("via/pkg", "refused: its path leads through a link"),)
    removed = {os.path.basename(path) for call, path in ops.done if call == "unlink"}
    assert {"inner-link", "loop", "escape", "escape-file", "dangling"} <= removed
    assert any(name.endswith("-escape-top") for name in removed)  # moved into the trash first
    resolved = str(outside.resolve())
    assert not any(path.startswith((str(outside), resolved)) for _, path in ops.attempts)


# ----- accounting -----


def make_sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that occupies one block: a hole, then one byte."""
    with open(path, "wb") as sparse:
        sparse.seek(size - 1)
        sparse.write(b"\1")


async def test_usage_matches_du(tmp_path: Path) -> None:
    shared = tmp_path / "outside" / "shared.bin"
    make_tree(shared.parent, {"shared.bin": os.urandom(10_000)})
    root = cache_root(tmp_path)
    tree = root / ".tmpdata"
    sizes = {
        "empty": 0,
        "one": 1,
        "block": 4096,
        "block-and-one": 4097,
        "a/odd": 1234,
        "a/b/big": 1 << 20,
        "a/b/c/mid": 65_537,
    }
    make_tree(tree, {rel: os.urandom(size) for rel, size in sizes.items()})
    make_sparse(tree / "a" / "sparse", 8 << 20)
    make_tree(tree, {"a/multi": os.urandom(30_000)})
    os.link(tree / "a" / "multi", tree / "a" / "b" / "multi-2")
    os.link(tree / "a" / "multi", tree / "multi-3")
    os.link(shared, tree / "a" / "b" / "c" / "shared-link")
    directories = [tree, tree / "a", tree / "a" / "b", tree / "a" / "b" / "c"]
    files = [*(tree / rel for rel in sizes), tree / "a" / "sparse", tree / "a" / "multi"]
    logical = sum(sizes.values()) + (8 << 20) + 3 * 30_000 + 10_000
    expected = Usage(12, 4, logical, blocks(*files))
    assert measure(str(tree)) == expected
    apparent = du(tree, options=("--apparent-size", "--count-links"))
    directory_sizes = sum(os.lstat(path).st_size for path in directories)
    directory_blocks = blocks(*directories)
    disk_before = du(tmp_path)

    removal = await execute(root, Plan((temporary(".tmpdata"),)), trash=uv.TRASH_DIR)

    disk_after = du(tmp_path)
    assert removal.failures == []
    assert snapshot(root) == {}
    assert removal.total == expected
    # du counts directories too; the engine counts files' bytes and blocks only.
    assert removal.total.bytes == apparent - directory_sizes
    assert removal.total.disk == disk_before - disk_after - directory_blocks
    assert shared.read_bytes() == (tmp_path / "outside" / "shared.bin").read_bytes()
    assert os.lstat(shared).st_nlink == 1


# ----- parallelism and bounds -----


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A directory for large generated trees: in memory where the system has a tmpfs, so that
    creating them costs no disk writes and the tests time the engine, not the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and os.statvfs(shm).f_favail > 1_000_000:
        where = Path(tempfile.mkdtemp(prefix="janitor-tests-", dir=shm))
        yield where
        shutil.rmtree(where, ignore_errors=True)
    else:
        yield tmp_path


def make_wide_tree(base: Path, directories: int, files: int, subdirectories: int = 0) -> int:
    """`directories` directories (each with `subdirectories` more) of `files` small files each."""
    base.mkdir()
    made = 0
    leaves = [f"d{d:03}" for d in range(directories)]
    if subdirectories:
        leaves = [f"{top}/s{s:03}" for top in leaves for s in range(subdirectories)]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for leaf in leaves:
        (base / leaf).mkdir(parents=True)
        fd = os.open(base / leaf, os.O_RDONLY)
        try:
            for n in range(files):
                file = os.open(f"f{n:04}.py", flags, 0o644, dir_fd=fd)
                os.write(file, b"#" * (n % 200))
                os.close(file)
                made += 1
        finally:
            os.close(fd)
    return made


class Watching(Ops):
    """Real calls; records the threads that unlink and how many unlink at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads: set[int] = set()
        self.inside = 0
        self.peak = 0

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        with self.lock:
            self.threads.add(threading.get_ident())
            self.inside += 1
            self.peak = max(self.peak, self.inside)
        try:
            super().unlink(path, name, dir_fd)
        finally:
            with self.lock:
                self.inside -= 1


class Progress:
    """A reporter that adds up what it is told."""

    def __init__(self) -> None:
        self.trees = 0
        self.files = 0
        self.bytes = 0
        self.done: list[Outcome] = []

    def on_start(self, trees: int) -> None:
        self.trees += trees

    def on_progress(self, files: int, size: int) -> None:
        self.files += files
        self.bytes += size

    def on_done(self, outcome: Outcome) -> None:
        self.done.append(outcome)


async def test_worker_count_changes_nothing_but_the_speed(scratch: Path) -> None:
    removals = {}
    for workers in (1, 4, 32):
        root = cache_root(scratch / f"workers-{workers}")
        made = make_wide_tree(root / ".tmpdata", directories=200, files=100)
        expected = measure(str(root / ".tmpdata"))
        ops = Watching()
        progress = Progress()

        removal = await execute(
            root,
            Plan((temporary(".tmpdata"),)),
            workers=workers,
            ops=ops,
            reporter=progress,
            trash=uv.TRASH_DIR,
        )

        assert snapshot(root) == {}
        assert removal.total == expected
        assert expected.files == made == 20_000
        assert (progress.trees, progress.files, progress.bytes) == (1, made, expected.bytes)
        assert progress.done == list(removal.outcomes)
        assert 1 <= ops.peak <= workers
        if workers > 1:
            assert len(ops.threads) > 1  # one tree, shared among workers
        removals[workers] = removal
    assert removals[1] == removals[4] == removals[32]


# ----- bounded memory -----

_DELETE = """
import sys
from functools import partial
from pathlib import Path

import anyio

from janitor.plan import Item, ItemKind, Plan, Reason
from janitor.remove.engine import execute
from janitor.uv.names import TRASH_DIR

plan = Plan((Item(".tmpbig", ItemKind.BUCKET, Reason.TEMPORARY),))
removal = anyio.run(partial(execute, Path(sys.argv[1]), plan, trash=TRASH_DIR))
print(removal.total.files, removal.total.dirs, len(removal.failures))
"""

# Runs the deletion as its only child, so that RUSAGE_CHILDREN is that child's peak alone.
_MEASURE = """
import resource
import subprocess
import sys

done = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True,
                      text=True, check=True)
print(done.stdout.strip())
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.slow
def test_deleting_200k_files_stays_within_150_mib(scratch: Path) -> None:
    root = cache_root(scratch)
    made = make_wide_tree(root / ".tmpbig", directories=20, files=500, subdirectories=20)
    assert made == 200_000

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_MEASURE), textwrap.dedent(_DELETE), str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )

    removed, peak = done.stdout.split("\n")[:2]
    assert removed == f"{made} {20 + 20 * 20 + 1} 0"
    assert snapshot(root) == {}
    peak_bytes = int(peak) * (1 if sys.platform == "darwin" else 1024)
    assert 0 < peak_bytes < 150 * 1024 * 1024
