"""Prefect flows: crawl -> extract -> load, with retries and run history.

Runs against Prefect's temporary local API by default, or the server named
by PREFECT_API_URL. The database is opened for writing only inside the load
task, so readers are shut out for the load alone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.prefect_env import configure

configure()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from crawlers.sources import Source, load_sources  # noqa: E402
from flows import work  # noqa: E402


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_task(sources: list[Source], workdir: str, seen: set[str]) -> work.CrawlResult:
    result = work.crawl(sources, Path(workdir), seen)
    get_run_logger().info("crawled: %d requests, %d article pages, %d failures",
                          result.requests, len(result.pages), len(result.failures))
    return result


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(db: str, sources: list[Source], pages: list[Any], progress: Any = None) -> list[Any]:
    todo = work.pages_to_extract(db, pages)
    langs = {s.name: s.lang for s in sources}
    articles = work.extract(todo, langs, progress=progress)
    get_run_logger().info("extracted %d articles, %d facts", len(articles), sum(len(a.extraction.facts) for a in articles))
    return articles


@task(name="load", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_task(db: str, sources: list[Source], pages: list[Any], articles: list[Any], run: Any) -> dict[str, int]:
    counts = work.load(db, sources, pages, articles, run)
    get_run_logger().info("loaded: %s", counts)
    return counts


@flow(name="cityfacts-run", log_prints=True)
def run_flow(sources_file: str, db: str = "cityfacts.duckdb", variables: dict[str, str] | None = None,
             workdir: str | None = None, progress: Any = None, extract_articles: bool = True) -> dict[str, Any]:
    """Crawl every source in the file, extract the new or changed reports, load them."""
    sources = load_sources(sources_file, variables)
    workdir = workdir or str(Path(db).resolve().parent / ".cityfacts-work")
    with work.run_lock(db):
        run = work.new_run(sources)
        seen = work.seen_urls(db) if extract_articles else set()
        result = crawl_task(sources, workdir, seen)
        run.requests = result.requests
        run.failures = result.failures
        run.status = "completed" if result.complete else "incomplete"
        articles = extract_task(db, sources, result.pages, progress) if extract_articles else []
        counts = load_task(db, sources, result.pages, articles, run)
    return {"run_id": run.run_id, "requests": run.requests, "failed": len(run.failures), **counts}
