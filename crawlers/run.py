"""Run one crawl in this process: `python -m crawlers.run --sources JSON --spool FILE [--seen FILE]`.

Twisted's reactor cannot be restarted, so every crawl gets a process of its
own; the flow starts this module as a child and reads the spool it leaves.
Failed URLs go to the spool as `{"kind": "failure", ...}` records and a
final `{"kind": "summary", ...}` line closes a complete crawl.
"""
from __future__ import annotations

import argparse
import json
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
    }


def crawl(sources: list[dict], spool: Path, seen: set[str]) -> dict:
    settings = Settings()
    settings.setmodule(default_settings)
    settings.set("CITYFACTS_SPOOL", str(spool))
    process = CrawlerProcess(settings, install_root_handler=False)
    failures: list[dict] = []
    started = datetime.now(timezone.utc)
    stats = []
    for src in sources:
        spider_cls = type(f"ReportSpider_{len(stats)}", (ReportSpider,), {"custom_settings": source_settings(src)})
        crawler = process.create_crawler(spider_cls)
        stats.append(crawler)
        process.crawl(crawler, source=src, seen=seen, failures=failures)
    process.start()
    with spool.open("a", encoding="utf-8") as fh:
        for f in failures:
            fh.write(json.dumps({"kind": "failure", **f}, ensure_ascii=False) + "\n")
        requested = sum((c.stats.get_value("downloader/request_count") or 0) for c in stats if c.stats)
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
    args = ap.parse_args(argv)
    sources = json.loads(Path(args.sources).read_text(encoding="utf-8"))
    seen = set(Path(args.seen).read_text(encoding="utf-8").split()) if args.seen else set()
    crawl(sources, Path(args.spool), seen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
