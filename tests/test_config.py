"""The config file: every key parsed, every mistake a one-line ConfigError naming file and key."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from janitor.config import (
    ConfigError,
    SweepDefaults,
    default_config_path,
    load_config,
    parse_config,
)
from janitor.errors import EXIT_USAGE, UsageError

FULL = """\
[sweep]
older-than = "30d"
keep-versions = 3
max-size = "10GiB"
ci = false
packages = ["hatch", "Zope.Interface", "hatch"]
cache-dir = "/path"
workers = 8
wait = 300
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, FULL)) == SweepDefaults(
        older_than=datetime.timedelta(days=30),
        keep_versions=3,
        max_size=10 * 1024**3,
        ci=False,
        packages=("hatch", "zope-interface"),
        cache_dir=Path("/path"),
        workers=8,
        wait=datetime.timedelta(seconds=300),
    )


def test_empty_file_and_empty_table(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == SweepDefaults()
    assert load_config(write(tmp_path, "[sweep]\n")) == SweepDefaults()


def test_default_location_follows_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = default_config_path()
    assert path.name == "config.toml"
    assert path.parent.name == "janitor"
    assert load_config() == SweepDefaults()
    path.parent.mkdir(parents=True)
    path.write_text('[sweep]\nci = true\nmax-size = 1000\nwait = "5min"\n')
    assert load_config() == SweepDefaults(
        ci=True, max_size=1000, wait=datetime.timedelta(minutes=5)
    )


def test_default_location_through_a_file_is_no_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocked))
    assert load_config() == SweepDefaults()


def test_relative_and_home_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    defaults = load_config(write(tmp_path, '[sweep]\ncache-dir = "caches/uv"\n'))
    assert defaults.cache_dir == tmp_path / "caches" / "uv"
    defaults = load_config(write(tmp_path, '[sweep]\ncache-dir = "~/uv-cache"\n'))
    assert defaults.cache_dir == tmp_path / "home" / "uv-cache"


def test_fractional_wait(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[sweep]\nwait = 0.5\n")).wait == datetime.timedelta(
        seconds=0.5
    )


def test_explicit_path_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert str(caught.value) == f"{missing}: no such file"


def test_config_error_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.exit_code == EXIT_USAGE


def test_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^.*: .+$") as caught:
        load_config(tmp_path)
    assert caught.value.path == tmp_path
    assert caught.value.key is None


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[sweep]\nolder-than = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[sweep]\nolder-than = "soon"\n', "sweep.older-than", "invalid duration 'soon'"),
        ("[sweep]\nolder-than = 30\n", "sweep.older-than", "expected a duration string"),
        (
            '[sweep]\nkeep-versions = "3"\n',
            "sweep.keep-versions",
            "expected an integer, got a string",
        ),
        ("[sweep]\nkeep-versions = -1\n", "sweep.keep-versions", "at least 0, got -1"),
        ("[sweep]\nkeep-versions = true\n", "sweep.keep-versions", "got a boolean"),
        ('[sweep]\nmax-size = "lots"\n', "sweep.max-size", "invalid size 'lots'"),
        ("[sweep]\nmax-size = -5\n", "sweep.max-size", "got -5"),
        ("[sweep]\nmax-size = 1.5\n", "sweep.max-size", "got a float"),
        ('[sweep]\nci = "yes"\n', "sweep.ci", "expected true or false, got a string"),
        ('[sweep]\npackages = "hatch"\n', "sweep.packages", "expected an array"),
        ("[sweep]\npackages = [1]\n", "sweep.packages", "as strings, got an integer"),
        ('[sweep]\npackages = ["not a name!"]\n', "sweep.packages", "not a valid package name"),
        ('[sweep]\ncache-dir = ""\n', "sweep.cache-dir", "non-empty path"),
        ("[sweep]\ncache-dir = 3\n", "sweep.cache-dir", "got an integer"),
        ("[sweep]\nworkers = 0\n", "sweep.workers", "at least 1, got 0"),
        ("[sweep]\nworkers = 2.0\n", "sweep.workers", "got a float"),
        ("[sweep]\nwait = -1\n", "sweep.wait", "non-negative number of seconds, got -1"),
        ("[sweep]\nwait = nan\n", "sweep.wait", "got nan"),
        ("[sweep]\nwait = inf\n", "sweep.wait", "got inf"),
        ('[sweep]\nwait = "later"\n', "sweep.wait", "invalid duration 'later'"),
        ("[sweep]\nwait = [1]\n", "sweep.wait", "got an array"),
        ("[sweep]\nolder_than = '30d'\n", "sweep.older_than", "did you mean 'older-than'?"),
        ("[sweep]\ncolour = 'red'\n", "sweep.colour", "unknown key 'colour'; expected one of"),
        ("[swep]\n", "swep", "did you mean 'sweep'?"),
        ("verbose = true\n", "verbose", "unknown key 'verbose'"),
        ('sweep = "all"\n', "sweep", "expected a table, got a string"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message
    assert "\n" not in message
    assert caught.value.key == key
    assert caught.value.path == path


@pytest.mark.parametrize(
    "text",
    [
        "[sweep\n",
        "[sweep]\nolder-than = \n",
        "[sweep]\nci = true\nci = false\n",
        '[sweep]\nx = "a\n',
    ],
)
def test_toml_syntax_errors(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid TOML: ")
    assert "line" in message
    assert "\n" not in message


def test_parse_config_resolves_beside_the_named_file(tmp_path: Path) -> None:
    defaults = parse_config('[sweep]\ncache-dir = "uv"\n', tmp_path / "etc" / "janitor.toml")
    assert defaults.cache_dir == tmp_path / "etc" / "uv"


def test_defaults_are_frozen() -> None:
    with pytest.raises(AttributeError):
        SweepDefaults().ci = True


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads every file; CI runs this unprivileged too"
)
def test_an_unreadable_default_location_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_home = tmp_path / "config"
    (config_home / "janitor").mkdir(parents=True)
    (config_home / "janitor" / "config.toml").write_text('[sweep]\nolder-than = "30d"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    config_home.chmod(0)
    try:
        defaults = load_config()
        assert defaults.warning is not None and "Permission denied" in defaults.warning
        assert defaults.older_than is None
        with pytest.raises(ConfigError, match="Permission denied"):
            load_config(config_home / "janitor" / "config.toml")
    finally:
        config_home.chmod(0o700)


def test_an_unreadable_home_as_another_user_sees_it_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sudo -u other` keeping HOME: the default location is a path through a directory that
    cannot be entered. Simulated with a path through a file, which fails the same way for root."""
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocked / "config"))
    assert load_config().warning is None  # NotADirectoryError: simply no config
    assert load_config() == SweepDefaults()
