"""Crawl throughput on loopback against `scrapy bench` on the same machine, and the end-to-end run.

`scrapy bench` crawls Scrapy's own local link server for 10 s with its
default settings (16 concurrent requests) and no item processing; it is the
ceiling for a Scrapy crawl here. Ours crawls the generated site with
politeness off for the benchmark only (no delay, no AutoThrottle, 16
requests per domain), keeping every page in the spool. End to end: the same
2,000 pages crawled, stored, extracted and loaded by the steps a run takes
(without Prefect's API), with the time of each stage and the peak memory.
"""
from __future__ import annotations

import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flows.generated_site import GeneratedSite


def scrapy_bench(seconds: int = 10) -> float:
    """Pages per second `scrapy bench` reports (best minute rate it logs)."""
    out = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
                          "-s", "LOG_LEVEL=INFO"], capture_output=True, text=True, timeout=seconds + 120, cwd=tempfile.gettempdir())
    rates = [int(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", out.stderr)]
    final = re.search(r"'response_received_count': (\d+)", out.stderr)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", out.stderr)
    if final and elapsed:
        return int(final.group(1)) / float(elapsed.group(1))
    if not rates:
        raise RuntimeError("scrapy bench printed no rate:\n" + out.stderr[-2000:])
    return max(rates) / 60


def crawl_once(site: GeneratedSite, work_dir: Path) -> tuple[Any, float, list[Any]]:
    from crawlers.sources import load_sources
    from flows import work

    src = work_dir / "sources.yaml"
    src.write_text(site.sources_yaml(), encoding="utf-8")
    sources = load_sources(src)
    t = time.perf_counter()
    result = work.crawl(sources, work_dir / "spool", set(), settings={"CONCURRENT_REQUESTS": 16, "LOG_LEVEL": "ERROR"})
    return result, time.perf_counter() - t, sources


def crawl(n: int = 2000) -> dict[str, Any]:
    with GeneratedSite(n) as site, tempfile.TemporaryDirectory() as tmp:
        result, seconds, _ = crawl_once(site, Path(tmp))
        crawled = result.page_count  # the spool is in tmp: count before it goes
    assert crawled == n, f"crawled {crawled} of {n}"
    ours = (result.requests) / seconds
    base = scrapy_bench()
    return {"pages": n, "requests": result.requests, "seconds": seconds, "ours_rate": ours, "scrapy_bench_rate": base,
            "ratio": ours / base}


def end_to_end(n: int = 2000) -> dict[str, Any]:
    from flows import work

    stages: dict[str, float] = {}
    with GeneratedSite(n) as site, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "e2e.duckdb"
        result, stages["crawl (child process)"], sources = crawl_once(site, Path(tmp))
        run = work.new_run(sources)
        t = time.perf_counter()
        work.load_pages(db, sources, result, run)
        stages["store pages"] = time.perf_counter() - t
        t = time.perf_counter()
        counts = work.extract_stored(db, sources, run_id=run.run_id)
        stages["parse, extract and load facts"] = time.perf_counter() - t
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"pages": n, "stages": stages, "total": sum(stages.values()), "articles": counts["articles"],
            "facts": counts["facts"], "peak_mib_main": peak_self, "peak_mib_crawler": peak_child}


if __name__ == "__main__":
    # `python -m bench.crawl e2e N` runs the end-to-end benchmark alone and prints JSON (a fresh process,
    # so peak memory is the pipeline's own); `python -m bench.crawl crawl N` the crawl comparison.
    import json

    what, n = (sys.argv[1:3] + ["e2e", "2000"])[:2] if len(sys.argv) > 1 else ("e2e", "2000")
    print(json.dumps(end_to_end(int(n)) if what == "e2e" else crawl(int(n))))
