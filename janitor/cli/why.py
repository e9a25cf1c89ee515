"""`janitor why`: what keeps an archive alive, or each archive of a package.

May import everything in janitor; heavy modules are imported inside the command.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from janitor.cli._common import JsonOption, UvOption, cache_dir_option, handles_errors
from janitor.cli.output import err, follow, open_cache, print_json, run
from janitor.errors import UsageError

if TYPE_CHECKING:
    from janitor.graph import Graph
    from janitor.inventory import Inventory


def why(
    archive: Annotated[
        str,
        # Described in the docstring: click would list it with a Python type name.
        typer.Argument(metavar="ARCHIVE_ID_OR_PATH_OR_PACKAGE", hidden=True),
    ],
    cache_dir: Annotated[Path | None, cache_dir_option("The uv cache to look in")] = None,
    uv: UvOption = None,
    json_output: JsonOption = False,
) -> None:
    """What keeps an archive alive: package entries and cached environments.

    ARCHIVE_ID_OR_PATH_OR_PACKAGE is an archive's id, a path to the archive (after `--` if it
    starts with `-`), or a package name: each of its archives is shown. A blob of the Hugging
    Face hub cache (its etag, or its path) is shown with the snapshots that link to it.
    """
    from janitor import graph as graphs
    from janitor import render
    from janitor.layout.uv import Kind, normalize
    from janitor.scan.cache import scan

    if _BLOB_RE.fullmatch(Path(archive.rstrip("/\\")).name):
        _why_blob(Path(archive.rstrip("/\\")).name, cache_dir, json_output)
        return
    uvs, releases, _ = follow(uv or ())
    root = open_cache(cache_dir, uvs)
    if root is None:
        return
    archive_id = Path(archive.rstrip("/\\")).name
    inventory = run(lambda: scan(root, releases=releases))
    graph = graphs.build(inventory)
    if archive_id in inventory.archives:
        if json_output:
            print_json(_archive_document(inventory, graph, archive_id))
            return
        for line in render.why_lines(*_archive_view(inventory, graph, archive_id)):
            typer.echo(line)
        return
    name = normalize(archive)
    by_archive = graphs.packages_by_archive(inventory)
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
        print_json(
            {
                "package": name,
                "archives": [_archive_document(inventory, graph, one) for one in ids],
            }
        )
        return
    if not ids:
        typer.echo(f"{name}: no archive in the cache; its entries: {', '.join(entries)}")
    for one in ids:
        for line in render.why_lines(*_archive_view(inventory, graph, one)):
            typer.echo(line)


# A blob of the hub cache is named by its etag: a git sha1 or, for large files, a sha256 (uv's
# archive ids are 16 to 24 characters, so the two never meet).
_BLOB_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _why_blob(etag: str, cache_dir: Path | None, json_output: bool) -> None:
    """The hub cache's blobs of that etag, each with the snapshot links that reach it."""
    from janitor import graph as graphs
    from janitor.hf import scan as hub_scan
    from janitor.hf.locate import open_hub
    from janitor.units import format_size

    root = open_hub(cache_dir, err)
    if root is None:
        return
    inventory = run(lambda: hub_scan.scan(root))
    graph = graphs.build(inventory)
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
        typer.echo(f"{document['blob']} ({size})")
        if not document["referenced_by"]:
            typer.echo("  no snapshot links to it")
        for link in document["referenced_by"]:
            named = ", ".join(link["refs"]) or "detached"
            typer.echo(f"  {link['repo']} {link['commit'][:12]} ({named}): {link['path']}")


def _key(versions: list[str]) -> tuple[tuple[int, Any], ...]:
    """Oldest version first (PEP 440), versions that do not parse before the rest."""
    from packaging.version import InvalidVersion, Version

    keys: list[tuple[int, Any]] = []
    for version in versions:
        try:
            keys.append((1, Version(version)))
        except InvalidVersion:
            keys.append((0, version))
    return tuple(sorted(keys))


def _archive_view(inventory: Inventory, graph: Graph, archive_id: str) -> tuple[Any, ...]:
    """The arguments of `render.why_lines` for one archive."""
    from janitor.graph import packages_by_archive
    from janitor.inventory import describe_packages

    found = inventory.archives[archive_id]
    packages = packages_by_archive(inventory)[archive_id]
    if found.venv:
        held = f"environment with {describe_packages(packages, found.roots)}"
    else:
        held = ", ".join(f"{n} {v}" for n, v in packages) or "no package metadata"
    return found.path, held, graph.referrers.get(archive_id, ())


def _archive_document(inventory: Inventory, graph: Graph, archive_id: str) -> dict[str, Any]:
    from janitor.graph import packages_by_archive

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


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("why")(handles_errors(why))
