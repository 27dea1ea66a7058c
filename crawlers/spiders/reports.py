"""One spider for every configured source: follow list pages, feeds and sitemaps; fetch report pages once.

A source says which URLs are articles (`article_pattern`) and which are
list pages to follow (`follow_pattern`); both are regular expressions on
absolute URLs in their canonical form (under `canonical_origin` when the
source has one). Column pages are read by their shape (crawlers/list_shapes.py:
plain links and pagers, Hanweb records and dataproxy paging, TRS
createPageHTML paging, JSON lists), bounded by `max_list_pages` per start
URL and, by default, no further once a whole list page brings no article
that is not already stored. RSS/Atom feeds and sitemaps give article URLs
directly, with dates that let `--since` skip old entries before fetching
them. Article URLs already stored (the `seen` set) are not fetched again;
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

from crawlers import list_shapes
from crawlers.page_tree import gave_up_at, tame_tags
from crawlers.patterns import URL_MAX, compile_pattern, search
from crawlers.spool import Alias, Failure, Page

LONG_URL_KEPT = 8192  # how much of an over-long link its failure row keeps


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


def without_credentials(url: str) -> str:
    """The URL with any user:password@ taken out: stored URLs (pages, failures, aliases) are shown to anyone
    who can read the database."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


FAILURES_STAT = "cityfacts/failures"
LIMIT_STAT = "cityfacts/limit"  # cityfacts/limit/<name>: a crawl bound that was reached
# Every <a href> and <area href> of a list page, absolute, whatever its extension (the source's patterns decide
# what to follow).
LINKS = LinkExtractor(tags=("a", "area"), attrs=("href",), canonicalize=False, unique=True, deny_extensions=[])


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, source: str | dict[str, Any] = "", seen: set[str] | None = None, since: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source: dict[str, Any] = json.loads(source) if isinstance(source, str) else source
        self.name = f"reports:{self.source['name']}"
        self.allowed_domains = self.source.get("allowed_domains") or []
        self.article_re = compile_pattern(self.source["article_pattern"])
        fp = self.source.get("follow_pattern")
        self.follow_re = compile_pattern(fp) if fp else None
        self.seen: set[str] = seen if seen is not None else set()
        self.since = date.fromisoformat(since) if since else None
        self.canonical = self.source.get("canonical_origin")
        self.json_list: dict[str, Any] | None = self.source.get("json_list")
        endpoint = [self.json_list["endpoint"]] if self.json_list and self.json_list.get("endpoint") else []
        urls = self.source["start_urls"] + self.source.get("feeds", []) + self.source.get("sitemaps", []) + endpoint
        self.origins = {urlsplit(u)._replace(path="", query="", fragment="").geturl() for u in urls}
        self.shape: str = self.source.get("list_shape") or "auto"
        self.max_list_pages: int = int(self.source.get("max_list_pages") or 20)
        self.stop_when_seen: bool = bool(self.source.get("stop_paging_when_seen", True))
        self._list_urls: dict[str, set[str]] = {}  # start URL (column) -> the list pages requested for it
        self.max_pages: int = int(self.source.get("max_pages") or 2000)
        self.article_requests = 0
        self._too_long: set[str] = set()  # over-long links already recorded as failures

    @property
    def revisit(self) -> bool:
        """Whether list pages, feeds and sitemaps skip the seen-set (fetched every run). Not with a shared
        frontier (crawlers/frontier.py): there the seen-set lasts one run, and a second worker must not
        fetch them again."""
        settings = getattr(getattr(self, "crawler", None), "settings", None)
        return not (settings is not None and settings.get("CITYFACTS_FRONTIER"))

    async def start(self) -> Any:
        for url in self.source["start_urls"]:
            self._list_urls.setdefault(url, {url})
            yield scrapy.Request(url, callback=self.parse_list, errback=self.failed, dont_filter=self.revisit,
                                 meta={"list_page": 1, "column": url})
        if self.json_list and self.json_list.get("endpoint"):
            yield self._json_page(int(self.json_list.get("first_page", 1)), {"list_page": 0, "column": "json"})
        for url in self.source.get("feeds", []):
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.failed, dont_filter=self.revisit)
        for url in self.source.get("sitemaps", []):
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.failed, dont_filter=self.revisit)

    def canonical_url(self, url: str) -> str:
        """The URL stored for a page: canonical form, under the source's canonical origin if it has one."""
        url = canonicalize_url(without_credentials(url))
        if self.canonical:
            for origin in self.origins:
                if url.startswith(origin + "/") or url == origin:
                    return self.canonical + url[len(origin):]
        return url

    def is_article(self, url: str) -> bool:
        return url.startswith(("http://", "https://")) and search(self.article_re, self.canonical_url(url))

    def _article_request(self, url: str, published: date | None = None) -> scrapy.Request | Failure | None:
        """The request for an article link; None when it is not one to fetch, a Failure (once) for a link too
        long to be matched or fetched, which would otherwise vanish without a trace."""
        if len(url) > URL_MAX:
            if url in self._too_long:
                return None
            self._too_long.add(url)
            return self.failure(url[:LONG_URL_KEPT], f"link of {len(url):,} characters: longer than the "
                                                     f"{URL_MAX:,} this crawler follows")
        if not self.is_article(url):
            return None
        if self.since and published and published < self.since:
            return None
        if self.canonical_url(url) in self.seen:
            return None
        if self.article_requests >= self.max_pages:
            self.limit_hit("max_pages")
            return None
        self.article_requests += 1
        return scrapy.Request(url, callback=self.parse_article, errback=self.failed)

    def limit_hit(self, name: str) -> None:
        """Record that a crawl bound was reached (crawl_runs.limits_hit): what is left waits for the next run."""
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.set_value(f"{LIMIT_STAT}/{name}", 1)

    def _more(self, response: Response, new: int) -> bool:
        """Whether to page on after this list page: while its column is within `max_list_pages`, and (by
        default) only while pages bring articles that are not stored yet."""
        requested = self._list_urls.get(response.meta.get("column", ""), set())
        wanted = new > 0 or not self.stop_when_seen
        if wanted and len(requested) >= self.max_list_pages:
            self.limit_hit("max_list_pages")
        return wanted and len(requested) < self.max_list_pages

    def _claim(self, response: Response, url: str) -> bool:
        """Count a further list page against its column's bound; False when over it or already asked."""
        requested = self._list_urls.setdefault(response.meta.get("column", ""), set())
        if url in requested or len(url) > URL_MAX:
            return False
        if len(requested) >= self.max_list_pages:
            self.limit_hit("max_list_pages")
            return False
        requested.add(url)
        return True

    def _list_request(self, url: str, response: Response, **meta: Any) -> scrapy.Request | None:
        if not self._claim(response, url):
            return None
        return scrapy.Request(url, callback=self.parse_list, errback=self.failed,
                              meta={"list_page": int(response.meta.get("list_page", 1)) + 1,
                                    "column": response.meta.get("column", ""), **meta})

    def _articles(self, urls: Any, counter: list[int]) -> Iterator[scrapy.Request | Failure]:
        for url in urls:
            req = self._article_request(url.split("#")[0])
            if isinstance(req, scrapy.Request):
                counter[0] += 1
            if req is not None:
                yield req

    def parse_list(self, response: Response) -> Iterator[Any]:
        if self.is_article(response.url):
            yield from self.parse_article(response)
        if not isinstance(response, TextResponse):  # binary: no links
            return
        text = response.text
        tamed = tame_tags(text)
        if tamed != text:  # a tag with absurdly many attributes would stall lxml for minutes
            response = response.replace(body=tamed.encode("utf-8"), encoding="utf-8")
            text = tamed
        cut = gave_up_at(response.body)
        if cut:  # what lxml read is all the links there are: the rest of the page is lost, and says so
            yield self.failure(response.url, f"page cut short ({cut}): links after that point are not read")
        shape = list_shapes.detect(text) if self.shape == "auto" else self.shape
        new = [0]
        links = [link for link in LINKS.extract_links(response) if link.url.startswith(("http://", "https://"))]
        yield from self._articles((link.url for link in links), new)
        if shape == "hanweb":
            yield from self._articles(list_shapes.hanweb_records(text, response.url), new)
        if self.json_list and self.json_list.get("variable"):
            payload = list_shapes.script_variable(text, self.json_list["variable"])
            yield from self._json_articles(payload, response.url, new)
        more = self._more(response, new[0])
        if shape == "hanweb" and "trs_pages" not in response.meta:
            paging = list_shapes.hanweb_paging(text)
            first = len(list_shapes.hanweb_records(text, response.url))
            if paging and more:
                req = self._hanweb_request(response, paging, first + 1)
                if req is not None:
                    yield req
        if shape == "trs":
            pages = response.meta.get("trs_pages")
            if pages is None:
                pages = list_shapes.trs_pages(text, response.url)
            at = int(response.meta.get("trs_at", -1)) + 1
            nxt = self._list_request(pages[at], response, trs_pages=pages, trs_at=at) if more and at < len(pages) else None
            if nxt is not None:
                yield nxt
        # Plain pagers and followed lists, in every shape (a Hanweb column can link index_2.html too).
        if more:
            for link in links:
                url = link.url.split("#")[0]
                if self.is_article(url):
                    continue
                if (self.follow_re and search(self.follow_re, self.canonical_url(url))) or \
                        list_shapes.is_pager(link.text, url, response.url):
                    req = self._list_request(url, response)
                    if req is not None:
                        yield req

    def _hanweb_request(self, response: Response, paging: dict[str, Any], start: int) -> scrapy.Request | None:
        """The next dataproxy.jsp call: the column's ajaxParam as form data, the record range in the query (both
        ways, as sites differ in which they read)."""
        per = int(paging["perpage"])
        end = start + 3 * per - 1  # jpage asks for three pages' records at a time
        query = f"startrecord={start}&endrecord={end}&perpage={per}"
        url = response.urljoin(paging["url"]) + ("&" if "?" in paging["url"] else "?") + query
        form = {str(k): str(v) for k, v in paging["params"].items()}
        if not self._claim(response, url):
            return None
        return scrapy.FormRequest(url, formdata=form, callback=self.parse_hanweb, errback=self.failed,
                                  meta={"list_page": int(response.meta.get("list_page", 1)) + 1,
                                        "column": response.meta.get("column", ""), "hanweb": paging,
                                        "next_start": end + 1}, dont_filter=self.revisit)

    def parse_hanweb(self, response: Response) -> Iterator[Any]:
        """A dataproxy.jsp answer: its records, then the next range until totalrecord is reached."""
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        new = [0]
        records = list_shapes.hanweb_records(text, response.url)
        yield from self._articles(records, new)
        paging = response.meta["hanweb"]
        total = list_shapes.hanweb_total(text) or paging.get("total")
        start = int(response.meta["next_start"])
        if records and self._more(response, new[0]) and (total is None or start <= total):
            req = self._hanweb_request(response, paging, start)
            if req is not None:
                yield req

    def _json_page(self, page: int, meta: dict[str, Any]) -> scrapy.Request | None:
        """A page of the JSON endpoint, counted against the endpoint's own bound ("json" column)."""
        assert self.json_list is not None
        url = self.json_list["endpoint"].replace("{page}", str(page))
        requested = self._list_urls.setdefault("json", set())
        if url in requested or len(requested) >= self.max_list_pages:
            return None
        requested.add(url)
        return scrapy.Request(url, callback=self.parse_json, errback=self.failed, dont_filter=self.revisit,
                              meta={"list_page": int(meta.get("list_page", 0)) + 1, "column": "json", "json_page": page})

    def _json_articles(self, payload: Any, base: str, counter: list[int]) -> Iterator[scrapy.Request | Failure]:
        assert self.json_list is not None
        for url, day in list_shapes.json_items(payload, self.json_list.get("items") or "", self.json_list.get("url") or "url",
                                               self.json_list.get("date"), base):
            req = self._article_request(url, _date_of(day))
            if isinstance(req, scrapy.Request):
                counter[0] += 1
            if req is not None:
                yield req

    def parse_json(self, response: Response) -> Iterator[Any]:
        """One page of a JSON list endpoint; the next page while this one had items (and, by default, new ones)."""
        try:
            payload = json.loads(response.body)
        except ValueError as exc:
            yield self.failure(response.url, f"not JSON: {exc}"[:500])
            return
        new = [0]
        yield from self._json_articles(payload, response.url, new)
        items = list_shapes.dig(payload, (self.json_list or {}).get("items") or "")
        if isinstance(items, list) and items and self._more(response, new[0]):
            req = self._json_page(int(response.meta["json_page"]) + 1, response.meta)
            if req is not None:
                yield req

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
        limits = [e.message for e in sitemap.xmliter.error_log if e.type_name == "ERR_RESOURCE_LIMIT"]
        if limits:  # an entity bomb or the like: the parser stopped, and the entries after it are lost
            yield self.failure(response.url, f"sitemap cut short ({limits[0]}): entries after that point are not read"[:500])

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
        return Failure(without_credentials(url), reason)

    def failed(self, failure: Any) -> Iterator[Failure]:
        """Errback: the URL and why it failed, as an item like any other (robots.txt refusals are not failures).
        A redirected request fails under the link it started from, which is what the next run asks again; the
        reason says where the redirects led."""
        reason = failure.getErrorMessage() or failure.type.__name__
        if failure.check(IgnoreRequest) and "robots.txt" in reason:
            return  # the site asked us not to: a choice, not a failure
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        request = failure.request
        chain = request.meta.get("redirect_urls") or []
        if chain:
            reason += f" (redirected from there to {without_credentials(request.url)})"
        yield self.failure(chain[0] if chain else request.url, f"{failure.type.__name__}: {reason}"[:500])
