"""Regenerate `janitor/uv/releases_table.py` from the uv wheels on the package index.

    nox -s uv-releases -- [--from 0.1.0] [--check-source PATH-TO-UV-GIT-REPO]
    python -m tools.uv_releases [--from 0.1.0] [--check-source PATH-TO-UV-GIT-REPO]

For every plain X.Y.Z release of uv the index lists (from `--from` on, when given), this downloads
the wheel of each platform in `--platform` (into a temporary directory deleted as it goes), reads
the bucket names out of its `uv` executable with `janitor.uv.binary.bucket_names`, requires
every platform that has a wheel of that release to give the same names, and writes the table. The
releases outside `--from`/`--to` that the current table holds are kept as it has them, so
`--from 0.13.10` adds a new release without reading the 333 before it. It fails, and writes
nothing, when any release gives no answer or the platforms disagree. The output depends only on
the names found, so the same releases give the same bytes.

The table is data only; its shape (`runs_of`), the version key and the kinds of bucket names are
`janitor.uv.releases`'s, which reads it.

The vocabulary of kinds that splits the glued first literal comes from the current table, from
`--kind`, and from the source tags given with `--check-source`; a kind first seen inside a chain of
one platform (where it cannot be glued) is learned and the release is read again.

`--check-source` also compares each release that is a tag of a git clone of uv's source with the
literals of `CacheBucket::to_str` in that tag's `crates/uv-cache/src/lib.rs`; a disagreement fails.
This is a maintainer's tool, outside the janitor package: janitor never imports it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from janitor.uv import releases
from janitor.uv.binary import bucket_names
from janitor.uv.releases import runs_of, version_key

OUTPUT = Path(__file__).resolve().parent.parent / "janitor" / "uv" / "releases_table.py"
DEFAULT_PLATFORMS = ("manylinux_2_17_x86_64", "manylinux_2_17_aarch64")
_PLAIN = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_TO_STR = re.compile(r"fn to_str\(self\) -> &'static str \{(.*?)\n    \}\n", re.S)
_ARM = re.compile(r'=>\s*"([a-z-]+-v[0-9]+)"')

Table = list[tuple[str, tuple[str, ...]]]


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
            seen = frozenset().union(*(releases.kinds(n) for n in names.values() if n is not None))
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
    for tag in sorted((t for t in tags if _PLAIN.fullmatch(t)), key=version_key):
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
    """The text of releases_table.py for a table of (version, buckets), oldest first."""
    body: list[str] = []
    for versions, names in runs_of(table):
        body.append("    (")
        body.extend(_wrap(versions.split(), " " * 8))
        body.extend(_wrap(names.split(), " " * 8))
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

GENERATED by `nox -s uv-releases` (tools/uv_releases.py): do not edit by hand. It downloads each
release's wheels from the package index and reads the names out of the `uv` executable with
`janitor.uv.binary.bucket_names`. To regenerate (and compare with uv's source tags):

    python -m tools.uv_releases --check-source PATH-TO-UV-GIT-REPO

Data only, read through `janitor.uv.releases`, which owns its shape.
"""

# Runs of consecutive releases sharing one set of bucket names: (versions, sorted names), each a
# space-separated string.
# fmt: off
RUNS: tuple[tuple[str, str], ...] = (
{runs}
)
# fmt: on

