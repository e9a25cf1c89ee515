"""The run log: one JSON object per line in `runs.jsonl`, one line per run, newest last.

Owns the log's location and line format. Appends are a single O_APPEND write so that concurrent
runs never interleave; readers skip lines they cannot parse. Imports nothing from janitor.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

APP_NAME = "janitor"
LOG_FILE = "runs.jsonl"
# How much of the file's end `read_runs` reads at a time while looking for the newest lines.
_CHUNK = 64 * 1024


# The totals of a sweep that removed nothing, as `render.sweep_json` writes them.
EMPTY_TOTALS: Mapping[str, Any] = {
    "items": 0,
    "by_kind": {},
    "files": 0,
    "dirs": 0,
    "bytes": 0,
    "disk_bytes": 0,
}


def default_log_path() -> Path:
    """Where janitor appends its run log when no path is given."""
    import platformdirs

    return platformdirs.user_log_path(APP_NAME, appauthor=False) / LOG_FILE


def policy_record(
    packages: Iterable[str],
    older_than: float | None,
    keep_versions: int | None,
    max_size: int | None,
    min_free: int | None,
    keep: Iterable[str],
) -> dict[str, Any]:
    """The `policy` of a sweep's log line."""
    return {
        "packages": list(packages),
        "older_than_seconds": older_than,
        "keep_versions": keep_versions,
        "max_size": max_size,
        "min_free": min_free,
        "keep": sorted(keep),
    }


def sweep_record(
    cache_dir: str,
    policy: Mapping[str, Any],
    totals: Mapping[str, Any] | None,
    errors: list[Mapping[str, str]],
    duration: float,
    exit_code: int,
) -> dict[str, Any]:
    """The log line of one sweep."""
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cache_dir": cache_dir,
        "policy": dict(policy),
        "totals": dict(totals) if totals is not None else None,
        "errors": errors,
        "duration_seconds": round(duration, 3),
        "exit_code": exit_code,
    }


def _json_default(value: object) -> Any:
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"run log records cannot hold {type(value).__name__} values")


def encode_run(record: Mapping[str, Any]) -> bytes:
    """One log line for `record`: compact JSON and a newline (paths, datetimes as strings)."""
    text = json.dumps(dict(record), default=_json_default, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8") + b"\n"


async def append_run(record: Mapping[str, Any], path: Path | None = None) -> Path:
    """Append `record` as one line to the run log at `path` (default: `default_log_path()`)."""
    import aiofiles
    import aiofiles.os

    target = path if path is not None else default_log_path()
    line = encode_run(record)
    await aiofiles.os.makedirs(target.parent, exist_ok=True)
    # Unbuffered binary append: the line reaches the kernel as one write() on an O_APPEND file.
    async with aiofiles.open(target, "ab+", buffering=0) as log:
        end = await log.seek(0, os.SEEK_END)
        if end > 0:
            await log.seek(end - 1)
            # A run killed mid-write leaves a line without its newline; start a fresh one. (Seeing
            # another append half-copied only costs a blank line, which readers skip.)
            if await log.read(1) != b"\n":
                line = b"\n" + line
        view = memoryview(line)
        while view:
            written = await log.write(view)
            if not written:
                raise OSError(errno.EIO, "the run log accepted no bytes", str(target))
            view = view[written:]
    return target


def append_run_blocking(record: Mapping[str, Any], path: Path | None = None) -> Path:
    """`append_run` for callers without an event loop (the quick paths of the console script)."""
    target = path if path is not None else default_log_path()
    line = encode_run(record)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        end = os.lseek(fd, 0, os.SEEK_END)
        if end > 0:
            os.lseek(fd, end - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                line = b"\n" + line  # a run killed mid-write left a line without its newline
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            if not written:
                raise OSError(errno.EIO, "the run log accepted no bytes", str(target))
            view = view[written:]
    finally:
        os.close(fd)
    return target


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def read_runs(path: Path | None = None, limit: int | None = 10) -> list[dict[str, Any]]:
    """The newest `limit` records (all if None), oldest first; bad lines skipped, no file -> []."""
    target = path if path is not None else default_log_path()
    if limit is not None and limit <= 0:
        return []
    runs: list[dict[str, Any]] = []
    try:
        with target.open("rb") as log:
            position = log.seek(0, os.SEEK_END)
            tail = b""
            while position > 0 and (limit is None or len(runs) < limit):
                step = min(_CHUNK, position)
                position -= step
                log.seek(position)
                lines = (log.read(step) + tail).split(b"\n")
                # The first piece may be the end of a line that starts in an earlier chunk.
                tail = lines.pop(0) if position > 0 else b""
                runs.extend(run for run in map(_parse, reversed(lines)) if run is not None)
    except (FileNotFoundError, NotADirectoryError):
        return []
    runs.reverse()
    return runs if limit is None else runs[-limit:]
