"""Horizontal bar charts as lines of text, for `janitor report`'s biggest packages and buckets.

Pure functions: rows in, strings out; the caller prints them. Imports janitor.units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from janitor.units import format_size

FULL_BLOCK = "█"
# Left-aligned eighths of a block, one to seven eighths.
PARTIAL_BLOCKS = "▏▎▍▌▋▊▉"


def bar(value: int, maximum: int, width: int, *, partial: bool = True) -> str:
    """A bar for `value` out of `maximum` in `width` columns; a non-zero value is never empty."""
    if value <= 0 or maximum <= 0:
        return ""
    steps = 8 if partial else 1
    # Integer arithmetic, rounded to the nearest step: no float drift at the full width.
    filled = min(width * steps, (value * width * steps * 2 + maximum) // (maximum * 2))
    filled = max(filled, 1)
    full, rest = divmod(filled, steps)
    return FULL_BLOCK * full + (PARTIAL_BLOCKS[rest - 1] if rest else "")


def bar_chart(
    rows: Sequence[tuple[str, int]],
    width: int = 40,
    *,
    unit: Callable[[int], str] = format_size,
    partial: bool = True,
) -> list[str]:
    """One line per row: the label padded, a bar scaled to the largest value, the value."""
    if width < 1:
        raise ValueError(f"a bar chart needs a width of at least 1, got {width}")
    if any(value < 0 for _, value in rows):
        raise ValueError("a bar chart cannot show negative values")
    if not rows:
        return []
    maximum = max(value for _, value in rows)
    label_width = max(len(label) for label, _ in rows)
    values = [unit(value) for _, value in rows]
    value_width = max(len(text) for text in values)
    return [
        f"{label:<{label_width}}  {bar(value, maximum, width, partial=partial):<{width}}  "
        f"{text:>{value_width}}"
        for (label, value), text in zip(rows, values, strict=True)
    ]
