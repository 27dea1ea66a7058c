"""Scaling out on one machine, with the real services: Redis (frontier), PostgreSQL (Prefect's database and the
lake's catalog), a Prefect server, two process workers, DuckLake on Parquet.

The sites count every request for a report page, so "fetched exactly once across workers" is what the server saw.
`.ci/run` installs redis-server and postgresql; elsewhere the test is skipped, naming what is missing.
"""
from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from flows.demo_server import DemoSite
from flows.generated_site import GeneratedSite
from flows.scale_demo import split_sources
from tests.conftest import ROOT, require_services

pytestmark = pytest.mark.slow

CITYFACTS = str(ROOT / ".venv" / "bin" / "cityfacts")
GENERATED = 2000


class Counting:
    """Mixin: count GET requests for report pages by path."""

    hits: Counter[str]
    lock: threading.Lock

    def count(self, path: str) -> None:
        with self.lock:
            self.hits[path] += 1


class CountingGenerated(GeneratedSite, Counting):
    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.hits, self.lock = Counter(), threading.Lock()

    def handle(self, h: Any, path: str) -> None:
        if path.startswith("/a/"):
            self.count(path)
        super().handle(h, path)


class CountingDemo(DemoSite, Counting):
    def __init__(self) -> None:
        super().__init__()
        self.hits, self.lock = Counter(), threading.Lock()

    def handle(self, h: Any, path: str) -> None:
        if path.count("/") >= 4 and path.endswith(".html"):  # /en/2024/05/id.html
            self.count(path)
        super().handle(h, path)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from flows.local_services import cluster as start_cluster

    require_services()
    with start_cluster(tmp_path_factory.mktemp("cluster")) as c:
        c.prefect.run("work-pool", "create", "cityfacts", "--type", "process")
        subprocess.run([str(ROOT / ".venv" / "bin" / "prefect"), "deploy", "--name", "source", "--no-prompt"], cwd=ROOT,
                       env=c.prefect.env, check=True, capture_output=True, timeout=180)
        yield c


def cli(c: Any, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CITYFACTS, *args], env=c.prefect.env, capture_output=True, text=True, timeout=timeout)


def sql(c: Any, db: str, query: str) -> list[list[str]]:
    r = cli(c, "sql", "--db", db, "--format", "csv", "--no-headers", query)
    assert r.returncode == 0, r.stderr
    return [line.split(",") for line in r.stdout.strip().splitlines()]


def sources_file(folder: Path, demo: str | None, gen: GeneratedSite) -> Path:
    path = folder / "sources.yaml"
    path.write_text(split_sources(demo, gen), encoding="utf-8")
    return path


def new_lake(c: Any, name: str) -> str:
    c.postgres.create_database(name)
    url = f"ducklake:postgres:{c.postgres.dsn(name)}"
    r = cli(c, "lake", "init", "--db", url, "--data", str(c.folder / f"{name}-data"))
    assert r.returncode == 0, r.stderr
    return url


