"""Plans, removals, reports and references as text lines or JSON documents. Pure; no I/O.

May import janitor.inventory, janitor.plan, janitor.remove, janitor.graph and janitor.units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from janitor.inventory import Inventory, Link, Usage
from janitor.plan import Item, ItemKind, Plan
from janitor.remove import Failure, Removal
from janitor.units import format_size

_NOUNS = {
    ItemKind.LEFTOVER: ("leftover", "leftovers"),
    ItemKind.BUCKET: ("bucket", "buckets"),
    ItemKind.STRAY: ("stray entry", "stray entries"),
    ItemKind.ENTRY: ("entry", "entries"),
    ItemKind.REVISION: ("revision", "revisions"),
    ItemKind.ENVIRONMENT: ("environment", "environments"),
    ItemKind.ARCHIVE: ("archive", "archives"),
}


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 file`, `2 files`."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def usage_text(usage: Usage, disk: str = "freed on disk") -> str:
    """`1,234 files (12.3MiB, 10.1MiB freed on disk)`."""
    return (
        f"{plural(usage.files, 'file')} ({format_size(usage.bytes)}, "
        f"{format_size(usage.disk)} {disk})"
    )


def _counts(items: Iterable[Item]) -> str:
    tally: dict[ItemKind, int] = {}
    for item in items:
        tally[item.kind] = tally.get(item.kind, 0) + 1
    return ", ".join(
        plural(tally[kind], *_NOUNS[kind]) for kind in ItemKind if tally.get(kind, 0) > 0
    )


def item_line(item: Item, usage: Usage | None = None) -> str:
    """One line per removed item: what, which package, where, why."""
    what = item.label if item.package else (item.detail or item.path)
    size = f", {format_size(usage.bytes)}" if usage is not None else ""
    where = "" if what == item.path else f" ({item.path})"
    return f"{item.kind.value} {what}{where}: {item.reason.value}{size}"


def plan_lines(plan: Plan, verbose: bool) -> list[str]:
    """A dry run: the plan, in words."""
    if not plan.items:
        return ["No unused entries found", *(_notes(plan.notes) if verbose else [])]
    lines: list[str] = []
    if verbose:
        lines.extend(f"Would remove {item_line(item, item.usage)}" for item in plan.items)
        lines.extend(_notes(plan.notes))
    lines.append(f"Would remove {_counts(plan.items)}: {usage_text(plan.total, 'on disk')}")
    return lines


def removal_lines(removal: Removal, notes: Iterable[str], verbose: bool) -> list[str]:
    """The summary of a sweep, with one line per removed item when verbose."""
    lines: list[str] = []
    if verbose:
        lines.extend(f"Removed {item_line(o.item, o.usage)}" for o in removal.outcomes if o.ok)
        lines.extend(_notes(notes))
    lines.extend(f"Failed to remove {f.path}: {f.error}" for f in removal.failures)
    done = [o.item for o in removal.outcomes if o.ok]
    if not removal.outcomes:
        lines.append("No unused entries found")
    elif done:
        lines.append(f"Removed {_counts(done)}: {usage_text(removal.total)}")
    else:
        lines.append(f"Removed nothing: {usage_text(removal.total)}")
    return lines


def _notes(notes: Iterable[str]) -> list[str]:
    return [f"note: {note}" for note in notes]


def _usage_json(usage: Usage | None) -> dict[str, int | None]:
    if usage is None:
        return {"files": None, "dirs": None, "bytes": None, "disk_bytes": None}
    return {
        "files": usage.files,
        "dirs": usage.dirs,
        "bytes": usage.bytes,
        "disk_bytes": usage.disk,
    }


def _item_json(item: Item, usage: Usage | None) -> dict[str, Any]:
    return {
        "path": item.path,
        "kind": item.kind.value,
        "package": item.package,
        "version": item.version,
        "detail": item.detail,
        "reason": item.reason.value,
        **_usage_json(usage),
    }


def _failures_json(failures: Iterable[Failure]) -> list[dict[str, str]]:
    return [{"path": f.path, "error": f.error} for f in failures]


def sweep_json(
    cache_dir: str,
    plan: Plan,
    removal: Removal | None,
    duration: float | None = None,
) -> dict[str, Any]:
    """The document `janitor sweep --json` prints: a dry run when `removal` is None."""
    if removal is None:
        removals = [_item_json(item, item.usage) for item in plan.items]
        total = plan.total
        failures: list[Failure] = []
    else:
        removals = [_item_json(o.item, o.usage) for o in removal.outcomes if o.ok]
        total = removal.total
        failures = removal.failures
    by_kind: dict[str, int] = {}
    for entry in removals:
        by_kind[entry["kind"]] = by_kind.get(entry["kind"], 0) + 1
    return {
        "cache_dir": cache_dir,
        "dry_run": removal is None,
        "selectors": list(plan.selectors),
        "removals": removals,
        "totals": {"items": len(removals), "by_kind": by_kind, **_usage_json(total)},
        "errors": _failures_json(failures),
        "notes": list(plan.notes),
        "duration_seconds": duration,
    }


@dataclass(frozen=True)
class PackageRow:
    """One package version in the cache, for reports."""

    name: str
    version: str
    archives: int
    bytes: int


@dataclass(frozen=True)
class Report:
    """The cache at a glance."""

    cache_dir: str
    buckets: Mapping[str, Usage]
    packages: tuple[PackageRow, ...]
    reclaimable: Plan
    environments: tuple[tuple[str, str | None], ...]  # (path, packages)

    @property
    def total(self) -> Usage:
        """Everything in the cache's buckets."""
        total = Usage()
        for usage in self.buckets.values():
            total += usage
        return total


