"""`janitor report`: the cache at a glance, as janitor.uv.report (uv's cache) and janitor.hf.report
(the hub's) find it.

Declared in janitor.cli.options.REPORT. May import everything in janitor; heavy modules are
imported inside the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from janitor.cli.output import err, follow, open_cache, out, out_lines, print_json, run
from janitor.errors import UsageError


def report(
    cache: str, cache_dir: Path | None, uv: Sequence[Path] | None, json_output: bool
) -> None:
    """The cache at a glance: its size, what a sweep would free, packages and environments.

    The cache is uv's (the default), hf (the Hugging Face hub's: repositories, revisions, refs)
    or all (both, and their total).
    """
    if cache not in ("uv", "hf", "all"):
        raise UsageError(f"unknown cache {cache!r}: choose uv, hf or all")
    if cache == "all" and cache_dir is not None:
        raise UsageError("--cache-dir names one cache: use it with `janitor report uv` or `hf`")
    documents: dict[str, Any] = {}
    sizes: list[int] = []
    if cache in ("uv", "all"):
        _report_uv(cache_dir, uv, json_output, documents, sizes)
    if cache in ("hf", "all"):
        if cache == "all" and not json_output:
            out("")
        _report_hub(cache_dir, json_output, documents, sizes)
    if cache == "all":
        if json_output:
            print_json({"caches": documents, "total_size_bytes": sum(sizes)})
        else:
            from janitor.units import format_size

            out("")
            out(f"Total: {format_size(sum(sizes))} ({sum(sizes):,} bytes on disk)")
    elif json_output and documents:
        print_json(documents[cache])


def _report_hub(
    cache_dir: Path | None, json_output: bool, documents: dict[str, Any], sizes: list[int]
) -> None:
    from janitor.hf import report as hub_report
    from janitor.hf.locate import open_hub

    root = open_hub(cache_dir, err)
    if root is None:
        return
    result = run(lambda: hub_report.build(root))
    sizes.append(result.size)
    documents["hf"] = hub_report.document(result)
    if not json_output:
        out_lines(hub_report.lines(result))


def _report_uv(
    cache_dir: Path | None,
    uv: Sequence[Path] | None,
    json_output: bool,
    documents: dict[str, Any],
    sizes: list[int],
) -> None:
    from janitor import render, runlog
    from janitor.uv import report as reports

    uvs, releases, notes = follow(uv or ())
    root = open_cache(cache_dir, uvs)
    if root is None:
        return
    result = run(lambda: reports.build(root, releases, notes))
    runs = [r for r in runlog.read_runs(limit=20) if r.get("cache_dir") == str(root)][-5:]
    document = render.report_json(result, runs)
    sizes.append(document["size_bytes"])
    documents["uv"] = document
    if not json_output:
        out_lines(render.report_lines(result, runs))
