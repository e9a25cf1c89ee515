"""`janitor report` on a genuine cache: packages ranked by what they take in the cache (a package
hard-linked into a venv outside it takes space but frees none), buckets only in the bucket table,
the recent runs in `--json`, and a cached environment described in one line everywhere."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.inventory import describe_packages
from janitor.uv.layout import MARKERS, Kind
from tests.uvfactory import PYTHON, UV_BIN, UV_BUCKETS, UvCache, make_wheel, run_uv

runner = CliRunner()

SMALL = [f"small{index:02d}" for index in range(10)]
# What the tool `zebra` requires: its cached environment holds it and these.
ZEBRA_REQUIRES = SMALL[:5]


@dataclass(frozen=True)
class HeavyCache:
    """A cache where the biggest package is hard-linked into a venv outside it, ten small ones
    were installed by copy (their archives are theirs alone), and a tool ran."""

    root: Path
    heavy_venv: Path
    heavy_archive: Path
    zebra_environment: str  # `environments-vN/<hash>` of the tool `zebra`
    zebra_archive: str  # the id of its venv's archive


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> HeavyCache:
    work = tmp_path_factory.mktemp("heavy")
    root, links = work / "cache", work / "find-links"
    make_wheel(links, "heavy", "1.0", files={"heavy/data.txt": "0123456789abcdef\n" * 131072})
    for name in SMALL:
        make_wheel(links, name, "1.0")
    make_wheel(
        links,
        "zebra",
        "1.0",
        requires=ZEBRA_REQUIRES,
        console_scripts={"zebra": "zebra:main"},
        init_text="def main() -> None:\n    print('zebra ran')\n",
    )
    heavy_venv, small_venv = work / "venv-heavy", work / "venv-small"
    for venv in (heavy_venv, small_venv):
        run_uv("venv", "--python", PYTHON, venv, cache_dir=root)
    install = ("pip", "install", "--no-index", "--find-links", links)
    run_uv(*install, "--python", heavy_venv, "--link-mode", "hardlink", "heavy", cache_dir=root)
    run_uv(*install, "--python", small_venv, "--link-mode", "copy", *SMALL, cache_dir=root)
    ran = run_uv(
        *("tool", "run", "--python", PYTHON, "--no-index", "--find-links", links),
        *("--from", "zebra", "zebra"),
        cache_dir=root,
    )
    assert "zebra ran" in ran.stdout, ran
    archives = root / UV_BUCKETS[Kind.ARCHIVE]
    heavy_archive = next(a for a in archives.iterdir() if (a / "heavy-1.0.dist-info").is_dir())
    data = heavy_archive / "heavy" / "data.txt"
    assert data.stat().st_nlink == 2, "uv did not hard-link heavy into its venv"
    [environment] = (root / UV_BUCKETS[Kind.ENVIRONMENTS]).iterdir()
    [link] = [p for p in environment.iterdir() if p.is_symlink()]
    return HeavyCache(
        root,
        heavy_venv,
        heavy_archive,
        environment.relative_to(root).as_posix(),
        Path(os.readlink(link)).name,
    )


def report(root: Path, *args: str) -> str:
    result = runner.invoke(app, ["report", "--cache-dir", str(root), "--uv", str(UV_BIN), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def section(text: str, title: str) -> list[str]:
    """The lines of a report's section, from its title to the next blank line."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def occupied(trees: Iterable[Path]) -> int:
    """Allocated blocks of the files in `trees`, each inode once (directories not counted)."""
    seen: dict[tuple[int, int], int] = {}
    for tree in trees:
        for dirpath, dirnames, filenames in os.walk(tree):
            for name in [*filenames, *dirnames]:
                st = os.lstat(os.path.join(dirpath, name))
                if not stat.S_ISDIR(st.st_mode):
                    seen[(st.st_dev, st.st_ino)] = st.st_blocks * 512
    return sum(seen.values())


def test_biggest_packages_rank_by_what_they_take_in_the_cache(heavy: HeavyCache) -> None:
    """heavy frees almost nothing (its files are hard-linked into a venv) but is the biggest
    package in the cache, so it leads the chart, with what it takes there."""
    document = json.loads(report(heavy.root, "--json"))
    rows = {row["name"]: row for row in document["packages"]}
    [entry] = (heavy.root / UV_BUCKETS[Kind.WHEELS]).glob("*/*/heavy")
    assert rows["heavy"]["size_bytes"] == occupied([heavy.heavy_archive, entry]) > 2_000_000
    assert rows["heavy"]["frees_bytes"] < 100_000
    assert document["packages"][0]["name"] == "heavy"
    chart = section(report(heavy.root), "Biggest packages:")
    assert len(chart) == 10
    assert chart[0].split()[0] == "heavy", chart
    assert chart[0].split()[1] == "█" * 40, chart
    assert chart[0].endswith(" 2.1MiB"), chart


