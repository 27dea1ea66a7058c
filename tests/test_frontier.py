"""The shared Redis frontier without Prefect: crawl processes of one source side by side, on a real Redis."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from crawlers.frontier import frontier_settings, keys, prepare_run
from crawlers.sources import load_sources
from crawlers.spool import Page, read_spool
from flows.generated_site import GeneratedSite
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from flows.local_services import missing, redis_server

    if any("redis" in m for m in missing()):
        if os.environ.get("CI"):
            pytest.fail("CI must have redis-server (.ci/run installs it)")
        pytest.skip("redis-server is not installed")
    with redis_server(tmp_path_factory.mktemp("redis")) as r:
        yield r.url


class TimedSite(GeneratedSite):
    """Records when each report page was asked for."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.times: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    def handle(self, h: Any, path: str) -> None:
        if path.startswith("/a/"):
            with self.lock:
                self.times.append((time.monotonic(), path))
        super().handle(h, path)


def test_two_crawl_processes_share_the_queue_the_seen_set_and_the_delay(redis_url: str, tmp_path: Path) -> None:
    import redis

    delay = 0.25
    n = 40
    with TimedSite(n) as site:
        # One request in flight per process: each takes the next page from the shared queue as it goes.
        yaml_text = site.sources_yaml().replace("download_delay: 0", f"download_delay: {delay}") \
            .replace("concurrency_per_domain: 16", "concurrency_per_domain: 1")
        (tmp_path / "s.yaml").write_text(yaml_text, encoding="utf-8")
        [source] = load_sources(tmp_path / "s.yaml")
        prepare_run(redis.Redis.from_url(redis_url), "t1", [source.name], lambda url: False)
        (tmp_path / "s.json").write_text(json.dumps([source.model_dump()]), encoding="utf-8")
        settings = json.dumps(frontier_settings(redis_url, "t1"))
        procs = [subprocess.Popen([sys.executable, "-m", "crawlers.run", "--sources", str(tmp_path / "s.json"),
                                   "--spool", str(tmp_path / f"spool{i}.jsonl"), "--settings", settings],
                                  cwd=ROOT, stderr=subprocess.PIPE, text=True) for i in range(2)]
        errs = [p.communicate(timeout=180)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    assert not any("Deprecat" in e for e in errs), errs  # scrapy-redis's stats calls no longer warn
    paths = [p for _, p in site.times]
    assert sorted(paths) == sorted(set(paths)) and len(paths) == n  # each page once, across both
    per_process = [[r.url for r in read_spool(tmp_path / f"spool{i}.jsonl") if isinstance(r, Page)] for i in range(2)]
    assert sorted(per_process[0] + per_process[1]) == sorted(set(per_process[0] + per_process[1]))
    assert len(per_process[0] + per_process[1]) == n and min(map(len, per_process)) > 0, per_process  # both took part
    gaps = [b - a for (a, _), (b, _) in zip(site.times, site.times[1:], strict=False)]
    assert min(gaps) >= delay * 0.8, min(gaps)  # the site's delay held across the two processes


def test_a_new_run_queues_again_what_was_taken_and_never_stored(redis_url: str) -> None:
    import redis

    server = redis.Redis.from_url(redis_url)
    k = keys("t2", "src")
    server.sadd(k["seen"], "old-list-page")
    server.sadd(k["articles"], "old-article")
    server.zadd(k["queue"], {b"stale": 0})
    server.hset(k["inflight"], mapping={"fp1": b"req1", "fp2": b"req2"})
    server.hset(k["inflight_urls"], mapping={"fp1": "http://x.invalid/a/1.html", "fp2": "http://x.invalid/a/2.html"})
    recovered = prepare_run(server, "t2", ["src"], lambda url: url.endswith("/1.html"))
    assert recovered == {"src": 1}
    assert server.zrange(k["queue"], 0, -1) == [b"req2"]  # the stored page is not fetched again
    assert server.smembers(k["articles"]) == {b"fp2"}  # and a list page leading to it will not queue it twice
    assert not server.exists(k["seen"]) and not server.exists(k["inflight"])
