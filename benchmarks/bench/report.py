"""What the runner prints and records: a line per run, the table of medians and ratios, every
workload side by side across filesystems, what the package and max-size runs removed, the block
device's counters, and the host."""

from __future__ import annotations

import itertools
import math
import os
import platform
import statistics
from collections.abc import Sequence
from typing import Any

from bench.commands import uv_version
from bench.common import mib
from bench.device import STAT_FIELDS
from bench.timing import Run
from bench.workloads.base import Workload
from bench.workloads.maxsize import MaxSizeWork


def describe(run: Run) -> str:
    label = f"{run.label:<18}"
    if run.wall_s is None:
        return f"{label} FAILED: {run.error}"
    rss = f"{(run.maxrss_kib or 0) / 1024:.1f} MiB"
    if not run.ok:
        return f"{label} FAILED after {run.wall_s:.3f} s: {run.error}"
    tree = "tree ok" if run.tree_ok else "TREE DIFFERS"
    if run.workload == "prune" or run.tree_ok is None:
        return f"{label} {run.wall_s:8.3f} s  peak RSS {rss:>10}  {tree}"
    text = f"{label} {run.wall_s:8.3f} s  peak RSS {rss:>10}  {tree}, {run.files_removed} files"
    if run.extra.get("versions_evicted") is not None:
        text += f" ({run.extra['versions_evicted']} versions)"
    if run.fs_freed_bytes is not None:
        text += f", fs freed {mib(run.fs_freed_bytes)}"
    if run.summary and run.summary != "Removed":
        text += f"; says: {run.summary}"
    return text


