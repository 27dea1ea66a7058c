"""Prefect flows: crawl -> load pages -> extract -> load facts, with retries and run history.

Runs against Prefect's temporary local API by default, or the server named
by PREFECT_API_URL. The database is opened for writing only inside the load
tasks, so readers are shut out for a load alone, never for a crawl or an
extraction.
"""
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from flows.prefect_env import configure

configure()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from crawlers.sources import Source, load_sources_file  # noqa: E402
from flows import work  # noqa: E402
from flows.errors import Interrupted  # noqa: E402
from flows.heartbeat import heartbeat  # noqa: E402
from pipeline.lake import is_lake  # noqa: E402

# Inputs are large (raw pages) or live objects (progress callbacks): caching them would cost more than it saves,
# and a crawl's result is never the same twice.


def work_folder(db: str) -> str:
    """Spools and crawl logs: beside a database file, or in the working folder for a lake."""
    return str((Path.cwd() if is_lake(db) else Path(db).resolve().parent) / ".cityfacts-work")


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_task(sources: list[Any], workdir: str, seen: set[str], since: str | None, contact: str | None,
               settings: dict[str, Any] | None, progress: Any = None) -> work.CrawlResult:
    result = work.crawl(sources, Path(workdir), seen, since, contact, settings, progress)
    get_run_logger().info("crawled: %d requests, %d new article pages, %d failures",
                          result.requests, result.page_count, len(result.failures))
    return result


def stop_if_interrupted(result: work.CrawlResult, counts: dict[str, int]) -> None:
    """After a Ctrl-C'd crawl's pages are stored and its run recorded as interrupted: stop the run here."""
    if result.status == "interrupted":
        raise Interrupted(f"interrupted: the crawl stopped; {counts.get('new', 0)} new pages were stored "
                          f"(extraction waits for the next run)")


@task(name="load-pages", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_pages_task(db: str, sources: list[Any], result: work.CrawlResult, run: Any) -> dict[str, int]:
    counts = work.load_pages(db, sources, result, run)
    get_run_logger().info("stored pages: %s", counts)
    return counts


@task(name="extract-and-load", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def extract_task(db: str, sources: list[Any], since: str | None, run_id: str | None, progress: Any = None,
                 only_run: bool = False, not_runs_like: str | None = None) -> dict[str, int]:
    counts = work.extract_stored(db, sources, since=since, progress=progress, run_id=run_id, only_run=only_run,
                                 not_runs_like=not_runs_like)
    get_run_logger().info("extracted and loaded: %s", counts)
    return counts


@flow(name="cityfacts-source", log_prints=True)
def source_flow(source_config: dict[str, Any], db: str, workdir: str | None = None, since: str | None = None,
                contact: str | None = None, crawl_settings: dict[str, Any] | None = None,
                progress: Any = None, run_id: str | None = None, shard: int | None = None,
                batch: str | None = None) -> dict[str, Any]:
    """One source: crawl it, store its new pages, extract them, load the facts. Its own crawl_runs row.

    The source arrives as a plain dict (JSON, like every flow parameter Prefect records) and is validated here.
    Deployed (prefect.yaml), it is what `run --distributed` submits per shard, with the shared frontier's
    settings in crawl_settings, a run_id chosen by the submitter, and its shard number and batch (the prefix of
    the batch's run ids). Shards extract only the pages they stored; shard 0 first extracts what earlier runs
    stored and did not extract (a worker lost mid-run).
    """
    source = Source.model_validate(source_config)
    run = work.new_run([source], run_id)
    workdir = workdir or work_folder(db)
    frontier = (crawl_settings or {}).get("CITYFACTS_FRONTIER")
    with heartbeat(frontier, crawl_settings.get("CITYFACTS_FRONTIER_PREFIX", "cityfacts"), run.run_id) \
            if frontier and crawl_settings else nullcontext():
        if shard == 0 and batch:
            extract_task(db, [source], since, None, not_runs_like=batch + "%")
        seen = work.seen_urls(db, source.refetch_days)
        result = crawl_task([source], workdir, seen, since, contact, crawl_settings, getattr(progress, "crawling", None))
        counts = load_pages_task(db, [source], result, run)
        stop_if_interrupted(result, counts)
        extracted = extract_task(db, [source], since, run.run_id, progress, only_run=shard is not None)
    return {"run_id": run.run_id, "source": source.name, "requests": run.requests, "failed": len(run.failures),
            **counts, **extracted}


@flow(name="cityfacts-run", log_prints=True)
def run_flow(sources_file: str, db: str = "cityfacts.duckdb", variables: dict[str, str] | None = None,
             workdir: str | None = None, progress: Any = None, extract_articles: bool = True,
             since: str | None = None, only: list[str] | None = None,
             crawl_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every source in the file, one sub-flow each, under one lock on the database."""
    config = load_sources_file(sources_file, variables)
    sources = [s for s in config.sources if not only or s.name in only]
    workdir = workdir or work_folder(db)
    totals: dict[str, Any] = {"requests": 0, "failed": 0, "pages": 0, "new": 0, "changed": 0, "unchanged": 0,
                              "articles": 0, "facts": 0, "irrelevant": 0}
    run_ids = []
    with work.run_lock(db):
        for source in sources:
            if extract_articles:
                result = source_flow(source.model_dump(), db, workdir, since, config.contact, crawl_settings, progress)
            else:
                result = crawl_only_flow(source.model_dump(), db, workdir, since, config.contact, crawl_settings)
            run_ids.append(result["run_id"])
            for key in totals:
                totals[key] += result.get(key, 0)
    return {"run_id": ",".join(run_ids), "runs": run_ids, **totals}


@flow(name="cityfacts-crawl-source", log_prints=True)
def crawl_only_flow(source_config: dict[str, Any], db: str, workdir: str, since: str | None = None,
                    contact: str | None = None, crawl_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl one source and store its pages; extraction waits for `run` or `reextract`."""
    source = Source.model_validate(source_config)
    run = work.new_run([source])
    result = crawl_task([source], workdir, work.seen_urls(db, source.refetch_days), since, contact, crawl_settings)
    counts = load_pages_task(db, [source], result, run)
    stop_if_interrupted(result, counts)
    return {"run_id": run.run_id, "source": source.name, "requests": run.requests, "failed": len(run.failures), **counts}
