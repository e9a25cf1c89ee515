"""The deletion engine under random OS faults, on copies of a genuine uv cache.

Each seed decides, for every (call, path) the engine touches, whether that call fails, with which
errno, and whether the fault is transient (fails once, then succeeds) or persistent. Whatever
fails: nothing escapes but recorded failures, no link is left to a half-deleted archive, nothing
outside the cache changes, and a rerun converges to the tree a fault-free run leaves.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import random
import re
import threading
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import anyio
import pytest

from janitor.hf import layout as hf
from janitor.plan import Plan
from janitor.remove.engine import execute
from janitor.remove.fsops import Ops
from janitor.remove.outcome import Removal
from janitor.uv import layout as uv
from janitor.uv import plan as plans
from janitor.uv.scan import scan
from tests.uvfactory import UvCache, copy_cache, snapshot, venv_site_packages

pytestmark = pytest.mark.anyio

Tree = dict[str, tuple[str, ...]]

FAULT_ERRNOS = (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ENOTEMPTY, errno.ENOSPC, errno.EIO)
# What the engine waits out on unlink and rmdir; the others end an attempt at once.
RETRIED = frozenset({errno.EBUSY, errno.ENOTEMPTY})
REASONS = {os.strerror(number): number for number in FAULT_ERRNOS}
SEEDS = range(30)
MODES = ("transient", "persistent", "mixed")
# Packages to sweep; none: a prune.
SELECTORS: tuple[tuple[str, ...], ...] = ((), ("beta",), ("alpha", "gamma"), ("delta",))
# Reruns a transient seed may need: each (call, path) fails at most once, but a rerun reaches
# paths (parents of what failed) that the run before did not.
MAX_ROUNDS = 8
# A run's trash names start with its own token: uv's trash, and the hub's under `.locks/`.
_TRASH_TOKEN = re.compile(
    r"^((?:" + "|".join(map(re.escape, (uv.TRASH_DIR, hf.TRASH))) + r")/)[0-9a-f]+-[0-9]+-"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class RandomFaults(Ops):
    """The real calls, each (call, path) failing or not as a per-seed random draw decides."""

    def __init__(
        self,
        root: Path,
        seed: int,
        rate: float,
        mode: str,
        names: dict[str, str],
    ) -> None:
        self.root = str(root) + os.sep
        self.names = names
        self.seed = seed
        self.rate = rate
        self.mode = mode
        self.lock = threading.Lock()
        # (call, stable path) -> (errno, transient), or None for a call that does not fail.
        self.decided: dict[tuple[str, str], tuple[int, bool] | None] = {}
        self.spent: set[tuple[str, str]] = set()
        self.injected: list[tuple[str, str, int]] = []
        self.fd_paths: dict[int, str] = {}

    def key(self, path: str) -> str:
        """The path relative to the root, the same in every run whatever trash name it got."""
        rel = _TRASH_TOKEN.sub(r"\1", path.removeprefix(self.root).replace(os.sep, "/"))
        for token, name in self.names.items():
            rel = rel.replace(token, name)
        return rel

    def _maybe_fail(self, call: str, path: str) -> None:
        key = (call, self.key(path))
        with self.lock:
            if key not in self.decided:
                draw = random.Random(f"{self.seed}/{call}/{key[1]}")
                fault = None
                if draw.random() < self.rate:
                    transient = self.mode == "transient" or (
                        self.mode == "mixed" and draw.random() < 0.5
                    )
                    fault = (draw.choice(FAULT_ERRNOS), transient)
                self.decided[key] = fault
            fault = self.decided[key]
            if fault is None:
                return
            number, transient = fault
            if transient and key in self.spent:
                return
            self.spent.add(key)
            self.injected.append((call, key[1], number))
        raise OSError(number, os.strerror(number), path)

    def rename(self, src: str, dst: str) -> None:
        self._maybe_fail("rename", src)
        super().rename(src, dst)

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        self._maybe_fail("unlink", path)
        super().unlink(path, name, dir_fd)

    def rmdir(self, path: str) -> None:
        self._maybe_fail("rmdir", path)
        super().rmdir(path)

    def open_dir(self, path: str) -> int:
        self._maybe_fail("open_dir", path)
        fd = super().open_dir(path)
        with self.lock:
            self.fd_paths[fd] = path
        return fd

    def close(self, fd: int) -> None:
        with self.lock:
            self.fd_paths.pop(fd, None)
        super().close(fd)

    def scandir(self, where: int | str) -> list[os.DirEntry[str]]:
        with self.lock:
            path = self.fd_paths[where] if isinstance(where, int) else where
        self._maybe_fail("scandir", path)
        return super().scandir(where)

    def sleep(self, seconds: float) -> None:
        """Backoff is the engine's business; the faults do not need real time to pass."""

    def faulted(self, rel: str) -> set[tuple[str, int]]:
        """The (call, errno) faults injected on one path."""
        key = self.key(rel)
        with self.lock:
            return {(call, number) for call, path, number in self.injected if path == key}


