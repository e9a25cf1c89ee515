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

from janitor import lock, plan, render, scan
from janitor.errors import EXIT_PARTIAL, CacheBusy
from janitor.inventory import Inventory
from janitor.layout.follow import Release
from janitor.policy import Policy, Space, apply_policy
from janitor.remove import Removal, Reporter, execute


@dataclass(frozen=True)
class Request:
    """What to sweep and how."""

    root: Path  # validated, resolved cache root
    # The uv releases followed, newest first (janitor.layout.follow); empty: no uv was found.
    releases: tuple[Release, ...] = ()
    packages: tuple[str, ...] = ()  # normalised names; empty: a prune
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
            the_plan, removal = await plan_sweep(request, sizes=True), None
        elif request.force:
            the_plan, removal = await _remove(request)
        else:
            async with lock.exclusive(request.root, wait=request.wait, on_busy=request.on_busy):
                the_plan, removal = await _remove(request)
    except CacheBusy as busy:
        if request.log:
            await _log(request, None, None, time.monotonic() - started, busy.exit_code)
        raise
    duration = time.monotonic() - started
    result = Result(the_plan, removal, duration)
    if removal is not None and request.log:
        warning = await _log(request, the_plan, removal, duration, result.exit_code)
        result = Result(the_plan, removal, duration, warning)
    return result


async def plan_sweep(request: Request, *, sizes: bool) -> plan.Plan:
    """Scan the cache and plan the sweep; with `sizes`, every item is measured."""
    root, policy = request.root, request.policy
    options = scan.ScanOptions(
        sizes=policy.sized,
        times=policy.older_than is not None or policy.sized,
        stale=bool(request.packages),
    )
    inventory = await scan.scan(root, options, releases=request.releases)
    if request.packages:
        the_plan = plan.packages(inventory, request.packages)
    else:
        the_plan = plan.prune(inventory, ci=request.ci)
    if request.notes:
        the_plan = replace(the_plan, notes=(*request.notes, *the_plan.notes))
    if policy.active:
        space = None
        if policy.sized:
            # Size decisions need what the base plan frees, the cache's size as du counts it,
            # and the room left on its filesystem.
            the_plan = await _measured(root, inventory, the_plan)
            size, _, _ = await scan.disk_usage(root)
            free = await anyio.to_thread.run_sync(shutil.disk_usage, root)
            space = Space(size, free.free)
        the_plan = apply_policy(inventory, the_plan, policy, space)
    if sizes:
        the_plan = await _measured(root, inventory, the_plan)
    return the_plan


async def _measured(root: Path, inventory: Inventory, the_plan: plan.Plan) -> plan.Plan:
    """The plan with what each item frees, measured together (hard links across items)."""
    paths = [item.path for item in the_plan.items if item.kind is not plan.ItemKind.OBJECTS]
    census = await scan.take_census(root, paths, inventory.files_shards)
    return the_plan.measured(census.freed(paths, sweep_objects=bool(inventory.files_shards)))


async def _remove(request: Request) -> tuple[plan.Plan, Removal]:
    the_plan = await plan_sweep(request, sizes=False)
    removal = await execute(
        request.root,
        the_plan,
        workers=request.workers,
        processes=request.processes,
        reporter=request.reporter,
    )
    if removal.notes:
        the_plan = replace(the_plan, notes=(*the_plan.notes, *removal.notes))
    return the_plan, removal


async def _log(
    request: Request,
    the_plan: plan.Plan | None,
    removal: Removal | None,
    duration: float,
    exit_code: int,
) -> str | None:
    """Append the run to janitor's run log; a log that cannot be written never fails a sweep."""
    root, policy = request.root, request.policy
    document: dict[str, Any] = (
        render.sweep_json(str(root), the_plan, removal, duration) if the_plan else {}
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
