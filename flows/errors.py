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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a crawl. The crawl returns what it fetched (status "interrupted"); the flow stores it and
    records the run as interrupted, then raises this to stop. A KeyboardInterrupt still, so whatever does not
    know it stops as on any Ctrl-C."""


USER_ERRORS: tuple[type[Exception], ...] = (CliError, SourcesError, NlpError, DatabaseError)