# Versions the package index lists that the table leaves out, and why.
SKIPPED: tuple[tuple[str, str], ...] = {skipped}
'''


def plain_version(text: str) -> str:
    """An argparse type: a plain X.Y.Z version."""
    if not _PLAIN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a plain X.Y.Z version: {text!r}")
    return text


def select(
    listed: Sequence[str], first: str, last: str | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """The plain releases from `first` to `last` (oldest first), and the others with why."""
    skipped = [(v, "not a plain X.Y.Z release") for v in listed if not _PLAIN.fullmatch(v)]
    plain = sorted((v for v in listed if _PLAIN.fullmatch(v)), key=version_key)
    low, high = version_key(first), version_key(last) if last else None
    skipped += [(v, f"older than --from {first}") for v in plain if version_key(v) < low]
    if high is not None:
        skipped += [(v, f"newer than --to {last}") for v in plain if version_key(v) > high]
    wanted = [v for v in plain if low <= version_key(v) <= (high or version_key(v))]
    skipped.sort(key=lambda item: version_key(item[0]) if _PLAIN.fullmatch(item[0]) else (0,))
    return wanted, skipped


def merge(
    read: Sequence[tuple[str, tuple[str, ...]]],
    skipped: Sequence[tuple[str, str]],
    current: Sequence[tuple[str, tuple[str, ...]]],
) -> tuple[Table, list[tuple[str, str]]]:
    """The releases read, with the current table's others kept as it has them (oldest first),
    and what is still skipped: a release the table keeps is not."""
    fresh = {version for version, _ in read}
    kept = [(version, names) for version, names in current if version not in fresh]
    held = {version for version, _ in kept}
    table = sorted([*kept, *read], key=lambda row: version_key(row[0]))
    return table, [(version, why) for version, why in skipped if version not in held]


def read_all(
    wanted: Sequence[str], platforms: Sequence[str], kinds: frozenset[str], jobs: int
) -> tuple[Table, list[str]]:
    """Read every wanted release, printing each; the table and the releases without an answer."""
    table: Table = []
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
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
    return table, failures


def check_sources(table: Table, sources: dict[str, tuple[str, ...]]) -> int:
    """Compare the table with the source tags, printing what differs; 1 on any disagreement."""
    compared = [(v, names) for v, names in table if v in sources]
    disagree = [(v, names, sources[v]) for v, names in compared if names != sources[v]]
    missing = sorted(set(sources) - {v for v, _ in table}, key=version_key)
    print(f"source check: {len(compared)} releases compared with their tags")
    print(f"  tags not in the table: {' '.join(missing) or '-'}")
    print(f"  releases without a tag: {len(table) - len(compared)}")
    for version, names, expected in disagree:
        print(f"  {version}: binary only {sorted(set(names) - set(expected))}, ", end="")
        print(f"source only {sorted(set(expected) - set(names))}")
    print(f"  disagreements: {len(disagree)}")
    return 1 if disagree else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m tools.uv_releases")
    parser.add_argument(
        "--from", dest="first", type=plain_version, default="0.0.0", help="oldest release to read"
    )
    parser.add_argument(
        "--to", dest="last", type=plain_version, help="newest release to read (default: newest)"
    )
    parser.add_argument("--check-source", type=Path, help="a git clone of uv to compare with")
    parser.add_argument("--kind", action="append", default=[], help="an extra known kind")
    parser.add_argument(
        "--platform", action="append", help=f"wheel platform tag (default: {DEFAULT_PLATFORMS})"
    )
    parser.add_argument("--jobs", type=int, default=3, help="releases read at once")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the table; non-zero on any release without an answer or any disagreement."""
    args = parse_args(argv)
    platforms = tuple(args.platform or DEFAULT_PLATFORMS)
    wanted, skipped = select(index_versions(), args.first, args.last)
    if not wanted:
        raise SystemExit("no release in the range")
    sources = source_tables(args.check_source) if args.check_source else {}
    kinds = releases.all_kinds() | frozenset(args.kind)
    kinds |= frozenset().union(*(releases.kinds(names) for names in sources.values()))
    if not kinds:
        raise SystemExit("no known kinds: pass --kind wheels (and others) or --check-source")
    print(f"{len(wanted)} releases {wanted[0]}..{wanted[-1]} on {', '.join(platforms)}")
    print(f"kinds known before reading: {' '.join(sorted(kinds))}")

    table, failures = read_all(wanted, platforms, kinds, args.jobs)
    if failures:
        print(f"FAILED: no agreed answer for {' '.join(failures)}; {args.output} not written")
        return 1
    read = len(table)
    table, skipped = merge(table, skipped, releases.RELEASES)
    args.output.write_text(render(table, skipped), encoding="utf-8")
    kept = len(table) - read
    print(f"wrote {args.output}: {read} read, {kept} kept from the table, {len(skipped)} skipped")
    for version, why in skipped:
        print(f"  skipped {version}: {why}")
    return check_sources(table, sources) if sources else 0


if __name__ == "__main__":
    sys.exit(main())
