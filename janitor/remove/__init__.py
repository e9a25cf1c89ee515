"""The deletion engine: parallel, bounded, crash-safe and hard-link-aware.

`execute` carries out a plan (`engine`); the batches themselves run in `_core`, in threads or in
worker processes (`procs`), as many at once as `tuner` finds pays; `ledger` decides which
hard-linked files were freed; `outcome` holds the values a removal reports.
May import janitor.errors, janitor.inventory, janitor.plan and janitor.layout.
"""

from __future__ import annotations

from janitor.remove._core import FIRST_BACKOFF, RETRIES, Ops, long_path
from janitor.remove.engine import Engine, TrashUnusable, execute
from janitor.remove.outcome import Failure, Outcome, Removal, Reporter
from janitor.remove.tuner import MAX_WORKERS, Tuner

__all__ = [
    "FIRST_BACKOFF",
    "MAX_WORKERS",
    "RETRIES",
    "Engine",
    "Failure",
    "Ops",
    "Outcome",
    "Removal",
    "Reporter",
    "TrashUnusable",
    "Tuner",
    "execute",
    "long_path",
]
