"""Peak memory of a crawl of an endless site: it must stay under a bound whatever the site does.

Issue 16 saw an orphaned crawl reach 6 GB on an endless site. What bounds a
crawl's memory is what it may queue: at most `max_pages` report requests
and `max_list_pages` list pages per start URL (crawlers/spiders/reports.py).
The site here never ends: every list page links 1,000 new reports and a next
page, every report answers at once. The source sets max_pages to 100,000
(fifty times the default) and max_list_pages to its ceiling of 10,000; the
crawl is stopped by its crawl_timeout_s. The crawler's resident memory is
sampled from /proc while it runs; the bound is BOUND_MIB.
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flows.loopback import LoopbackSite

BOUND_MIB = 512
LINKS = 1000
MAX_PAGES = 100_000


class EndlessSite(LoopbackSite):
    """/list/N.html links /a/N-0.html ... /a/N-999.html and /list/N+1.html, for every N."""

    def handle(self, h: Any, path: str) -> None:
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path.startswith("/list/"):
            n = int(path.rsplit("/", 1)[1].removesuffix(".html"))
            links = "".join(f"<a href='/a/{n}-{i}.html'>report {n}-{i}</a>" for i in range(LINKS))
            return self.respond(h, 200, f"<html><body>{links}<a href='/list/{n + 1}.html'>next</a></body></html>".encode())
        body = f"<html><body><h1>{path}</h1><p>Jinan built {len(path)} training bases.</p></body></html>"
        return self.respond(h, 200, body.encode())


def _crawler_pids() -> list[int]:
    from flows.local_services import descendants

    out = []
    for pid in descendants(os.getpid()):
        try:
            if b"crawlers.run" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            continue
    return out


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def run(seconds: float = 120) -> dict[str, Any]:
    from crawlers.sources import load_sources
    from flows import work

    samples: list[tuple[float, int]] = []  # (seconds since start, crawler RSS in KiB)
    peak = {"kib": 0}
    done = threading.Event()

    def sample(t0: float) -> None:
        while not done.is_set():
            for pid in _crawler_pids():
                try:
                    rss, hwm = _status_kib(pid, "VmRSS"), _status_kib(pid, "VmHWM")
                except OSError:
                    continue
                samples.append((time.monotonic() - t0, rss))
                peak["kib"] = max(peak["kib"], hwm)
            time.sleep(0.5)

    with tempfile.TemporaryDirectory() as tmp, EndlessSite() as site:
        src = Path(tmp) / "endless.yaml"
        src.write_text(f"sources:\n  - name: endless\n    start_urls: ['{site.url}/list/1.html']\n"
                       f"    article_pattern: '/a/[\\d-]+\\.html$'\n    follow_pattern: '/list/\\d+\\.html$'\n"
                       f"    max_pages: {MAX_PAGES}\n    max_list_pages: 10000\n    crawl_timeout_s: {seconds}\n"
                       f"    politeness: {{download_delay: 0, autothrottle: false, concurrency_per_domain: 16}}\n",
                       encoding="utf-8")
        t0 = time.monotonic()
        sampler = threading.Thread(target=sample, args=(t0,), daemon=True)
        sampler.start()
        try:
            result = work.crawl(load_sources(src), Path(tmp) / "work", set(),
                                settings={"CONCURRENT_REQUESTS": 16, "LOG_LEVEL": "ERROR"})
        finally:
            done.set()
            sampler.join()
        pages = result.page_count
        result.discard()
    def at(fraction: float) -> float:
        """RSS (MiB) at the sample closest to this fraction of the crawl."""
        if not samples:
            return 0.0
        return min(samples, key=lambda s: abs(s[0] - fraction * seconds))[1] / 1024

    return {"seconds": seconds, "pages": pages, "list_pages": len([p for p in site.requests if p.startswith("/list/")]),
            "peak_mib": peak["kib"] / 1024, "rss": {f: at(f) for f in (1 / 3, 2 / 3, 1.0)}, "bound_mib": BOUND_MIB}


def markdown(r: dict[str, Any]) -> list[str]:
    verdict = "under" if r["peak_mib"] <= r["bound_mib"] else "OVER"
    return ["## Memory of a crawl of an endless site (`python -m bench.endless`)", "",
            f"A loopback site that never ends ({LINKS} new reports and a next page on every list page), crawled for",
            f"{r['seconds']:.0f} s with max_pages {MAX_PAGES:,} (fifty times the default) and max_list_pages 10,000 "
            f"(the ceiling); the crawler's resident memory sampled every 0.5 s:", "",
            f"| pages fetched | list pages | RSS at {r['seconds'] / 3:.0f} s | at {2 * r['seconds'] / 3:.0f} s | "
            f"at {r['seconds']:.0f} s | peak RSS | bound |",
            "|---|---|---|---|---|---|---|",
            f"| {r['pages']:,} | {r['list_pages']:,} | " + " | ".join(f"{v:.0f} MiB" for v in r["rss"].values()) +
            f" | {r['peak_mib']:.0f} MiB | {r['bound_mib']} MiB ({verdict}) |", "",
            "What a crawl holds is bounded by what it may queue: report requests stop at max_pages, and paging stops",
            "once a list page brings no new report it may fetch, so memory climbs while the queue fills (100 list",
            "pages here) and then stays flat while it drains; the crawl ends at its crawl_timeout_s.", ""]


if __name__ == "__main__":
    print("\n".join(markdown(run(float(sys.argv[1]) if len(sys.argv) > 1 else 120))))
