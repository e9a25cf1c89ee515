"""Durations and sizes: what parses, what is refused, and uv's way of printing sizes."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from janitor.units import (
    format_duration,
    format_elapsed,
    format_size,
    parse_duration,
    parse_size,
)

DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", 30 * DAY),
        ("12h", datetime.timedelta(hours=12)),
        ("2w", 14 * DAY),
        ("90min", datetime.timedelta(minutes=90)),
        ("45s", datetime.timedelta(seconds=45)),
        ("1w2d", 9 * DAY),
        ("1d12h", datetime.timedelta(days=1, hours=12)),
        ("1w2d3h4min5s", datetime.timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("0s", datetime.timedelta(0)),
        (" 7d\n", 7 * DAY),
    ],
)
def test_parse_duration(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "  ", "30", "d", "30 d", "1.5d", "-1d", "30D", "2d1w", "1d1d", "30days", "1y", "1w 2d"],
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration") as caught:
        parse_duration(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "30d, 12h, 1w2d" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "count"), [("1m", "1"), ("30M", "30"), ("1d12m", "12"), ("2h5m3s", "5")]
)
def test_an_m_for_minutes_or_months_is_refused_with_a_hint(text: str, count: str) -> None:
    """`1m` was a minute; a user who meant a month would have had the whole cache planned away."""
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    letter = "M" if "M" in text else "m"
    assert str(caught.value) == (
        f"invalid duration {text!r}: {letter!r} could mean minutes or months; "
        f"write {count}min for minutes, or days for a month (30d)"
    )


def test_parse_duration_too_large() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_duration("999999999999w")


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (30 * DAY, "30d"),
        (14 * DAY, "2w"),
        (9 * DAY, "9d"),
        (datetime.timedelta(minutes=90), "1h30min"),
        (datetime.timedelta(days=1, seconds=5), "1d5s"),
        (datetime.timedelta(0), "0s"),
        (datetime.timedelta(seconds=1.9), "1s"),
        (-DAY, "-1d"),
    ],
)
def test_format_duration(duration: datetime.timedelta, expected: str) -> None:
    assert format_duration(duration) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_format_duration_round_trips(seconds: int) -> None:
    duration = datetime.timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (datetime.timedelta(minutes=2, seconds=5), "2m 05s"),
        (datetime.timedelta(seconds=1.25), "1.25s"),
        (datetime.timedelta(milliseconds=340), "340ms"),
        (datetime.timedelta(microseconds=50), "0.05ms"),
    ],
)
def test_format_elapsed_like_uv(duration: datetime.timedelta, expected: str) -> None:
    assert format_elapsed(duration) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4096", 4096),
        ("0", 0),
        ("512B", 512),
        ("10GiB", 10 * 1024**3),
        ("10gib", 10 * 1024**3),
        ("10 GiB", 10 * 1024**3),
        ("1KiB", 1024),
        ("3MiB", 3 * 1024**2),
        ("2TiB", 2 * 1024**4),
        ("500MB", 500 * 1000**2),
        ("500mb", 500 * 1000**2),
        ("1kB", 1000),
        ("1KB", 1000),
        ("2GB", 2 * 1000**3),
        ("1TB", 1000**4),
        ("1.5G", 1536 * 1024**2),
        ("1.5g", 1536 * 1024**2),
        ("4K", 4096),
        ("2M", 2 * 1024**2),
        (".5KiB", 512),
        ("1.1KiB", 1126),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "GiB", "-1GiB", "1.2.3G", "10XB", "1e3", "ten", "10 G iB"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size") as caught:
        parse_size(text)
    assert repr(text) in str(caught.value)
    assert "KiB" in str(caught.value)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0B"),
        (1, "1B"),
        (1023, "1023B"),
        (1024, "1.0KiB"),
        (120 * 1024, "120.0KiB"),
        (1_258_291, "1.2MiB"),
        (10 * 1024**3, "10.0GiB"),
        (3 * 1024**4, "3.0TiB"),
        (-2048, "-2.0KiB"),
    ],
)
def test_format_size_like_uv(size: int, expected: str) -> None:
    assert format_size(size) == expected


@given(st.integers(min_value=1024, max_value=2**60))
def test_format_size_reads_back_within_rounding(size: int) -> None:
    shown = format_size(size)
    assert abs(parse_size(shown) - size) <= size * 0.06
