"""The trees of unzipped wheels and unpacked sources: pure functions of their spec, so that a tree
can be derived again to hard-link into it."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.gen.layout import TAG
from bench.gen.rand import (
    LARGE,
    MEDIUM,
    P_LARGE,
    P_MEDIUM,
    SMALL,
    WORDS,
    DirSpec,
    FileSpec,
    blob,
    fake_hash,
    loguniform,
    offset,
    split_count,
)


@dataclass(frozen=True)
class WheelSpec:
    """An unzipped wheel: `nfiles` files in total, dist-info included."""

    name: str  # normalised project name
    version: str
    nfiles: int
    seed: int
    deep: bool = False

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def dist_info(self) -> str:
        return f"{self.module}-{self.version}.dist-info"

    @property
    def wheel_stem(self) -> str:
        return f"{self.module}-{self.version}-{TAG}"


def _module_file(rng: random.Random, used: set[str]) -> FileSpec:
    r = rng.random()
    if r < P_LARGE:
        stem, ext, bounds = f"_{rng.choice(WORDS)}", ".cpython-311-x86_64-linux-gnu.so", LARGE
    elif r < P_LARGE + P_MEDIUM:
        stem, ext, bounds = rng.choice(WORDS), rng.choice((".so", ".json", ".py", ".dat")), MEDIUM
        if ext == ".so":
            stem, ext = f"_{stem}", ".cpython-311-x86_64-linux-gnu.so"
    else:
        stem = rng.choice(WORDS)
        ext = rng.choices((".py", ".pyi", ".txt", ".json"), (90, 5, 3, 2))[0]
        bounds = SMALL
    name = stem + ext
    n = 1
    while name in used:
        n += 1
        name = f"{stem}{n}{ext}"
    used.add(name)
    return blob(rng, name, bounds)


def code_tree(rng: random.Random, top: str, count: int, deep: bool) -> list[DirSpec]:
    """A Python package `top` of `count` files with subpackages, parents before children."""
    out: list[DirSpec] = []
    stack: list[tuple[str, int, int]] = [(top, max(1, count), 0)]
    while stack:
        path, n, depth = stack.pop()
        used = {"__init__.py"}
        files: list[FileSpec] = [blob(rng, "__init__.py", (20, 2000))]
        n -= 1
        wide = rng.random() < 0.03
        cap = 300 if wide else (8 if deep and depth < 12 else 30)
        here = min(n, rng.randint(1, cap)) if n > 0 else 0
        rest = n - here
        if 0 < rest < 3:
            here, rest = n, 0
        files.extend(_module_file(rng, used) for _ in range(here))
        out.append((path, files))
        if rest:
            if deep and depth < 12 and rng.random() < 0.7:
                k = 1
            else:
                k = rng.randint(1, min(rest, 2 + rest // 40, 12))
            subdirs: set[str] = set()
            for part in split_count(rng, rest, k):
                sub = rng.choice(WORDS).lstrip("_")
                while sub in subdirs or f"{sub}.py" in used:
                    sub = f"{sub}{len(subdirs)}"
                subdirs.add(sub)
                stack.append((f"{path}/{sub}", part, depth + 1))
    return out


def record_bytes(rng: random.Random, tree: Sequence[DirSpec], record_path: str) -> bytes:
    lines = [
        f"{d}/{name},sha256={fake_hash(rng)},{size if data is None else len(data)}\n"
        for d, files in tree
        for name, size, _off, data in files
    ]
    lines.append(f"{record_path},,\n")
    return "".join(lines).encode()


def _metadata(rng: random.Random, name: str, version: str) -> FileSpec:
    head = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {name}\n\n"
    size = loguniform(rng, 300, 20_000)
    return ("METADATA", len(head) + size, offset(rng, size), head.encode())


def wheel_tree(spec: WheelSpec) -> list[DirSpec]:
    """The directories and files of an unzipped wheel, as uv leaves it in the archive bucket."""
    rng = random.Random(spec.seed)
    extras = [n for n in ("top_level.txt", "LICENSE", "entry_points.txt") if rng.random() < 0.4]
    code = code_tree(rng, spec.module, max(1, spec.nfiles - 3 - len(extras)), spec.deep)
    wheel = f"Wheel-Version: 1.0\nGenerator: gencache\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    dist: list[FileSpec] = [_metadata(rng, spec.name, spec.version)]
    dist.append(("WHEEL", 0, 0, wheel.encode()))
    dist.extend(blob(rng, extra, (20, 12_000)) for extra in extras)
    record = record_bytes(rng, [*code, (spec.dist_info, dist)], f"{spec.dist_info}/RECORD")
    dist.append(("RECORD", 0, 0, record))
    return [*code, (spec.dist_info, dist)]


def source_tree(spec: WheelSpec) -> list[DirSpec]:
    """An unpacked source distribution (the `src/` of an sdists revision), relative to `src/`."""
    rng = random.Random(spec.seed ^ 0x5D157)
    pyproject = (
        f'[project]\nname = "{spec.name}"\nversion = "{spec.version}"\n\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    top: list[FileSpec] = [
        ("pyproject.toml", 0, 0, pyproject.encode()),
        blob(rng, "PKG-INFO", (300, 20_000)),
        blob(rng, "README.md", (200, 16_000)),
        blob(rng, "LICENSE", (1000, 12_000)),
    ]
    n = max(2, spec.nfiles - len(top))
    tests = n // 4 if n >= 8 else 0
    out: list[DirSpec] = [("", top), ("src", [])]
    out.extend(code_tree(rng, f"src/{spec.module}", n - tests, spec.deep))
    if tests:
        out.extend(code_tree(rng, "tests", tests, False))
    return out


def tree_files(tree: Iterable[DirSpec]) -> int:
    return sum(len(files) for _d, files in tree)
