"""Which top-level names of a cache are live, stale or unknown, for the uvs that use it.

A cache is written by whichever uv the user runs, often by more than one release. janitor follows
the releases it found: a bucket any of them uses is live; a bucket of a known kind at a version
no release found uses, and no newer than the newest release janitor knows, is stale (what that
uv's own `uv cache prune` removes); anything shaped like a bucket that janitor does not know (a
newer uv, a preview layout, another tool) is kept and named in a note. The newest release found
is the reference: a plain sweep is its prune. Each release's bucket names come from the generated
table (`releases`), or, for a uv newer than the table, from its binary (`uvbinary`); without any
uv, janitor keeps the newest version of every kind on the disk. Pure, given the binaries' names;
may import janitor.uv.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from janitor.uv import releases
from janitor.uv.layout import Kind, parse_bucket
from janitor.uv.names import MARKERS, TRASH_DIR, bucket_name

Version = tuple[int, int, int]


class Status(str, enum.Enum):
    """What a top-level name is, for the uvs followed."""

    MARKER = "marker"  # CACHEDIR.TAG, .gitignore, .git, .lock
    TRASH = "trash"  # janitor's own trash directory
    CURRENT = "current"  # a bucket of the reference release
    OTHER = "current for another uv"  # a bucket of another release found
    STALE = "stale"  # a bucket of a known kind no release found uses
    UNKNOWN = "unknown"  # a bucket-shaped name janitor does not know: kept
    TEMPORARY = "temporary"  # `.tmp*`, left by an interrupted uv
    STRAY = "stray"  # anything else: not uv's


LIVE = frozenset({Status.CURRENT, Status.OTHER, Status.UNKNOWN})


@dataclass(frozen=True)
class Release:
    """One uv release followed, and where its bucket names came from."""

    version: Version
    buckets: frozenset[str]
    path: Path | None = None  # the binary, when one was found
    source: str = "table"  # "table", "binary", or "assumed"

    @property
    def name(self) -> str:
        """The version as uv prints it."""
        return ".".join(map(str, self.version))


def version_of(text: str) -> Version:
    """(major, minor, patch) of a plain `X.Y.Z` version."""
    major, minor, patch = releases.version_key(text)
    return (major, minor, patch)


NEWEST_KNOWN: Version = version_of(releases.newest_release())


def release(version: Version, path: Path | None = None) -> tuple[Release, str | None]:
    """The bucket names of a release, and a note when they had to be read or assumed."""
    name = ".".join(map(str, version))
    names = releases.buckets_of(name)
    if names is not None:
        return Release(version, frozenset(names), path), None
    if path is not None:
        from janitor.uv import binary as uvbinary  # reading a binary is the rare case

        read = uvbinary.bucket_names(path, releases.current_kinds())
        if read is not None:
            note = f"uv {name} is not in janitor's table: its bucket names were read from {path}"
            return Release(version, frozenset(read), path, "binary"), note
    newest = releases.buckets_of(releases.newest_release()) or ()
    note = (
        f"uv {name} is not in janitor's table and its bucket names could not be read: "
        f"following uv {releases.newest_release()} and keeping every newer bucket"
    )
    return Release(version, frozenset(newest), path, "assumed"), note


def _kind_versions() -> dict[str, int]:
    newest: dict[str, int] = {}
    # Each distinct name once: a few dozen, where the releases list several hundred.
    for name in {name for _, names in releases.RELEASES for name in names}:
        parsed = parse_bucket(name)
        if parsed is not None:
            newest[parsed.kind] = max(newest.get(parsed.kind, 0), parsed.version)
    return newest


# The highest version of each kind any known release uses.
_KNOWN_KINDS: Mapping[str, int] = _kind_versions()


@dataclass(frozen=True)
class Layout:
    """The statuses of a cache's top-level names, for the releases followed."""

    releases: tuple[Release, ...]  # newest first; empty when no uv was found
    statuses: Mapping[str, Status]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # what the user should act on (said unless --quiet)
    # kind -> live bucket names of that kind, the reference's first (then newest first)
    live: Mapping[Kind, tuple[str, ...]] = field(default_factory=dict)

    @property
    def reference(self) -> Release | None:
        """The newest release followed: a plain sweep is its prune."""
        return self.releases[0] if self.releases else None

    @property
    def reference_version(self) -> Version:
        """The reference's version, or the newest janitor knows when no uv was found."""
        return self.releases[0].version if self.releases else NEWEST_KNOWN

    @property
    def rules(self) -> Rules:
        """How the reference release prunes and cleans."""
        return rules(self.reference_version)

    def status(self, name: str) -> Status:
        """The status of a top-level name (one not on the disk is classified as if it were)."""
        found = self.statuses.get(name)
        return found if found is not None else _classify(name, self._live_names(), ())

    def bucket(self, kind: Kind) -> str:
        """The reference's bucket of a kind (for a kind it lacks, the newest known name)."""
        names = self.live.get(kind)
        if names:
            return names[0]
        return bucket_name(kind.value, _KNOWN_KINDS.get(kind.value, 0))

    def current_of(self, kind: Kind) -> tuple[str, ...]:
        """Every live bucket of a kind, the reference's first."""
        return tuple(self.live.get(kind, ()))

    def _live_names(self) -> frozenset[str]:
        return frozenset(name for names in self.live.values() for name in names)


