"""One sweep, end to end: a request in, a result out (scan, plan, policy, measure, execute, log).

The CLI builds the request from its options and renders the result; nothing here prints or exits.
May import everything in janitor but janitor.cli.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from janitor import plan, render
from janitor.errors import EXIT_PARTIAL, CacheBusy, UsageError
from janitor.kind import Prepared, kind_of
from janitor.measure import Census, disk_usage, measure_plan, take_census
from janitor.policy import Cache, Policy, Space, apply_together
from janitor.remove.engine import execute
from janitor.remove.outcome import Removal, Reporter
from janitor.uv.follow import Release


@dataclass(frozen=True)
class Request:
    """What to sweep and how."""

    root: Path  # validated, resolved cache root
    kind: str = "uv"  # which cache it is: "uv", or "hf" (the Hugging Face hub's)
    # The uv releases followed, newest first (janitor.uv.follow); empty: no uv was found.
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
    return (await run_together([request]))[0]


async def run_together(requests: Sequence[Request]) -> list[Result]:
    """Sweep several caches under one policy (one size budget over all of them): each cache's
    lock is held from its scan to the end of its deletion; `CacheBusy` when uv held one for
    the whole wait."""
    started = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        try:
            for request in requests:
                if not (request.dry_run or request.force):
                    await stack.enter_async_context(kind_of(request.kind).hold(request))
        except CacheBusy as busy:
            for request in requests:
                if request.log:
                    await _log(request, None, None, time.monotonic() - started, busy.exit_code)
            raise
        plans = await plan_together(requests, sizes=any(r.dry_run for r in requests))
        results = []
        for request, planned in zip(requests, plans, strict=True):
            removal = None if request.dry_run else await _execute(request, planned)
            if removal is not None and removal.notes:
                # What the engine said (e.g. that worker processes could not start).
                planned = replace(planned, notes=(*planned.notes, *removal.notes))
            results.append(Result(planned, removal, time.monotonic() - started))
    logged = []
    for request, result in zip(requests, results, strict=True):
        if result.removal is not None and request.log:
            warning = await _log(
                request, result.plan, result.removal, result.duration, result.exit_code
            )
            result = replace(result, log_warning=warning)
        logged.append(result)
    return logged


async def plan_sweep(request: Request, *, sizes: bool) -> plan.Plan:
    """Scan the cache and plan the sweep; with `sizes`, every item is measured."""
    return (await plan_together([request], sizes=sizes))[0]


async def plan_together(requests: Sequence[Request], *, sizes: bool) -> list[plan.Plan]:
    """Scan and plan several caches, their policy (and size budget) applied over all of them;
    with `sizes`, every item is measured."""
    prepared = [await kind_of(request.kind).prepare(request) for request in requests]
    policy = requests[0].policy
    censuses: list[Census | None] = [None] * len(prepared)
    plans = [ready.base for ready in prepared]
    if policy.active:
        caches = []
        for index, (request, ready) in enumerate(zip(requests, prepared, strict=True)):
            space = None
            if policy.sized:
                space = await _space(request, ready)
                censuses[index] = space.census
            caches.append(
                Cache(
                    ready.refs,
                    ready.versions,
                    ready.base,
                    ready.graph,
                    ready.orphans,
                    space,
                    sweep_objects=bool(ready.objects),
                )
            )
        if policy.min_free is not None and len(caches) > 1:
            _one_filesystem([ready.root for ready in prepared])
        plans = [
            replace(ready.finish(limited), missing=ready.base.missing)
            for ready, limited in zip(prepared, apply_together(caches, policy), strict=True)
        ]
    if sizes:
        plans = [
            await measure_plan(ready.root, planned, ready.objects, census)
            for ready, planned, census in zip(prepared, plans, censuses, strict=True)
        ]
    return plans


async def _space(request: Request, ready: Prepared) -> Space:
    """What a size budget needs of a cache: every tree it may remove measured together, the
    cache's size as `du -s` (and `uv cache size`) counts it with the links of each inode inside
    it, and the room left on its filesystem."""
    census = await take_census(ready.root, list(ready.budget_trees), ready.objects)
    links: dict[tuple[int, int], int] = {}
    size, _, _ = await disk_usage(ready.root, links=links)
    free = await anyio.to_thread.run_sync(request.free_space, ready.root)
    return Space(size, free, census, links, kind_of(request.kind).size_counted_as)


def _one_filesystem(roots: Sequence[Path]) -> None:
    """--min-free over several caches counts the free space of one filesystem: theirs."""
    if len({os.stat(root).st_dev for root in roots}) > 1:
        raise UsageError(
            "--min-free over several caches needs them on one filesystem; these are on "
            "different ones: give each its own sweep (`janitor sweep uv` and `janitor sweep hf`)"
        )


async def _execute(request: Request, planned: plan.Plan) -> Removal:
    return await execute(
        request.root,
        planned,
        workers=request.workers,
        processes=request.processes,
        reporter=request.reporter,
        trash=kind_of(request.kind).trash,
    )


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
