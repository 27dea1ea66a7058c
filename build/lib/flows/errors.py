"""Every error a user can act on, from every package, and the one place the CLI turns them into one line.

Each package keeps its own error type (crawlers and nlp import nothing of
flows); USER_ERRORS names them all, so the CLI has a single handler.
"""
from __future__ import annotations

from crawlers.sources import SourcesError
from nlp.errors import NlpError
from pipeline.db import DatabaseError


class CliError(RuntimeError):
    """A bad option or argument, or a run that cannot go on; str() is the one-line message."""


class RunError(CliError):
    """A run that cannot go on."""


class RunInProgress(RunError):
    pass


class ScheduleError(CliError):
    pass


USER_ERRORS: tuple[type[Exception], ...] = (CliError, SourcesError, NlpError, DatabaseError)