def stable_names(cache: UvCache) -> dict[str, str]:
    """A name for each random token in the cache's paths (archive ids, hashes, revisions), so that
    a seed fails the same calls in every build of the cache."""
    names = {archive: f"{name}-{version}" for archive, (name, version) in cache.archives.items()}
    for archive in cache.dangling_archives:
        names[archive] += "-dangling"
    names[cache.superseded_archive] += "-superseded"
    names[cache.env_archive] = "environment"
    names[cache.sdist_revision.name] = "revision"
    names[cache.superseded_revision.name] = "superseded-revision"
    names[cache.env_link.name] = "environment-link"
    names[cache.env_link.parent.name] = "environment-dir"
    names[cache.sdist_revision.parts[2]] = "index-hash"
    return names


def plant_outside(root: Path, outside: Path, buckets: dict[uv.Kind, str]) -> None:
    """A tree beside the cache, and relative links to it from removed and kept places."""
    (outside / "pkg" / "deep").mkdir(parents=True)
    (outside / "pkg" / "deep" / "precious.txt").write_text("keep me\n")
    (outside / "file.txt").write_text("keep me too\n")
    places = [
        root / "wheels-v5" / "pypi" / "evil" / "1.0-py3-none-any",
        root / buckets[uv.Kind.ENVIRONMENTS] / "evilenv" / "evilenv",
        root / ".tmpevil" / "nested" / "evil",
        root / buckets[uv.Kind.INTERPRETER] / "evil",
    ]
    for place in places:
        place.parent.mkdir(parents=True, exist_ok=True)
        place.symlink_to(os.path.relpath(outside, place.parent), target_is_directory=True)
    file_link = root / buckets[uv.Kind.WHEELS] / "pypi" / "beta" / "evil-file"
    file_link.parent.mkdir(parents=True)
    file_link.symlink_to(os.path.relpath(outside / "file.txt", file_link.parent))


def prepare(pristine: UvCache, base: Path) -> tuple[UvCache, Path]:
    """A copy of the pristine cache under `base`, with the outside tree beside it."""
    root = base / "cache"
    copy_cache(pristine.root, root)
    outside = base / "outside"
    plant_outside(root, outside, pristine.buckets)
    return dataclasses.replace(pristine, root=root.resolve()), outside


async def plan_for(root: Path, selector: Sequence[str]) -> Plan:
    inventory = await scan(root)
    return plans.packages(inventory, selector) if selector else plans.prune(inventory)


class References:
    """The tree a fault-free run leaves, per selector, computed once."""

    def __init__(self, pristine: UvCache, base: Path) -> None:
        self.pristine = pristine
        self.base = base
        self.trees: dict[tuple[str, ...], Tree] = {}

    async def tree(self, selector: tuple[str, ...]) -> Tree:
        if selector not in self.trees:
            cache, _outside = prepare(self.pristine, self.base / "-".join(("ref", *selector)))
            removal = await execute(
                cache.root, await plan_for(cache.root, selector), trash=uv.TRASH_DIR
            )
            assert removal.failures == []
            self.trees[selector] = snapshot(cache.root)
        return self.trees[selector]


@pytest.fixture(scope="module")
def references(pristine_cache: UvCache, tmp_path_factory: pytest.TempPathFactory) -> References:
    return References(pristine_cache, tmp_path_factory.mktemp("references"))


def archive_links(cache: UvCache) -> dict[str, str]:
    """Links in the current wheels, sdists and environments buckets -> the archive they reach."""
    kinds = (uv.Kind.WHEELS, uv.Kind.SDISTS, uv.Kind.ENVIRONMENTS)
    current = {cache.buckets[kind] for kind in kinds}
    return {str(path): archive for path, archive in cache.links.items() if path.parts[0] in current}


def check_consistent(cache: UvCache, links: dict[str, str], archives: dict[str, Tree]) -> None:
    """Each link still in place reaches a whole, unchanged archive."""
    archive_dir = cache.root / cache.buckets[uv.Kind.ARCHIVE]
    for link, archive_id in links.items():
        path = cache.root / link
        if not os.path.lexists(path):
            continue
        assert path.is_symlink(), link
        assert Path(os.path.realpath(path)) == archive_dir / archive_id, link
        assert snapshot(archive_dir / archive_id) == archives[archive_id], (link, archive_id)


def check_failures(removal: Removal, ops: RandomFaults, root: Path) -> None:
    """Every failure names a path in the cache and a reason: an injected errno, or what it kept."""
    for failure in removal.failures:
        assert failure.path, failure
        assert not PurePosixPath(failure.path).is_absolute(), failure
        assert ".." not in PurePosixPath(failure.path).parts, failure
        assert os.path.lexists(root / failure.path), failure
        if failure.error.startswith("kept: "):
            blocker = failure.error.removeprefix("kept: ").removesuffix(" could not be removed")
            assert any(other.path.startswith(blocker) for other in removal.failures), failure
            continue
        assert failure.error in REASONS, failure
        assert any(number == REASONS[failure.error] for _, number in ops.faulted(failure.path)), (
            failure
        )


