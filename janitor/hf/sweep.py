"""The Hugging Face hub cache's part of a sweep: scan, plan, policies and measurement.

`janitor.sweep` calls `plan` for a request whose cache is the hub's; locking, the engine, the run
log and rendering are the same as for uv's cache. There is no whole-cache lock: the scan sees
the downloads running now by their locks, and the plans keep their repositories.
May import janitor.hf, janitor.plan, janitor.policy and janitor.scan.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from janitor import plan
from janitor.hf import layout, scan
from janitor.hf import plan as hub_plan
from janitor.hf.inventory import HubInventory
from janitor.scan.measure import take_census


def selectors(texts: tuple[str, ...]) -> list[layout.Selector]:
    """The repositories and revisions named (checked by the CLI already)."""
    return [layout.parse_selector(text) for text in texts]


async def base_plan(inventory: HubInventory, packages: tuple[str, ...]) -> plan.Plan:
    """The prune, or the removal of what was named, with what was named but not found."""
    if not packages:
        return hub_plan.prune(inventory)
    requested, missing = hub_plan.requested(inventory, selectors(packages))
    return replace(requested, missing=tuple(missing))


async def measured(root: Path, the_plan: plan.Plan) -> plan.Plan:
    """Every item measured together, hard links across items counted once."""
    paths = [item.path for item in the_plan.items]
    census = await take_census(root, paths, ())
    return the_plan.measured(census.freed(paths))


async def plan_hub(root: Path, packages: tuple[str, ...], *, sizes: bool) -> plan.Plan:
    """Scan the hub cache at `root` and plan its sweep; with `sizes`, every item measured."""
    inventory = await scan.scan(root)
    the_plan = await base_plan(inventory, packages)
    if sizes:
        the_plan = await measured(root, the_plan)
    return the_plan
