"""Read the cache bucket names out of a uv executable, without running it.

uv names its top-level cache buckets `<kind>-v<N>` in one function (`CacheBucket::to_str`). The
compiler lays those string literals end to end in read-only data with no separator, so a release
binary holds a chain such as `...with 6 elementswheels-v8sdists-v11flat-index-v7git-v2...`. This
module owns finding and decoding that chain, for Linux and macOS `uv` and Windows `uv.exe`:

- The chain is found from the `-v<digit>` needles, read in overlapping chunks; every stretch of
  `[a-z0-9-]` around a needle is cut into `<kind>-v<N>` tokens, each starting right after the digits
  of the one before. A stretch of two or more tokens is a chain.
- The first token's kind may carry a glued tail of the literal before it (`elementswheels-v8`). It
  is split off with the caller's vocabulary of kinds, `kinds`: no list of kinds is written here;
  janitor passes `janitor.uv.releases.current_kinds()`, the kinds of the newest release of the
  generated table (the table's generator passes every kind it knows). A chain that starts cleanly
  (after a control byte) needs none. A first token that cannot be split with confidence makes the
  answer None.
- Literals of exactly 8 or 16 bytes (`files-v0`) may be moved by the linker into a pool of
  same-sized constants elsewhere. A pool entry, aligned to its size, is added when its kind is in
  the vocabulary and missing from the chain.
- Windows binaries also hold an older list of bucket names (a cache migration), and identical
  literals are shared between the two lists, so the current set is split over two chains. A chain
  holding an older version of some kind than another chain is stale; only its newest tokens of
  kinds in the vocabulary count.

The answer is None unless the result holds an `archive-v<N>` bucket and at least six buckets; a
file that cannot be read raises OSError. Standard library only; imports nothing from janitor but
janitor.uv.names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from janitor.uv.names import bucket_name

# One `<kind>-v<N>` literal: kind words of lowercase letters joined by hyphens, N without leading
# zeros. Only ever run over a short stretch (at most _MAX_STRETCH bytes), never over the file.
_TOKEN = re.compile(rb"([a-z]+(?:-[a-z]+)*)-v(0|[1-9][0-9]{0,3})")
_STRETCH_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789-"
_DIGITS = b"0123456789"
# A literal needle with one class after it: the regex engine scans for the literal prefix (about as
# fast as bytes.find on a long needle, and faster than bytes.find on a two-byte one).
_NEEDLE = re.compile(rb"-v[0-9]")
# A chain is about 200 bytes; a stretch of this many word bytes is something else.
_MAX_STRETCH = 1024
_CHUNK = 1 << 22
# Sizes of the mergeable-constant pools a bucket literal can land in.
_POOL_SIZES = (8, 16)
_MIN_BUCKETS = 6
_ANCHOR_KIND = "archive"


@dataclass(frozen=True)
class _Chain:
    """Tokens of one stretch, in file order, with its first token's unresolved kind word."""

    offset: int
    end: int
    first_word: str
    clean_start: bool
    tokens: tuple[tuple[str, int], ...]


def _parse_stretch(offset: int, stretch: bytes, before: int) -> _Chain | None:
    """Cut a stretch of word bytes into contiguous tokens; None unless it holds two or more."""
    first = _TOKEN.search(stretch)
    if first is None:
        return None
    tokens = [(first.group(1).decode(), int(first.group(2)))]
    end = first.end()
    while (m := _TOKEN.match(stretch, end)) is not None:
        tokens.append((m.group(1).decode(), int(m.group(2))))
        end = m.end()
    if len(tokens) < 2:
        return None
    tail = stretch[end:]
    if tail[:1].isdigit() or _TOKEN.search(tail) is not None:
        # `osv-v1` followed by `2...`, or a token not glued to the chain: not a clean chain.
        return _Chain(offset, offset + len(stretch), "", False, ())
    clean = first.start() == 0 and (before < 0x20 or before == 0x7F)
    return _Chain(offset, offset + len(stretch), tokens[0][0], clean, tuple(tokens))


