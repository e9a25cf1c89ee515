"""Plans for a Hugging Face hub cache: the prune and the removal of repositories or revisions.

The client's own delete strategy decides what a removed revision takes along: its snapshot folder
and the refs naming it, then every blob no surviving snapshot links to; when no revision of a
repository is left, the whole folder. janitor also removes a removed revision's cached listing
(`trees/<commit>.json`, `.no_exist/<commit>/`), downloads left halfway whose lock is free, and
blobs nothing links to. A repository a client is downloading into is left alone. Pure; no I/O.
May import janitor.graph, janitor.plan, janitor.inventory and janitor.hf.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from janitor import graph as graphs
from janitor.hf import layout
from janitor.hf.inventory import HubInventory, Repo, Revision
from janitor.plan import Item, ItemKind, Plan, Reason, finish


def _busy_note(repo: Repo) -> str:
    return f"kept {repo.name.label}: a download into it is running ({len(repo.busy)} locked)"


def revision_items(repo: Repo, revision: Revision, reason: Reason) -> list[Item]:
    """A revision's snapshot folder, the refs naming it and its cached listings."""
    label, commit = repo.name.label, revision.commit
    named = set(revision.refs)
    refs = [
        Item(path, ItemKind.ENTRY, Reason.OF_REMOVED_REVISION, label, commit)
        for ref, path in repo.ref_files
        if ref in named
    ]
    # The snapshot waits for the refs naming it: a ref that cannot go keeps its revision whole
    # (a ref to a missing commit makes the client drop the whole repository from its scan).
    snapshot = Item(
        revision.path,
        ItemKind.REVISION,
        reason,
        label,
        commit,
        requires=tuple(r.path for r in refs),
    )
    items = [snapshot, *refs]
    if commit in repo.trees:
        path = f"{repo.folder}/{layout.TREES}/{commit}{layout.TREE_SUFFIX}"
        items.append(Item(path, ItemKind.ENTRY, Reason.OF_REMOVED_REVISION, label, commit))
    if commit in repo.no_exist:
        path = f"{repo.folder}/{layout.NO_EXIST}/{commit}"
        items.append(Item(path, ItemKind.ENTRY, Reason.OF_REMOVED_REVISION, label, commit))
    return items


def remove_revisions(
    repo: Repo, revisions: Collection[Revision], reason: Reason, whole: Reason
) -> list[Item]:
    """Items that remove `revisions`: the whole folder when none of the repository's is left."""
    if not revisions:
        return []
    if len(revisions) == len(repo.revisions):
        return [Item(repo.folder, ItemKind.REPO, whole, repo.name.label)]
    return [item for revision in revisions for item in revision_items(repo, revision, reason)]


def orphaned_listings(repo: Repo, commits: Collection[str] | None = None) -> list[Item]:
    """Cached listings of commits no snapshot holds and no ref names (of `commits`, if given).

    A run stopped between a revision's snapshot folder and its listings leaves them so: without
    these, its rerun would never finish that revision.
    """
    held = {revision.commit for revision in repo.revisions} | {c for _, c in repo.refs}
    label = repo.name.label
    items: list[Item] = []
    for commit in sorted((set(repo.trees) | set(repo.no_exist)) - held):
        if commits is not None and commit not in commits:
            continue
        paths = []
        if commit in repo.trees:
            paths.append(f"{repo.folder}/{layout.TREES}/{commit}{layout.TREE_SUFFIX}")
        if commit in repo.no_exist:
            paths.append(f"{repo.folder}/{layout.NO_EXIST}/{commit}")
        items.extend(
            Item(path, ItemKind.ENTRY, Reason.OF_REMOVED_REVISION, label, commit) for path in paths
        )
    return items


def _incomplete(repo: Repo) -> list[Item]:
    busy = set(repo.busy)
    return [
        Item(part.path, ItemKind.DOWNLOAD, Reason.INCOMPLETE_DOWNLOAD, repo.name.label)
        for part in repo.incomplete
        if part.etag not in busy
    ]


