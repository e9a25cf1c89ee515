"""Plans, removals, reports and references as text lines or JSON documents. Pure; no I/O.

May import janitor.inventory, janitor.plan, janitor.remove, janitor.uv.report and janitor.units
(and rich, to lay out tables as text).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from janitor.inventory import Link, Usage
from janitor.plan import Item, ItemKind, Plan
from janitor.remove.outcome import Failure, Removal
from janitor.units import format_size

if TYPE_CHECKING:
    from janitor.uv.report import Report

_NOUNS = {
    ItemKind.LEFTOVER: ("leftover", "leftovers"),
    ItemKind.BUCKET: ("bucket", "buckets"),
    ItemKind.STRAY: ("stray entry", "stray entries"),
    ItemKind.ENTRY: ("entry", "entries"),
    ItemKind.REVISION: ("revision", "revisions"),
    ItemKind.ENVIRONMENT: ("environment", "environments"),
    ItemKind.ARCHIVE: ("archive", "archives"),
    ItemKind.OBJECTS: ("content-addressed shard", "content-addressed shards"),
    ItemKind.REPO: ("repository", "repositories"),
    ItemKind.BLOB: ("blob", "blobs"),
    ItemKind.DOWNLOAD: ("download left halfway", "downloads left halfway"),
}


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 file`, `2 files`."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def usage_text(usage: Usage, *, planned: bool = False) -> str:
    """`1,234 files (12.3MiB of files, 10.1MiB freed on disk)`; planned: `... would free 10.1MiB
    on disk`."""
    disk = format_size(usage.disk)
    freed = f"would free {disk} on disk" if planned else f"{disk} freed on disk"
    return f"{plural(usage.files, 'file')} ({format_size(usage.bytes)} of files, {freed})"


# Said once, under a summary whose disk figure is below the files' size, so that the two figures
# do not read as a mistake.
HARD_LINKS_NOTE = (
    "note: less is freed on disk than the files' size: a file still hard-linked elsewhere "
    "(uv hard-links installed files into virtual environments) frees nothing until its last "
    "link goes"
)


def _explained(usage: Usage) -> list[str]:
    return [HARD_LINKS_NOTE] if usage.disk < usage.bytes else []


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


def plan_counts(plan: Plan) -> str:
    """What a measured plan removes, in one line: `2 buckets, 4 archives: 55 files (...)`."""
    if not plan.items:
        return "nothing"
    return f"{_counts(plan.items)}: {usage_text(plan.total, planned=True)}"


def plan_lines(plan: Plan) -> list[str]:
    """A dry run's plan: one line per item, in the order they would go (the data: stdout)."""
    return [f"Would remove {item_line(item, item.usage)}" for item in plan.items]


def plan_summary(plan: Plan, verbose: bool) -> list[str]:
    """A dry run's warnings, notes (verbose) and totals (what is said: stderr)."""
    lines = [*_warnings(plan.warnings), *(_notes(plan.notes) if verbose else [])]
    if not plan.items:
        return [*lines, "No unused entries found"]
    total = plan.total
    lines.append(f"Would remove {_counts(plan.items)}: {usage_text(total, planned=True)}")
    return [*lines, *_explained(total)]


def removal_lines(
    removal: Removal, notes: Iterable[str], verbose: bool, warnings: Iterable[str] = ()
) -> list[str]:
    """The summary of a sweep, with one line per removed item when verbose."""
    lines: list[str] = [*_warnings(warnings)]
    if verbose:
        lines.extend(f"Removed {item_line(o.item, o.usage)}" for o in removal.outcomes if o.ok)
        lines.extend(_notes(notes))
    lines.extend(f"Failed to remove {f.path}: {f.error}" for f in removal.failures)
    done = [o.item for o in removal.outcomes if o.ok]
    if not removal.outcomes:
        lines.append("No unused entries found")
    elif done:
        lines.append(f"Removed {_counts(done)}: {usage_text(removal.total)}")
        lines.extend(_explained(removal.total))
    else:
        lines.append(f"Removed nothing: {usage_text(removal.total)}")
    return lines


def _notes(notes: Iterable[str]) -> list[str]:
    return [f"note: {note}" for note in notes]


