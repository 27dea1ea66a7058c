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
    names = [s.name for s in load_sources(sources, variables)]  # validate before paying for Prefect's start-up
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise CliError(f"{sources}: no source named {', '.join(unknown)} (have: {', '.join(names)})")
    with run_lock(db):  # refuse a second run here, before Prefect starts
        from flows.flows import run_flow

        return run_flow(str(sources), db, variables, progress=progress, extract_articles=extract_articles,
                        since=since, only=only or None)


def describe(result: dict[str, Any]) -> str:
    return (f"run {result['run_id']}: {result['requests']} requests, {result['new']} new / "
            f"{result['changed']} changed / {result['unchanged']} unchanged pages, "
            f"{result['articles']} articles, {result['facts']} facts, {result['failed']} failed URLs")
