"""Finding the Hugging Face hub cache as the client does, and refusing what is not one.

The client's order: `HF_HUB_CACHE`, then the legacy `HUGGINGFACE_HUB_CACHE`, then `$HF_HOME/hub`,
then `$XDG_CACHE_HOME/huggingface/hub`, then `~/.cache/huggingface/hub` (environment variables in
them expanded, as the client does). Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from janitor.errors import Refused
from janitor.hf import layout


def locate(
    cache_dir: Path | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> tuple[Path, str]:
    """The hub cache to clean and where that came from: `--cache-dir`, else the client's."""
    if cache_dir is not None:
        return Path(os.path.abspath(cache_dir)), "--cache-dir"
    env = os.environ if env is None else env
    if home is None:
        home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(name):
            return Path(_expand(env[name], env, home)), name
    if env.get("HF_HOME"):
        return Path(_expand(env["HF_HOME"], env, home)) / "hub", "HF_HOME"
    xdg = env.get("XDG_CACHE_HOME") or str(home / ".cache")
    return Path(_expand(xdg, env, home)) / "huggingface" / "hub", "default"


def _expand(value: str, env: Mapping[str, str], home: Path) -> str:
    expanded = value
    for name, setting in env.items():
        expanded = expanded.replace(f"${{{name}}}", setting).replace(f"${name}", setting)
    if expanded.startswith("~"):
        expanded = str(home) + expanded[1:]
    return os.path.abspath(expanded)


def is_hub_cache(names: list[str], root: Path) -> bool:
    """Whether a directory's names show a hub cache: repository folders, or the client's tag."""
    if any(layout.parse_folder(name) for name in names):
        return True
    try:
        with open(root / layout.CACHEDIR_TAG, "rb") as handle:
            return layout.is_hub_tag(handle.read(256))
    except OSError:
        return False


def validate(path: Path, source: str) -> Path:
    """Resolve and check a hub cache; `Refused` unless it is one janitor may clean."""
    if not path.exists():
        raise Refused(f"No Hugging Face cache at {path} ({source}): the directory does not exist")
    if not path.is_dir():
        raise Refused(f"Not a Hugging Face cache: {path} is not a directory")
    resolved = path.resolve()
    home = Path.home().resolve()
    if resolved in {home, *home.parents}:
        raise Refused(f"Refusing to clean {resolved}: it is a filesystem root or a home directory")
    try:
        names = os.listdir(resolved)
    except OSError as err:
        raise Refused(f"Cannot read the cache at {resolved}: {err.strerror}") from err
    if not is_hub_cache(names, resolved):
        raise Refused(
            f"Not a Hugging Face cache: {resolved} has no models--, datasets-- or spaces-- "
            f"folder and no {layout.CACHEDIR_TAG} of the client"
        )
    return resolved


def open_hub(cache_dir: Path | None, say: Callable[[str], None]) -> Path | None:
    """The validated hub cache, or None (said) when the client's default one does not exist."""
    path, source = locate(cache_dir)
    if source == "default" and not path.exists():
        say(f"No Hugging Face cache found at: {path}")
        return None
    return validate(path, source)
