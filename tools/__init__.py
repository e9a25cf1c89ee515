"""Maintainer's tools, run by nox; not part of the janitor package (the wheel leaves them out)."""
