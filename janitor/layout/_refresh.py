"""Regenerate `janitor/layout/releases.py` from the uv wheels on the package index.

    python -m janitor.layout._refresh [--from 0.1.0] [--check-source PATH-TO-UV-GIT-REPO]

For every plain X.Y.Z release of uv the index lists (from `--from` on, when given), this downloads
the wheel of each platform in `--platform` (into a temporary directory deleted as it goes), reads
the bucket names out of its `uv` executable with `janitor.layout.uvbinary.bucket_names`, requires
every platform that has a wheel of that release to give the same names, and writes the table. It
fails, and writes nothing, when any release gives no answer or the platforms disagree. The output
depends only on the names found, so the same releases give the same bytes.

The vocabulary of kinds that splits the glued first literal comes from the current table, from
`--kind`, and from the source tags given with `--check-source`; a kind first seen inside a chain of
one platform (where it cannot be glued) is learned and the release is read again.

`--check-source` also compares each release that is a tag of a git clone of uv's source with the
literals of `CacheBucket::to_str` in that tag's `crates/uv-cache/src/lib.rs`; a disagreement fails.
This is a maintainer's tool: it is not imported by janitor.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from janitor.layout.uvbinary import bucket_names

OUTPUT = Path(__file__).with_name("releases.py")
DEFAULT_PLATFORMS = ("manylinux_2_17_x86_64", "manylinux_2_17_aarch64")
_PLAIN = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_TO_STR = re.compile(r"fn to_str\(self\) -> &'static str \{(.*?)\n    \}\n", re.S)
_ARM = re.compile(r'=>\s*"([a-z-]+-v[0-9]+)"')


def key(version: str) -> tuple[int, ...]:
    """Numeric sort key of a plain X.Y.Z version."""
    return tuple(int(part) for part in version.split("."))


def index_versions() -> list[str]:
    """Every version of uv the package index lists, as pip reports them."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "uv"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("Available versions:"):
            return [v.strip() for v in line.split(":", 1)[1].split(",") if v.strip()]
    raise SystemExit(f"pip index versions uv listed no versions:\n{out}")


def read_wheel(version: str, platform: str, workdir: Path) -> Path | None:
    """Download uv==version for platform into workdir and unpack its `uv` executable there.

    None when the index has no wheel of that release for that platform.
    """
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"uv=={version}",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            platform,
            "--quiet",
            "--disable-pip-version-check",
            "-d",
            str(workdir),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if "No matching distribution found" in done.stderr:
            return None
        raise SystemExit(f"uv {version} {platform}: pip download failed:\n{done.stderr}")
    wheels = sorted(workdir.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"uv {version} {platform}: expected one wheel, got {wheels}")
    target = workdir / "uv"
    with zipfile.ZipFile(wheels[0]) as zf:
        members = [n for n in zf.namelist() if n.endswith(".data/scripts/uv")]
        if len(members) != 1:
            raise SystemExit(f"uv {version} {platform}: no single uv executable in {wheels[0]}")
        with zf.open(members[0]) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    wheels[0].unlink()
    return target


@dataclass
class Reading:
    """What one release's binaries gave, per platform (None: no answer)."""

    version: str
    names: dict[str, tuple[str, ...] | None]
    learned: frozenset[str]
    absent: tuple[str, ...]


def kinds_of(names: Iterable[str]) -> frozenset[str]:
    """The kinds (`wheels` of `wheels-v8`) of bucket names."""
    return frozenset(name.rsplit("-v", 1)[0] for name in names)


def read_release(version: str, platforms: Sequence[str], kinds: frozenset[str]) -> Reading:
    """Read one release on every platform, learning kinds seen inside chains until stable."""
    with tempfile.TemporaryDirectory(prefix=f"uv-{version}-") as tmp:
        binaries = {}
        absent = []
        for platform in platforms:
            workdir = Path(tmp, platform)
            workdir.mkdir()
            binary = read_wheel(version, platform, workdir)
            if binary is None:
                absent.append(platform)
            else:
                binaries[platform] = binary
        if platforms[0] in absent:
            raise SystemExit(f"uv {version}: no wheel for {platforms[0]}")
        vocabulary = kinds
        for _ in range(3):
            names = {p: bucket_names(b, vocabulary) for p, b in binaries.items()}
            seen = frozenset().union(*(kinds_of(n) for n in names.values() if n is not None))
            if seen <= vocabulary:
                break
            vocabulary |= seen
    return Reading(version, names, vocabulary - kinds, tuple(absent))


