"""Typed errors and the exit code each one maps to. Only `janitor.cli` turns them into exits.

Imports nothing from janitor.
"""

from __future__ import annotations

EXIT_PARTIAL = 1  # finished, but some paths could not be removed
EXIT_USAGE = 2
EXIT_BUSY = 3
EXIT_REFUSED = 4
EXIT_INTERRUPTED = 130


class JanitorError(Exception):
    """An expected failure with a one-line message for the user."""

    exit_code = EXIT_PARTIAL


class UsageError(JanitorError):
    """The command line or the config file is wrong."""

    exit_code = EXIT_USAGE


class CacheBusy(JanitorError):
    """Another process holds the cache lock and the wait ran out."""

    exit_code = EXIT_BUSY


class Refused(JanitorError):
    """janitor will not touch this directory: missing, not a uv cache, or unsafe."""

    exit_code = EXIT_REFUSED
