"""Crash safety and OS faults on the Hugging Face hub cache, on caches the real client wrote.

The hub cache goes through the same engine as uv's, so the guarantees of tests/test_kill.py and
tests/test_faults.py are checked here for it too: a SIGKILL after every mutation of a sweep (the
prune, and one revision named by its commit or by a ref), and random injected faults (EACCES,
EPERM, EBUSY, ENOTEMPTY, ENOSPC, EIO). At every point the client's own `scan_cache_dir()` reads
the cache without a warning about it (a snapshot link to a missing blob is its "Blob missing
(broken symlink)" warning, a ref to a missing snapshot its "Reference(s) refer to missing commit
hashes"), every link left reaches its unchanged blob, and a rerun converges to the tree an
uninterrupted sweep leaves. The engine's trash is under `.locks`, which the client passes over,
so not even a run's leftovers draw a warning.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from huggingface_hub import scan_cache_dir
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.errors import EXIT_PARTIAL
from janitor.hf import layout
from janitor.plan import Plan
from janitor.remove import fsops
from janitor.remove.engine import execute
from janitor.sweep import Request, plan_sweep
from tests.hubfactory import HubCache, tree_of
from tests.killhook import counting
from tests.test_faults import (
    MAX_ROUNDS,
    MODES,
    RandomFaults,
    check_failures,
    check_retried,
    leftovers,
)
from tests.test_hub_policies import DAY, touch_tree, use_revision
from tests.test_kill import KILLED, Janitors

runner = CliRunner()

# Sweeps as a list of commands (their `--package` arguments; none: the prune), run one after the
# other. A revision named by a ref loses the ref first (a ref to a missing snapshot would make the
# client's scan give up on the whole repository): a run killed in between leaves the revision
# detached, where the same command no longer finds it and the next prune takes it.
SWEEPS: dict[str, Sequence[Sequence[str]]] = {
    "prune": [[]],
    "revision by commit": [["--package", "org/tagged@{tagged-1}"]],
    "revision by ref, then a prune": [["--package", "org/tagged@v1.0"], []],
    "repository": [["--package", "org/moving"]],
}


def warnings_of(root: Path) -> list[str]:
    """What the client's `scan_cache_dir()` says is wrong with the cache."""
    return [str(warning) for warning in scan_cache_dir(root).warnings]


def blob_digests(root: Path) -> dict[str, str]:
    """Every blob of every repository and the sha256 of its content."""
    found = {}
    for blob in root.glob(f"*/{layout.BLOBS}/*"):
        if blob.is_file() and not blob.is_symlink():
            found[blob.relative_to(root).as_posix()] = hashlib.sha256(blob.read_bytes()).hexdigest()
    return found


def snapshot_links(root: Path) -> dict[str, str]:
    """Every snapshot link -> the blob it reaches (a path relative to the root), unresolved."""
    found = {}
    for link in root.glob(f"*/{layout.SNAPSHOTS}/*/**/*"):
        if link.is_symlink():
            target = os.path.normpath(os.path.join(link.parent, os.readlink(link)))
            found[link.relative_to(root).as_posix()] = Path(target).relative_to(root).as_posix()
    return found


def check_consistent(root: Path, links: dict[str, str], blobs: dict[str, str]) -> None:
    """The client reads the cache as sound, and every link left reaches its whole blob."""
    assert warnings_of(root) == []
    now = snapshot_links(root)
    assert set(now) <= set(links)
    for link, blob in now.items():
        assert links[link] == blob, link
        path = root / blob
        assert path.is_file() and not path.is_symlink(), link
        assert hashlib.sha256(path.read_bytes()).hexdigest() == blobs[blob], link


def commands(cache: HubCache, root: Path, sweep: str) -> list[list[str]]:
    """The sweep's commands on `root`, in threads only (the kill hook counts in this process)."""
    return [
        [
            "sweep",
            "hf",
            "--cache-dir",
            str(root),
            "--processes",
            "0",
            *[arg.format(**cache.commits) for arg in args],
        ]
        for args in SWEEPS[sweep]
    ]


def run_all(argvs: Sequence[Sequence[str]]) -> None:
    for argv in argvs:
        result = runner.invoke(app, list(argv))
        assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def janitors() -> Iterator[Janitors]:
    pool = Janitors()
    yield pool
    pool.close()


