"""The command line's one declaration: each command's options and argument, as data, and the
quick parser that reads them without typer.

The typer commands are built from these tables (janitor.cli.declare) and the console script's
quick path (janitor.entry) parses `janitor dir` and `janitor sweep` with `parse`, so both accept
the same options with the same bounds. Defaults are said in the help text: an option not given
is None (a flag False, a repeatable option None), and the command fills in its default.
Standard library only, and plain classes (a NamedTuple's or a dataclass's first creation costs
more than the rest of the module): the quick path imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# `typing` is for the type checker only: importing it costs the quick path ~2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Option:
    """One option: the parameter it sets, its flags, what it takes, and its help."""

    __slots__ = ("flags", "help", "high", "kind", "low", "metavar", "param", "repeat")

    def __init__(
        self,
        param: str,
        flags: tuple[str, ...],
        kind: str,
        help: str,
        *,
        metavar: str | None = None,
        repeat: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        self.param = param
        self.flags = flags
        self.kind = kind  # "flag", "text", "path", "int" or "float"
        self.help = help
        self.metavar = metavar
        self.repeat = repeat
        self.low = low
        self.high = high


class Argument:
    """A command's one positional argument: the cache word (with its choices), or a name."""

    __slots__ = ("choices", "dashed", "default", "metavar", "param")

    def __init__(
        self,
        param: str,
        metavar: str,
        choices: tuple[str, ...] = (),
        default: str | None = None,
        *,
        dashed: bool = False,
    ) -> None:
        self.param = param
        self.metavar = metavar
        self.choices = choices  # the words the quick parser takes; the command checks the rest
        self.default = default  # None: required
        # The value may be an id that starts with `-` (a uv archive id may): a word of an id's
        # shape that names no option is taken as the argument, `--` or not (see `dashed_last`).
        self.dashed = dashed


class Command:
    """A command's name, its argument and its options, in the order its help lists them."""

    __slots__ = ("argument", "name", "options")

    def __init__(self, name: str, argument: Argument | None, options: tuple[Option, ...]) -> None:
        self.name = name
        self.argument = argument
        self.options = options


def cache_word(*choices: str) -> Argument:
    """The optional cache word (`uv`, the default, `hf`, `all`) of a command."""
    return Argument("cache", f"[{'|'.join(choices)}]", choices, default=choices[0])


def cache_dir(help: str) -> Option:
    """`--cache-dir`, saying what the command does with it."""
    return Option(
        "cache_dir",
        ("--cache-dir",),
        "path",
        f"{help} (default: the one uv uses, as `uv cache dir` says).",
        metavar="PATH",
    )


UV = Option(
    "uv",
    ("--uv",),
    "path",
    "A uv binary whose cache layout to follow (repeatable; default: every uv found).",
    metavar="PATH",
    repeat=True,
)
JSON = Option("json_output", ("--json",), "flag", "Print one JSON document on stdout.")

# The caches a sweep can clean: uv's, the Hugging Face hub's, or both under one budget.
CACHES = ("uv", "hf", "all")

