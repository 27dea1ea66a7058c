"""Run one crawl in this process: `python -m crawlers.run --sources JSON --spool FILE [--seen FILE]`.

Twisted's reactor cannot be restarted, so every crawl gets a process of its
own; the flow starts this module as a child and reads the spool it leaves.
Failed URLs go to the spool as `{"kind": "failure", ...}` records and a
final `{"kind": "summary", ...}` line closes a complete crawl.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.spiders.reports import ReportSpider


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
    }


def user_agent(contact: str | None) -> str:
    contact = contact or os.environ.get("CITYFACTS_CONTACT")
    return f"cityfacts/0.1 (research crawler; +{contact})" if contact else default_settings.USER_AGENT


def crawl(sources: list[dict], spool: Path, seen: set[str], since: str | None = None,
          contact: str | None = None, extra_settings: dict | None = None) -> dict:
    settings = Settings()
    settings.setmodule(default_settings)
    settings.set("CITYFACTS_SPOOL", str(spool))
    settings.set("USER_AGENT", user_agent(contact))
    settings.set("LOG_INSTALL_ROOT_HANDLER", False)
    for key, value in (extra_settings or {}).items():
        settings.set(key, value)
    process = CrawlerProcess(settings)
    failures: list[dict] = []
    started = datetime.now(timezone.utc)
    crawlers = []
    for src in sources:
        spider_cls = type(f"ReportSpider_{len(crawlers)}", (ReportSpider,), {"custom_settings": source_settings(src)})
        crawler = process.create_crawler(spider_cls)
        crawlers.append(crawler)
        process.crawl(crawler, source=src, seen=seen, failures=failures, since=since)
    process.start()
    with spool.open("a", encoding="utf-8") as fh:
        for crawler in crawlers:
            spider = crawler.spider
            for alias, url in (spider.resolved_aliases().items() if spider is not None else []):
                fh.write(json.dumps({"kind": "alias", "alias": alias, "url": url}, ensure_ascii=False) + "\n")
        for f in failures:
            fh.write(json.dumps({"kind": "failure", **f}, ensure_ascii=False) + "\n")
        requested = sum((c.stats.get_value("downloader/request_count") or 0) for c in crawlers if c.stats)
        summary = {"kind": "summary", "started_at": started.isoformat(),
                   "finished_at": datetime.now(timezone.utc).isoformat(), "requests": requested,
                   "failed": len(failures)}
        fh.write(json.dumps(summary) + "\n")
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
