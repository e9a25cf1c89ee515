"""Shared fixtures: a guard that keeps every test away from real caches, and genuine uv caches."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubfactory import HubCache, fill, standard_hub
from tests.hubserver import Hub
from tests.scenes import Scene, build_scene
from tests.uvfactory import UvCache, build_cache, copy_cache

# Variables that could lead uv (or janitor) to a cache, a config or a log the tests do not own.
_CACHE_VARIABLES = (
    "UV_CACHE_DIR",
    "UV_CONFIG_FILE",
    "UV_NO_CACHE",
    "XDG_BIN_HOME",
    "CARGO_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_HOME",
    "HF_ENDPOINT",
)
_SESSION_HOME: list[Path] = []


def unreachable_cache_env(home: Path) -> dict[str, str]:
    """Environment values under which no test can reach a developer's cache, config or log.

    `home` must be an empty directory. `$XDG_CACHE_HOME`, `%LOCALAPPDATA%`, `~/.cache` and
    `~/Library` are regular files, so no default uv cache can ever be created below them. The
    other XDG directories (config, state, data) are fresh directories in `home`, so
    janitor's config file, run log and state, and uv's uv.toml, are the test's own.
    """
    blocked = home / "blocked"
    blocked.write_text("default cache locations are off limits in tests\n")
    for name in (".cache", "Library"):
        (home / name).write_text("off limits\n")
    env = {
        "HOME": str(home),
        "USERPROFILE": str(home),
        "XDG_CACHE_HOME": str(blocked),
        "LOCALAPPDATA": str(blocked),
        "APPDATA": str(blocked),
    }
    for variable, name in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
    ):
        (home / name).mkdir(mode=0o700)
        env[variable] = str(home / name)
    return env


def pytest_configure(config: pytest.Config) -> None:
    """Guard the whole session, session-scoped fixtures included, before any of them runs."""
    home = Path(tempfile.mkdtemp(prefix="janitor-tests-home-"))
    _SESSION_HOME.append(home)
    for name in _CACHE_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(unreachable_cache_env(home))


def pytest_unconfigure(config: pytest.Config) -> None:
    for home in _SESSION_HOME:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_default_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Give each test a fresh home whose default cache locations cannot exist."""
    for name in _CACHE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in unreachable_cache_env(tmp_path_factory.mktemp("home")).items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def session_environ() -> dict[str, str]:
    """The environment session-scoped fixtures run under."""
    return dict(os.environ)


@pytest.fixture(scope="session")
def pristine_cache(tmp_path_factory: pytest.TempPathFactory) -> UvCache:
    """One genuine uv cache for the session; never modify it, use `uv_cache`."""
    return build_cache(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def uv_cache(pristine_cache: UvCache, tmp_path: Path) -> UvCache:
    """A private copy of the pristine cache, described by the same `UvCache` with a new root."""
    root = tmp_path / "cache"
    copy_cache(pristine_cache.root, root)
    return dataclasses.replace(pristine_cache, root=root)


@pytest.fixture(scope="session")
def hub_server() -> Iterator[tuple[Hub, str]]:
    """The tests' own hub on 127.0.0.1 for the whole session, and its endpoint."""
    hub = Hub()
    with hub.serve() as endpoint:
        yield hub, endpoint


@pytest.fixture(scope="session")
def pristine_hub(hub_server: tuple[Hub, str], tmp_path_factory: pytest.TempPathFactory) -> HubCache:
    """One hub cache written by the real client; never modify it, use `hub_cache`."""
    hub, endpoint = hub_server
    cache = standard_hub(hub)
    cache.root = tmp_path_factory.mktemp("pristine-hub") / "hub"
    fill(endpoint, cache)
    return cache


@pytest.fixture
def hub_cache(pristine_hub: HubCache, tmp_path: Path) -> HubCache:
    """A private copy of the pristine hub cache, its links copied as links."""
    root = tmp_path / "hub"
    shutil.copytree(pristine_hub.root, root, symlinks=True)
    return dataclasses.replace(pristine_hub, root=root)


@pytest.fixture(scope="module")
def small_scene(pristine_cache: UvCache, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The genuine cache, with links out of it (the crash and Ctrl-C tests' small cache)."""
    return build_scene(pristine_cache, tmp_path_factory, "small-scene")