@pytest.mark.parametrize("sweep", list(SWEEPS))
def test_killed_after_each_mutation_the_client_reads_the_cache_and_a_rerun_converges(
    hub_cache: HubCache, janitors: Janitors, tmp_path: Path, sweep: str
) -> None:
    base = hub_cache.root
    links, blobs = snapshot_links(base), blob_digests(base)
    assert warnings_of(base) == []
    reference = tmp_path / "reference"
    shutil.copytree(base, reference, symlinks=True)
    run_all(commands(hub_cache, reference, sweep))
    expected = tree_of(reference)
    assert expected != tree_of(base)
    counted = tmp_path / "count"
    shutil.copytree(base, counted, symlinks=True)
    first, *_ = commands(hub_cache, counted, sweep)
    with counting() as counters:
        result = runner.invoke(app, first)
    assert result.exit_code == 0, result.output
    mutations = sum(counter.mutations for counter in counters)
    assert mutations >= 4

    def killed_at(after: int) -> tuple[int, bool, list[int], dict[str, str]]:
        root = tmp_path / f"kill-{after}"
        shutil.copytree(base, root, symlinks=True)
        first, *rest = commands(hub_cache, root, sweep)
        killed = janitors.run(first, kill_after=after)
        mid_deletion = (root / layout.TRASH).is_dir() and bool(os.listdir(root / layout.TRASH))
        check_consistent(root, links, blobs)
        reruns = [janitors.run(argv) for argv in [first, *rest]]
        after_rerun = tree_of(root)
        assert warnings_of(root) == []
        shutil.rmtree(root)
        return killed, mid_deletion, reruns, after_rerun

    mid_deletion = 0
    with ThreadPoolExecutor(max_workers=len(janitors.servers)) as pool:
        # One past the last mutation: the hook never fires and the run completes.
        runs = pool.map(killed_at, range(1, mutations + 2))
        for after, (killed, mid, reruns, after_rerun) in enumerate(runs, start=1):
            assert killed == (KILLED if after <= mutations else 0), after
            assert set(reruns) == {0}, after
            assert after_rerun == expected, after
            mid_deletion += mid
    assert mid_deletion > 0
    assert snapshot_links(base) == links and blob_digests(base) == blobs


# ----- random faults -----

SEEDS = range(20)
SELECTORS: tuple[tuple[str, ...], ...] = (
    (),
    ("org/tagged@{tagged-1}",),
    ("org/tagged@main",),
    ("org/moving", "datasets/org/data"),
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def hub_plan(root: Path, selector: tuple[str, ...]) -> Plan:
    """What `janitor sweep hf` plans for the cache at `root`, with `--package` for each selector."""
    return await plan_sweep(Request(root=root, kind="hf", packages=selector), sizes=False)


async def reference_tree(
    pristine: HubCache, base: Path, selector: tuple[str, ...]
) -> dict[str, str]:
    root = base / "reference"
    shutil.copytree(pristine.root, root, symlinks=True)
    removal = await execute(root, await hub_plan(root, selector), trash=layout.TRASH)
    assert removal.failures == []
    return tree_of(root)


# Seeds 19-persistent and 19-mixed put a persistent fault on a ref's rename and unlink: its
# snapshot must stay (test_a_ref_that_will_not_go_keeps_its_revision).
def _fault_cases() -> list[object]:
    return [pytest.param(seed, mode, id=f"{seed}-{mode}") for seed in SEEDS for mode in MODES]


@pytest.mark.anyio
@pytest.mark.parametrize(("seed", "mode"), _fault_cases())
async def test_random_faults_leave_a_cache_the_client_reads_and_a_rerun_converges(
    hub_cache: HubCache, tmp_path: Path, seed: int, mode: str
) -> None:
    draw = random.Random(f"hub-{seed}")
    selector = tuple(s.format(**hub_cache.commits) for s in SELECTORS[draw.randrange(4)])
    rate = draw.uniform(0.05, 0.4)
    root = hub_cache.root.resolve()
    links, blobs = snapshot_links(root), blob_digests(root)
    reference = await reference_tree(hub_cache, tmp_path, selector)
    ops = RandomFaults(root, seed, rate, mode, {})

    the_plan = await hub_plan(root, selector)
    removal = await execute(root, the_plan, ops=ops, trash=layout.TRASH)

    assert [outcome.item for outcome in removal.outcomes] == list(the_plan.items)
    check_failures(removal, ops, root)
    check_consistent(root, links, blobs)
    if mode == "transient":
        check_retried(removal, ops)
        rounds = 1
        while removal.failures or await anyio.Path(root / layout.TRASH).exists():
            assert rounds < MAX_ROUNDS, removal.failures
            removal = await execute(
                root, await hub_plan(root, selector), ops=ops, trash=layout.TRASH
            )
            check_failures(removal, ops, root)
            check_retried(removal, ops)
            check_consistent(root, links, blobs)
            rounds += 1
    else:
        removal = await execute(root, await hub_plan(root, selector), trash=layout.TRASH)
        assert removal.failures == []
    assert leftovers(the_plan, root) == []
    assert tree_of(root) == reference
    assert warnings_of(root) == []


# ----- the command under faults -----


class _Refusing(fsops.Ops):
    """The real calls, but renames and unlinks of the paths ending as said fail, every time."""

    renames: tuple[str, ...] = ()
    unlinks: tuple[str, ...] = ()
    number = 0

    def rename(self, src: str, dst: str) -> None:
        if src.endswith(self.renames):
            raise OSError(self.number, os.strerror(self.number), src)
        super().rename(src, dst)

    def unlink(self, path: str, name: str, dir_fd: int | None) -> None:
        if path.endswith(self.unlinks):
            raise OSError(self.number, os.strerror(self.number), path)
        super().unlink(path, name, dir_fd)


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> type[_Refusing]:
    monkeypatch.setattr(fsops, "Ops", _Refusing)
    return _Refusing


@pytest.mark.parametrize("moved", [True, False], ids=["moved aside", "refused a rename"])
@pytest.mark.parametrize("number", [errno.EACCES, errno.EPERM, errno.EIO, errno.ENOSPC])
def test_a_snapshot_link_that_will_not_go_is_reported_in_one_line_and_nothing_breaks(
    hub_cache: HubCache, refusing: type[_Refusing], number: int, moved: bool
) -> None:
    root = hub_cache.root.resolve()
    links, blobs = snapshot_links(root), blob_digests(root)
    commit = hub_cache.commits["moving-1"]
    snapshot = f"models--org--moving/snapshots/{commit}"
    # The old revision's config is its own blob: it may go only once the link to it is gone.
    blob = links[f"{snapshot}/config.json"]
    refusing.number, refusing.unlinks = number, (f"{commit}/config.json",)
    refusing.renames = () if moved else (snapshot,)
    argv = ["sweep", "hf", "--cache-dir", str(root), "--processes", "0"]
    result = runner.invoke(app, argv)
    assert result.exit_code == EXIT_PARTIAL, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("Failed")]
    if moved:
        # The link is in the trash, where the client never looks: its blob may go.
        assert re.fullmatch(
            rf"Failed to remove {layout.TRASH}/[0-9a-f]+-[0-9]+-{commit}/config\.json: "
            + re.escape(os.strerror(number)),
            failed[0],
        ), result.output
        assert len(failed) == 1, result.output
        assert not (root / blob).exists()
    else:
        assert failed[0] == f"Failed to remove {snapshot}/config.json: {os.strerror(number)}"
        assert (root / blob).is_file()
        assert (root / snapshot / "config.json").is_symlink()
    assert "Traceback" not in result.output
    check_consistent(root, links, blobs)
    refusing.renames = refusing.unlinks = ()
    again = runner.invoke(app, argv)
    assert again.exit_code == 0, again.output
    assert not (root / blob).exists()
    assert not (root / layout.TRASH).exists()
    assert warnings_of(root) == []


