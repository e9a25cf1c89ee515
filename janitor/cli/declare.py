"""typer's commands, built from the declarations in janitor.cli.options, and the error handling
every typer command shares (janitor.cli.output.guarded).

A command's body is a plain function taking the declared parameters by name and returning its
exit code (or None); `register` gives typer a function whose signature is made from the
declaration, `Annotated[type, typer.Option(...)]` for each option. May import typer.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec

import typer
from typer.core import TyperCommand

from janitor.cli.options import Argument, Command, Option, dashed_last
from janitor.cli.output import guarded

_P = ParamSpec("_P")

_TYPES: dict[str, type] = {"flag": bool, "text": str, "path": Path, "int": int, "float": float}


def _option(option: Option) -> inspect.Parameter:
    value = _TYPES[option.kind]
    if option.kind == "flag":
        declared = typer.Option(*option.flags, help=option.help)
        return _keyword(option.param, Annotated[bool, declared], False)
    declared = typer.Option(
        *option.flags,
        metavar=option.metavar,
        help=option.help,
        min=option.low,
        max=option.high,
        # The defaults are said in the help text: the parameter's own is None.
        show_default=False,
    )
    typed: Any = list[value] | None if option.repeat else value | None  # type: ignore[valid-type]
    return _keyword(option.param, Annotated[typed, declared], None)


def _argument(argument: Argument) -> inspect.Parameter:
    # Hidden, and described in the command's docstring: click would list it with a Python type
    # name.
    declared = typer.Argument(metavar=argument.metavar, hidden=True)
    default = inspect.Parameter.empty if argument.default is None else argument.default
    return _keyword(argument.param, Annotated[str, declared], default)


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def signature(command: Command) -> inspect.Signature:
    """The signature typer reads the command's parameters from."""
    parameters = [] if command.argument is None else [_argument(command.argument)]
    parameters.extend(_option(option) for option in command.options)
    return inspect.Signature(parameters)


def register(app: typer.Typer, command: Command, body: Callable[..., int | None]) -> None:
    """Add a command declared in janitor.cli.options to the app; `body` runs it (its docstring
    is the command's help)."""

    def typed(**params: Any) -> None:
        code = guarded(lambda: body(**params))
        if code:
            raise typer.Exit(code)

    typed.__signature__ = signature(command)  # type: ignore[attr-defined]
    typed.__doc__ = body.__doc__
    typed.__name__ = typed.__qualname__ = body.__name__
    dashed = command.argument is not None and command.argument.dashed
    app.command(command.name, cls=_dashed(command) if dashed else None)(typed)


def _dashed(command: Command) -> type[TyperCommand]:
    """A typer command whose argument may start with `-` (janitor.cli.options.dashed_last)."""

    class Dashed(TyperCommand):
        # click's Context, or the copy of click a newer typer carries: not named here.
        def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
            return super().parse_args(ctx, dashed_last(command, args))

    return Dashed


def handles_errors(command: Callable[_P, None]) -> Callable[_P, None]:
    """A typer command declared the usual way, with errors said as every command says them."""

    @functools.wraps(command)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        code = guarded(lambda: command(*args, **kwargs))
        if code:
            raise typer.Exit(code)

    return wrapper
