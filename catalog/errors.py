"""Exceptions that cross stage boundaries. Expected failures are `Problem`s, not exceptions; these
are for the few conditions that stop a command as a whole."""

from __future__ import annotations


class UsageError(Exception):
    """A command line, setting or environment that cannot be used as given (exit 2).

    Raised by any stage (for example `changed` when git is missing); the CLI prints it without a
    traceback. Defined here, below every stage, so no stage imports the CLI.
    """