def test_a_ref_that_will_not_go_keeps_its_revision(
    hub_cache: HubCache, refusing: type[_Refusing]
) -> None:
    root = hub_cache.root.resolve()
    links, blobs = snapshot_links(root), blob_digests(root)
    refusing.number = errno.EACCES
    refusing.renames = refusing.unlinks = ("models--org--tagged/refs/v1.0",)
    argv = ["sweep", "hf", "--cache-dir", str(root), "--processes", "0", "-p", "org/tagged@v1.0"]
    result = runner.invoke(app, argv)
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert result.output.splitlines()[0] == (
        "Failed to remove models--org--tagged/refs/v1.0: Permission denied"
    )
    # The client gives up on a repository whose ref names a missing snapshot.
    check_consistent(root, links, blobs)
    assert (root / "models--org--tagged/snapshots" / hub_cache.commits["tagged-1"]).is_dir()


def test_a_ref_that_will_not_go_keeps_its_revision_under_a_policy(
    hub_cache: HubCache, refusing: type[_Refusing]
) -> None:
    root = hub_cache.root.resolve()
    links, blobs = snapshot_links(root), blob_digests(root)  # first: reading a blob uses it
    now = time.time()
    touch_tree(root, now - DAY)
    old = hub_cache.commits["tagged-1"]  # named by refs/v1.0
    use_revision(hub_cache, "models--org--tagged", old, now - 60 * DAY)
    refusing.number = errno.EACCES
    refusing.renames = refusing.unlinks = ("models--org--tagged/refs/v1.0",)
    argv = ["sweep", "hf", "--cache-dir", str(root), "--processes", "0", "--older-than", "30d"]
    result = runner.invoke(app, argv)
    assert result.exit_code == EXIT_PARTIAL, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("Failed")]
    ref, snapshot = "models--org--tagged/refs/v1.0", f"models--org--tagged/snapshots/{old}"
    blob = snapshot_links(root)[f"{snapshot}/a.txt"]
    assert failed == [
        f"Failed to remove {ref}: Permission denied",
        f"Failed to remove {snapshot}: kept: {ref} could not be removed",
        f"Failed to remove {blob}: kept: {snapshot} could not be removed",
    ]
    # The client gives up on a repository whose ref names a missing snapshot.
    check_consistent(root, links, blobs)
    assert (root / "models--org--tagged/snapshots" / old).is_dir()
