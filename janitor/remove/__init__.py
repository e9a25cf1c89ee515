"""The deletion engine: parallel, bounded, crash-safe and hard-link-aware.

`execute` carries out a plan (`engine`); the batches themselves run in `_core`, in threads or in
worker processes (`procs`), as many at once as `tuner` finds pays; `ledger` decides which
hard-linked files were freed; `outcome` holds the values a removal reports.
May import janitor.errors, janitor.inventory, janitor.plan and janitor.layout.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from janitor.remove._core import FIRST_BACKOFF, RETRIES, Ops, long_path
    from janitor.remove.engine import Engine, TrashUnusable, execute
    from janitor.remove.outcome import Failure, Outcome, Removal, Reporter
    from janitor.remove.tuner import MAX_WORKERS, Tuner

# Where each name lives: imported on first use, so that what needs only the outcome types
# (rendering) does not load the engine.
_HOMES = {
    "FIRST_BACKOFF": "_core",
    "RETRIES": "_core",
    "Ops": "_core",
    "long_path": "_core",
    "Engine": "engine",
    "TrashUnusable": "engine",
    "execute": "engine",
    "Failure": "outcome",
    "Outcome": "outcome",
    "Removal": "outcome",
    "Reporter": "outcome",
    "MAX_WORKERS": "tuner",
    "Tuner": "tuner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)


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