def test_the_bucket_table_lists_buckets_only(heavy: HeavyCache) -> None:
    table = section(report(heavy.root), "Buckets:")
    assert table[0].split() == ["bucket", "on", "disk", "status"]
    listed = {line.split()[0] for line in table[1:]}
    on_disk = set(os.listdir(heavy.root))
    assert on_disk & set(MARKERS) == {".lock", ".gitignore", "CACHEDIR.TAG"}
    assert listed == on_disk - set(MARKERS), table
    assert all(line.split()[-1] == "current" for line in table[1:]), table
    buckets = json.loads(report(heavy.root, "--json"))["buckets"]
    assert set(buckets) == listed
    assert buckets[UV_BUCKETS[Kind.ARCHIVE]]["size_bytes"] > 2_000_000


def test_report_json_includes_the_runs_the_text_shows(uv_cache: UvCache) -> None:
    swept = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root), "--keep-versions", "1"])
    assert swept.exit_code == 0, swept.output
    text = report(uv_cache.root)
    [run_line] = section(text, "Last sweeps:")
    assert "keep_versions=1" in run_line
    runs: list[dict[str, Any]] = json.loads(report(uv_cache.root, "--json"))["runs"]
    [run] = runs
    assert run["cache_dir"] == str(uv_cache.root)
    assert run["policy"]["keep_versions"] == 1
    assert run["exit_code"] == 0
    assert f"{run['totals']['files']:,} files" in run_line


def test_a_cached_environment_is_one_line_in_sweep_report_and_why(heavy: HeavyCache) -> None:
    """The environment of `uv tool run --from zebra zebra` holds zebra and the five packages it
    requires: it reads `zebra 1.0 and 5 more` (what was asked for first, not small00)."""
    described = "zebra 1.0 and 5 more"
    cache = ["--cache-dir", str(heavy.root), "--uv", str(UV_BIN)]
    swept = runner.invoke(app, ["sweep", "--dry-run", "-v", *cache])
    assert swept.exit_code == 0, swept.output
    output = swept.stdout + swept.stderr
    assert (
        f"Would remove environment with {described} ({heavy.zebra_environment}): "
        "cached environment" in output
    ), output
    archive = f"{UV_BUCKETS[Kind.ARCHIVE]}/{heavy.zebra_archive}"
    assert f"Would remove archive of an environment with {described} ({archive}):" in output
    assert f"  {heavy.zebra_environment}: {described}" in section(
        report(heavy.root), "Cached environments (1):"
    )
    document = json.loads(report(heavy.root, "--json"))
    assert document["environments"] == [{"path": heavy.zebra_environment, "packages": described}]
    why = runner.invoke(app, ["why", heavy.zebra_archive, *cache])
    assert why.exit_code == 0, why.output
    assert why.stdout.splitlines()[0] == f"{archive} (environment with {described})"


@pytest.mark.parametrize(
    ("packages", "roots", "line"),
    [
        ([("beta", "1.0"), ("delta", "1.0")], ["delta"], "delta 1.0 and 1 more"),
        ([("delta", "1.0")], ["delta"], "delta 1.0"),
        # Asked for together (`uvx --with b a`): both named.
        ([("a", "1"), ("b", "2"), ("c", "3")], ["a", "b"], "a 1, b 2 and 1 more"),
        # Every package a root (no METADATA could be read): three named, the rest counted.
        (
            [(f"p{n}", "1") for n in range(48)],
            [f"p{n}" for n in range(48)],
            "p0 1, p1 1, p10 1 and 45 more",
        ),
        # No root (requirements in a cycle): the first by name.
        ([("x", "1"), ("y", "2")], [], "x 1 and 1 more"),
        ([], [], "no packages"),
    ],
)
def test_an_environment_is_described_in_one_line(
    packages: list[tuple[str, str]], roots: list[str], line: str
) -> None:
    assert describe_packages(packages, roots) == line
