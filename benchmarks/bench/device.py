"""The counters of the block device under a copy (/sys/block/*/stat): how long it was busy, how many
discards it served, and for how long."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Fields of /sys/block/<dev>/stat (Documentation/block/stat.rst); discard fields since Linux 4.18.
STAT_FIELDS = {
    "reads": 0,
    "writes": 4,
    "busy_ms": 9,  # io_ticks: time with at least one request in flight
    "discards": 11,
    "discard_ms": 14,  # summed over requests: equals busy time when they never overlap
}


def block_stat_file(path: Path) -> Path | None:
    """The sysfs stat file of the block device holding `path`; None for tmpfs, FUSE and others."""
    try:
        dev = os.stat(path).st_dev
    except OSError:
        return None
    if os.major(dev) == 0:  # anonymous devices: tmpfs, FUSE, overlayfs
        return None
    node = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}")
    try:
        node = node.resolve(strict=True)
    except OSError:
        return None
    if (node / "partition").exists():
        node = node.parent  # partitions count no discards of their own on older kernels
    stat_file = node / "stat"
    return stat_file if stat_file.is_file() else None


def read_block_stat(stat_file: Path | None) -> dict[str, int] | None:
    if stat_file is None:
        return None
    try:
        fields = stat_file.read_text().split()
    except OSError:
        return None
    return {k: int(fields[i]) for k, i in STAT_FIELDS.items() if i < len(fields)}


def block_delta(
    stat_file: Path | None, before: dict[str, int] | None, after: dict[str, int] | None
) -> dict[str, Any] | None:
    if stat_file is None or before is None or after is None:
        return None
    delta: dict[str, Any] = {k: after[k] - before[k] for k in after if k in before}
    delta["name"] = stat_file.parent.name
    return delta