def source_tables(repo: Path) -> dict[str, tuple[str, ...]]:
    """The `CacheBucket::to_str` literals of every plain X.Y.Z tag of a git clone of uv."""
    tags = subprocess.run(
        ["git", "-C", str(repo), "tag"], check=True, capture_output=True, text=True
    ).stdout.split()
    tables = {}
    for tag in sorted((t for t in tags if _PLAIN.fullmatch(t)), key=key):
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", f"{tag}:crates/uv-cache/src/lib.rs"],
            capture_output=True,
            text=True,
        )
        match = _TO_STR.search(shown.stdout) if shown.returncode == 0 else None
        if match is None:
            raise SystemExit(f"tag {tag}: no CacheBucket::to_str in crates/uv-cache/src/lib.rs")
        tables[tag] = tuple(sorted(_ARM.findall(match.group(1))))
    return tables


def existing_kinds() -> frozenset[str]:
    """Every kind in the table as it is now (nothing when there is none yet)."""
    try:
        from janitor.layout import releases
    except ImportError:
        return frozenset()
    kinds: frozenset[str] = releases.all_kinds()
    return kinds


def _wrap(words: Sequence[str], indent: str) -> list[str]:
    """Quoted space-joined words as implicitly concatenated string lines of at most 100 chars."""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and len(indent) + len(candidate) + 3 > 100:
            lines.append(f'{indent}"{current} "')
            current = word
        else:
            current = candidate
    lines.append(f'{indent}"{current}",')
    return lines


def render(table: Sequence[tuple[str, tuple[str, ...]]], skipped: Sequence[tuple[str, str]]) -> str:
    """The text of releases.py for a table of (version, buckets), oldest first."""
    runs: list[tuple[list[str], tuple[str, ...]]] = []
    for version, names in table:
        if runs and runs[-1][1] == names:
            runs[-1][0].append(version)
        else:
            runs.append(([version], names))
    body: list[str] = []
    for versions, names in runs:
        body.append("    (")
        body.extend(_wrap(versions, " " * 8))
        body.extend(_wrap(names, " " * 8))
        body.append("    ),")
    skipped_lines = [f'    ("{v}", "{why}"),' for v, why in skipped]
    return _TEMPLATE.format(
        first=table[0][0],
        last=table[-1][0],
        count=len(table),
        runs="\n".join(body),
        skipped="\n".join(["(", *skipped_lines, ")"]) if skipped else "()",
    )


