"""`janitor why`: what keeps an archive alive, or each archive of a package, or a blob of the
Hugging Face hub cache.

Declared in janitor.cli.options.WHY. May import everything in janitor; heavy modules are
imported inside the command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from janitor.cli.output import err, follow, open_cache, out, out_lines, print_json, run
from janitor.errors import UsageError

if TYPE_CHECKING:
    from janitor.graph import Graph
    from janitor.uv.inventory import Inventory


def why(archive: str, cache_dir: Path | None, uv: Sequence[Path] | None, json_output: bool) -> None:
    """What keeps an archive alive: package entries and cached environments.

    ARCHIVE_ID_OR_PATH_OR_PACKAGE is an archive's id (one that starts with `-` is taken as an
    id), a path to the archive (after `--` if it starts with `-`), or a package name: each of
    its archives is shown. A blob of the Hugging Face hub cache (its etag, or its path) is shown
    with the snapshots that link to it.
    """
    from janitor import render
    from janitor.graph import build
    from janitor.uv.scan import scan

    archive_id = Path(archive.rstrip("/\\")).name
    if _BLOB_RE.fullmatch(archive_id):
        _why_blob(archive_id, cache_dir, json_output)
        return
    uvs, releases, _ = follow(uv or ())
    root = open_cache(cache_dir, uvs)
    if root is None:
        return
    inventory = run(lambda: scan(root, releases=releases))
    graph = build(inventory)
    if archive_id not in inventory.archives:
        _why_package(archive, archive_id, root, inventory, graph, json_output)
    elif json_output:
        print_json(_archive_document(inventory, graph, archive_id))
    else:
        out_lines(render.why_lines(*_archive_view(inventory, graph, archive_id)))


def _why_package(
    archive: str, archive_id: str, root: Path, inventory: Inventory, graph: Graph, json_output: bool
) -> None:
    """Each archive of the package `archive` names; a UsageError when it is no cached package."""
    from janitor import render
    from janitor.uv.inventory import packages_by_archive
    from janitor.uv.layout import Kind, normalize

    name = normalize(archive)
    by_archive = packages_by_archive(inventory)
    versions = {
        found.id: [v for n, v in by_archive[found.id] if n == name]
        for found in inventory.archives.values()
        if not found.venv
    }
    ids = sorted((i for i, held in versions.items() if held), key=lambda i: _key(versions[i]))
    entries = [entry.path for entry in inventory.entries if entry.package == name]
    if not (ids or entries) or "/" in archive or "\\" in archive:
        raise UsageError(
            f"No archive {archive_id} in {root / inventory.bucket(Kind.ARCHIVE)}, and no cached "
            "package of that name: `janitor report` lists the packages, `janitor why PACKAGE` "
            "their archive ids"
        )
    if json_output:
        documents = [_archive_document(inventory, graph, one) for one in ids]
        print_json({"package": name, "archives": documents})
        return
    if not ids:
        out(f"{name}: no archive in the cache; its entries: {', '.join(entries)}")
    for one in ids:
        out_lines(render.why_lines(*_archive_view(inventory, graph, one)))


# A blob of the hub cache is named by its etag: a git sha1 or, for large files, a sha256 (uv's
# archive ids are 16 to 24 characters, so the two never meet).
_BLOB_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _why_blob(etag: str, cache_dir: Path | None, json_output: bool) -> None:
    """The hub cache's blobs of that etag, each with the snapshot links that reach it."""
    from janitor.graph import build
    from janitor.hf import scan as hub_scan
    from janitor.hf.locate import open_hub
    from janitor.units import format_size

    root = open_hub(cache_dir, err)
    if root is None:
        return
    inventory = run(lambda: hub_scan.scan(root))
    graph = build(inventory)
    found = [path for path in inventory.archives if path.endswith(f"/blobs/{etag}")]
    if not found:
        raise UsageError(
            f"No blob {etag} in {root}: `janitor report hf` lists the repositories and revisions"
        )
    refs = {
        (repo.folder, revision.commit): revision.refs
        for repo in inventory.repos
        for revision in repo.revisions
    }
    documents: list[dict[str, Any]] = []
    for path in found:
        usage = inventory.archives[path].usage
        links = graph.referrers.get(path, ())
        documents.append(
            {
                "blob": path,
                "bytes": usage.bytes if usage else None,
                "referenced_by": [
                    {
                        "path": link.path,
                        "repo": link.package,
                        "commit": link.version,
                        "refs": list(refs.get((link.bucket, link.version or ""), ())),
                    }
                    for link in links
                ],
            }
        )
    if json_output:
        print_json(documents[0] if len(documents) == 1 else documents)
        return
    for document in documents:
        size = format_size(document["bytes"]) if document["bytes"] is not None else "?"
        out(f"{document['blob']} ({size})")
        if not document["referenced_by"]:
            out("  no snapshot links to it")
        for link in document["referenced_by"]:
            named = ", ".join(link["refs"]) or "detached"
            out(f"  {link['repo']} {link['commit'][:12]} ({named}): {link['path']}")


def _key(versions: list[str]) -> tuple[tuple[int, Any], ...]:
    """Oldest version first (PEP 440), versions that do not parse before the rest."""
    from janitor.policy import version_order

    return tuple(sorted(version_order(version) for version in versions))


def _archive_view(inventory: Inventory, graph: Graph, archive_id: str) -> tuple[Any, ...]:
    """The arguments of `render.why_lines` for one archive."""
    from janitor.inventory import describe_packages
    from janitor.uv.inventory import packages_by_archive

    found = inventory.archives[archive_id]
    packages = packages_by_archive(inventory)[archive_id]
    if found.venv:
        held = f"environment with {describe_packages(packages, found.roots)}"
    else:
        held = ", ".join(f"{n} {v}" for n, v in packages) or "no package metadata"
    return found.path, held, graph.referrers.get(archive_id, ())


def _archive_document(inventory: Inventory, graph: Graph, archive_id: str) -> dict[str, Any]:
    from janitor.uv.inventory import packages_by_archive

    found = inventory.archives[archive_id]
    links = graph.referrers.get(archive_id, ())
    envs = [env.path for env in inventory.environments if archive_id in env.archives]
    packages = packages_by_archive(inventory)[archive_id]
    return {
        "archive": found.path,
        "packages": [{"name": n, "version": v} for n, v in packages],
        "environment": found.venv,
        "referenced_by": [
            {
                "path": link.path,
                "package": link.package,
                "version": link.version,
                "windows_link_file": link.windows,
                "environment": next((e for e in envs if link.path.startswith(e)), None),
            }
            for link in links
        ],
    }
