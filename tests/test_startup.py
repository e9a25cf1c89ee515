"""The quick paths of the console script import nothing heavy: `janitor --version`, `janitor dir`
and a sweep of an empty cache start in about the time Python does."""

from __future__ import annotations

import json
import marshal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from janitor.cli.options import DIR, DOCTOR, REPORT, SWEEP, WHY, Command, parse
from janitor.remove import worker
from janitor.uv.layout import LOCK_FILE

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
    "typing",
    "janitor.cli.commands",
    "janitor.uv.scan",
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


def test_a_deletion_worker_loads_the_standard_library_and_the_deleter_alone(tmp_path: Path) -> None:
    """The worker script as the engine starts it (isolated, no site) answers a batch, and
    imports nothing outside the standard library but the deleter and its calls."""
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "file").write_bytes(b"x")
    request = marshal.dumps(([("batch", str(tmp_path / "tree"), True)], 100, 1.0))
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-X", "importtime", str(Path(worker.__file__)), str(tmp_path)],
        input=len(request).to_bytes(4, "little") + request,
        capture_output=True,
        check=True,
    )
    [result] = marshal.loads(done.stdout[4:])
    assert result[1:3] == (1, 2)  # a file and two directories
    assert not (tmp_path / "tree").exists()
    loaded = [
        line.rpartition("|")[2].strip()
        for line in done.stderr.decode().splitlines()
        if line.startswith("import time:") and not line.endswith("package")
    ]
    outside = {name for name in loaded if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside == {
        "janitor",
        "janitor.remove",
        "janitor.remove.deleter",
        "janitor.remove.fsops",
        "janitor.remove.result",
    }


@pytest.mark.parametrize("declared", [SWEEP, DIR, REPORT, DOCTOR, WHY], ids=lambda c: c.name)
def test_the_typer_commands_are_built_from_the_declarations(declared: Command) -> None:
    """Each command's options, as typer has them, are the ones janitor.cli.options declares."""
    import typing
    from pathlib import Path as PathType

    from typer.main import get_command

    from janitor.cli.commands import app

    kinds = {bool: "flag", int: "int", float: "float", str: "text", PathType: "path"}
    command = get_command(app).commands[declared.name]  # type: ignore[attr-defined]
    arguments = [param for param in command.params if not param.opts[0].startswith("-")]
    assert [(param.name, param.metavar, param.required) for param in arguments] == (
        []
        if declared.argument is None
        else [
            (
                declared.argument.param,
                declared.argument.metavar,
                declared.argument.default is None,
            )
        ]
    )
    found: list[tuple[object, ...]] = []
    for param in command.params:
        if param in arguments:
            continue
        annotation = param.type_descriptor.annotation
        if typing.get_origin(annotation) is list:
            (annotation,) = typing.get_args(annotation)
        opts = (*param.opts, *param.secondary_opts)
        found.append((param.name, opts, kinds[annotation], param.help, param.metavar))
        found.append((param.multiple, param.min, param.max))
    assert found == [
        field
        for option in declared.options
        for field in (
            (option.param, option.flags, option.kind, option.help, option.metavar),
            (option.repeat, option.low, option.high),
        )
    ]


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

    command = get_command(app).commands["sweep"]  # type: ignore[attr-defined]
    by_typer = command.make_context("sweep", list(args)).params
    by_entry = parse(SWEEP, args)
    assert by_entry is not None
    given = {name: value for name, value in by_typer.items() if name in by_entry}
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in given.items()} == by_entry
    # What the quick parser leaves out, typer has at its default.
    defaults: tuple[object, ...] = (None, False, ())
    left = set(by_typer) - set(by_entry)
    assert all(by_typer[name] in (*defaults, "uv" if name == "cache" else None) for name in left)


# The long s and the Kelvin sign: letters that match [A-Z] when case is ignored, unless ASCII only.
@example("\u017f")
@example("\u212a")
@given(st.text(alphabet=st.sampled_from("aZ09._- /é+\u017f\u212a"), max_size=8))
def test_the_quick_path_checks_and_normalises_names_as_packaging_and_uv_do(name: str) -> None:
    """`--package`/`--keep` names (and the config file's) are checked without importing packaging
    and normalised without janitor.uv.layout (janitor.uv.names owns both), as they do."""
    from packaging.utils import InvalidName, canonicalize_name

    from janitor.cli import sweep_options
    from janitor.errors import UsageError
    from janitor.uv import layout as uv

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
