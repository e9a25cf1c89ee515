"""One sweep, end to end: a request in, a result out (scan, plan, policy, measure, execute, log).

The CLI builds the request from its options and renders the result; nothing here prints or exits.
May import everything in janitor but janitor.cli.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from janitor import lock, plan, render
from janitor.errors import EXIT_PARTIAL, CacheBusy
from janitor.graph import build
from janitor.inventory import Inventory
from janitor.layout.follow import Release
from janitor.policy import Policy, Space
from janitor.remove import Removal, Reporter, execute
from janitor.scan.cache import scan
from janitor.scan.measure import Census, disk_usage, take_census
from janitor.scan.walk import ScanOptions
from janitor.uvpolicy import apply_policy, budget_trees


@dataclass(frozen=True)
class Request:
    """What to sweep and how."""

    root: Path  # validated, resolved cache root
    kind: str = "uv"  # which cache it is: "uv", or "hf" (the Hugging Face hub's)
    # The uv releases followed, newest first (janitor.layout.follow); empty: no uv was found.
    releases: tuple[Release, ...] = ()
    # uv: normalised package names; hf: repositories and revisions as typed; empty: a prune
    packages: tuple[str, ...] = ()
    ci: bool = False
    policy: Policy = field(default_factory=Policy)
    dry_run: bool = False
    wait: float = 300.0  # seconds to wait for running uv processes
    force: bool = False  # run without the lock
    workers: int | None = None  # None: tuned while running
    processes: int | None = None  # None: as many as pay, 0: threads only
    reporter: Reporter | None = None
    on_busy: Callable[[], None] | None = None  # called once when the cache is busy
    log: bool = True  # append the run to the run log
    notes: tuple[str, ...] = ()  # said about the uvs followed, added to the plan's notes
    # Bytes free for an unprivileged user on the filesystem of the cache at a path: the one
    # measurement of a size budget that other processes change as they run.
    free_space: Callable[[Path], int] = field(default=lambda root: shutil.disk_usage(root).free)


@dataclass(frozen=True)
class Result:
    """What a sweep planned and, unless it was a dry run, what it removed."""

    plan: plan.Plan
    removal: Removal | None
    duration: float
    log_warning: str | None = None  # the run log could not be written

    @property
    def exit_code(self) -> int:
        """0, or EXIT_PARTIAL when some path could not be removed."""
        return EXIT_PARTIAL if self.removal is not None and self.removal.failures else 0


async def run(request: Request) -> Result:
    """Carry out a sweep; `CacheBusy` when uv held the lock for the whole wait."""
    started = time.monotonic()
    try:
        if request.dry_run:
            planned, removal = await plan_sweep(request, sizes=True), None
        elif request.force or request.kind != "uv":
            # The hub cache has no whole-cache lock: its scan sees running downloads by theirs.
            planned, removal = await _remove(request)
        else:
            async with lock.exclusive(request.root, wait=request.wait, on_busy=request.on_busy):
                planned, removal = await _remove(request)
    except CacheBusy as busy:
        if request.log:
            await _log(request, None, None, time.monotonic() - started, busy.exit_code)
        raise
    duration = time.monotonic() - started
    result = Result(planned, removal, duration)
    if removal is not None and request.log:
        warning = await _log(request, planned, removal, duration, result.exit_code)
        result = Result(planned, removal, duration, warning)
    return result


async def plan_sweep(request: Request, *, sizes: bool) -> plan.Plan:
    """Scan the cache and plan the sweep; with `sizes`, every item is measured."""
    root, policy = request.root, request.policy
    if request.kind == "hf":
        from janitor.hf.sweep import plan_hub

        return await plan_hub(root, request.packages, sizes=sizes)
    options = ScanOptions(
        times=policy.older_than is not None or policy.sized,
        stale=bool(request.packages),
    )
    inventory = await scan(root, options, releases=request.releases)
    graph = build(inventory)  # one reference graph for the plan and the policy
    if request.packages:
        planned = plan.packages(inventory, request.packages, graph=graph)
    else:
        planned = plan.prune(inventory, ci=request.ci, graph=graph)
    if request.notes:
        planned = replace(planned, notes=(*request.notes, *planned.notes))
    census = None
    if policy.active:
        space = None
        if policy.sized:
            # Size decisions need every tree they may remove measured together, the cache's
            # size as `uv cache size` counts it with the links of each inode inside it, and
            # the room left on its filesystem.
            census = await take_census(
                root, budget_trees(inventory, planned), inventory.files_shards
            )
            links: dict[tuple[int, int], int] = {}
            size, _, _ = await disk_usage(root, links=links)
            free = await anyio.to_thread.run_sync(request.free_space, root)
            space = Space(size, free, census, links)
        planned = replace(
            apply_policy(inventory, planned, policy, space, graph=graph),
            missing=planned.missing,
        )
    if sizes:
        planned = await _measured(root, inventory, planned, census)
    return planned


async def _measured(
    root: Path, inventory: Inventory, planned: plan.Plan, census: Census | None = None
) -> plan.Plan:
    """The plan with what each item frees, measured together (hard links across items); a
    census that holds every item already is used as it is."""
    paths = [item.path for item in planned.items if item.kind is not plan.ItemKind.OBJECTS]
    if census is None or any(path not in census.trees for path in paths):
        census = await take_census(root, paths, inventory.files_shards)
    return planned.measured(census.freed(paths, sweep_objects=bool(inventory.files_shards)))


async def _remove(request: Request) -> tuple[plan.Plan, Removal]:
    planned = await plan_sweep(request, sizes=False)
    removal = await execute(
        request.root,
        planned,
        workers=request.workers,
        processes=request.processes,
        reporter=request.reporter,
    )
    return planned, removal


async def _log(
    request: Request,
    planned: plan.Plan | None,
    removal: Removal | None,
    duration: float,
    exit_code: int,
) -> str | None:
    """Append the run to janitor's run log; a log that cannot be written never fails a sweep."""
    root, policy = request.root, request.policy
    document: dict[str, Any] = (
        render.sweep_json(str(root), planned, removal, duration) if planned else {}
    )
    from janitor import runlog  # aiofiles is only needed here: kept off start-up

    record = runlog.sweep_record(
        str(root),
        runlog.policy_record(
            request.packages,
            policy.older_than,
            policy.keep_versions,
            policy.max_size,
            policy.min_free,
            policy.keep,
        ),
        document.get("totals"),
        document.get("errors", []),
        duration,
        exit_code,
    )

    try:
        await runlog.append_run(record)
    except OSError as err:
        return f"cannot write the run log: {err}"
    return None
