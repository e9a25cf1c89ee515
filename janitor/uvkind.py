"""uv's cache as a cache kind: scanned as the uvs followed lay it out, planned as their prune or
`uv cache clean NAME`, its versions the wheels and source distributions of each package.

May import janitor.scan, janitor.plan, janitor.graph, janitor.uvpolicy and janitor.kind.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from janitor import plan
from janitor.graph import build
from janitor.kind import Prepared
from janitor.layout.names import TRASH_DIR
from janitor.scan.cache import scan
from janitor.scan.walk import ScanOptions
from janitor.uvpolicy import budget_trees, uv_cache

if TYPE_CHECKING:
    from janitor.sweep import Request


class UvKind:
    """uv's cache."""

    name = "uv"
    title = "uv cache"
    locked = True
    trash = TRASH_DIR

    async def prepare(self, request: Request) -> Prepared:
        """Scan the cache with the releases followed and plan its prune or package removal."""
        policy = request.policy
        options = ScanOptions(
            times=policy.older_than is not None or policy.sized,
            stale=bool(request.packages),
        )
        inventory = await scan(request.root, options, releases=request.releases)
        graph = build(inventory)  # one reference graph for the plan and the policy
        if request.packages:
            base = plan.packages(inventory, request.packages, graph=graph)
        else:
            base = plan.prune(inventory, ci=request.ci, graph=graph)
        if request.notes:
            base = replace(base, notes=(*request.notes, *base.notes))
        cache = uv_cache(inventory, base, None, graph)
        return Prepared(
            request.root,
            inventory,
            cache.versions,
            base,
            graph,
            cache.orphans,
            budget_trees(inventory, base, cache.versions) if policy.sized else (),
            inventory.files_shards,
        )


UV = UvKind()
