"""Run one crawl in this process: `python -m crawlers.run --sources JSON --spool FILE [--seen FILE]`.

Twisted's reactor cannot be restarted, so every crawl gets a process of its
own; the flow starts this module as a child and reads the spool it leaves.
Pages, failures and aliases go to the spool (crawlers/spool.py) as the
spider yields them; a final Summary record closes a complete crawl.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.spiders.reports import FAILURES_STAT, LIMIT_STAT, ReportSpider
from crawlers.spool import SpoolWriter, Summary


def source_settings(source: dict) -> dict:
    pol = source.get("politeness") or {}
    return {
        "DOWNLOAD_DELAY": pol.get("download_delay", default_settings.DOWNLOAD_DELAY),
        "AUTOTHROTTLE_ENABLED": pol.get("autothrottle", True),
        "CONCURRENT_REQUESTS_PER_DOMAIN": pol.get("concurrency_per_domain", 2),
        "DOWNLOAD_TIMEOUT": pol.get("timeout_s", default_settings.DOWNLOAD_TIMEOUT),
        "RETRY_TIMES": pol.get("retries", default_settings.RETRY_TIMES),
        "DOWNLOAD_MAXSIZE": pol.get("max_page_bytes", default_settings.DOWNLOAD_MAXSIZE),
        "DOWNLOAD_WARNSIZE": min(pol.get("max_page_bytes", default_settings.DOWNLOAD_MAXSIZE), default_settings.DOWNLOAD_WARNSIZE),
        # The per-domain limit alone let more requests be in flight on one domain with no delay (measured with
        # Scrapy 2.19), so the crawler's total is capped to it too: at most N per domain, whatever the delay.
        "CONCURRENT_REQUESTS": pol.get("concurrency_per_domain", 2) * max(1, len(source.get("allowed_domains") or [])),
        # Paging a column is not depth: its pages (max_list_pages) come on top of the links followed from them.
        "DEPTH_LIMIT": source.get("max_depth", 10) + source.get("max_list_pages", 20),
    }


def user_agent(contact: str | None) -> str:
    contact = contact or os.environ.get("CITYFACTS_CONTACT")
    return f"cityfacts/0.1 (research crawler; +{contact})" if contact else default_settings.USER_AGENT


def crawl(sources: list[dict], spool: Path, seen: set[str], since: str | None = None,
          contact: str | None = None, extra_settings: dict | None = None) -> Summary:
    settings = Settings()
    settings.setmodule(default_settings)
    settings.set("CITYFACTS_SPOOL", str(spool))
    settings.set("USER_AGENT", user_agent(contact))
    settings.set("LOG_INSTALL_ROOT_HANDLER", False)
    for key, value in (extra_settings or {}).items():
        settings.set(key, value)
    process = CrawlerProcess(settings)
    started = datetime.now(UTC)
    crawlers: list[Crawler] = []
    for src in sources:
        custom = source_settings(src)
        if settings.get("CITYFACTS_FRONTIER"):
            # Shared frontier: the delay is kept across all workers by crawlers.frontier.SharedDelayMiddleware,
            # at the moment a request leaves; a local delay (or AutoThrottle's) on top would shift that moment.
            custom.update(CITYFACTS_SHARED_DELAY=custom["DOWNLOAD_DELAY"], DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)
        spider_cls = type(f"ReportSpider_{len(crawlers)}", (ReportSpider,), {"custom_settings": custom})
        crawler = process.create_crawler(spider_cls)
        crawlers.append(crawler)
        process.crawl(crawler, source=src, seen=seen, since=since)
    process.start()
    stats = [c.stats for c in crawlers if c.stats is not None]
    limits = sorted({k.rsplit("/", 1)[1] for s in stats for k in s.get_stats() if k.startswith(LIMIT_STAT + "/")}
                    | ({"max_depth"} if any(c.stats is not None and int(c.stats.get_value("request_depth_max") or 0)
                                            >= c.settings.getint("DEPTH_LIMIT") > 0 for c in crawlers) else set()))
    summary = Summary(started_at=started.isoformat(), finished_at=datetime.now(UTC).isoformat(),
                      requests=sum(int(s.get_value("downloader/request_count") or 0) for s in stats),
                      failed=sum(int(s.get_value(FAILURES_STAT) or 0) for s in stats), limits=",".join(limits))
    with SpoolWriter(spool) as writer:
        writer.write(summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sources", required=True, help="JSON file: a list of validated sources")
    ap.add_argument("--spool", required=True, help="JSON-lines file the pages are appended to")
    ap.add_argument("--seen", help="file of article URLs already stored, one per line")
    ap.add_argument("--since", help="skip feed and sitemap entries dated before this day (YYYY-MM-DD)")
    ap.add_argument("--contact", help="how site owners can reach whoever runs the crawl (User-Agent)")
    ap.add_argument("--settings", help="JSON object of extra Scrapy settings")
    args = ap.parse_args(argv)
    sources = json.loads(Path(args.sources).read_text(encoding="utf-8"))
    seen = set(Path(args.seen).read_text(encoding="utf-8").split()) if args.seen else set()
    extra = json.loads(args.settings) if args.settings else None
    crawl(sources, Path(args.spool), seen, args.since, args.contact, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