def check_retried(removal: Removal, ops: RandomFaults) -> None:
    """A transient busy or not-empty unlink or rmdir is waited out, never reported."""
    for failure in removal.failures:
        number = REASONS.get(failure.error)
        if number in RETRIED:
            calls = {call for call, n in ops.faulted(failure.path) if n == number}
            assert calls & {"open_dir", "scandir"}, failure


def leftovers(plan: Plan, root: Path) -> list[str]:
    """Paths the plan listed that a run left in place."""
    return [item.path for item in plan.items if os.path.lexists(root / item.path)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS)
async def test_random_faults_leave_a_consistent_cache_and_a_rerun_converges(
    pristine_cache: UvCache, references: References, tmp_path: Path, seed: int, mode: str
) -> None:
    draw = random.Random(seed)
    selector = SELECTORS[draw.randrange(len(SELECTORS))]
    rate = draw.uniform(0.03, 0.3)
    cache, outside = prepare(pristine_cache, tmp_path)
    root = cache.root
    outside_before = snapshot(outside)
    links = archive_links(cache)
    archive_dir = root / cache.buckets[uv.Kind.ARCHIVE]
    archives = {archive: snapshot(archive_dir / archive) for archive in set(links.values())}
    reference = await references.tree(selector)
    ops = RandomFaults(root, seed, rate, mode, stable_names(cache))

    the_plan = await plan_for(root, selector)
    removal = await execute(root, the_plan, ops=ops, trash=uv.TRASH_DIR)

    assert [outcome.item for outcome in removal.outcomes] == list(the_plan.items)
    check_failures(removal, ops, root)
    check_consistent(cache, links, archives)
    assert snapshot(outside) == outside_before
    if mode == "transient":
        check_retried(removal, ops)
        rounds = 1
        while removal.failures or await anyio.Path(root / uv.TRASH_DIR).exists():
            assert rounds < MAX_ROUNDS, removal.failures
            removal = await execute(
                root, await plan_for(root, selector), ops=ops, trash=uv.TRASH_DIR
            )
            check_failures(removal, ops, root)
            check_retried(removal, ops)
            check_consistent(cache, links, archives)
            rounds += 1
    else:
        removal = await execute(root, await plan_for(root, selector), trash=uv.TRASH_DIR)
        assert removal.failures == []
    assert ops.injected
    assert leftovers(the_plan, root) == []
    assert snapshot(outside) == outside_before
    assert snapshot(root) == reference


def half_deleted(cache: UvCache) -> dict[str, list[tuple[str, str]]]:
    """Persistent faults that leave part of a tree in place after its rename was refused."""
    env_dir = cache.env_link.parent.as_posix()
    archives = cache.buckets[uv.Kind.ARCHIVE]
    site = venv_site_packages(cache.archive(cache.env_archive)).relative_to(cache.root).as_posix()
    [beta] = [archive for archive, found in cache.archives.items() if found == ("beta", "1.0")]
    return {
        # Its link is gone, its lock file stays: nothing names the environment any more.
        "environment": [("rename", env_dir), ("unlink", f"{cache.env_link}.lock")],
        # Its pyvenv.cfg is gone, a file in another package's dist-info stays.
        "environment archive": [
            ("rename", f"{archives}/{cache.env_archive}"),
            ("unlink", f"{site}/delta-1.0.dist-info/METADATA"),
        ],
        "environment archive with its pyvenv.cfg": [
            ("rename", f"{archives}/{cache.env_archive}"),
            ("unlink", f"{archives}/{cache.env_archive}/pyvenv.cfg"),
            ("unlink", f"{site}/delta-1.0.dist-info/METADATA"),
        ],
        # Its dist-info is gone, a module stays.
        "wheel archive": [
            ("rename", f"{archives}/{beta}"),
            ("unlink", f"{archives}/{beta}/beta/__init__.py"),
        ],
    }


SCENARIOS = (
    "environment",
    "environment archive",
    "environment archive with its pyvenv.cfg",
    "wheel archive",
)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_a_package_sweep_finishes_what_an_earlier_one_left_in_place(
    pristine_cache: UvCache, references: References, tmp_path: Path, scenario: str
) -> None:
    cache, _outside = prepare(pristine_cache, tmp_path)
    root = cache.root
    names = stable_names(cache)
    faults = half_deleted(cache)[scenario]
    ops = RandomFaults(root, 0, 0.0, "persistent", names)
    ops.decided.update(
        {(call, ops.key(str(root / rel))): (errno.EPERM, False) for call, rel in faults}
    )

    removal = await execute(root, await plan_for(root, ("beta",)), ops=ops, trash=uv.TRASH_DIR)

    assert {(call, path) for call, path, _ in ops.injected} == {
        (call, ops.key(str(root / rel))) for call, rel in faults
    }
    check_failures(removal, ops, root)
    assert await anyio.Path(root / faults[0][1]).exists()
    again = await execute(root, await plan_for(root, ("beta",)), trash=uv.TRASH_DIR)
    assert again.failures == []
    assert snapshot(root) == await references.tree(("beta",))