SWEEP = Command(
    "sweep",
    cache_word(*CACHES),
    (
        Option(
            "package",
            ("--package", "-p"),
            "text",
            "Remove this package from the cache in one step (repeatable, any spelling).",
            metavar="NAME",
            repeat=True,
        ),
        cache_dir("The uv cache to clean"),
        UV,
        Option(
            "dry_run",
            ("--dry-run", "-n"),
            "flag",
            "Print the plan on stdout, one line per item; remove nothing.",
        ),
        Option("ci", ("--ci",), "flag", "Also drop unzipped wheels, as `uv cache prune --ci`."),
        Option(
            "older_than",
            ("--older-than",),
            "text",
            "Remove package versions not used for this long: a whole number and a unit, "
            "w (weeks), d (days), h (hours), min (minutes) or s (seconds), largest first: "
            "30d, 12h, 1w2d, 90min.",
            metavar="DURATION",
        ),
        Option(
            "keep_versions",
            ("--keep-versions",),
            "int",
            "Keep the N newest versions of each package per index.",
            metavar="N",
            low=0,
        ),
        Option(
            "max_size",
            ("--max-size",),
            "text",
            "Evict least recently used versions until the cache takes at most SIZE: "
            "10GiB, 500MB, 1.5G or bytes (KiB, MiB, GiB and K, M, G: 1024; kB, MB, GB: 1000).",
            metavar="SIZE",
        ),
        Option(
            "min_free",
            ("--min-free",),
            "text",
            "Evict least recently used versions until the cache's disk has SIZE free (5GiB).",
            metavar="SIZE",
        ),
        Option(
            "keep",
            ("--keep",),
            "text",
            "A package no policy evicts (repeatable).",
            metavar="NAME",
            repeat=True,
        ),
        Option(
            "config",
            ("--config",),
            "path",
            "The policies' defaults (default: janitor's config.toml, if there is one).",
            metavar="PATH",
        ),
        JSON,
        Option(
            "wait",
            ("--wait",),
            "float",
            "How long to wait for running uv processes to finish (default: 300).",
            metavar="SECONDS",
            low=0,
        ),
        Option("force", ("--force",), "flag", "Run without the cache lock (uv may be running)."),
        Option(
            "workers",
            ("--workers",),
            "int",
            "Deletions in flight at once (default: tuned while running, up to 64).",
            metavar="N",
            low=1,
            high=512,
        ),
        Option(
            "processes",
            ("--processes",),
            "int",
            "Worker processes that delete (default: one per core where they pay; 0: none).",
            metavar="N",
            low=0,
            high=64,
        ),
        Option("verbose", ("--verbose", "-v"), "flag", "One line per removed item, and notes."),
        Option("quiet", ("--quiet", "-q"), "flag", "Print nothing but errors."),
    ),
)
DIR = Command("dir", cache_word("uv", "hf"), (cache_dir("The cache whose directory to print"), UV))
REPORT = Command("report", cache_word(*CACHES), (cache_dir("The uv cache to report on"), UV, JSON))
DOCTOR = Command("doctor", cache_word("uv", "hf"), (cache_dir("The uv cache to examine"), UV, JSON))
WHY = Command(
    "why",
    Argument("archive", "ARCHIVE_ID_OR_PATH_OR_PACKAGE", dashed=True),
    (cache_dir("The uv cache to look in"), UV, JSON),
)


# The shape of an id that may start with `-`: 16 or more of uv's id alphabet (an archive id has
# 16, 21 or 24). No option is this long, and `--opt=value` has an `=`, so neither is taken for one.
_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_ID_LENGTH = 16


def dashed_last(command: Command, args: Sequence[str]) -> list[str]:
    """`args` with each word that starts with `-`, has an id's shape and names none of the
    command's options moved after a `--`, so that a parser takes it as the argument.

    The value of an option is left where it is, as is everything after the user's own `--`. A
    word that is not of an id's shape (`--jsn`, `-x`) stays an option, and the parser says it is
    none.
    """
    takes_value = {flag: o.kind != "flag" for o in command.options for flag in o.flags}
    kept: list[str] = []
    dashed: list[str] = []
    position = 0
    while position < len(args):
        word = args[position]
        if word == "--":
            dashed.extend(args[position + 1 :])
            break
        if takes_value.get(word):
            kept.extend(args[position : position + 2])
            position += 2
            continue
        is_id = len(word) >= _ID_LENGTH and _ID_CHARACTERS.issuperset(word)
        dashed_id = word.startswith("-") and is_id and word not in takes_value
        (dashed if dashed_id else kept).append(word)
        position += 1
    return [*kept, "--", *dashed] if dashed else kept


def _value(option: Option, text: str) -> Any:
    """A value converted as typer would, or None when typer should say what is wrong."""
    if option.kind == "path":
        return Path(text) if text else None
    if option.kind == "text":
        return text
    try:
        number: float = int(text) if option.kind == "int" else float(text)
    except ValueError:
        return None
    if (option.low is not None and number < option.low) or (
        option.high is not None and number > option.high
    ):
        return None
    return number


def parse(command: Command, args: Sequence[str]) -> dict[str, Any] | None:
    """The command's parameters, as typer would pass them, or None for anything left to typer.

    None for `--help`, `--`, `-qv`, an unknown option or word, a value out of bounds, an option
    given twice that is not repeatable: typer parses those in full and gives the error.
    """
    by_flag = {flag: option for option in command.options for flag in option.flags}
    argument = command.argument
    params: dict[str, Any] = {}
    position = 0
    while position < len(args):
        name, has_value, text = args[position].partition("=")
        option = by_flag.get(name)
        if option is None:
            if has_value or argument is None or name not in argument.choices:
                return None
            if argument.param in params:
                return None
            params[argument.param] = name
        elif option.kind == "flag":
            if has_value:
                return None
            params[option.param] = True
        else:
            if not has_value:
                position += 1
                if position >= len(args):
                    return None
                text = args[position]
            value = _value(option, text)
            if value is None:
                return None
            if option.repeat:
                params.setdefault(option.param, []).append(value)
            elif option.param in params:
                return None
            else:
                params[option.param] = value
        position += 1
    return params
