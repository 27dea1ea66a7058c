"""The shared Redis frontier without Prefect: crawl processes of one source side by side, on a real Redis."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.utils.request import RequestFingerprinter
from scrapy_redis import picklecompat

from crawlers.frontier import frontier_settings, keys, prepare_run
from crawlers.sources import load_sources
from crawlers.spool import Page, read_spool
from flows.generated_site import GeneratedSite
from tests.conftest import ROOT, require_services

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from flows.local_services import redis_server

    require_services("redis")
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
    assert not any("Deprecat" in e or "Traceback" in e for e in errs), errs  # and no stats warnings from scrapy-redis
    paths = [p for _, p in site.times]
    assert sorted(paths) == sorted(set(paths)) and len(paths) == n  # each page once, across both
    per_process = [[r.url for r in read_spool(tmp_path / f"spool{i}.jsonl") if isinstance(r, Page)] for i in range(2)]
    assert sorted(per_process[0] + per_process[1]) == sorted(set(per_process[0] + per_process[1]))
    assert len(per_process[0] + per_process[1]) == n and min(map(len, per_process)) > 0, per_process  # both took part
    gaps = [b - a for (a, _), (b, _) in zip(site.times, site.times[1:], strict=False)]
    assert min(gaps) >= delay * 0.8, min(gaps)  # the site's delay held across the two processes
    # A finished crawl leaves only its articles in flight (until a run finds them stored): no list page.
    callbacks = {picklecompat.loads(v)["callback"] for v in redis.Redis.from_url(redis_url).hvals(keys("t1", source.name)["inflight"])}
    assert callbacks == {"parse_article"}, callbacks  # every list page left the in-flight hash once done


def test_a_new_run_queues_again_what_was_taken_and_never_stored(redis_url: str) -> None:
    import redis

    server = redis.Redis.from_url(redis_url)
    k = keys("t2", "src")
    fingerprinter = RequestFingerprinter()

    def req(url: str, callback: str) -> tuple[str, bytes]:
        r = Request(url)
        return fingerprinter.fingerprint(r).hex(), picklecompat.dumps({**r.to_dict(), "callback": callback})

    (_, r1), (fp2, r2), (fp3, r3) = (req("http://x.invalid/a/1.html", "parse_article"),
                                     req("http://x.invalid/a/2.html", "parse_article"),
                                     req("http://x.invalid/list/4.html", "parse_list"))
    fp4, r4 = req("http://x.invalid/list/5.html", "parse_list")
    fp5, r5 = req("http://x.invalid/a/5.html", "parse_article")
    server.sadd(k["seen"], "old-list-page")
    server.sadd(k["articles"], "old-article")
    server.zadd(k["queue"], {r4: -1, r5: 0})  # still queued when the run was interrupted
    server.hset(k["inflight"], mapping={"t1": r1, "t2": r2, "t3": r3})  # taken by a worker that died
    carried = prepare_run(server, "t2", ["src"], lambda url: url.endswith("/1.html"))
    assert carried == {"src": 4}
    # The stored page is not fetched again; the unstored one, the unfinished list page and the queue are.
    assert sorted(server.zrange(k["queue"], 0, -1)) == sorted([r2, r3, r4, r5])
    # A list page leading to them will not queue them twice; the previous run's seen-sets are gone.
    assert server.smembers(k["articles"]) == {fp2.encode(), fp5.encode()}
    assert server.smembers(k["seen"]) == {fp3.encode(), fp4.encode()}
    assert not server.exists(k["inflight"])
