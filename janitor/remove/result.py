"""What a deletion batch reports: its running counts, and the `Result` it hands back.

A result crosses the pipe from a worker process as a plain tuple. Standard library only.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

# The length prefix of each marshal frame on a worker's pipe, both ways.
HEADER = struct.Struct("<I")


class Result(NamedTuple):
    """A batch's result. It crosses a pipe from a worker process as a plain tuple (marshal
    takes no NamedTuple), and is named again on arrival (`Result._make`)."""

    entries: int  # directory entries handled, for tuning
    files: int  # what was removed; `disk` counts the files that had one link
    dirs: int
    bytes: int
    disk: int
    # (device, inode, links, allocated) of each removed file that had more links, for the
    # caller to decide which of them this run freed
    shared: list[tuple[int, int, int, int]]
    failures: list[tuple[str, str]]  # (path, message)
    # (path, parent, pending, failed) of directories still waiting for subdirectories, the
    # batch's own directory first (parent -1), parents as indexes into `waiting`
    waiting: list[tuple[str, int, int, bool]]
    more: list[tuple[str, int]]  # (path, parent) of subdirectories not yet started
    done: bool  # the batch's own directory is finished
    failed: bool  # ... with failures below it (so it was kept)


class Counts:
    """What a batch has done so far."""

    __slots__ = ("bytes", "dirs", "disk", "entries", "failures", "files", "shared")

    def __init__(self) -> None:
        self.entries = self.files = self.dirs = self.bytes = self.disk = 0
        self.shared: list[tuple[int, int, int, int]] = []
        self.failures: list[tuple[str, str]] = []

    def result(
        self,
        done: bool,
        failed: bool,
        waiting: list[tuple[str, int, int, bool]] | None = None,
        more: list[tuple[str, int]] | None = None,
    ) -> Result:
        """What the batch did, with what it leaves."""
        return Result(
            self.entries,
            self.files,
            self.dirs,
            self.bytes,
            self.disk,
            self.shared,
            self.failures,
            waiting or [],
            more or [],
            done,
            failed,
        )
