"""`janitor doctor`: what janitor finds on this machine (janitor.uv.doctor, janitor.hf.doctor), and
what needs attention.

Declared in janitor.cli.options.DOCTOR. May import everything in janitor; heavy modules are
imported inside the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from janitor.cli.output import out_lines, print_json
from janitor.errors import UsageError


def doctor(cache: str, cache_dir: Path | None, uv: Sequence[Path] | None, json_output: bool) -> int:
    """The uvs found, the cache and how it was found, each uv's buckets, access times, the lock
    and leftovers; exit 1 when something needs attention.

    With hf: the Hugging Face hub cache, its repositories and revisions, downloads running or
    left halfway, refs to missing commits.
    """
    from janitor.uv.doctor import diagnose

    if cache == "hf":
        return _doctor_hub(cache_dir, json_output)
    if cache != "uv":
        raise UsageError(f"unknown cache {cache!r}: choose uv or hf")

    found = diagnose(cache_dir, uv or ())
    if json_output:
        print_json(_document(found))
    else:
        out_lines(_lines(found))
    return 1 if found.problems else 0


def _doctor_hub(cache_dir: Path | None, json_output: bool) -> int:
    import dataclasses

    from janitor.hf import doctor as hub_doctor

    found = hub_doctor.diagnose(cache_dir)
    if json_output:
        print_json({**dataclasses.asdict(found), "cache": str(found.cache)})
    else:
        out_lines(hub_doctor.lines(found))
    return 1 if found.problems else 0


def _lines(found: Any) -> list[str]:
    lines = ["uv binaries:"]
    if not found.uvs:
        lines.append("  none found")
    for view in found.uvs:
        uv = view.uv
        lines.append(f"  uv {uv.release} at {uv.path} (found by {uv.found_by})")
        lines.append(f"    bucket names from: {view.source}")
        lines.append(f"    uv cache dir: {view.cache_dir or 'no answer'}")
        lines.append(f"    its buckets here: {', '.join(view.current) or 'none'}")
        lines.append(f"    its prune would remove: {_prune_text(view.prune)}")
        if view.stale:
            lines.append(f"      at the top: {', '.join(view.stale)}")
    lines.append(f"cache: {found.cache} (found by {found.found_by})")
    if not found.exists:
        lines.append("  it does not exist yet")
    for name, status in found.statuses:
        lines.append(f"  {name}: {status}")
    lines.append(f"access times: {found.atime}")
    lines.append(f"lock: {found.lock}")
    lines.append(f"trash: {len(found.trash)} leftover trees" if found.trash else "trash: empty")
    lines.extend(f"note: {note}" for note in found.notes)
    lines.extend(f"problem: {problem}" for problem in found.problems)
    lines.append("no problems found" if not found.problems else f"{len(found.problems)} problem(s)")
    return lines


def _prune_text(its_prune: Any) -> str:
    from janitor.render import plan_counts

    return "not measured: no cache to scan" if its_prune is None else plan_counts(its_prune)


def _prune_document(view: Any) -> dict[str, Any] | None:
    from janitor.render import sweep_json

    if view.prune is None:
        return None
    totals = sweep_json("", view.prune, None)["totals"]
    return {"top_level": list(view.stale), **totals}


def _document(found: Any) -> dict[str, Any]:
    return {
        "uvs": [
            {
                "version": view.uv.release,
                "path": str(view.uv.path),
                "found_by": view.uv.found_by,
                "buckets_from": view.source,
                "cache_dir": str(view.cache_dir) if view.cache_dir else None,
                "buckets_here": list(view.current),
                "its_prune_removes": _prune_document(view),
            }
            for view in found.uvs
        ],
        "cache_dir": str(found.cache),
        "found_by": found.found_by,
        "exists": found.exists,
        "top_level": dict(found.statuses),
        "access_times": found.atime,
        "lock": found.lock,
        "trash": list(found.trash),
        "notes": list(found.notes),
        "problems": list(found.problems),
    }
