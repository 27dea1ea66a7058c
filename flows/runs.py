"""Starting a run from the command line: validate first, take the lock, then pay for Prefect.

Kept apart from the CLI so the command only parses options, and apart from
flows/flows.py so a refused run (bad sources file, unknown source, another
run holding the lock) never imports Prefect: it says so in one line at once.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawlers.sources import load_sources
from flows.errors import CliError
from flows.work import run_lock


def run_sources(sources: Path, db: str, variables: dict[str, str] | None = None, extract_articles: bool = True,
                since: str | None = None, only: list[str] | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    validate(sources, db, variables, only)
    with run_lock(db):  # refuse a second run here, before Prefect starts
        from flows.api_server import ensure_api

        # An API server of the run's own, untouched by Ctrl-C, stopped at exit once Prefect has sent it its
        # last logs and events, and killed with the run on kill -9.
        ensure_api()
        from flows.flows import run_flow

        return run_flow(str(sources), db, variables, progress=progress, extract_articles=extract_articles,
                        since=since, only=only or None)


def validate(sources: Path, db: str, variables: dict[str, str] | None = None, only: list[str] | None = None) -> None:
    """Everything a run needs that can be checked in a second: before a progress bar or Prefect's start-up."""
    names = [s.name for s in load_sources(sources, variables)]
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise CliError(f"{sources}: no source named {', '.join(unknown)} (have: {', '.join(names)})")
    check_database(db)


def check_database(db: str) -> None:
    """The database can be opened (or created where its folder is writable): one clear line otherwise."""
    import os

    from pipeline.db import DatabaseBusy, exists, reader

    path = Path(db)
    if exists(db):
        try:
            with reader(db, wait_s=0.5):
                pass
        except DatabaseBusy:
            pass  # another run holds it; the run lock says so next
    elif not os.access(path.resolve().parent, os.W_OK):
        raise CliError(f"{db}: cannot create the database: its folder {path.resolve().parent} is not writable")


def describe(result: dict[str, Any]) -> str:
    return (f"run {result['run_id']}: {result['requests']} requests, {result['new']} new / "
            f"{result['changed']} changed / {result['unchanged']} unchanged pages, "
            f"{result['articles']} articles, {result['facts']} facts, {result['failed']} failed URLs")
