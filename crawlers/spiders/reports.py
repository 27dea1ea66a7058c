"""One spider for every configured source: follow list pages, feeds and sitemaps; fetch report pages once.

A source says which URLs are articles (`article_pattern`) and which are
list pages to follow (`follow_pattern`); both are regular expressions on
absolute URLs. RSS/Atom feeds and sitemaps give article URLs directly, with
dates that let `--since` skip old entries before fetching them. Article
URLs already stored (the `seen` set, canonical form) are not fetched again;
list pages, feeds and sitemaps are revisited every run.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from w3lib.url import canonicalize_url

from crawlers.spool import Alias, Failure, Page


def _date_of(raw: str | None) -> date | None:
    if not raw:
        return None
    raw = raw.strip()
    try:
        return parsedate_to_datetime(raw).date()
    except (TypeError, ValueError, IndexError):
        pass
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", raw)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


FAILURES_STAT = "cityfacts/failures"
# Every <a href> of a list page, absolute, whatever its extension (the source's patterns decide what to follow).
LINKS = LinkExtractor(tags=("a",), attrs=("href",), canonicalize=False, unique=True, deny_extensions=[])


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, source: str | dict[str, Any] = "", seen: set[str] | None = None, since: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source: dict[str, Any] = json.loads(source) if isinstance(source, str) else source
        self.name = f"reports:{self.source['name']}"
        self.allowed_domains = self.source.get("allowed_domains") or []
        self.article_re = re.compile(self.source["article_pattern"])
        fp = self.source.get("follow_pattern")
        self.follow_re = re.compile(fp) if fp else None
        self.seen: set[str] = seen if seen is not None else set()
        self.since = date.fromisoformat(since) if since else None
        self.canonical = self.source.get("canonical_origin")
        urls = self.source["start_urls"] + self.source.get("feeds", []) + self.source.get("sitemaps", [])
        self.origins = {urlsplit(u)._replace(path="", query="", fragment="").geturl() for u in urls}

    async def start(self) -> Any:
        for url in self.source["start_urls"]:
            yield scrapy.Request(url, callback=self.parse_list, errback=self.failed, dont_filter=True)
        for url in self.source.get("feeds", []):
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.failed, dont_filter=True)
        for url in self.source.get("sitemaps", []):
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.failed, dont_filter=True)

    def canonical_url(self, url: str) -> str:
        """The URL stored for a page: canonical form, under the source's canonical origin if it has one."""
        url = canonicalize_url(url)
        if self.canonical:
            for origin in self.origins:
                if url.startswith(origin + "/") or url == origin:
                    return self.canonical + url[len(origin):]
        return url

    def _article_request(self, url: str, published: date | None = None) -> scrapy.Request | None:
        if not url.startswith(("http://", "https://")) or not self.article_re.search(url):
            return None
        if self.since and published and published < self.since:
            return None
        if self.canonical_url(url) in self.seen:
            return None
        return scrapy.Request(url, callback=self.parse_article, errback=self.failed)

    def parse_list(self, response: Response) -> Iterator[Any]:
        if self.article_re.search(response.url):
            yield from self.parse_article(response)
        if not isinstance(response, TextResponse):  # binary: no links
            return
        for link in LINKS.extract_links(response):
            url = link.url.split("#")[0]
            if not url.startswith(("http://", "https://")):
                continue
            if self.article_re.search(url):
                req = self._article_request(url)
                if req is not None:
                    yield req
            elif self.follow_re and self.follow_re.search(url):
                yield scrapy.Request(url, callback=self.parse_list, errback=self.failed)

    # (entry, its link, its date) in RSS 2.0 and in Atom, namespace-agnostic.
    FEED_SHAPES = (
        ("//*[local-name()='item']", "./*[local-name()='link']/text()",
         "./*[local-name()='pubDate' or local-name()='date']/text()"),
        ("//*[local-name()='entry']", "./*[local-name()='link']/@href",
         "./*[local-name()='published' or local-name()='updated']/text()"),
    )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """RSS 2.0 items and Atom entries: link plus publication date."""
        if not hasattr(response, "text"):
            return
        sel = scrapy.Selector(text=response.text, type="xml")
        for entries, link_xpath, date_xpath in self.FEED_SHAPES:
            for entry in sel.xpath(entries):
                link = entry.xpath(link_xpath).get()
                if link:
                    req = self._article_request(response.urljoin(link.strip()), _date_of(entry.xpath(date_xpath).get()))
                    if req is not None:
                        yield req

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemaps and sitemap indexes (gzipped or not); `lastmod` before --since is skipped."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=50 * 1024 * 1024)
            except Exception as exc:  # a corrupt archive is one failed URL, not a failed crawl
                yield self.failure(response.url, f"bad gzip sitemap: {exc}"[:500])
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:
            yield self.failure(response.url, f"not a sitemap: {exc}"[:500])
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                lastmod = _date_of(entry.get("lastmod"))
                if not (self.since and lastmod and lastmod < self.since):
                    yield scrapy.Request(response.urljoin(loc), callback=self.parse_sitemap, errback=self.failed)
            else:
                req = self._article_request(response.urljoin(loc), _date_of(entry.get("lastmod")))
                if req is not None:
                    yield req

    def parse_article(self, response: Response) -> Iterator[Any]:
        # A page is keyed by where it ended up; links that redirected there are kept as aliases, so the
        # next run knows them too and one report reached two ways is stored once.
        url = self.canonical_url(response.url)
        for link in response.meta.get("redirect_urls", []):
            alias = self.canonical_url(link)
            if alias != url:
                yield Alias(alias, url)
        if url in self.seen:
            return
        self.seen.add(url)
        yield Page(url=url, source=self.source["name"], lang=self.source.get("lang", "auto"), status=response.status,
                   content_type=(response.headers.get("Content-Type") or b"").decode("latin-1"),
                   fetched_at=datetime.now(UTC).isoformat(), body=response.body)

    def failure(self, url: str, reason: str) -> Failure:
        stats = getattr(getattr(self, "crawler", None), "stats", None)  # None when built outside a crawl (tests)
        if stats is not None:
            stats.inc_value(FAILURES_STAT)
        return Failure(url, reason)

    def failed(self, failure: Any) -> Iterator[Failure]:
        """Errback: the URL and why it failed, as an item like any other (robots.txt refusals are not failures)."""
        reason = failure.getErrorMessage() or failure.type.__name__
        if failure.check(IgnoreRequest) and "robots.txt" in reason:
            return  # the site asked us not to: a choice, not a failure
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        yield self.failure(failure.request.url, f"{failure.type.__name__}: {reason}"[:500])