def summarize(runs: Sequence[Run], plan: Sequence[tuple[str, Workload]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for fs, work in plan:
        group: list[dict[str, Any]] = []
        medians: dict[str, float] = {}
        for tool in work.tools:
            mine = [r for r in runs if r.fs == fs and r.workload == work.id and r.tool == tool]
            good = [r for r in mine if r.ok and r.wall_s is not None]
            row: dict[str, Any] = {
                "fs": fs,
                "workload": work.id,
                "tool": tool,
                "label": work.label(tool),
                "runs": len(mine),
                "ok": len(good),
                "failed": len(mine) - len(good),
                "tree_mismatches": sum(1 for r in good if r.tree_ok is False),
                "trees": len({r.tree_digest for r in good}),
                "errors": sorted({r.error for r in mine if r.error}),
            }
            if good:
                walls = [r.wall_s for r in good if r.wall_s is not None]
                rss = [(r.maxrss_kib or 0) / 1024 for r in good]
                row.update(
                    median_s=round(statistics.median(walls), 4),
                    min_s=round(min(walls), 4),
                    max_s=round(max(walls), 4),
                    peak_rss_mib=round(max(rss), 1),
                    median_rss_mib=round(statistics.median(rss), 1),
                    files_removed=statistics.median(r.files_removed or 0 for r in good),
                    summary=good[-1].summary,
                    extra=good[-1].extra,
                )
                freed = [r.fs_freed_bytes for r in good if r.fs_freed_bytes is not None]
                if freed:
                    row["fs_freed_bytes"] = statistics.median(freed)
                medians[tool] = statistics.median(walls)
                devices = [r.device for r in good if r.device]
                if devices:
                    row["device"] = {
                        "name": devices[0]["name"],
                        **{k: statistics.median(d.get(k, 0) for d in devices) for k in STAT_FIELDS},
                    }
            group.append(row)
        for row in group:
            if row["tool"] not in medians:
                continue
            for ref in ("janitor", "uv"):
                if ref in medians and medians[ref] > 0:
                    row[f"vs_{ref}"] = round(medians[row["tool"]] / medians[ref], 2)
        rows.extend(group)
    return rows


def print_table(
    rows: Sequence[dict[str, Any]], header: str, plan: Sequence[tuple[str, Workload]]
) -> None:
    print()
    print(header)
    described: dict[int, tuple[Workload, list[str]]] = {}
    for fs, work in plan:
        described.setdefault(id(work), (work, []))[1].append(fs)
    for work, fss in described.values():
        print(f"  {work.id} ({', '.join(fss)}): {work.text}")
    cols = f"{'fs':<6} {'workload':<13} {'tool':<18} {'median':>9} {'min':>9} {'max':>9}"
    print(f"{cols} {'peak RSS':>10} {'/janitor':>9} {'/uv':>7}  tree")
    for row in rows:
        name = f"{row['fs']:<6} {row['workload']:<13} {row['label']:<18}"
        if "median_s" not in row:
            why = row["errors"][0] if row["errors"] else "not run"
            print(f"{name} FAILED: {why}")
            continue
        vs_j = f"{row['vs_janitor']:.2f}x" if "vs_janitor" in row else "n/a"
        vs_u = f"{row['vs_uv']:.2f}x" if "vs_uv" in row else "n/a"
        tree = "ok" if not row["tree_mismatches"] else f"{row['tree_mismatches']} DIFFER"
        if row["failed"]:
            tree += f", {row['failed']} failed"
        print(
            f"{name} {row['median_s']:>8.3f}s {row['min_s']:>8.3f}s {row['max_s']:>8.3f}s "
            f"{row['peak_rss_mib']:>6.1f} MiB {vs_j:>9} {vs_u:>7}  {tree}"
        )
    print_side_by_side(rows)
    print_workload_notes(rows, plan)


def print_side_by_side(rows: Sequence[dict[str, Any]]) -> None:
    """Median per workload and tool across filesystems, with each time over janitor's."""
    fss = list(dict.fromkeys(r["fs"] for r in rows))
    keys = list(dict.fromkeys((r["workload"], r["tool"]) for r in rows))
    by = {(r["fs"], r["workload"], r["tool"]): r for r in rows}
    print()
    print("side by side: median seconds (time over janitor's on the same filesystem)")
    print(f"{'workload':<13} {'tool':<18} " + " ".join(f"{fs:>17}" for fs in fss))
    for workload, tool in keys:
        cells = []
        label = ""
        for fs in fss:
            row = by.get((fs, workload, tool))
            label = label or (row["label"] if row else "")
            if row is None:
                cells.append("")
            elif "median_s" not in row:
                cells.append("failed")
            elif tool != "janitor" and "vs_janitor" in row:
                cells.append(f"{row['median_s']:.3f} ({row['vs_janitor']:.2f}x)")
            else:
                cells.append(f"{row['median_s']:.3f}")
        print(f"{workload:<13} {label:<18} " + " ".join(f"{c:>17}" for c in cells))


def print_workload_notes(
    rows: Sequence[dict[str, Any]], plan: Sequence[tuple[str, Workload]]
) -> None:
    """What the package and max-size runs removed and freed, and how eviction scales."""
    lines: list[str] = []
    scaling: dict[str, list[tuple[int, float]]] = {}
    works = {(fs, w.id): w for fs, w in plan}
    for row in rows:
        work = works.get((row["fs"], row["workload"]))
        if work is None or "median_s" not in row or work.kind == "prune":
            continue
        where = f"{row['workload']} on {row['fs']}"
        freed = f", fs freed {mib(row['fs_freed_bytes'])}" if "fs_freed_bytes" in row else ""
        if work.kind == "package":
            says = f"; says: {row['summary']}" if row.get("summary") else ""
            lines.append(
                f"  {where}: {row['label']} removed {row['files_removed']:.0f} files{freed}{says}"
            )
        elif isinstance(work, MaxSizeWork):
            x = row["extra"]
            versions = work.manifest["versions"]
            lines.append(
                f"  {where}: {versions} versions, budget {mib(x['budget'])} of "
                f"{mib(x['disk_before'])}: evicted {x['versions_evicted']} versions "
                f"({row['files_removed']:.0f} files) in {row['median_s']:.3f} s "
                f"({row['median_s'] / versions * 1e3:.2f} ms per version in the cache), "
                f"{mib(x['disk_after'])} left; {x['evicted_beyond_budget']} of the newest "
                f"evicted would still have fitted{freed}"
            )
            scaling.setdefault(row["fs"], []).append((versions, row["median_s"]))
    for fs, points in scaling.items():
        points.sort()
        for (n1, t1), (n2, t2) in itertools.pairwise(points):
            if t1 > 0 and n2 > n1:
                power = math.log(t2 / t1) / math.log(n2 / n1)
                lines.append(
                    f"  max-size scaling on {fs}: {n1} -> {n2} versions: {t2 / t1:.2f}x the time "
                    f"for {n2 / n1:.2f}x the versions (time ~ versions^{power:.2f})"
                )
    if lines:
        print()
        print("\n".join(lines))


def print_devices(rows: Sequence[dict[str, Any]]) -> None:
    """What the block device did during each tool's run (medians): its busy time bounds them all."""
    shown = [r for r in rows if r.get("device") and "median_s" in r]
    if not shown:
        return
    print()
    print("block device during the runs (medians; busy = time with a request in flight):")
    for row in shown:
        dev = row["device"]
        line = (
            f"  {row['fs']:<6} {row['workload']:<13} {row['label']:<18} {dev['name']}: "
            f"busy {dev['busy_ms'] / 1000:6.2f} s of {row['median_s']:6.2f} s, "
            f"{dev['discards']:>7,.0f} discards"
        )
        if dev["discards"]:
            each = dev["discard_ms"] / dev["discards"] * 1000
            overlap = dev["discard_ms"] / dev["busy_ms"] if dev["busy_ms"] else 0.0
            line += (
                f" taking {dev['discard_ms'] / 1000:.2f} s ({each:.0f} us each, "
                f"{overlap:.2f} in flight on average)"
            )
        print(line)


def host_info(uv: str | None) -> dict[str, Any]:
    return {
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "uv": uv_version(uv) if uv else None,
        "machine": platform.machine(),
    }