_TEMPLATE = '''\
"""The cache bucket names of every uv release from {first} to {last} ({count} releases).

GENERATED by `python -m janitor.layout._refresh`: do not edit by hand. It downloads each release's
wheels from the package index and reads the names out of the `uv` executable with
`janitor.layout.uvbinary.bucket_names`. To regenerate (and compare with uv's source tags):

    python -m janitor.layout._refresh --check-source PATH-TO-UV-GIT-REPO

Pure data and pure functions; imports nothing from janitor.
"""

from __future__ import annotations

# Runs of consecutive releases sharing one set of bucket names: (versions, sorted names), each a
# space-separated string.
# fmt: off
_RUNS: tuple[tuple[str, str], ...] = (
{runs}
)
# fmt: on

# Versions the package index lists that the table leaves out, and why.
SKIPPED: tuple[tuple[str, str], ...] = {skipped}

RELEASES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (version, tuple(names.split())) for versions, names in _RUNS for version in versions.split()
)
_BY_VERSION = dict(RELEASES)


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key of a plain X.Y.Z version (so 0.10.0 sorts after 0.9.30)."""
    parts = version.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not a plain X.Y.Z version: {{version!r}}")
    return tuple(int(part) for part in parts)


def buckets_of(version: str) -> tuple[str, ...] | None:
    """The sorted bucket names of a uv release, or None for a version not in the table."""
    return _BY_VERSION.get(version)


def newest_release() -> str:
    """The newest uv release in the table."""
    return max(_BY_VERSION, key=version_key)


def all_kinds() -> frozenset[str]:
    """Every bucket kind (`wheels` of `wheels-v8`) any release in the table has."""
    return frozenset(name.rsplit("-v", 1)[0] for _, names in RELEASES for name in names)


def current_kinds() -> frozenset[str]:
    """The bucket kinds of the newest release: the vocabulary for reading a newer uv binary."""
    return frozenset(name.rsplit("-v", 1)[0] for name in _BY_VERSION[newest_release()])
'''


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate releases.py; non-zero on any release without an answer or any disagreement."""
    parser = argparse.ArgumentParser(prog="python -m janitor.layout._refresh")
    parser.add_argument("--from", dest="first", default="0.0.0", help="oldest release to read")
    parser.add_argument("--to", dest="last", help="newest release to read (default: the newest)")
    parser.add_argument("--check-source", type=Path, help="a git clone of uv to compare with")
    parser.add_argument("--kind", action="append", default=[], help="an extra known kind")
    parser.add_argument(
        "--platform", action="append", help=f"wheel platform tag (default: {DEFAULT_PLATFORMS})"
    )
    parser.add_argument("--jobs", type=int, default=3, help="releases read at once")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    platforms = tuple(args.platform or DEFAULT_PLATFORMS)

    listed = index_versions()
    skipped = [(v, "not a plain X.Y.Z release") for v in listed if not _PLAIN.fullmatch(v)]
    plain = sorted((v for v in listed if _PLAIN.fullmatch(v)), key=key)
    skipped += [(v, f"older than --from {args.first}") for v in plain if key(v) < key(args.first)]
    if args.last:
        skipped += [(v, f"newer than --to {args.last}") for v in plain if key(v) > key(args.last)]
    wanted = [v for v in plain if key(args.first) <= key(v) <= key(args.last or v)]
    if not wanted:
        raise SystemExit("no release in the range")
    skipped.sort(key=lambda item: key(item[0]) if _PLAIN.fullmatch(item[0]) else (0,))

    sources = source_tables(args.check_source) if args.check_source else {}
    kinds = existing_kinds() | frozenset(args.kind)
    kinds |= frozenset().union(*(kinds_of(names) for names in sources.values()))
    if not kinds:
        raise SystemExit("no known kinds: pass --kind wheels (and others) or --check-source")
    print(f"{len(wanted)} releases {wanted[0]}..{wanted[-1]} on {', '.join(platforms)}")
    print(f"kinds known before reading: {' '.join(sorted(kinds))}")

    table: list[tuple[str, tuple[str, ...]]] = []
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        readings = pool.map(lambda v: read_release(v, platforms, kinds), wanted)
        for reading in readings:
            answers = set(reading.names.values())
            names = reading.names[platforms[0]]
            learned = f"  (learned kinds: {' '.join(sorted(reading.learned))})"
            if None in answers or len(answers) != 1 or names is None:
                failures.append(reading.version)
                print(f"{reading.version}: FAILED {reading.names}", flush=True)
                continue
            table.append((reading.version, names))
            note = learned if reading.learned else ""
            if reading.absent:
                note += f"  (no wheel for {' '.join(reading.absent)})"
            print(f"{reading.version}: {' '.join(names)}{note}", flush=True)
    if failures:
        print(f"FAILED: no agreed answer for {' '.join(failures)}; releases.py not written")
        return 1

    text = render(table, skipped)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(table)} releases, skipped {len(skipped)}")
    for version, why in skipped:
        print(f"  skipped {version}: {why}")

    if not sources:
        return 0
    compared = [(v, names) for v, names in table if v in sources]
    disagree = [(v, names, sources[v]) for v, names in compared if names != sources[v]]
    missing = sorted(set(sources) - {v for v, _ in table}, key=key)
    print(f"source check: {len(compared)} releases compared with their tags")
    print(f"  tags not in the table: {' '.join(missing) or '-'}")
    print(f"  releases without a tag: {len(table) - len(compared)}")
    for version, names, expected in disagree:
        print(f"  {version}: binary only {sorted(set(names) - set(expected))}, ", end="")
        print(f"source only {sorted(set(expected) - set(names))}")
    print(f"  disagreements: {len(disagree)}")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
