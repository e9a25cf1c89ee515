"""The Hugging Face hub cache as a cache kind: no whole-cache lock, repositories for packages,
revisions for versions, blobs for the trees links reference.

A revision's last use is the newest access time of its blobs (as the client's scan reports it)
or its snapshot folder's mtime. For --keep-versions, the revisions a ref names count first, then
the most recently used. A repository a client is downloading into is never a candidate, and one
whose every revision a policy takes goes whole, as the client deletes it.
May import janitor.hf, janitor.graph, janitor.plan, janitor.policy and janitor.kind.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING

from janitor.graph import build, covering
from janitor.hf import layout, scan
from janitor.hf import plan as hub_plan
from janitor.hf.inventory import HubInventory
from janitor.kind import Prepared
from janitor.plan import Item, ItemKind, Plan, Reason, finish
from janitor.policy import Version

if TYPE_CHECKING:
    from janitor.sweep import Request


def versions(inventory: HubInventory) -> list[Version]:
    """Every revision of every repository no download is running into."""
    found = []
    for repo in inventory.repos:
        if repo.busy or not repo.has_snapshots:
            continue
        for revision in repo.revisions:
            inside = revision.path + "/"
            items = hub_plan.revision_items(repo, revision, Reason.OLDER_THAN)
            found.append(
                Version(
                    repo.folder,
                    repo.name.label,
                    revision.commit,
                    tuple(item.path for item in items),
                    tuple(link for link in inventory.links if link.path.startswith(inside)),
                    revision.last_used,
                    order=(bool(revision.refs), revision.last_used),
                    items=tuple(items),
                )
            )
    return found


def whole_repositories(inventory: HubInventory, planned: Plan) -> Plan:
    """A repository whose every revision the plan removes goes whole, as the client does it."""
    reasons = {item.path: item.reason for item in planned.items}
    whole = []
    for repo in inventory.repos:
        holders = [covering(revision.path, reasons) for revision in repo.revisions]
        if not repo.revisions or repo.folder in reasons or None in holders:
            continue
        # Why its revisions went, when they all went for one reason (a policy's, say).
        why = {reasons[holder] for holder in holders if holder is not None}
        reason = why.pop() if len(why) == 1 else Reason.LAST_REVISION
        whole.append(Item(repo.folder, ItemKind.REPO, reason, repo.name.label))
    if not whole:
        return planned
    items = [*planned.items, *whole]
    done = finish(items, planned.notes, planned.selectors, planned.warnings)
    return replace(done, missing=planned.missing)


class HubKind:
    """The Hugging Face hub cache."""

    name = "hf"
    title = "Hugging Face cache"
    trash = layout.TRASH
    size_counted_as = "`du -s --block-size=1`"

    def hold(self, request: Request) -> AbstractAsyncContextManager[object]:
        """Nothing: the hub has no whole-cache lock; the scan sees running downloads by their
        per-blob locks and keeps their repositories."""
        return nullcontext()

    async def prepare(self, request: Request) -> Prepared:
        """Scan the cache and plan the prune, or the removal of what was named."""
        inventory = await scan.scan(request.root)
        if request.packages:
            selectors = [layout.parse_selector(text) for text in request.packages]
            base, missing = hub_plan.requested(inventory, selectors)
            base = replace(base, missing=tuple(missing))
        else:
            base = hub_plan.prune(inventory)
        graph = build(inventory)
        found = versions(inventory)

        def orphans(removed: Collection[str]) -> list[Item]:
            return hub_plan.blob_items(inventory, removed, unlinked=False)

        trees = [item.path for item in base.items]
        if request.policy.sized:
            trees.extend(inventory.archives)
            trees.extend(path for version in found for path in version.paths)
        return Prepared(
            request.root,
            inventory,
            found,
            base,
            graph,
            orphans,
            list(dict.fromkeys(trees)),
            finish=lambda planned: whole_repositories(inventory, planned),
        )


HUB = HubKind()
