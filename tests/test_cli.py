"""Every exit code with its message, the JSON document, and where output goes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from janitor.cli import app
from janitor.errors import EXIT_PARTIAL, EXIT_REFUSED, EXIT_USAGE
from janitor.layout.uv import CACHEDIR_TAG, CACHEDIR_TAG_SIGNATURE, Kind
from tests.uvfactory import UV_BIN, UvCache, snapshot

runner = CliRunner()


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
    assert result.stderr.startswith("Would remove")


def test_schedule_install_dry_run_names_the_sweep_and_cache(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["schedule", "install", "--every", "weekly", "--dry-run", "--", "--older-than", "30d"]
    )
    assert result.exit_code == 0, result.output
    # The cache and the uv found now are fixed in the command: a timer sees neither PATH nor
    # UV_CACHE_DIR.
    assert f"sweep --wait 0 --quiet --older-than 30d --uv {UV_BIN} --cache-dir" in result.stdout
    assert str(Path(os.environ["XDG_CACHE_HOME"]) / "uv") in result.stdout


@pytest.mark.parametrize("form", [["--cache-dir=/x"], ["--cache-dir", "/x"]])
def test_schedule_install_keeps_the_cache_named_in_either_form(form: list[str]) -> None:
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
