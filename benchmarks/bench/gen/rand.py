"""Names, ids, sizes and file contents drawn from one random stream, so that a seed fixes the
cache."""

from __future__ import annotations

import base64
import itertools
import math
import random
import string

from janitor.uv.layout import normalize

# File sizes: mostly small modules, some medium files (extensions, data), a few large ones.
P_LARGE = 0.0001
P_MEDIUM = 0.025
SMALL = (200, 8 * 1024)
MEDIUM = (8 * 1024, 256 * 1024)
LARGE = (1024 * 1024, 4 * 1024 * 1024)
CONTENT_BYTES = 12 * 1024 * 1024  # shared content buffer; files are slices of it

ID_ALPHABET = string.ascii_letters + string.digits + "_-"
TMP_ALPHABET = string.ascii_letters + string.digits
_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "py",
    "zen",
    "tor",
    "ax",
    "bel",
    "cor",
    "dat",
    "fer",
    "gul",
    "hox",
    "jin",
    "lat",
    "mor",
    "nex",
    "pix",
    "qua",
    "rum",
    "sol",
    "tek",
    "vel",
    "wiz",
    "yam",
    "bro",
    "cli",
    "dra",
    "eno",
    "fla",
    "gri",
    "hyp",
    "ion",
    "jet",
    "kry",
    "lum",
)
_SUFFIXES = ("utils", "core", "io", "client", "sdk", "plugin", "tools", "api")
WORDS = (
    "core",
    "utils",
    "config",
    "models",
    "api",
    "client",
    "server",
    "types",
    "errors",
    "compat",
    "base",
    "helpers",
    "parser",
    "render",
    "cli",
    "main",
    "schema",
    "_internal",
    "backends",
    "plugins",
    "data",
    "fields",
    "validators",
    "encoding",
    "decoder",
    "session",
    "cache",
    "tools",
    "events",
    "hooks",
    "loader",
    "metrics",
    "frames",
    "graph",
    "nodes",
    "query",
    "storage",
    "transport",
)

# A file: name, size, offset into the content buffer, or explicit data (then size is len(data)).
FileSpec = tuple[str, int, int, bytes | None]
# A directory relative to the tree's root ("" for the root itself) and the files directly in it.
DirSpec = tuple[str, list[FileSpec]]


def loguniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def offset(rng: random.Random, size: int) -> int:
    return rng.randrange(0, CONTENT_BYTES - size + 1)


def blob(rng: random.Random, name: str, bounds: tuple[int, int]) -> FileSpec:
    size = loguniform(rng, *bounds)
    return (name, size, offset(rng, size), None)


def _id16(rng: random.Random) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(16))


def hex16(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def tmp_name(rng: random.Random) -> str:
    return ".tmp" + "".join(rng.choice(TMP_ALPHABET) for _ in range(6))


def fake_hash(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


def split_count(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` positive integers."""
    if parts <= 1:
        return [total]
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in itertools.pairwise([0, *cuts, total])]


class Names:
    """Plausible project names and unique (name, version) pairs, from one random stream."""

    def __init__(self, rng: random.Random, pool: int) -> None:
        self.rng = rng
        names: set[str] = set()
        while len(names) < pool:
            name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
            if rng.random() < 0.3:
                name += "-" + rng.choice(_SUFFIXES)
            names.add(normalize(name))
        self.pool = sorted(names)
        self.used: set[tuple[str, str]] = set()

    def fresh_name(self) -> str:
        while True:
            name = normalize("".join(self.rng.choice(_SYLLABLES) for _ in range(4)))
            if name not in self.pool:
                self.pool.append(name)
                return name

    def pair(self, name: str | None = None) -> tuple[str, str]:
        while True:
            chosen = name or self.rng.choice(self.pool)
            major = self.rng.choice((0, 0, 1, 1, 2, 3, 4, 5, 10, 23, 2024))
            version = f"{major}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 12)}"
            if (chosen, version) not in self.used:
                self.used.add((chosen, version))
                return chosen, version


def archive_size(rng: random.Random, big: bool = False) -> int:
    r = rng.random()
    if big:
        if r < 0.4:
            return rng.randint(10, 80)
        if r < 0.8:
            return rng.randint(80, 600)
        if r < 0.97:
            return rng.randint(600, 3000)
        return rng.randint(3000, 9000)
    if r < 0.55:
        return rng.randint(4, 15)
    if r < 0.85:
        return rng.randint(15, 80)
    if r < 0.97:
        return rng.randint(80, 500)
    return rng.randint(500, 3000)


class Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def archive(self) -> str:
        while True:
            new = _id16(self.rng)
            if new not in self.seen:
                self.seen.add(new)
                return new

    def hex(self) -> str:
        while True:
            new = hex16(self.rng)
            if new not in self.seen:
                self.seen.add(new)
                return new
