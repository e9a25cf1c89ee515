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

from janitor.cli.options import Argument, Command, Option
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
    app.command(command.name)(typed)


def handles_errors(command: Callable[_P, None]) -> Callable[_P, None]:
    """A typer command declared the usual way, with errors said as every command says them."""

    @functools.wraps(command)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        code = guarded(lambda: command(*args, **kwargs))
        if code:
            raise typer.Exit(code)

    return wrapper
