"""Prefect flows: crawl -> load pages -> extract -> load facts, with retries and run history.

Runs against Prefect's temporary local API by default, or the server named
by PREFECT_API_URL. The database is opened for writing only inside the load
tasks, so readers are shut out for a load alone, never for a crawl or an
extraction.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.prefect_env import configure

configure()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from crawlers.sources import Source, load_sources_file  # noqa: E402
from flows import work  # noqa: E402

# Inputs are large (raw pages) or live objects (progress callbacks): caching them would cost more than it saves,
# and a crawl's result is never the same twice.


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_task(sources: list[Source], workdir: str, seen: set[str], since: str | None, contact: str | None,
               settings: dict[str, Any] | None) -> work.CrawlResult:
    result = work.crawl(sources, Path(workdir), seen, since, contact, settings)
    get_run_logger().info("crawled: %d requests, %d new article pages, %d failures",
                          result.requests, len(result.pages), len(result.failures))
    return result


@task(name="load-pages", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_pages_task(db: str, sources: list[Source], result: work.CrawlResult, run: Any) -> dict[str, int]:
    counts = work.load_pages(db, sources, result, run)
    get_run_logger().info("stored pages: %s", counts)
    return counts


@task(name="extract-and-load", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def extract_task(db: str, sources: list[Source], since: str | None, run_id: str, progress: Any = None) -> dict[str, int]:
    counts = work.extract_stored(db, sources, since=since, progress=progress, run_id=run_id)
    get_run_logger().info("extracted and loaded: %s", counts)
    return counts


@flow(name="cityfacts-run", log_prints=True)
def run_flow(sources_file: str, db: str = "cityfacts.duckdb", variables: dict[str, str] | None = None,
             workdir: str | None = None, progress: Any = None, extract_articles: bool = True,
             since: str | None = None, only: list[str] | None = None,
             crawl_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl the sources in the file, store new pages, extract what needs it, load the facts."""
    config = load_sources_file(sources_file, variables)
    sources = [s for s in config.sources if not only or s.name in only]
    workdir = workdir or str(Path(db).resolve().parent / ".cityfacts-work")
    with work.run_lock(db):
        run = work.new_run(sources)
        seen = work.seen_urls(db)
        result = crawl_task(sources, workdir, seen, since, config.contact, crawl_settings)
        counts = load_pages_task(db, sources, result, run)
        extracted = {"articles": 0, "facts": 0, "irrelevant": 0}
        if extract_articles:
            extracted = extract_task(db, sources, since, run.run_id, progress)
    return {"run_id": run.run_id, "requests": run.requests, "failed": len(run.failures), **counts, **extracted}
