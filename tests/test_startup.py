"""The quick paths of the console script import nothing heavy: `janitor --version`, `janitor dir`
and a sweep of an empty cache start in about the time Python does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from janitor.layout.uv import LOCK_FILE

# Modules only the full command line, the scan or the engine need.
HEAVY = (
    "typer",
    "rich",
    "anyio",
    "asyncio",
    "aiofiles",
    "msgpack",
    "packaging",
    "dataclasses",
    "janitor.cli.commands",
    "janitor.scan",
    "janitor.remove",
    "janitor.plan",
    "janitor.sweep",
)

_PROBE = """
import json, sys
from janitor.entry import quick
code = quick(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {0} or m in {0})
print(json.dumps([code, loaded]), file=sys.stderr)
"""


def imported(*args: str) -> tuple[int | None, list[str]]:
    """The exit code `quick` gives a command line, and the heavy modules it imported."""
    probe = _PROBE.format(repr(set(HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
    )
    code, loaded = json.loads(done.stderr.strip().splitlines()[-1])
    return code, loaded


def test_version_imports_nothing_heavy() -> None:
    assert imported("--version") == (0, [])


def test_dir_imports_nothing_heavy(tmp_path: Path) -> None:
    assert imported("dir", "--cache-dir", str(tmp_path)) == (0, [])
    assert imported("dir") == (0, [])  # asks the uv found for `uv cache dir`


@pytest.mark.parametrize(
    "flags", [["-q"], [], ["--dry-run"], ["-v", "--force"], ["-n", "-p", "Hatch", "--keep", "x"]]
)
def test_a_sweep_of_an_empty_cache_imports_nothing_heavy(tmp_path: Path, flags: list[str]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / LOCK_FILE).touch()  # what `uv cache clean` leaves
    assert imported("sweep", *flags, "--cache-dir", str(cache)) == (0, [])


def test_a_sweep_without_a_cache_imports_nothing_heavy() -> None:
    assert imported("sweep", "-q") == (0, [])


def test_anything_else_goes_to_the_full_command_line(tmp_path: Path) -> None:
    assert imported("sweep", "--help")[0] is None
    assert imported("sweep", "-qv", "--cache-dir", str(tmp_path))[0] is None
    assert imported("sweep", "--workers", "0", "--cache-dir", str(tmp_path))[0] is None
    assert imported("sweep", "--bogus")[0] is None
    assert imported("report")[0] is None


def test_a_sweep_with_work_does_not_import_typer(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "wheels-v1").mkdir(parents=True)
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    code, loaded = imported("sweep", "-q", "--json", "--cache-dir", str(cache))
    assert code == 0
    assert "typer" not in loaded and "janitor.cli.commands" not in loaded, loaded
    assert not (cache / "wheels-v1").exists()


def test_the_quick_parser_knows_the_sweep_command_s_options() -> None:
    """Every option of `janitor sweep`, as typer declares it, is parsed alike by janitor.entry."""
    import typing
    from pathlib import Path as PathType

    from typer.main import get_command

    from janitor.cli.commands import app
    from janitor.entry import SWEEP_OPTIONS

    kinds = {bool: "flag", int: "int", float: "float", str: "text", PathType: "path"}
    command = get_command(app).commands["sweep"]  # type: ignore[attr-defined]
    declared = {}
    arguments = [param.name for param in command.params if not param.opts[0].startswith("-")]
    assert arguments == ["cache"]  # `uv`, `hf` or `all`: the quick parser takes these words too
    for param in command.params:
        if param.name in arguments:
            continue
        annotation = param.type_descriptor.annotation
        if typing.get_origin(annotation) is list:
            (annotation,) = typing.get_args(annotation)
        kind = kinds[annotation] + ("+" if param.multiple else "")
        for name in (*param.opts, *param.secondary_opts):
            declared[name] = (param.name, kind, (param.min, param.max))
    assert declared == SWEEP_OPTIONS


@pytest.mark.parametrize(
    "args",
    [
        ["--package", "Hatch", "-p", "black", "--uv", "/u", "--uv=/v", "-n", "--json"],
        ["--older-than", "30d", "--keep-versions", "3", "--max-size=10GiB", "--min-free", "1G"],
        ["--keep", "a", "--keep", "b", "--wait", "2.5", "--workers", "8", "--processes", "0"],
        ["--cache-dir", "/c", "--config", "/cfg.toml", "--force", "--ci", "-v"],
        ["-q"],
        ["hf", "-p", "org/name@main", "-n"],
        ["--json", "all", "--max-size", "1G"],
    ],
)
def test_the_quick_parser_reads_options_as_typer_does(args: list[str]) -> None:
    from typer.main import get_command

    from janitor.cli.commands import app
    from janitor.cli.sweep_options import CACHES
    from janitor.entry import SWEEP_OPTIONS, parse

    command = get_command(app).commands["sweep"]  # type: ignore[attr-defined]
    by_typer = command.make_context("sweep", list(args)).params
    by_entry = parse(args, SWEEP_OPTIONS, words=("cache", CACHES))
    assert by_entry is not None
    given = {name: value for name, value in by_typer.items() if name in by_entry}
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in given.items()} == by_entry
    # What the quick parser leaves out, typer has at its default.
    defaults: tuple[object, ...] = (None, False, ())
    left = set(by_typer) - set(by_entry)
    assert all(by_typer[name] in (*defaults, "uv" if name == "cache" else None) for name in left)


def test_the_quick_paths_copies_of_the_vocabulary_agree_with_it() -> None:
    """janitor.cli.sweep_options spells out what it needs rather than import the modules that own it
    (which cost start-up time); the copies must stay the same."""
    from janitor import config
    from janitor.cli import sweep_options

    assert sweep_options.default_config() == str(config.default_config_path())
    import dataclasses

    fields = {field.name for field in dataclasses.fields(config.SweepDefaults)}
    assert fields == {name for name in vars(sweep_options._NoDefaults) if not name.startswith("_")}


@given(st.text(alphabet=st.sampled_from("aZ09._- /é+"), max_size=8))
def test_the_quick_path_checks_and_normalises_names_as_packaging_and_uv_do(name: str) -> None:
    """janitor.cli.sweep_options checks `--package`/`--keep` names without importing packaging (the
    config file's names go through it) and normalises them without janitor.layout.uv."""
    from packaging.utils import InvalidName, canonicalize_name

    from janitor.cli import sweep_options
    from janitor.errors import UsageError
    from janitor.layout import uv

    try:
        expected: tuple[str, ...] | None = (canonicalize_name(name, validate=True),)
    except InvalidName:
        expected = None
    try:
        got: tuple[str, ...] | None = sweep_options.normalised([name], "--package")
    except UsageError:
        got = None
    assert got == expected
    if got is not None:
        assert got == (uv.normalize(name),)
