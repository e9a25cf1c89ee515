"""The maintainer's tool that writes the table of uv releases (tools/uv_releases.py), offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from janitor.uv import releases, releases_table
from tools import uv_releases


def test_table_is_what_the_generator_writes() -> None:
    text = Path(releases_table.__file__).read_text(encoding="utf-8")
    assert uv_releases.render(releases.RELEASES, releases.SKIPPED) == text


def test_rendered_table_reads_back() -> None:
    long = tuple(f"kind{n}-v{n}" for n in range(30))  # wrapped over several lines
    table = [
        ("0.1.0", ("archive-v0", "wheels-v0")),
        ("0.1.1", ("archive-v0", "wheels-v0")),
        ("0.2.0", long),
        ("0.10.0", ("archive-v0", "wheels-v1")),
    ]
    skipped = [("0.1.2a1", "not a plain X.Y.Z release"), ("0.11.0", "newer than --to 0.10.0")]
    text = uv_releases.render(table, skipped)
    assert text.startswith(
        '"""The cache bucket names of every uv release from 0.1.0 to 0.10.0 (4 releases).\n'
    )
    assert max(len(line) for line in text.splitlines()) <= 100
    namespace: dict[str, object] = {}
    exec(compile(text, "releases_table.py", "exec"), namespace)
    assert namespace["RUNS"] == releases.runs_of(table)
    assert len(releases.runs_of(table)) == 3
    assert releases.expand(releases.runs_of(table)) == tuple(table)
    assert namespace["SKIPPED"] == tuple(skipped)


def test_select_orders_numerically_and_says_what_it_skips() -> None:
    listed = ["0.13.9", "0.10.0", "0.9.30", "0.2.0a1", "0.2.0", "0.1.0"]
    wanted, skipped = uv_releases.select(listed, "0.2.0", "0.10.0")
    assert wanted == ["0.2.0", "0.9.30", "0.10.0"]
    assert skipped == [
        ("0.2.0a1", "not a plain X.Y.Z release"),
        ("0.1.0", "older than --from 0.2.0"),
        ("0.13.9", "newer than --to 0.10.0"),
    ]
    assert uv_releases.select(listed, "0.0.0", None)[0][-1] == "0.13.9"


def test_a_bad_version_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        uv_releases.main(["--from", "0.1"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m tools.uv_releases: error: argument --from: not a plain X.Y.Z version: '0.1'"
    )


def test_a_range_keeps_the_releases_outside_it_as_the_table_has_them() -> None:
    """`--from 0.13.10` reads only the new release: the table's older rows are kept, and are no
    longer listed as skipped; a release read anew replaces its row."""
    current = [("0.1.0", ("archive-v0", "wheels-v0")), ("0.2.0", ("archive-v0", "wheels-v1"))]
    read = [("0.2.0", ("archive-v0", "wheels-v2")), ("0.10.0", ("archive-v0", "wheels-v3"))]
    skipped = [
        ("0.1.0", "older than --from 0.2.0"),
        ("0.1.1", "older than --from 0.2.0"),
        ("0.2.0a1", "not a plain X.Y.Z release"),
    ]
    table, still = uv_releases.merge(read, skipped, current)
    assert table == [
        ("0.1.0", ("archive-v0", "wheels-v0")),
        ("0.2.0", ("archive-v0", "wheels-v2")),
        ("0.10.0", ("archive-v0", "wheels-v3")),
    ]
    assert still == skipped[1:]
    # The whole table read again gives the table itself.
    assert uv_releases.merge(list(releases.RELEASES), [], releases.RELEASES) == (
        list(releases.RELEASES),
        [],
    )
