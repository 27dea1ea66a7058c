"""One spider for every configured source: follow list pages, fetch report pages once.

A source says which URLs are articles (`article_pattern`) and which are
list pages to follow (`follow_pattern`); both are regular expressions on
absolute URLs. Article URLs already stored (the `seen` set passed in) are
not fetched again; list pages are revisited every run.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Iterator

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from urllib.parse import urlsplit

from crawlers.items import PageItem


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, source: str | dict[str, Any] = "", seen: set[str] | None = None,
                 failures: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source: dict[str, Any] = json.loads(source) if isinstance(source, str) else source
        self.name = f"reports:{self.source['name']}"
        self.allowed_domains = self.source.get("allowed_domains") or []
        self.article_re = re.compile(self.source["article_pattern"])
        fp = self.source.get("follow_pattern")
        self.follow_re = re.compile(fp) if fp else None
        self.seen: set[str] = seen or set()
        self.canonical = self.source.get("canonical_origin")
        self.origins = {urlsplit(u)._replace(path="", query="", fragment="").geturl() for u in self.source["start_urls"]}
        self.failures = failures if failures is not None else []

    async def start(self) -> Any:
        for url in self.source["start_urls"]:
            yield scrapy.Request(url, callback=self.parse_list, errback=self.failed, dont_filter=True)

    def _links(self, response: Response) -> Iterator[str]:
        if b"<rss" in response.body[:500] or b"<feed" in response.body[:500]:
            for link in response.xpath("//*[local-name()='item']/*[local-name()='link']/text()").getall():
                yield response.urljoin(link.strip())
            for link in response.xpath("//*[local-name()='entry']/*[local-name()='link']/@href").getall():
                yield response.urljoin(link.strip())
            return
        for href in response.css("a::attr(href)").getall():
            href = href.strip()
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                yield response.urljoin(href).split("#")[0]

    def parse_list(self, response: Response) -> Iterator[Any]:
        if self.article_re.search(response.url):
            yield from self.parse_article(response)
        if not hasattr(response, "text") and b"<rss" not in response.body[:500]:
            return
        for url in self._links(response):
            if not url.startswith(("http://", "https://")):
                continue
            if self.article_re.search(url):
                if self.canonical_url(url) not in self.seen:
                    yield scrapy.Request(url, callback=self.parse_article, errback=self.failed)
            elif self.follow_re and self.follow_re.search(url):
                yield scrapy.Request(url, callback=self.parse_list, errback=self.failed)

    def canonical_url(self, url: str) -> str:
        """The URL stored for a page: its own, or under the source's canonical origin."""
        if self.canonical:
            for origin in self.origins:
                if url.startswith(origin + "/") or url == origin:
                    return self.canonical + url[len(origin):]
        return url

    def parse_article(self, response: Response) -> Iterator[Any]:
        url = self.canonical_url(response.url)
        if url in self.seen:
            return
        self.seen.add(url)
        yield PageItem(
            url=url, source=self.source["name"], lang=self.source.get("lang", "auto"),
            status=response.status,
            content_type=(response.headers.get("Content-Type") or b"").decode("latin-1"),
            fetched_at=datetime.now(timezone.utc).isoformat(), body=response.body,
        )

    def failed(self, failure: Any) -> None:
        request = failure.request
        reason = failure.getErrorMessage() or failure.type.__name__
        if failure.check(IgnoreRequest) and "robots.txt" in reason:
            return  # the site asked us not to: a choice, not a failure
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        self.failures.append({"url": request.url, "reason": reason[:500]})
