"""`janitor why` on a genuine cache: an archive id or path, or a package name (each of its
archives, as `why ID` shows it), and a name that is neither (one line, exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from typer.main import get_command
from typer.testing import CliRunner

from janitor.cli.commands import app
from janitor.errors import EXIT_USAGE
from janitor.uv.layout import ARCHIVE_ID_RE, Kind
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


def dashed_archive(cache: UvCache, name: str) -> str:
    """`name`'s archive renamed to an id that starts with `-`, as uv may name one (its alphabet
    is URL-safe base64), with its links pointed at it: the id."""
    [old] = [i for i, (n, _) in cache.archives.items() if n == name]
    new = f"-{old[1:]}"
    assert ARCHIVE_ID_RE.match(new)
    cache.archive(old).rename(cache.archive(new))
    for link in (cache.path(path) for path, target in cache.links.items() if target == old):
        pointed = os.readlink(link)
        assert pointed.endswith(old)
        link.unlink()
        link.symlink_to(pointed.removesuffix(old) + new)
    return new


def test_an_id_that_starts_with_a_dash_is_taken_as_an_id(uv_cache: UvCache) -> None:
    """What `sweep -v` prints is what a user types back: `janitor why -Xy…` names the archive,
    wherever it stands among the options, as `janitor why -- -Xy…` does; the console script
    is run as a user runs it."""
    archive = dashed_archive(uv_cache, "beta")
    root = str(uv_cache.root)
    expected = why(uv_cache, archive)
    assert expected[0] == 0, expected[2]
    assert f"{uv_cache.buckets[Kind.ARCHIVE]}/{archive} (beta 1.0)" in expected[1]
    for args in (
        [archive, "--cache-dir", root],
        ["--cache-dir", root, archive],
        [f"--cache-dir={root}", archive],
    ):
        result = subprocess.run(
            [sys.executable, "-c", "from janitor.entry import main; main()", "why", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (result.returncode, result.stdout, result.stderr) == expected, args
    document = json.loads(why(uv_cache, archive, "--json")[1])
    assert document["archive"] == f"{uv_cache.buckets[Kind.ARCHIVE]}/{archive}"
    first = runner.invoke(app, ["why", archive, "--json", "--cache-dir", root])
    assert json.loads(first.stdout) == document


def test_an_option_misspelt_is_still_said_to_be_none(uv_cache: UvCache) -> None:
    """Only a word of an id's shape is taken for one: `--jsn`, `-x` and `-qv` stay options that
    the command does not have, exit 2, and `--cache-dir -Xy…` is still the option's value."""
    for word, said in (("--jsn", "--jsn"), ("-x", "-x"), ("-qv", "-q")):
        result = runner.invoke(app, ["why", "beta", word, "--cache-dir", str(uv_cache.root)])
        assert result.exit_code == 2
        assert f"No such option: {said}" in result.stderr
    result = runner.invoke(app, ["why", "--cache-dir", "-hd3FsPNOeIr55mn"])
    assert result.exit_code == 2
    assert "Missing argument 'ARCHIVE_ID_OR_PATH_OR_PACKAGE'" in result.stderr


_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_DASHED = st.text(alphabet=_ID_ALPHABET, min_size=15, max_size=23).map(lambda tail: f"-{tail}")


@given(
    target=_DASHED,
    values=st.lists(
        st.one_of(_DASHED, st.sampled_from(["/c", "u", "beta", "--json", "--uv"])), max_size=3
    ),
    cache_dir=st.one_of(st.none(), _DASHED, st.just("/cache")),
    data=st.data(),
)
def test_a_dashed_id_among_any_options_is_the_argument(
    target: str, values: list[str], cache_dir: str | None, data: st.DataObject
) -> None:
    """Wherever a dashed id stands among `--json`, `--cache-dir V` and any `--uv V` (whose values
    may look like ids or options too), typer's command takes it as the argument and each value
    as its option's, as it does after `--`."""
    options: list[list[str]] = [["--json"], *(["--uv", value] for value in values)]
    if cache_dir is not None:
        options.append(["--cache-dir", cache_dir])
    ordered = data.draw(st.permutations([*options, [target]]))
    command = get_command(app).commands["why"]  # type: ignore[attr-defined]
    params = command.make_context("why", [word for group in ordered for word in group]).params
    assert params["archive"] == target
    assert params["json_output"] is True
    uvs = [group[1] for group in ordered if group[0] == "--uv"]
    assert list(params["uv"] or ()) == [Path(value) for value in uvs]
    assert params["cache_dir"] == (None if cache_dir is None else Path(cache_dir))
    rest = [word for group in ordered if group != [target] for word in group]
    assert command.make_context("why", [*rest, "--", target]).params == params
