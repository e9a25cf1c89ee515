"""The `janitor` command line: the only place that prints and turns errors into exit codes.

`options` declares the commands, `commands` is the typer application built from them, a module
per command (`sweep_command`, ...), and `output` what the commands print. The console script
(janitor.entry) runs `dir` and `sweep` without typer.
"""
