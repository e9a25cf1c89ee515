"""uv's cache as a cache kind: scanned as the uvs followed lay it out, planned as their prune or
`uv cache clean NAME`, its versions the wheels and source distributions of each package.

May import janitor.uv.scan, janitor.plan, janitor.graph, janitor.uv.policy and janitor.kind.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

from janitor.graph import build
from janitor.kind import Prepared
from janitor.uv import lock, plan
from janitor.uv.names import TRASH_DIR
from janitor.uv.scan import scan
from janitor.uv.walk import ScanOptions

if TYPE_CHECKING:
    from janitor.plan import Item
    from janitor.policy import Orphans, Version
    from janitor.sweep import Request


class UvKind:
    """uv's cache."""

    name = "uv"
    title = "uv cache"
    trash = TRASH_DIR
    size_counted_as = "`uv cache size`"

    def hold(self, request: Request) -> AbstractAsyncContextManager[object]:
        """uv's cache lock, held exclusively (as `uv cache prune` holds it)."""
        return lock.exclusive(request.root, wait=request.wait, on_busy=request.on_busy)

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
        versions: Sequence[Version] = ()
        orphans: Orphans = _no_orphans
        trees: Sequence[str] = ()
        if policy.active:  # only a policy reads the versions: a plain prune builds none
            from janitor.uv.policy import budget_trees, uv_cache

            cache = uv_cache(inventory, base, None, graph)
            versions, orphans = cache.versions, cache.orphans
            if policy.sized:
                trees = budget_trees(inventory, base, versions)
        return Prepared(
            request.root, inventory, versions, base, graph, orphans, trees, inventory.files_shards
        )


def _no_orphans(removed: Collection[str]) -> list[Item]:
    return []


UV = UvKind()
