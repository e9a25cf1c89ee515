"""Bar charts: bars proportional to the largest value, aligned columns, zeros and empty input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from janitor.chart import FULL_BLOCK, PARTIAL_BLOCKS, bar, bar_chart

GiB = 1024**3
MiB = 1024**2


def test_exact_chart() -> None:
    rows = [("torch", 4 * GiB), ("numpy", 1 * GiB), ("hatchling", 512 * MiB), ("empty", 0)]
    assert bar_chart(rows, width=8) == [
        "torch      ████████    4.0GiB",
        "numpy      ██          1.0GiB",
        "hatchling  █         512.0MiB",
        "empty                      0B",
    ]


def test_partial_blocks() -> None:
    assert bar(3, 16, 4) == "▊"  # 3/16 of 4 columns = 6 eighths
    assert bar(5, 8, 2) == "█▎"  # 10 eighths
    assert bar(5, 8, 2, partial=False) == "█"
    assert bar(1, 10**9, 40) == "▏"  # never invisible
    assert bar(1, 10**9, 40, partial=False) == "█"
    assert bar(0, 10, 40) == ""
    assert bar(10, 10, 40) == FULL_BLOCK * 40


def test_empty_and_all_zero() -> None:
    assert bar_chart([]) == []
    assert bar_chart([("a", 0), ("bb", 0)], width=3) == ["a        0B", "bb       0B"]


def test_custom_unit() -> None:
    lines = bar_chart([("wheels", 10), ("sdists", 5)], width=4, unit=lambda n: f"{n} files")
    assert lines == ["wheels  ████  10 files", "sdists  ██     5 files"]


def test_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="width"):
        bar_chart([("a", 1)], width=0)
    with pytest.raises(ValueError, match="negative"):
        bar_chart([("a", -1)])


@given(
    st.lists(
        st.tuples(st.text(alphabet="abcdefgh-_.", max_size=20), st.integers(0, 2**50)),
        min_size=1,
        max_size=20,
    ),
    st.integers(1, 80),
    st.booleans(),
)
def test_lines_align_and_bars_fit(rows: list[tuple[str, int]], width: int, partial: bool) -> None:
    lines = bar_chart(rows, width, partial=partial)
    assert len(lines) == len(rows)
    assert len({len(line) for line in lines}) == 1
    label_width = max(len(label) for label, _ in rows)
    biggest = max(value for _, value in rows)
    for line, (label, value) in zip(lines, rows, strict=True):
        assert line.startswith(label)
        drawn = line[label_width + 2 : label_width + 2 + width]
        blocks = drawn.rstrip(" ")
        assert set(blocks) <= {FULL_BLOCK, *PARTIAL_BLOCKS}
        assert (value > 0) == bool(blocks)
        if value == biggest and value > 0:
            assert blocks == FULL_BLOCK * width
        assert line == line.rstrip()