def _scan(path: os.PathLike[str] | str) -> tuple[list[_Chain], list[tuple[str, int]]]:
    """Read the file in overlapping chunks; return its chains and the tokens in pool slots."""
    chains: dict[int, _Chain] = {}
    slots: list[tuple[int, str, int]] = []
    margin = _MAX_STRETCH + 1
    buf = b""
    base = 0  # file offset of buf[0]
    scanned = 0  # file offset up to which needles were examined
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            eof = not chunk
            buf += chunk
            limit = len(buf) if eof else len(buf) - margin
            if limit > 0:
                for m in _NEEDLE.finditer(buf, max(scanned - base, 0), limit + 3):
                    if m.start() < limit:
                        _examine(buf, base, m.start(), chains, slots)
            scanned = base + max(limit, 0)
            if eof:
                break
            keep = buf[-2 * margin :]
            base += len(buf) - len(keep)
            buf = keep
    found = [chains[k] for k in sorted(chains)]
    # A slot inside a chain is a piece of one of its tokens, not a pooled literal.
    pooled = [
        (kind, version)
        for at, kind, version in slots
        if not any(c.offset <= at < c.end for c in found)
    ]
    return found, pooled


def _examine(
    buf: bytes, base: int, i: int, chains: dict[int, _Chain], slots: list[tuple[int, str, int]]
) -> None:
    """Record the stretch around the needle at buf[i] and the pool slot the needle's token fills."""
    left = buf[max(i - _MAX_STRETCH, 0) : i]
    start = i - (len(left) - len(left.rstrip(_STRETCH_BYTES)))
    right = buf[i : i + _MAX_STRETCH]
    stop = i + (len(right) - len(right.lstrip(_STRETCH_BYTES)))
    too_long = (start == i - _MAX_STRETCH and start > 0) or stop == i + _MAX_STRETCH
    if not too_long and base + start not in chains:
        before = buf[start - 1] if start > 0 else 0
        chain = _parse_stretch(base + start, buf[start:stop], before)
        if chain is not None:
            chains[base + start] = chain
    end = i + 2
    while end < len(buf) and buf[end] in _DIGITS:
        end += 1
    for size in _POOL_SIZES:
        if (base + end) % size == 0 and end - size >= 0:
            m = _TOKEN.fullmatch(buf, end - size, end)
            if m is not None:
                slots.append((base + end - size, m.group(1).decode(), int(m.group(2))))


def _first_kind(chain: _Chain, kinds: Collection[str]) -> str | None:
    """The kind of a chain's first token with any glued prefix split off; None when unsure."""
    word = chain.first_word
    if chain.clean_start or word in kinds:
        return word
    best = None
    for kind in kinds:
        cut = len(word) - len(kind)
        fits = cut > 0 and word.endswith(kind) and word[cut - 1] != "-"
        if fits and (best is None or len(kind) > len(best)):
            best = kind
    return best


def _combine(
    chains: list[_Chain], pooled: list[tuple[str, int]], kinds: Collection[str]
) -> dict[str, int] | None:
    """Merge chains and pooled tokens into one version per kind; None when they disagree."""
    resolved: list[dict[str, int]] = []
    for chain in chains:
        if not chain.tokens:
            return None
        first = _first_kind(chain, kinds)
        if first is None:
            return None
        found = dict([(first, chain.tokens[0][1]), *chain.tokens[1:]])
        if len(found) != len(chain.tokens):
            return None  # a kind twice in one chain
        resolved.append(found)
    newest: dict[str, int] = {}
    for found in resolved:
        for kind, version in found.items():
            newest[kind] = max(version, newest.get(kind, version))
    result: dict[str, int] = {}
    stale: list[dict[str, int]] = []
    for found in resolved:
        if all(newest[k] == v for k, v in found.items()):
            result.update(found)
        else:
            stale.append(found)
    if stale and not result:
        return None
    for found in stale:
        for kind, version in found.items():
            if version == newest[kind] and kind not in result:
                if kind not in kinds:
                    if not kinds:
                        return None  # no vocabulary to tell a retired kind from a current one
                    continue
                result[kind] = version
    extra: dict[str, set[int]] = {}
    for kind, version in pooled:
        if kind in kinds and kind not in result:
            extra.setdefault(kind, set()).add(version)
    for kind, versions in extra.items():
        if len(versions) != 1:
            return None
        result[kind] = versions.pop()
    return result


def bucket_names(
    binary: os.PathLike[str] | str, kinds: Iterable[str] = ()
) -> tuple[str, ...] | None:
    """The sorted bucket directory names a uv executable holds, or None when not found for sure."""
    vocabulary = frozenset(kinds)
    chains, pooled = _scan(binary)
    if not chains:
        return None
    result = _combine(chains, pooled, vocabulary)
    if result is None or _ANCHOR_KIND not in result or len(result) < _MIN_BUCKETS:
        return None
    return tuple(sorted(bucket_name(kind, version) for kind, version in result.items()))