def test_two_workers_fetch_each_page_once_and_load_each_fact_once(cluster: Any, tmp_path: Path) -> None:
    c = cluster
    lake = new_lake(c, "lake_clean")
    with CountingDemo() as demo, CountingGenerated(GENERATED) as gen, c.prefect.workers("cityfacts", 2, ROOT):
        src = sources_file(tmp_path, demo.url, gen)
        r = cli(c, "run", "--distributed", "--sources", str(src), "--db", lake, "--redis", c.redis.url,
                "--shards", "2", "--timeout", "900")
        assert r.returncode == 0, r.stdout + r.stderr
    # Every report page was requested once, across both workers, four sources and two shards each.
    assert len(gen.hits) == GENERATED and set(gen.hits.values()) == {1}, gen.hits.most_common(3)
    assert demo.hits and set(demo.hits.values()) == {1}, demo.hits.most_common(3)
    assert not any("/admin/" in p for p in demo.hits)  # robots.txt held in every worker
    [[pages, urls]] = sql(c, lake, "SELECT count(*), count(DISTINCT url) FROM pages")
    assert int(pages) == int(urls) == GENERATED + len(demo.hits)
    assert sql(c, lake, "SELECT count(*) FROM crawl_failures") == [["0"]]
    [[facts, ids, arts]] = sql(c, lake, "SELECT count(*), count(DISTINCT id), count(DISTINCT article_id) FROM facts")
    assert int(facts) == int(ids) > GENERATED and int(arts) > GENERATED // 2
    # Both workers took part in the big source: its two shards each fetched pages, together all of them.
    shard_pages = [int(p) for [p] in sql(c, lake, "SELECT fetched FROM crawl_runs WHERE sources = ['generated'] "
                                                  "ORDER BY run_id")]
    assert len(shard_pages) == 2 and sum(shard_pages) == GENERATED and min(shard_pages) > 0, shard_pages

    # The same facts as a run on one machine into a DuckDB file, for the demo site.
    local = tmp_path / "local.duckdb"
    assert cli(c, "demo", "--db", str(local)).returncode == 0
    q = ("SELECT count(*), sum(hash(url, start, \"end\", value, unit, metric, city, status, aspect, level, scope, year)) "
         "FROM facts WHERE url LIKE 'http://demo-news.invalid/%'")
    assert sql(c, lake, q) == sql(c, str(local), q)
    assert int(sql(c, lake, q)[0][0]) > 50

    # The analyst's commands read the lake.
    r = cli(c, "compare", "--db", lake)
    assert r.returncode == 0 and "Jinan" in r.stdout, r.stdout + r.stderr
    r = cli(c, "sql", "--db", lake, "SELECT * FROM read_text('/etc/hostname')")
    assert r.returncode == 1 and "disabled" in r.stderr


def crawling_worker(workers: list[Any]) -> int:
    """The index of a worker that has a crawl process running under it, waiting until one has."""
    from flows.local_services import descendants

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for i, w in enumerate(workers):
            for pid in descendants(w.pid):
                try:
                    if b"crawlers.run" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        return i
                except OSError:
                    continue
        time.sleep(0.2)
    raise AssertionError("no worker started crawling within 120 s")


def test_a_worker_killed_mid_run_loses_nothing_after_the_next_run(cluster: Any, tmp_path: Path) -> None:
    import redis

    from crawlers.frontier import keys
    from flows.distributed import frontier_prefix
    from flows.local_services import kill_tree

    c = cluster
    n = 400
    lake = new_lake(c, "lake_kill")
    server = redis.Redis.from_url(c.redis.url)
    with CountingGenerated(n) as gen, c.prefect.workers("cityfacts", 2, ROOT) as workers:
        src = sources_file(tmp_path, None, gen)
        args = ["run", "--distributed", "--sources", str(src), "--db", lake, "--redis", c.redis.url, "--shards", "2",
                "--lost-after", "10", "--timeout", "600"]
        first = subprocess.Popen([CITYFACTS, *args], env=c.prefect.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        victim = crawling_worker(workers)
        deadline = time.monotonic() + 120
        while server.hlen(keys(frontier_prefix(lake), "generated")["inflight"]) < n // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        kill_tree(workers[victim].pid)  # kill -9 of the worker and the flow run and crawl it was running
        out, err = first.communicate(timeout=600)
        assert first.returncode == 1 and "did not complete" in err and "worker lost" in out + err, out + err
        workers[victim] = c.prefect.start_worker("cityfacts", f"worker-{victim}-again", ROOT)
        second = cli(c, *args)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "carried over from an interrupted run" in second.stdout + second.stderr
    # Every page fetched at least once (some twice: the lost worker's, again).
    missing = sorted(set(range(n)) - {int(p.removeprefix("/a/").removesuffix(".html")) for p in gen.hits})
    assert not missing, (missing[:20], second.stdout)
    [[pages, urls]] = sql(c, lake, "SELECT count(*), count(DISTINCT url) FROM pages")
    assert int(pages) == int(urls) == n
    # Nothing from the other test's store (same Redis) was queued into this one's runs.
    assert sql(c, lake, "SELECT count(*) FROM crawl_failures") == [["0"]]
    [[pending]] = sql(c, lake, "SELECT count(*) FROM pages WHERE relevant IS NULL")
    assert int(pending) == 0
    [[facts, ids, arts]] = sql(c, lake, "SELECT count(*), count(DISTINCT id), count(DISTINCT article_id) FROM facts")
    assert int(facts) == int(ids) and int(arts) == int(sql(c, lake, "SELECT count(*) FROM articles")[0][0]) > n // 2
