"""The `janitor` command line: the only place that prints and turns errors into exit codes.

`commands` holds the typer application (`app`, `main`), a module per command; `output` and
`sweeping` hold what the commands print and the sweep itself without typer, so that
janitor.entry can run them without importing it.
"""
