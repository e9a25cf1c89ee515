"""Every exit code with its message, the JSON document, and where output goes."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.cli.options import SWEEP, parse
from janitor.errors import EXIT_PARTIAL, EXIT_REFUSED, EXIT_USAGE
from janitor.units import format_size
from janitor.uv.layout import CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE, Kind
from tests.clirun import console
from tests.test_schedule import Fakes
from tests.uvfactory import (
    PYTHON,
    UV_BIN,
    UvCache,
    copy_cache,
    make_wheel,
    run_uv,
    snapshot,
)

runner = CliRunner()
Outcome = tuple[int, str, str]


def both_ways(*args: str) -> list[Outcome]:
    """(exit code, stdout, stderr) of a sweep through the typer app and through the console
    script, whose quick path parses it without typer; the two must agree."""
    assert args[0] == "sweep" and parse(SWEEP, args[1:]) is not None, "not a quick path"
    typed = runner.invoke(app, list(args))
    quick = console(*args)
    return [
        (typed.exit_code, typed.stdout, typed.stderr),
        (quick.returncode, quick.stdout, quick.stderr),
    ]


def make_fake_cache(path: Path, *, tag: bool = True, bucket: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if tag:
        (path / CACHEDIR_TAG).write_text(CACHEDIR_TAG_SIGNATURE + "\n")
    if bucket:
        (path / "sdists-v11").mkdir()
    (path / "precious.txt").write_text("mine\n")
    return path


def test_sweep_summary_goes_to_stderr_and_names_packages(uv_cache: UvCache) -> None:
    result = runner.invoke(app, ["sweep", "-v", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Removed archive epsilon 1.0" in result.stderr
    assert "Removed environment with delta 1.0 and 1 more" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Removed ") and "files (" in last and "freed on disk" in last


def test_second_sweep_finds_nothing(uv_cache: UvCache) -> None:
    runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    result = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == "No unused entries found"


def test_json_document(uv_cache: UvCache) -> None:
    result = runner.invoke(
        app, ["sweep", "--json", "--package", "alpha", "--cache-dir", str(uv_cache.root)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["cache_dir"] == str(uv_cache.root)
    assert document["dry_run"] is False
    assert document["errors"] == []
    archives = [r for r in document["removals"] if r["kind"] == "archive"]
    assert {(r["package"], r["version"]) for r in archives} == {("alpha", "1.0"), ("alpha", "2.0")}
    for removal in document["removals"]:
        assert set(removal) >= {"path", "kind", "package", "version", "reason", "bytes", "files"}
    assert document["totals"]["files"] == sum(r["files"] for r in document["removals"])
    assert document["totals"]["bytes"] == sum(r["bytes"] for r in document["removals"])


def test_quiet_prints_nothing(uv_cache: UvCache) -> None:
    result = runner.invoke(app, ["sweep", "-q", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sweep", "--cache-dir", str(tmp_path / "nope")])
    assert result.exit_code == EXIT_REFUSED
    assert result.stderr.strip().splitlines() == [
        f"error: No uv cache at {tmp_path / 'nope'} (--cache-dir): the directory does not exist"
    ]


def test_uv_cache_dir_variable_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "from-env"))
    result = runner.invoke(app, ["sweep"])
    assert result.exit_code == EXIT_REFUSED
    assert "(UV_CACHE_DIR)" in result.stderr


@pytest.mark.parametrize(
    ("tag", "bucket", "message"),
    [
        (False, True, "has no CACHEDIR.TAG with uv's signature"),
        (True, False, "has a CACHEDIR.TAG but no uv bucket"),
    ],
)
def test_not_a_uv_cache_is_refused(tmp_path: Path, tag: bool, bucket: bool, message: str) -> None:
    fake = make_fake_cache(tmp_path / "c", tag=tag, bucket=bucket)
    before = snapshot(fake)
    result = runner.invoke(app, ["sweep", "--cache-dir", str(fake)])
    assert result.exit_code == EXIT_REFUSED
    assert message in result.stderr
    assert snapshot(fake) == before


def test_a_file_is_not_a_cache(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = runner.invoke(app, ["sweep", "--cache-dir", str(tmp_path / "f")])
    assert result.exit_code == EXIT_REFUSED
    assert "is not a directory" in result.stderr


def test_home_directory_is_refused_even_if_it_looks_like_a_cache() -> None:
    home = Path(os.environ["HOME"])
    make_fake_cache(home)
    result = runner.invoke(app, ["sweep", "--cache-dir", str(home)])
    assert result.exit_code == EXIT_REFUSED
    assert "home directory" in result.stderr
    assert (home / "precious.txt").exists()


def test_root_is_refused() -> None:
    result = runner.invoke(app, ["sweep", "--cache-dir", "/"])
    assert result.exit_code == EXIT_REFUSED


@pytest.mark.parametrize(
    "args",
    [["sweep", "--verbose", "--quiet"], ["sweep", "--no-such-flag"], ["sweep", "--wait", "-1"]],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, [*args, "--cache-dir", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE, result.output


def test_default_location_without_a_cache_is_nothing_to_do() -> None:
    result = runner.invoke(app, ["sweep"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("No cache found at: ")


def test_dir_prints_the_location_uv_would_use(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dir"])
    assert result.exit_code == 0
    assert result.stdout.strip() == str(Path(os.environ["XDG_CACHE_HOME"]) / "uv")
    result = runner.invoke(app, ["dir", "--cache-dir", str(tmp_path)])
    assert result.stdout.strip() == str(tmp_path)


@pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0 or shutil.which("chattr") is None,
    reason="an immutable file needs chattr +i: root on Linux (CI runs this as root)",
)
def test_a_path_that_cannot_be_removed_is_listed_and_exits_1(uv_cache: UvCache) -> None:
    stuck = uv_cache.root / sorted(uv_cache.stale_paths)[0] / "immutable"
    stuck.write_text("x")
    subprocess.run(["chattr", "+i", str(stuck)], check=True)
    try:
        result = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    finally:
        for path in uv_cache.root.rglob("immutable"):
            subprocess.run(["chattr", "-i", str(path)], check=True)
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert "Failed to remove" in result.stderr and "immutable" in result.stderr
    # Everything else went.
    archive = uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]
    assert not (archive / uv_cache.env_archive).exists()
    # The stuck tree stays in the trash, and the next run finishes it.
    rerun = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    assert rerun.exit_code == 0, rerun.output
    assert "leftover" in rerun.stderr
    assert not list(uv_cache.root.rglob("immutable"))
    assert not (uv_cache.root / ".janitor-trash").exists()


def test_why_names_referrers(uv_cache: UvCache) -> None:
    beta = next(i for i, (n, _) in uv_cache.archives.items() if n == "beta")
    # An id may start with `-`: after `--` it is no option.
    result = runner.invoke(app, ["why", "--cache-dir", str(uv_cache.root), "--", beta])
    assert result.exit_code == 0, result.output
    assert "beta 1.0: symlink" in result.stdout
    unknown = runner.invoke(app, ["why", "nope", "--cache-dir", str(uv_cache.root)])
    assert unknown.exit_code == EXIT_USAGE
    assert unknown.stderr.startswith("error: No archive nope")


def test_report_json(uv_cache: UvCache) -> None:
    result = runner.invoke(app, ["report", "--json", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    versions = {p["name"]: p["versions"] for p in document["packages"]}
    assert versions["alpha"] == ["1.0", "2.0"]
    assert versions["gamma"] == ["1.0"]
    assert document["environments"][0]["packages"] == "delta 1.0 and 1 more"
    assert document["frees"]["prune"]["files"] > 0
    assert 0 < document["frees"]["prune"]["disk_bytes"] <= document["frees"]["everything"]
    assert document["frees"]["everything"] <= document["size_bytes"]


def test_python_dash_m_and_console_script_run(uv_cache: UvCache) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "janitor", "sweep", "--dry-run", "--cache-dir", str(uv_cache.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Would remove")
    assert result.stderr.startswith("Would remove")


@pytest.fixture
def scheduler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """Stand-in scheduler programs on PATH (with the tests' uv), and no user systemd: cron."""
    fakes = Fakes(tmp_path, monkeypatch)
    fakes.remove("systemctl")
    monkeypatch.setenv("PATH", os.pathsep.join([str(fakes.bin), str(UV_BIN.parent)]))
    return fakes


def test_schedule_install_dry_run_names_the_sweep_and_cache(scheduler: Fakes) -> None:
    result = runner.invoke(
        app, ["schedule", "install", "--every", "weekly", "--dry-run", "--", "--older-than", "30d"]
    )
    assert result.exit_code == 0, result.output
    # The cache and the uv found now are fixed in the command: a timer sees neither PATH nor
    # UV_CACHE_DIR.
    assert f"sweep --wait 0 --quiet --older-than 30d --uv {UV_BIN} --cache-dir" in result.stdout
    assert str(Path(os.environ["XDG_CACHE_HOME"]) / "uv") in result.stdout


def test_schedule_install_names_the_hub_cache_for_a_sweep_of_it(
    scheduler: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HOME", "/srv/hf")
    result = runner.invoke(
        app, ["schedule", "install", "--dry-run", "--", "hf", "--max-size", "9G"]
    )
    assert result.exit_code == 0, result.output
    assert "sweep --wait 0 --quiet hf --max-size 9G --cache-dir /srv/hf/hub" in result.stdout
    assert "--uv" not in result.stdout


@pytest.mark.parametrize("form", [["--cache-dir=/x"], ["--cache-dir", "/x"]])
def test_schedule_install_keeps_the_cache_named_in_either_form(
    scheduler: Fakes, form: list[str]
) -> None:
    result = runner.invoke(app, ["schedule", "install", "--dry-run", "--", *form])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("--cache-dir") == 1, result.stdout
    assert "/x" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-then", "30d"], "No such option: --older-then"),
        (["--older-than", "30 days"], "invalid duration '30 days'"),
        (["--max-size", "lots"], "invalid size 'lots'"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_schedule_install_checks_the_sweep_options_now(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["schedule", "install", "--dry-run", "--", *args])
    assert result.exit_code == EXIT_USAGE, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line, line


def test_unreadable_and_read_only_trees_are_removed(uv_cache: UvCache) -> None:
    """Permission bits a cache can end up with do not stop a sweep (root or not)."""
    stale = uv_cache.root / "wheels-v5"
    locked = stale / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner" / "file").write_text("x")
    (locked / "inner").chmod(0)
    read_only = stale / "read-only"
    read_only.mkdir()
    (read_only / "file").write_text("x")
    (read_only / "file").chmod(0o444)
    read_only.chmod(0o555)
    try:
        result = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    finally:
        for path in (locked / "inner", read_only):
            if path.exists():
                path.chmod(0o755)
    assert result.exit_code == 0, result.output
    assert not stale.exists()


@pytest.mark.parametrize("what", ["file", "link to a directory", "dangling link"])
def test_a_trash_name_taken_by_something_else_is_a_one_line_refusal(
    uv_cache: UvCache, tmp_path: Path, what: str
) -> None:
    trash = uv_cache.root / ".janitor-trash"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the cache's\n")
    if what == "file":
        trash.write_text("x")
    elif what == "link to a directory":
        trash.symlink_to(elsewhere, target_is_directory=True)
    else:
        trash.symlink_to(tmp_path / "nowhere")
    before = snapshot(uv_cache.root)
    result = runner.invoke(app, ["sweep", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == EXIT_REFUSED, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Cannot use ") and ".janitor-trash" in line, line
    assert "Traceback" not in result.output
    assert snapshot(uv_cache.root) == before
    assert (elsewhere / "keep.txt").read_text() == "not the cache's\n"


def test_why_without_a_cache_says_so_and_exits_0() -> None:
    result = runner.invoke(app, ["why", "KYtzdk3x7L6RP-tY"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("No cache found at: ")
    assert result.stdout == ""


@pytest.mark.parametrize("names", [[".lock"], ["CACHEDIR.TAG", ".gitignore", ".lock"], []])
def test_a_cache_holding_only_markers_is_empty_not_refused(
    tmp_path: Path, names: list[str]
) -> None:
    """What `uv cache clean` leaves (only `.lock`) is a cache with nothing to remove."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in names:
        (cache / name).write_text(CACHEDIR_TAG_SIGNATURE if name == CACHEDIR_TAG else "")
    before = snapshot(cache)
    for args in (["-v"], ["--package", "x"], ["--json"], ["--dry-run"]):
        result = runner.invoke(app, ["sweep", "--cache-dir", str(cache), *args])
        assert result.exit_code == 0, result.output
        # Taking uv's lock makes its file, as uv does.
        assert {k: v for k, v in snapshot(cache).items() if k != ".lock"} == {
            k: v for k, v in before.items() if k != ".lock"
        }
    assert result.stderr.strip().splitlines()[-1] == "No unused entries found"


# --- names, durations: refused in one line, by both parsers ------------------------------------

NAME_RULE = "expected letters, digits, '.', '_' or '-', starting and ending with a letter or digit"


@pytest.mark.parametrize("option", ["--package", "--keep"])
@pytest.mark.parametrize("name", ["", "foo bar", "a/b", "foo-", "café"])
def test_a_name_that_is_no_package_name_exits_2_with_one_line(
    uv_cache: UvCache, option: str, name: str
) -> None:
    before = snapshot(uv_cache.root)
    for outcome in both_ways("sweep", option, name, "--cache-dir", str(uv_cache.root)):
        assert outcome == (
            EXIT_USAGE,
            "",
            f"error: invalid package name {name!r} for {option}: {NAME_RULE}\n",
        )
    assert snapshot(uv_cache.root) == before


def test_a_package_with_nothing_cached_is_said_and_is_no_error(
    pristine_cache: UvCache, tmp_path: Path
) -> None:
    alpha = {i for i, (name, _) in pristine_cache.archives.items() if name == "alpha"}
    archives = pristine_cache.buckets[Kind.ARCHIVE]
    for way in ("typer", "quick"):
        root = tmp_path / way
        copy_cache(pristine_cache.root, root)
        args = ["sweep", "--package", "No_Such.Thing", "-p", "Alpha", "--cache-dir", str(root)]
        if way == "typer":
            result = runner.invoke(app, args)
            code, stderr = result.exit_code, result.stderr
        else:
            done = console(*args)
            code, stderr = done.returncode, done.stderr
        assert code == 0, stderr
        lines = stderr.splitlines()
        assert lines[0] == "No cache entries for no-such-thing", stderr
        assert len(lines) == 2 and lines[1].startswith("Removed "), stderr
        assert not alpha & set(os.listdir(root / archives))


def test_a_package_only_a_cached_environment_holds_is_found(uv_cache: UvCache) -> None:
    """After `uv cache clean delta`, only the tool environment holds delta; janitor removes it."""
    run_uv("cache", "clean", "delta", cache_dir=uv_cache.root)
    result = runner.invoke(app, ["sweep", "-p", "delta", "--cache-dir", str(uv_cache.root)])
    assert result.exit_code == 0, result.output
    assert "No cache entries" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Removed 1 environment"), result.stderr
    assert not (uv_cache.root / uv_cache.env_link).exists()


def test_a_package_sweep_of_an_empty_cache_says_the_package_is_not_there(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / ".lock").touch()  # what `uv cache clean` leaves
    for outcome in both_ways("sweep", "-p", "hatch", "-p", "Black", "--cache-dir", str(cache)):
        assert outcome == (
            0,
            "",
            "No cache entries for hatch\nNo cache entries for black\nNo unused entries found\n",
        )


@pytest.mark.parametrize(("text", "unit", "count"), [("1m", "m", "1"), ("30M", "M", "30")])
def test_older_than_in_m_is_refused_with_a_hint(
    uv_cache: UvCache, text: str, unit: str, count: str
) -> None:
    """`1m` meant minutes: a user who meant a month had the whole cache planned away."""
    before = snapshot(uv_cache.root)
    for outcome in both_ways(
        "sweep", "-n", "--older-than", text, "--cache-dir", str(uv_cache.root)
    ):
        assert outcome == (
            EXIT_USAGE,
            "",
            f"error: invalid duration {text!r}: {unit!r} could mean minutes or months; "
            f"write {count}min for minutes, or days for a month (30d)\n",
        )
    assert snapshot(uv_cache.root) == before


def test_older_than_in_the_config_file_refuses_m_too(uv_cache: UvCache, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sweep]\nolder-than = "1m"\n')
    args = ("sweep", "-n", "--config", str(config), "--cache-dir", str(uv_cache.root))
    for outcome in both_ways(*args):
        assert outcome == (
            EXIT_USAGE,
            "",
            f"error: {config}: sweep.older-than: invalid duration '1m': 'm' could mean minutes "
            "or months; write 1min for minutes, or days for a month (30d)\n",
        )


def test_minutes_are_min(uv_cache: UvCache) -> None:
    """Every version last used 15 minutes ago: `10min` plans them away, `1h` keeps them."""
    when = time.time() - 15 * 60
    for bucket in (Kind.WHEELS, Kind.SDISTS):
        for path in (uv_cache.root / uv_cache.buckets[bucket]).rglob("*"):
            os.utime(path, (when, when), follow_symlinks=False)

    def planned(duration: str) -> set[str]:
        result = runner.invoke(
            app,
            ["sweep", "-n", "--json", "--older-than", duration, "--cache-dir", str(uv_cache.root)],
        )
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        seconds = {"10min": 600, "1h": 3600}[duration]
        assert f"older than {seconds}s" in document["selectors"]
        return {r["package"] for r in document["removals"] if r["reason"].startswith("not used")}

    assert planned("10min") >= {"alpha", "beta", "gamma"}
    assert planned("1h") == set()


# --- what a dry run prints where -------------------------------------------------------------


def test_a_dry_run_prints_its_plan_on_stdout_and_its_summary_on_stderr(uv_cache: UvCache) -> None:
    before = snapshot(uv_cache.root)
    planned = runner.invoke(app, ["sweep", "-n", "--json", "--cache-dir", str(uv_cache.root)])
    document = json.loads(planned.stdout)
    totals = document["totals"]
    summary = (
        "Would remove 2 buckets, 2 stray entries, 1 revision, 1 environment, 4 archives: "
        f"{totals['files']} files ({format_size(totals['bytes'])} of files, "
        f"would free {format_size(totals['disk_bytes'])} on disk)"
    )
    for code, stdout, stderr in both_ways("sweep", "-n", "--cache-dir", str(uv_cache.root)):
        assert code == 0, stderr
        lines = stdout.splitlines()
        assert len(lines) == len(document["removals"])
        for line, removal in zip(lines, document["removals"], strict=True):
            assert line.startswith("Would remove ") and removal["path"] in line, (line, removal)
        # The files' size exceeds what is freed on disk nowhere here: no word on hard links.
        assert stderr.splitlines() == [summary]
    quiet = console("sweep", "-n", "-q", "--cache-dir", str(uv_cache.root))
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert len(quiet.stdout.splitlines()) == len(document["removals"])
    assert snapshot(uv_cache.root) == before


def test_a_reader_that_stops_reading_the_plan_ends_it_quietly(uv_cache: UvCache) -> None:
    """`janitor sweep -n | head -1` on a plan far longer than a pipe holds."""
    for index in range(3000):
        (uv_cache.root / f"junk-{index:04d}").write_text("x")
    with subprocess.Popen(
        [sys.executable, "-m", "janitor", "sweep", "-n", "--cache-dir", str(uv_cache.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        first = reader.stdout.readline()
        reader.stdout.close()
        stderr = reader.stderr.read()
        assert reader.wait(timeout=60) == 0, stderr
    assert first.startswith("Would remove ")
    [line] = stderr.splitlines()
    assert line.startswith("Would remove 2 buckets, 3,002 stray entries, "), line
    assert (uv_cache.root / "junk-0000").exists()


# --- the summary's figures ---------------------------------------------------------------------

HARD_LINKS_NOTE = (
    "note: less is freed on disk than the files' size: a file still hard-linked elsewhere (uv "
    "hard-links installed files into virtual environments) frees nothing until its last link goes"
)


def test_the_summary_names_both_figures_and_says_why_the_disk_frees_less(tmp_path: Path) -> None:
    """A package whose files a venv still links: its files' size is not what the disk gets back."""
    cache, find_links, venv = tmp_path / "cache", tmp_path / "find-links", tmp_path / "venv"
    make_wheel(find_links, "big", "1.0", files={"big/data.txt": "x" * (1 << 20)})
    run_uv("venv", "--python", PYTHON, venv, cache_dir=cache)
    run_uv(
        *("pip", "install", "--python", venv, "--no-index", "--find-links", find_links, "big"),
        cache_dir=cache,
    )
    planned = runner.invoke(app, ["sweep", "-n", "--json", "-p", "big", "--cache-dir", str(cache)])
    totals = json.loads(planned.stdout)["totals"]
    assert totals["bytes"] > 1 << 20 > 16 * totals["disk_bytes"], totals
    figures = (
        f"{totals['files']} files ({format_size(totals['bytes'])} of files, "
        f"{format_size(totals['disk_bytes'])} freed on disk)"
    )
    dry = runner.invoke(app, ["sweep", "-n", "-p", "big", "--cache-dir", str(cache)])
    [summary, note] = dry.stderr.splitlines()
    assert summary.startswith("Would remove ") and summary.endswith(
        f"{totals['files']} files ({format_size(totals['bytes'])} of files, "
        f"would free {format_size(totals['disk_bytes'])} on disk)"
    ), summary
    assert note == HARD_LINKS_NOTE
    done = console("sweep", "-p", "big", "--cache-dir", str(cache))
    assert done.returncode == 0, done.stderr
    [summary, note] = done.stderr.splitlines()
    assert summary.startswith("Removed ") and summary.endswith(": " + figures), summary
    assert note == HARD_LINKS_NOTE
    assert (venv / "lib").exists()


# --- help --------------------------------------------------------------------------------------

HELP_COMMANDS = [
    [],
    ["sweep"],
    ["report"],
    ["why"],
    ["dir"],
    ["doctor"],
    ["schedule"],
    ["schedule", "install"],
    ["schedule", "remove"],
    ["schedule", "show"],
]
CACHE_DIR_HELP = {
    "sweep": "The uv cache to clean",
    "report": "The uv cache to report on",
    "why": "The uv cache to look in",
    "doctor": "The uv cache to examine",
    "dir": "The cache whose directory to print",
}
SWEEP_HELP = [
    "-n, --dry-run Print the plan on stdout, one line per item; remove nothing.",
    "--older-than DURATION Remove package versions not used for this long: a whole number and a "
    "unit, w (weeks), d (days), h (hours), min (minutes) or s (seconds), largest first: 30d, 12h, "
    "1w2d, 90min.",
    "--wait SECONDS How long to wait for running uv processes to finish (default: 300).",
    "--workers N Deletions in flight at once (default: tuned while running, up to 64).",
    "--processes N Worker processes that delete (default: one per core where they pay; 0: none).",
    "--uv PATH A uv binary whose cache layout to follow (repeatable; default: every uv found).",
    "-p, --package NAME Remove this package",
    "--keep NAME A package no policy evicts (repeatable).",
    "--max-size SIZE",
    "--min-free SIZE",
    "--keep-versions N",
    "--config PATH",
]


def _paragraph_is_wrapped_greedily(lines: list[str], width: int) -> bool:
    """Each line but the last is full: the next line's first word would not have fit on it."""
    return all(
        len(line) + 1 + len(following.split()[0]) > width
        for line, following in itertools.pairwise(lines)
    )


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "janitor")
def test_every_command_s_help_reads_cleanly(command: list[str], columns: int) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    text = result.stdout
    for python_type in ("list[", "Path]", "<str>", "<bool>", "<int", "<float", "<path>"):
        assert python_type not in text, (python_type, text)
    lines = text.splitlines()
    for line in lines:
        assert len(line) <= min(columns, 80), line
        assert line == line.rstrip(), repr(line)
        assert " ." not in line and " ," not in line and " )" not in line, line
    # The description: paragraphs wrapped to the width, not as they were typed in the source.
    description = lines[lines.index("") + 1 :]
    description = description[: next(i for i, d in enumerate(description) if d.endswith(":"))]
    paragraph: list[str] = []
    for line in [*description, ""]:
        if line:
            paragraph.append(line)
            continue
        assert _paragraph_is_wrapped_greedily(paragraph, 78), paragraph
        paragraph = []
    if "Commands:" in lines:
        listed = lines[lines.index("Commands:") + 1 :]
        assert listed and not any(line.endswith("...") for line in listed), listed
    words = " ".join(text.split())
    name = command[-1] if command else ""
    if name in CACHE_DIR_HELP:
        assert (
            f"--cache-dir PATH {CACHE_DIR_HELP[name]} (default: the one uv uses, as `uv cache dir` "
            "says)." in words
        ), words
    if name == "sweep":
        for expected in SWEEP_HELP:
            assert expected in words, (expected, words)


def test_the_commands_list_names_every_command() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    listed = result.stdout.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed] == [
        "sweep",
        "report",
        "why",
        "dir",
        "doctor",
        "schedule",
    ]


# --- schedule: the dry run checks what the install needs ---------------------------------------

NO_CRONTAB = (
    "crontab not found (and no systemd user manager to use instead); it is needed to manage the "
    "schedule"
)


def test_a_schedule_dry_run_fails_where_the_install_would(scheduler: Fakes) -> None:
    scheduler.remove("crontab")
    dry = runner.invoke(app, ["schedule", "install", "--dry-run"])
    assert dry.exit_code == 1, dry.output
    assert dry.stdout.startswith("add or replace janitor's crontab line:\n")
    assert dry.stderr.splitlines() == [f"error: the install would fail: {NO_CRONTAB}"]
    real = runner.invoke(app, ["schedule", "install"])
    assert real.exit_code == 1, real.output
    assert real.stderr.splitlines() == [f"error: {NO_CRONTAB}"]
    removal = runner.invoke(app, ["schedule", "remove", "--dry-run"])
    assert removal.exit_code == 1, removal.output
    assert removal.stderr.splitlines() == [f"error: the removal would fail: {NO_CRONTAB}"]
    assert scheduler.calls() == []


def test_a_schedule_dry_run_fails_where_crontab_refuses(scheduler: Fakes) -> None:
    scheduler.monkeypatch.setenv("FAKE_CRONTAB_BROKEN", "1")
    dry = runner.invoke(app, ["schedule", "install", "--dry-run"])
    assert dry.exit_code == 1, dry.output
    assert dry.stderr.splitlines() == [
        "error: the install would fail: crontab -l failed with exit status 1: crontab: cannot "
        "open your crontab: Permission denied"
    ]


def test_a_schedule_dry_run_that_can_be_carried_out_only_reads(scheduler: Fakes) -> None:
    dry = runner.invoke(app, ["schedule", "install", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert scheduler.calls() == ["crontab -l"]
    assert not (scheduler.state / "crontab").exists()


def test_schedule_install_names_the_sweep_s_options_for_an_unknown_one() -> None:
    result = runner.invoke(app, ["schedule", "install", "--dry-run", "--", "--bogus"])
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.stderr.splitlines() == [
        "error: sweep options: No such option: --bogus (janitor sweep's options: --package/-p, "
        "--cache-dir, --uv, --dry-run/-n, --ci, --older-than, --keep-versions, --max-size, "
        "--min-free, --keep, --config, --json, --wait, --force, --workers, --processes, "
        "--verbose/-v, --quiet/-q)"
    ]


# --- shell completion --------------------------------------------------------------------------

COMMAND_NAMES = ["sweep", "report", "why", "dir", "doctor", "schedule"]


def _console_script() -> Path:
    script = Path(sys.executable).parent / "janitor"
    if not script.exists():
        pytest.skip("the janitor console script is not installed beside this Python")
    return script


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_shown_for_each_shell(shell: str) -> None:
    # The shell is named rather than detected from the process tree, which a test cannot choose.
    shown = subprocess.run(
        [_console_script(), "--show-completion", shell],
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"_JANITOR_COMPLETE=complete_{shell}" in shown.stdout, shown.stdout


def test_completion_in_bash_names_the_commands_and_options(tmp_path: Path) -> None:
    """The script `--install-completion` writes, sourced by a real bash, completes through the
    console script (janitor.entry hands the completion request to typer)."""
    script = _console_script()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": os.pathsep.join([str(script.parent), os.environ["PATH"]]),
        "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
    }
    installed = subprocess.run(
        [script, "--install-completion", "bash"], env=env, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    completions = home / ".bash_completions" / "janitor.sh"
    assert f"source '{completions}'" in (home / ".bashrc").read_text()

    def complete(*words: str) -> list[str]:
        program = (
            f"source {completions}\n"
            f"COMP_WORDS=(janitor {' '.join(words)}); COMP_CWORD={len(words)}\n"
            "_janitor_completion janitor\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        done = subprocess.run(
            ["bash", "--norc", "-c", program], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.split()

    assert complete("") == COMMAND_NAMES
    assert complete("sweep", "--ol") == ["--older-than"]
    assert complete("schedule", "") == ["install", "remove", "show"]