def _classify(name: str, live: frozenset[str], reference: Iterable[str]) -> Status:
    if name in MARKERS:
        return Status.MARKER
    if name == TRASH_DIR:
        return Status.TRASH
    if name in live:
        return Status.CURRENT if name in reference else Status.OTHER
    parsed = parse_bucket(name)
    if parsed is not None:
        newest = _KNOWN_KINDS.get(parsed.kind)
        if newest is not None and parsed.version <= newest:
            return Status.STALE
        return Status.UNKNOWN
    if name.startswith(".tmp"):
        return Status.TEMPORARY
    return Status.STRAY


def plan_layout(followed: Sequence[Release], names: Iterable[str]) -> Layout:
    """Classify a cache's top-level `names` for the releases followed (newest first)."""
    names = sorted(set(names))
    notes: list[str] = []
    warnings: list[str] = []
    if followed:
        chosen = list(followed)
        live_names = frozenset(name for one in chosen for name in one.buckets)
        reference = chosen[0].buckets
    else:
        # Without a uv, the newest known release, and the newest version of each kind on disk.
        newest = releases.buckets_of(releases.newest_release()) or ()
        on_disk: dict[str, tuple[int, str]] = {}
        for name in names:
            parsed = parse_bucket(name)
            if parsed is not None and parsed.kind in _KNOWN_KINDS:
                best = on_disk.get(parsed.kind)
                if best is None or parsed.version > best[0]:
                    on_disk[parsed.kind] = (parsed.version, name)
        live_names = frozenset(newest) | {name for _, name in on_disk.values()}
        reference = frozenset(newest)
        warnings.append(
            "no uv found: following the newest layout janitor knows "
            f"(uv {releases.newest_release()}) and keeping the newest bucket of every kind "
            "on the disk; name your uv with --uv"
        )
        chosen = []
    statuses = {name: _classify(name, live_names, reference) for name in names}
    for name, status in statuses.items():
        if status is Status.UNKNOWN:
            notes.append(f"kept {name}: a bucket janitor does not know (a newer uv or a preview)")
    live: dict[Kind, list[tuple[int, int, str]]] = {}
    for name in live_names:
        parsed = parse_bucket(name)
        if parsed is None:
            continue
        try:
            kind = Kind(parsed.kind)
        except ValueError:
            continue
        live.setdefault(kind, []).append((0 if name in reference else 1, -parsed.version, name))
    return Layout(
        releases=tuple(chosen),
        statuses=statuses,
        notes=tuple(notes),
        warnings=tuple(warnings),
        live={kind: tuple(name for *_, name in sorted(found)) for kind, found in live.items()},
    )


def follow(binaries: Iterable[tuple[Version, Path | None]]) -> tuple[list[Release], list[str]]:
    """The releases of the uv binaries found (newest first), and notes on how each was read."""
    found: list[Release] = []
    notes: list[str] = []
    for version, path in sorted(binaries, key=lambda pair: pair[0], reverse=True):
        if any(one.version == version for one in found):
            continue
        one, note = release(version, path)
        found.append(one)
        if note:
            notes.append(note)
    return found, notes


class References(str, enum.Enum):
    """Which links a release's prune counts as keeping an archive alive."""

    EVERYWHERE = "links in every bucket"  # up to 0.5.31 (the archive bucket's own included)
    OUTSIDE_ARCHIVES = "links in every bucket but the archive bucket"  # 0.6.0 to 0.7.8
    WHEELS_AND_SDISTS = "links in the wheels and sdists buckets"  # from 0.7.9


@dataclass(frozen=True)
class Rules:
    """How the reference release prunes and cleans, where releases differ (measured on each)."""

    # Which links keep archives alive. 0.6.0 to 0.7.3 also counted only links whose names parse as
    # wheels, which made them delete the live archive of any wheel with a dot in its last tag
    # (a bug janitor does not repeat: it counts those links too).
    references: References
    # Prune empties the builds bucket (temporary build environments): from 0.12.24.
    empties_builds: bool
    # `--ci` removes everything but `metadata.msgpack` and `*.whl` in a built revision (from
    # 0.6.0); before, only its subdirectories and links.
    ci_keeps_only_metadata_and_wheels: bool


def rules(version: Version) -> Rules:
    """The prune and clean rules of a release."""
    if version <= (0, 5, 31):
        references = References.EVERYWHERE
    elif version <= (0, 7, 8):
        references = References.OUTSIDE_ARCHIVES
    else:
        references = References.WHEELS_AND_SDISTS
    return Rules(
        references=references,
        empties_builds=version >= (0, 12, 24),
        ci_keeps_only_metadata_and_wheels=version >= (0, 6, 0),
    )


def buckets_by_kind(version: str | None = None) -> dict[Kind, str]:
    """A release's bucket names by kind (by default the newest release janitor knows)."""
    names = releases.buckets_of(version or releases.newest_release())
    if names is None:
        raise ValueError(f"uv {version} is not in janitor's table")
    found: dict[Kind, str] = {}
    for name in names:
        parsed = parse_bucket(name)
        if parsed is not None:
            try:
                found[Kind(parsed.kind)] = name
            except ValueError:
                continue
    return found