def blob_items(
    inventory: HubInventory, removed: Collection[str], *, unlinked: bool | Collection[str]
) -> list[Item]:
    """Blobs no surviving snapshot links to; with `unlinked`, also those nothing links to now
    (in every repository, or in the repository folders it names)."""
    graph = graphs.build(inventory)
    living = {repo.folder for repo in inventory.repos if repo.busy or not repo.has_snapshots}
    items = []
    for path, holders in graphs.dead_archives(inventory, graph, removed).items():
        folder = path.partition("/")[0]
        if folder in living or graphs.covering(path, removed) is not None:
            continue
        if holders or unlinked is True or (unlinked and folder in unlinked):
            reason = Reason.ORPHANED_BLOB if holders else Reason.UNLINKED_BLOB
            package = layout.parse_folder(folder)
            label = package.label if package else None
            items.append(Item(path, ItemKind.BLOB, reason, label, requires=holders))
    return items


def _leftovers(inventory: HubInventory) -> list[Item]:
    return [Item(path, ItemKind.LEFTOVER, Reason.LEFTOVER) for path in inventory.trash]


def prune(inventory: HubInventory) -> Plan:
    """Every detached revision (as `hf cache prune`), downloads left halfway, unlinked blobs."""
    items = _leftovers(inventory)
    notes = list(inventory.notes)
    for repo in inventory.repos:
        if repo.busy:
            notes.append(_busy_note(repo))
            continue
        if not repo.has_snapshots:
            notes.append(f"kept {repo.name.label}: it has no snapshots folder")
            continue
        detached = [r for r in repo.revisions if r.detached]
        items.extend(remove_revisions(repo, detached, Reason.DETACHED, Reason.DETACHED))
        if len(detached) < len(repo.revisions):
            items.extend(orphaned_listings(repo))
        items.extend(_incomplete(repo))
    removed = {item.path for item in items}
    items.extend(blob_items(inventory, removed, unlinked=True))
    return finish(items, notes, ["prune"])


def requested(
    inventory: HubInventory, selectors: Sequence[layout.Selector]
) -> tuple[Plan, list[str]]:
    """Remove the repositories and revisions named; also what was not found, for the user."""
    items = _leftovers(inventory)
    notes = list(inventory.notes)
    warnings: list[str] = []
    missing: list[str] = []
    by_folder = {repo.folder: repo for repo in inventory.repos}
    touched: set[str] = set()
    for repo_folder, wanted in _group(selectors):
        repo = by_folder.get(repo_folder)
        if repo is None:
            missing.extend(selector.label for selector in wanted)
            continue
        if repo.busy:
            warnings.append(_busy_note(repo))
            continue
        if any(selector.revision is None for selector in wanted):
            items.append(Item(repo.folder, ItemKind.REPO, Reason.REQUESTED_REPO, repo.name.label))
            continue
        revisions: dict[str, Revision] = {}
        for selector in wanted:
            assert selector.revision is not None
            found = repo.revision(selector.revision)
            listings = orphaned_listings(repo, {selector.revision})
            if found is None and listings:
                items.extend(listings)  # what an interrupted removal of it left
            elif found is None:
                missing.append(selector.label)
            else:
                revisions[found.commit] = found
        items.extend(
            remove_revisions(
                repo, list(revisions.values()), Reason.REQUESTED_REVISION, Reason.LAST_REVISION
            )
        )
        # Blobs nothing links to in it: what an interrupted removal of a revision left.
        touched.add(repo.folder)
    removed = {item.path for item in items}
    items.extend(blob_items(inventory, removed, unlinked=touched))
    selectors_said = [f"repo {selector.label}" for selector in selectors]
    return finish(items, notes, selectors_said, warnings), missing


def _group(selectors: Iterable[layout.Selector]) -> list[tuple[str, list[layout.Selector]]]:
    grouped: dict[str, list[layout.Selector]] = {}
    for selector in selectors:
        grouped.setdefault(selector.repo.folder, []).append(selector)
    return list(grouped.items())