def build_report(inventory: Inventory, buckets: Mapping[str, Usage], reclaim: Plan) -> Report:
    """Gather a report from an inventory measured with sizes."""
    rows: dict[tuple[str, str], list[int]] = {}
    for archive in inventory.archives.values():
        if archive.venv:
            continue
        for name, version in archive.packages:
            row = rows.setdefault((name, version), [0, 0])
            row[0] += 1
            row[1] += archive.usage.bytes if archive.usage else 0
    packages = tuple(
        PackageRow(name, version, count, size)
        for (name, version), (count, size) in sorted(rows.items())
    )
    environments = []
    for env in inventory.environments:
        detail = None
        for archive_id in env.archives:
            venv = inventory.archives.get(archive_id)
            if venv is not None:
                detail = ", ".join(f"{n} {v}" for n, v in venv.packages)
        environments.append((env.path, detail))
    return Report(str(inventory.root), buckets, packages, reclaim, tuple(environments))


def runs_lines(runs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The last sweeps from the run log, newest last."""
    lines = []
    for run in runs:
        totals = run.get("totals") or {}
        what = ", ".join(
            f"{k}={v}" for k, v in (run.get("policy") or {}).items() if v not in (None, [])
        )
        lines.append(
            f"  {run.get('time', '?')}  exit {run.get('exit_code', '?')}  "
            f"{totals.get('files', 0) or 0:,} files, {format_size(totals.get('bytes', 0) or 0)}"
            f"  in {run.get('duration_seconds', 0)}s  {what or 'prune'}"
        )
    return lines


def report_lines(
    report: Report, chart: list[str] | None = None, runs: Iterable[Mapping[str, Any]] = ()
) -> list[str]:
    """`janitor report` as text."""
    lines = [
        f"Cache: {report.cache_dir}",
        f"Total: {usage_text(report.total, 'on disk')}",
        "",
        "Buckets:",
    ]
    for name, usage in sorted(report.buckets.items(), key=lambda kv: -kv[1].bytes):
        lines.append(f"  {name:<24} {format_size(usage.bytes):>10}  {plural(usage.files, 'file')}")
    if chart:
        lines += ["", "Biggest packages:", *(f"  {line}" for line in chart)]
    lines += ["", f"Packages ({len(report.packages)} versions):"]
    for row in report.packages:
        lines.append(f"  {row.name} {row.version:<16} {format_size(row.bytes):>10}")
    lines += ["", f"Cached environments ({len(report.environments)}):"]
    lines += [f"  {path}: {detail or 'unknown'}" for path, detail in report.environments]
    run_lines = runs_lines(runs)
    if run_lines:
        lines += ["", "Last sweeps:", *run_lines]
    plan = report.reclaimable
    lines += [
        "",
        f"A plain sweep would remove {_counts(plan.items) or 'nothing'}"
        + (f": {usage_text(plan.total)}" if plan.items else ""),
    ]
    return lines


def report_json(report: Report) -> dict[str, Any]:
    """`janitor report --json`."""
    return {
        "cache_dir": report.cache_dir,
        "totals": _usage_json(report.total),
        "buckets": {name: _usage_json(usage) for name, usage in sorted(report.buckets.items())},
        "packages": [
            {"name": r.name, "version": r.version, "archives": r.archives, "bytes": r.bytes}
            for r in report.packages
        ],
        "environments": [
            {"path": path, "packages": detail} for path, detail in report.environments
        ],
        "reclaimable": {
            "items": len(report.reclaimable.items),
            **_usage_json(report.reclaimable.total),
        },
    }


def why_lines(
    archive_path: str, packages: Iterable[tuple[str, str]], links: Iterable[Link]
) -> list[str]:
    """`janitor why`: what references an archive."""
    held = ", ".join(f"{n} {v}" for n, v in packages) or "no package metadata"
    lines = [f"{archive_path} ({held})"]
    links = list(links)
    if not links:
        lines.append("  nothing links to it: a plain sweep removes it")
    for link in links:
        who = f"{link.package} {link.version}" if link.package else "cached environment"
        kind = "link file" if link.windows else "symlink"
        lines.append(f"  {who}: {kind} {link.path}")
    return lines
