"""What a removal reports: per-item outcomes that add up, failures, and the progress protocol.

Plain values: the engine builds them, the CLI renders them. May import janitor.inventory and
janitor.plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from janitor.inventory import Usage
from janitor.plan import Item


@dataclass(frozen=True)
class Failure:
    """A path that could not be removed, and why."""

    path: str
    error: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one plan item."""

    item: Item
    usage: Usage
    failures: tuple[Failure, ...] = ()
    skipped: str | None = None  # why the item was not attempted

    @property
    def ok(self) -> bool:
        """Removed completely."""
        return not self.failures and self.skipped is None


@dataclass(frozen=True)
class Removal:
    """The result of carrying out a plan; adds up."""

    outcomes: tuple[Outcome, ...] = ()
    notes: tuple[str, ...] = ()  # how the removal had to be carried out (said with -v)

    def __add__(self, other: Removal) -> Removal:
        return Removal(self.outcomes + other.outcomes, self.notes + other.notes)

    @property
    def total(self) -> Usage:
        """Everything removed."""
        total = Usage()
        for outcome in self.outcomes:
            total += outcome.usage
        return total

    @property
    def failures(self) -> list[Failure]:
        """Every path that could not be removed."""
        return [f for o in self.outcomes for f in o.failures] + [
            Failure(o.item.path, o.skipped) for o in self.outcomes if o.skipped
        ]


class Reporter(Protocol):
    """Progress of a removal, called from the event loop."""

    def on_start(self, trees: int) -> None:
        """The number of trees about to be deleted."""

    def on_progress(self, files: int, size: int) -> None:
        """More files (and their logical bytes) were removed."""

    def on_done(self, outcome: Outcome) -> None:
        """One plan item is finished."""
