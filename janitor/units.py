"""Durations and byte sizes as people type them and as janitor prints them.

Parsing: `parse_duration` ("30d", "1w2d", "90min") and `parse_size` ("10GiB", "500MB", "1.5G",
"4096"). A duration's `m` is refused: a user who types `1m` may mean a minute or a month.
Formatting follows uv: `format_size` is uv's `human_readable_bytes` ("1.2MiB", "512B") and
`format_elapsed` is uv's Cargo-style `elapsed` ("1.25s", "2m 05s"). Pure functions only; imports
nothing from janitor.
"""

from __future__ import annotations

import datetime
import re

_DURATION_UNITS: dict[str, int] = {"w": 7 * 86400, "d": 86400, "h": 3600, "min": 60, "s": 1}
# Patterns as text: `re` compiles each on first use and keeps it, so a run that parses no
# duration or size (most of the quick path) does not pay for compiling them at import.
_DURATION_PATTERN = r"(?P<count>[0-9]{1,15})(?P<unit>[a-zA-Z]+)"
DURATION_FORMS = (
    "a whole number followed by w (weeks), d (days), h (hours), min (minutes) or s (seconds), "
    "largest unit first: 30d, 12h, 1w2d, 90min"
)
# Minutes to some, months to others: refused with a hint rather than guessed.
_AMBIGUOUS_UNITS = ("m", "M")

# Binary units are powers of 1024, decimal units powers of 1000. A bare letter (K, M, G, T, P) is
# binary, as in `du -h`, `sort -S` and systemd, since that is what cache sizes on disk mean.
_PREFIXES = tuple(enumerate("kmgtpe", start=1))
_SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    **{letter: 1024**power for power, letter in _PREFIXES},
    **{f"{letter}ib": 1024**power for power, letter in _PREFIXES},
    **{f"{letter}b": 1000**power for power, letter in _PREFIXES},
}
_SIZE_PATTERN = r"(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>[a-zA-Z]*)"
SIZE_FORMS = (
    "a number of bytes or a number with a unit: KiB, MiB, GiB, TiB, PiB (1024), "
    "kB, MB, GB, TB, PB (1000), K, M, G, T, P (1024): 10GiB, 500MB, 1.5G"
)
# uv's units for `human_readable_bytes`.
_DISPLAY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def parse_duration(text: str) -> datetime.timedelta:
    """A duration such as `30d`, `12h`, `90min` or `1w2d`; raises ValueError naming the text."""
    stripped = text.strip()
    seconds = 0
    last_rank = -1
    position = 0
    ranks = list(_DURATION_UNITS)
    for match in re.finditer(_DURATION_PATTERN, stripped):
        unit = match["unit"]
        if match.start() != position:
            break
        if unit in _AMBIGUOUS_UNITS:
            raise ValueError(
                f"invalid duration {text!r}: {unit!r} could mean minutes or months; "
                f"write {match['count']}min for minutes, or days for a month (30d)"
            )
        if unit not in _DURATION_UNITS:
            break
        rank = ranks.index(unit)
        if rank <= last_rank:
            break
        last_rank = rank
        seconds += int(match["count"]) * _DURATION_UNITS[unit]
        position = match.end()
    if not stripped or position != len(stripped):
        raise ValueError(f"invalid duration {text!r}: expected {DURATION_FORMS}")
    try:
        return datetime.timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"invalid duration {text!r}: too large") from None


def format_duration(duration: datetime.timedelta) -> str:
    """The compact form `parse_duration` reads back, in whole seconds: `30d`, `2w`, `1h30min`."""
    seconds = int(duration.total_seconds())
    if seconds < 0:
        return "-" + format_duration(-duration)
    days, seconds = divmod(seconds, 86400)
    # Weeks only when they are exact: `30d` stays `30d` rather than becoming `4w2d`.
    parts = [f"{days // 7}w" if days % 7 == 0 else f"{days}d"] if days else []
    for unit in ("h", "min", "s"):
        count, seconds = divmod(seconds, _DURATION_UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def format_elapsed(duration: datetime.timedelta) -> str:
    """Wall time as uv prints it: `2m 05s`, `1.25s`, `340ms`, `0.05ms`."""
    micros = max(0, duration // datetime.timedelta(microseconds=1))
    secs, sub = divmod(micros, 1_000_000)
    if secs >= 60:
        return f"{secs // 60}m {secs % 60:02}s"
    if secs > 0:
        return f"{secs}.{sub // 10_000:02}s"
    if sub >= 1000:
        return f"{sub // 1000}ms"
    return f"0.{sub // 10:02}ms"


def parse_size(text: str) -> int:
    """Bytes in `10GiB`, `500MB`, `1.5G` or `4096` (unit case-insensitive, rounded down)."""
    match = re.fullmatch(_SIZE_PATTERN, text.strip())
    factor = _SIZE_UNITS.get(match["unit"].lower()) if match else None
    if match is None or factor is None:
        raise ValueError(f"invalid size {text!r}: expected {SIZE_FORMS}")
    from decimal import ROUND_FLOOR, Decimal, InvalidOperation  # only here: ~1 ms to import

    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"invalid size {text!r}: expected {SIZE_FORMS}") from None
    return int((number * factor).to_integral_value(rounding=ROUND_FLOOR))


def format_size(size: int) -> str:
    """A byte count as uv prints it: `512B`, `120.0KiB`, `1.2MiB`."""
    if size < 0:
        return "-" + format_size(-size)
    if size < 1024:
        return f"{size}B"
    index = min((size.bit_length() - 1) // 10, len(_DISPLAY_UNITS) - 1)
    return f"{size / 1024**index:.1f}{_DISPLAY_UNITS[index]}"