def _warnings(warnings: Iterable[str]) -> list[str]:
    return [f"warning: {warning}" for warning in warnings]


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
        "warnings": list(plan.warnings),
        "duration_seconds": duration,
    }


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


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], right: Collection[int]
) -> list[str]:
    """Rows as lines of aligned columns (rich's Table, rendered to text)."""
    import io

    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for index, header in enumerate(headers):
        table.add_column(header, justify="right" if index in right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None, highlight=False).print(table)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


def _frees(plan: Plan) -> str:
    if not plan.items:
        return "nothing"
    files = plural(plan.total.files, "file")
    return f"{format_size(plan.total.disk)} ({_counts(plan.items)}, {files})"


def report_lines(report: Report, runs: Iterable[Mapping[str, Any]] = ()) -> list[str]:
    """`janitor report` as text."""
    lines = [
        f"Cache: {report.cache_dir}",
        f"Size: {format_size(report.size)} ({report.size:,} bytes, {plural(report.files, 'file')};"
        " counted as `uv cache size` counts it)",
        "",
        f"A plain sweep frees:     {_frees(report.prune)}",
        f"A sweep with --ci frees: {_frees(report.prune_ci)}",
        f"Removing everything frees {format_size(report.everything)}; the rest is hard-linked "
        "into virtual environments outside the cache"
        if report.everything < report.size
        else f"Removing everything frees {format_size(report.everything)}",
        "",
        "Buckets:",
    ]
    buckets = sorted(report.buckets.items(), key=lambda kv: (-kv[1], kv[0]))
    bucket_rows = [
        (name, format_size(size), report.bucket_status.get(name, "")) for name, size in buckets
    ]
    lines += [f"  {line}" for line in _table(["bucket", "on disk", "status"], bucket_rows, {1})]
    if report.packages:
        from janitor.chart import bar_chart

        biggest = [(row.name, row.size) for row in report.packages[:10] if row.size]
        if biggest:
            lines += ["", "Biggest packages:", *(f"  {line}" for line in bar_chart(biggest))]
        lines += ["", "Packages (on disk in the cache; what `janitor sweep --package NAME` frees):"]
        rows = [
            (
                row.name,
                ", ".join(row.versions) or "-",
                str(row.archives),
                format_size(row.size),
                format_size(row.frees),
            )
            for row in report.packages
        ]
        lines += [
            f"  {line}"
            for line in _table(
                ["package", "versions", "archives", "on disk", "frees"], rows, {2, 3, 4}
            )
        ]
    lines += ["", f"Cached environments ({len(report.environments)}):"]
    lines += [f"  {path}: {detail or 'unknown'}" for path, detail in report.environments]
    run_lines = runs_lines(runs)
    if run_lines:
        lines += ["", "Last sweeps:", *run_lines]
    if report.notes:
        lines += ["", *_notes(report.notes)]
    return lines


def report_json(report: Report, runs: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """`janitor report --json`, with the last sweeps of the cache from the run log."""
    return {
        "cache_dir": report.cache_dir,
        "size_bytes": report.size,
        "files": report.files,
        "buckets": {
            name: {"size_bytes": size, "status": report.bucket_status.get(name)}
            for name, size in sorted(report.buckets.items())
        },
        "frees": {
            "everything": report.everything,
            "prune": _usage_json(report.prune.total),
            "prune_ci": _usage_json(report.prune_ci.total),
        },
        "packages": [
            {
                "name": row.name,
                "versions": list(row.versions),
                "archives": row.archives,
                "size_bytes": row.size,
                "frees_bytes": row.frees,
            }
            for row in report.packages
        ],
        "environments": [
            {"path": path, "packages": detail} for path, detail in report.environments
        ],
        "runs": [dict(run) for run in runs],
        "notes": list(report.notes),
    }


def why_lines(archive_path: str, held: str, links: Iterable[Link]) -> list[str]:
    """`janitor why`: what references an archive (`held`: what the archive holds, in words)."""
    lines = [f"{archive_path} ({held})"]
    links = list(links)
    if not links:
        lines.append("  nothing links to it: a plain sweep removes it")
    for link in links:
        who = f"{link.package} {link.version}" if link.package else "cached environment"
        kind = "link file" if link.windows else "symlink"
        lines.append(f"  {who}: {kind} {link.path}")
    return lines
