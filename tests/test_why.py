"""`janitor why` on a genuine cache: an archive id or path, or a package name (each of its
archives, as `why ID` shows it), and a name that is neither (one line, exit 2)."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.errors import EXIT_USAGE
from janitor.uv.layout import Kind
from tests.uvfactory import UvCache

runner = CliRunner()


def why(cache: UvCache, target: str, *options: str) -> tuple[int, str, str]:
    """`janitor why TARGET` (after `--`: an archive id may start with `-`)."""
    result = runner.invoke(app, ["why", "--cache-dir", str(cache.root), *options, "--", target])
    return result.exit_code, result.stdout, result.stderr


def test_a_package_name_lists_each_archive_as_why_id_does(uv_cache: UvCache) -> None:
    alpha = [
        i
        for i, (name, _) in sorted(uv_cache.archives.items(), key=lambda kv: kv[1])
        if name == "alpha"
    ]
    assert [uv_cache.archives[i][1] for i in alpha] == ["1.0", "2.0"]
    code, out, err = why(uv_cache, "alpha")
    assert code == 0, err
    each = [why(uv_cache, archive_id) for archive_id in alpha]
    assert all(c == 0 for c, _, _ in each)
    assert out == "".join(o for _, o, _ in each)
    bucket = uv_cache.buckets[Kind.ARCHIVE]
    assert out.splitlines()[0] == f"{bucket}/{alpha[0]} (alpha 1.0)"
    assert out.splitlines()[2] == f"{bucket}/{alpha[1]} (alpha 2.0)"


def test_any_spelling_of_a_name_and_archives_nothing_links_to(uv_cache: UvCache) -> None:
    """epsilon's first archive dangles since uv relinked the entry: it is listed, and said to go
    with a plain sweep; the name is matched as uv matches it (PEP 503)."""
    code, out, err = why(uv_cache, "EPSILON")
    assert code == 0, err
    bucket = uv_cache.buckets[Kind.ARCHIVE]
    [dangling] = uv_cache.dangling_archives
    blocks = out.split(f"{bucket}/")[1:]
    assert sorted(block.split(" ")[0] for block in blocks) == sorted(
        [dangling, uv_cache.relinked_archive]
    )
    assert (
        f"{bucket}/{dangling} (epsilon 1.0)\n  nothing links to it: a plain sweep removes it\n"
        in out
    )
    assert f"  epsilon 1.0: symlink {uv_cache.relinked_entry}\n" in out


def test_a_package_name_as_json(uv_cache: UvCache) -> None:
    code, out, err = why(uv_cache, "alpha", "--json")
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    assert document["package"] == "alpha"
    assert [a["packages"] for a in document["archives"]] == [
        [{"name": "alpha", "version": "1.0"}],
        [{"name": "alpha", "version": "2.0"}],
    ]
    for archive in document["archives"]:
        one = json.loads(why(uv_cache, archive["archive"], "--json")[1])
        assert one == archive


def test_a_package_with_entries_but_no_archive(uv_cache: UvCache) -> None:
    simple = uv_cache.root / uv_cache.buckets[Kind.SIMPLE] / "pypi"
    simple.mkdir(parents=True, exist_ok=True)
    (simple / "lonely.rkyv").write_bytes(b"\x00" * 32)
    code, out, err = why(uv_cache, "lonely")
    assert code == 0, err
    entry = f"{uv_cache.buckets[Kind.SIMPLE]}/pypi/lonely.rkyv"
    assert out == f"lonely: no archive in the cache; its entries: {entry}\n"


def test_neither_an_archive_nor_a_package_says_how_to_find_ids(uv_cache: UvCache) -> None:
    bucket = uv_cache.root / uv_cache.buckets[Kind.ARCHIVE]
    for name in ("nope", "archive-v0/nope", "alpha/1.0"):
        code, out, err = why(uv_cache, name)
        assert code == EXIT_USAGE
        assert out == ""
        missing = name.rpartition("/")[2]
        assert err == (
            f"error: No archive {missing} in {bucket}, and no cached package of that name: "
            "`janitor report` lists the packages, `janitor why PACKAGE` their archive ids\n"
        )
