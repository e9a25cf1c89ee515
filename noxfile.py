"""Sessions: tests, lint, typecheck, bench, uv-releases."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, against genuine uv caches."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "janitor", "tests", "benchmarks", "tools", "noxfile.py")
    session.run(
        "ruff", "format", "--check", "janitor", "tests", "benchmarks", "tools", "noxfile.py"
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the tests, the benchmarks and the tools."""
    session.install("-e", ".[test,lint]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """janitor beside uv cache prune, rm -rf and shutil.rmtree (see benchmarks/README.md)."""
    session.install("-e", ".[test]", "fusepy")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(name="uv-releases")
def uv_releases(session: nox.Session) -> None:
    """Regenerate janitor/uv/releases_table.py from every uv release on the package index."""
    session.install("-e", ".")
    session.run("python", "-m", "tools.uv_releases", *session.posargs)
