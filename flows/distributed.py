"""`cityfacts run --distributed`: one Prefect flow run per source shard, on whatever workers poll the pool.

The submitting process does three things and no crawling: it starts the run
in the shared frontier (crawlers/frontier.py `prepare_run`: fresh seen-sets,
what an interrupted previous run left carried over), submits the
`cityfacts-source/source` deployment (prefect.yaml) once per shard, and waits
for the flow runs, then reads their crawl_runs rows back from the lake.
Shards of one source share its request queue, so two workers split a big
source between them; `--shards 1` keeps one worker per source.

The store must be a lake: workers on other machines cannot write a local
DuckDB file, and even on one machine they would queue on its lock.

A worker can die without a word (kill -9, a machine lost): its flow run
would stay Running for ever. Each shard's flow therefore keeps a heartbeat
key in Redis (`heartbeat`); the submitter marks a running shard whose
heartbeat has been gone for `lost_after` seconds as Crashed and stops waiting
for it. What it had taken is carried over by the next run.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawlers.frontier import DEFAULT_PREFIX, frontier_settings, prepare_run
from crawlers.sources import Source, load_sources
from flows.errors import CliError
from flows.heartbeat import heartbeat_key
from pipeline.lake import is_lake

DEPLOYMENT = "cityfacts-source/source"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
@dataclass
class ShardRun:
    source: str
    shard: int
    run_id: str
    flow_run_id: Any = None
    state: str = "SCHEDULED"
    alive_at: float = 0.0  # last time its heartbeat (or its start) was seen


def frontier_prefix(db: str) -> str:
    """The frontier's Redis keys for this store: what a lost worker left is recovered against the store it
    was loading into, so two stores sharing one Redis never see each other's queues."""
    import hashlib

    return f"{DEFAULT_PREFIX}:{hashlib.sha256(db.encode()).hexdigest()[:10]}"


def stored_check(db: str, sources: list[Source]) -> Any:
    """url -> whether the store has the page (under the source's canonical form of the URL)."""
    from crawlers.spiders.reports import ReportSpider
    from flows.work import seen_urls

    seen = seen_urls(db)
    spiders = [ReportSpider(source=s.model_dump()) for s in sources]
    return lambda url: any(sp.canonical_url(url) in seen for sp in spiders) or url in seen


def submit(sources_file: Path, db: str, redis_url: str, variables: dict[str, str] | None = None,
           only: list[str] | None = None, shards: int = 1, since: str | None = None, timeout_s: float = 6 * 3600,
           prefix: str | None = None, announce: Any = print, lost_after_s: float = 60) -> list[ShardRun]:
    import redis

    if not is_lake(db):
        raise CliError(f"--distributed needs a shared store: --db ducklake:postgres:... (got {db}); workers cannot "
                       f"write a local DuckDB file")
    if shards < 1:
        raise CliError("--shards: at least 1")
    sources = [s for s in load_sources(sources_file, variables) if not only or s.name in only]
    prefix = prefix or frontier_prefix(db)
    server = redis.Redis.from_url(redis_url)
    try:
        server.ping()
    except redis.RedisError as exc:
        raise CliError(f"--redis {redis_url}: cannot reach Redis: {exc}") from None
    carried = prepare_run(server, prefix, [s.name for s in sources], stored_check(db, sources))
    if any(carried.values()):
        announce("carried over from an interrupted run: " + ", ".join(f"{k} {v} requests" for k, v in carried.items() if v))
    batch = uuid.uuid4().hex[:8]
    runs = [ShardRun(s.name, i, f"{batch}-{n:03d}-{i}") for n, s in enumerate(sources) for i in range(shards)]
    by_name = {s.name: s for s in sources}
    from flows.prefect_env import configure

    configure()
    from prefect.deployments import run_deployment

    for r in runs:
        src = by_name[r.source]
        params = {"source_config": src.model_dump(), "db": db, "since": since, "run_id": r.run_id, "shard": r.shard,
                  "batch": batch + "-",
                  "crawl_settings": frontier_settings(redis_url, prefix)}
        fr: Any = run_deployment(DEPLOYMENT, parameters=params, timeout=0, tags=[f"source:{r.source}"],
                            flow_run_name=f"{r.source}-{r.shard}")
        r.flow_run_id = fr.id
    announce(f"submitted {len(runs)} flow runs ({len(sources)} sources x {shards} shards) to {DEPLOYMENT}")
    wait(runs, timeout_s, server, prefix, lost_after_s, announce)
    return runs


def wait(runs: list[ShardRun], timeout_s: float, server: Any, prefix: str, lost_after_s: float, announce: Any) -> None:
    """Until every flow run is final; a running one whose heartbeat is gone for lost_after_s is marked Crashed."""
    from prefect import get_client
    from prefect.states import Crashed

    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while True:
            now = time.monotonic()
            for r in runs:
                if r.state in FINAL:
                    continue
                fr = client.read_flow_run(r.flow_run_id)
                state = fr.state.type.value if fr.state else "SCHEDULED"
                if state != "RUNNING" or server.exists(heartbeat_key(prefix, r.run_id)) or not r.alive_at:
                    r.alive_at = now if state == "RUNNING" else r.alive_at
                    r.state = state
                elif now - r.alive_at > lost_after_s:
                    client.set_flow_run_state(r.flow_run_id, Crashed(message=f"worker lost: no heartbeat for "
                                                                             f"{lost_after_s:.0f} s"), force=True)
                    announce(f"{r.source}/{r.shard}: worker lost (no heartbeat for {lost_after_s:.0f} s)")
                    r.state = "CRASHED"
            if all(r.state in FINAL for r in runs) or time.monotonic() > deadline:
                return
            time.sleep(1)


def summary(db: str, runs: list[ShardRun]) -> list[tuple[Any, ...]]:
    """Per shard: its state, and what its crawl_runs row says (none when the run never stored its pages)."""
    from pipeline.db import reader

    with reader(db) as con:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT run_id, fetched, new_pages, articles, facts, failed FROM crawl_runs WHERE run_id IN (SELECT unnest(?))",
            [[r.run_id for r in runs]]).fetchall()}
    return [(r.source, r.shard, r.state.lower(), *rows.get(r.run_id, (None,) * 5)) for r in runs]
